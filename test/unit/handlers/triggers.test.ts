import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  DescribeModelCommand,
  ListModelPackagesCommand,
  SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { DescribeExecutionCommand, SendTaskFailureCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { handler as awaitGuardrails } from '../../../lambdas/await-guardrails';
import { footprintOf } from '../../../lambdas/shared/outside';
import { handler as onAlarm } from '../../../lambdas/on-alarm';
import { handler as onApproval } from '../../../lambdas/on-approval';
import { ENDPOINT, packageArn, setStepEnvironment, stateAt, lockHeldBy } from '../../support/fixtures';

const sagemaker = mockClient(SageMakerClient);
const sfn = mockClient(SFNClient);
const dynamo = mockClient(DynamoDBDocumentClient);

const sample = (name: string): unknown => JSON.parse(readFileSync(join(__dirname, '..', '..', 'fixtures', 'events', `${name}.json`), 'utf8'));
/** The AWS documentation's sample event, re-pointed at our group/version. */
function approvalEvent(version: number, status: 'Approved' | 'Rejected' | 'PendingManualApproval', group = 'churn-models') {
  const event = sample('model_package_state_change') as { detail: Record<string, unknown> } & Record<string, unknown>;
  return { ...event, detail: { ...event.detail, ModelPackageGroupName: group, ModelPackageVersion: version, ModelPackageArn: packageArn(version, group), ModelApprovalStatus: status } };
}
function alarmEvent(alarmName: string, value = 'ALARM') {
  const event = sample('cloudwatch_alarm_state_change_single_metric') as { detail: { state: Record<string, unknown> } & Record<string, unknown> } & Record<string, unknown>;
  return { ...event, detail: { ...event.detail, alarmName, state: { ...event.detail.state, value } } };
}

beforeEach(() => {
  sagemaker.reset();
  sfn.reset();
  dynamo.reset();
  setStepEnvironment({ approvalRoutes: { 'churn-models': { endpoints: [ENDPOINT], bakeSeconds: 600 } } });
  process.env.STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:111122223333:stateMachine:Promotion';
  sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:exec' });
  sfn.on(DescribeExecutionCommand).rejects(Object.assign(new Error('Execution Does Not Exist'), { name: 'ExecutionDoesNotExist' }));
  // No lock, nothing queued: on-approval's busy-endpoint branches are in on-approval.test.ts.
  dynamo.on(GetCommand).resolves({});
});

describe('on-approval', () => {
  test('GIVEN the AWS sample event with Approved WHEN received THEN one promotion of that version starts on each mapped endpoint', async () => {
    await expect(onApproval(approvalEvent(7, 'Approved'))).resolves.toMatchObject({ action: 'started', executions: [{ endpointName: ENDPOINT, status: 'started' }] });
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
    const call = sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input;
    expect(JSON.parse(call.input!)).toMatchObject({ endpointName: ENDPOINT, modelPackageArn: packageArn(7), bakeSeconds: 600, requestedBy: 'model-registry:approved:churn-models/7' });
    expect(call.name).toMatch(/^churn-prediction-v7-approved-[0-9a-f]{10}$/);
  });

  test('GIVEN the same event delivered twice THEN the second finds the execution by its deterministic name and reports a duplicate', async () => {
    await onApproval(approvalEvent(7, 'Approved'));
    const name = sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input.name;
    sfn.on(DescribeExecutionCommand).resolves({ status: 'RUNNING' } as never);
    await expect(onApproval(approvalEvent(7, 'Approved'))).resolves.toMatchObject({ action: 'duplicate' });
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
    expect(sfn).toHaveReceivedCommandWith(DescribeExecutionCommand, { executionArn: `arn:aws:states:us-east-1:111122223333:execution:Promotion:${name}` });
  });

  test('GIVEN two deliveries racing past the check THEN ExecutionAlreadyExists is a duplicate, not an error', async () => {
    sfn.on(StartExecutionCommand).rejects(Object.assign(new Error("Execution Already Exists: 'arn:exec'"), { name: 'ExecutionAlreadyExists' }));
    await expect(onApproval(approvalEvent(7, 'Approved'))).resolves.toMatchObject({ action: 'duplicate' });
  });

  test('GIVEN PendingManualApproval or an unconfigured group THEN nothing starts', async () => {
    await expect(onApproval(approvalEvent(7, 'PendingManualApproval'))).resolves.toMatchObject({ action: 'ignored' });
    await expect(onApproval(approvalEvent(7, 'Approved', 'other-models'))).resolves.toMatchObject({ action: 'ignored', note: expect.stringMatching(/not configured/) });
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  test('GIVEN Rejected on the live version THEN the endpoint moves back to the latest other approved version', async () => {
    sagemaker.on(DescribeEndpointCommand).resolves({ EndpointConfigName: 'c', ProductionVariants: [{ VariantName: 'v7', CurrentWeight: 1 }] });
    sagemaker.on(DescribeEndpointConfigCommand).resolves({ ProductionVariants: [{ VariantName: 'v7', ModelName: 'm7' }] });
    sagemaker.on(DescribeModelCommand).resolves({ PrimaryContainer: { ModelPackageName: packageArn(7) } });
    sagemaker.on(ListModelPackagesCommand).resolves({
      ModelPackageSummaryList: [5, 6, 7].map((v) => ({ ModelPackageArn: packageArn(v), ModelPackageVersion: v })) as never,
    });
    await expect(onApproval(approvalEvent(7, 'Rejected'))).resolves.toMatchObject({ action: 'started', executions: [{ modelPackageArn: packageArn(6) }] });
    expect(sagemaker).toHaveReceivedCommandWith(ListModelPackagesCommand, { ModelPackageGroupName: 'churn-models', ModelApprovalStatus: 'Approved' });
  });

  test('GIVEN Rejected on a version that is not live THEN nothing changes', async () => {
    sagemaker.on(DescribeEndpointCommand).resolves({ EndpointConfigName: 'c', ProductionVariants: [{ VariantName: 'v6', CurrentWeight: 1 }] });
    sagemaker.on(DescribeEndpointConfigCommand).resolves({ ProductionVariants: [{ VariantName: 'v6', ModelName: 'm6' }] });
    sagemaker.on(DescribeModelCommand).resolves({ PrimaryContainer: { ModelPackageName: packageArn(6) } });
    await expect(onApproval(approvalEvent(7, 'Rejected'))).resolves.toMatchObject({ action: 'ignored' });
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  test('GIVEN a malformed event THEN it is rejected naming the field, and nothing starts', async () => {
    await expect(onApproval({ source: 'aws.sagemaker', 'detail-type': 'SageMaker Model Package State Change', id: 'x', detail: { ModelPackageVersion: 'two' } })).rejects.toMatchObject({
      name: 'InvalidPromotionInput',
      message: expect.stringMatching(/detail\.ModelPackageGroupName: .*detail\.ModelPackageVersion/),
    });
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });
});

describe('on-alarm', () => {
  const lock = { endpointName: ENDPOINT, sk: 'LOCK', promotionId: 'p-1', executionArn: 'arn:exec', inFlight: 'yes', watchedAlarms: ['bluegreen-x-5xx'], bakeTaskToken: 'token-1' };

  test('GIVEN a promotion baking on that alarm WHEN it goes to ALARM THEN its bake task fails with GuardrailAlarm at once and the lock is flagged', async () => {
    dynamo.on(QueryCommand).resolves({ Items: [lock] });
    sfn.on(SendTaskFailureCommand).resolves({});
    await expect(onAlarm(alarmEvent('bluegreen-x-5xx'))).resolves.toEqual({ alarmName: 'bluegreen-x-5xx', promotions: [{ endpointName: ENDPOINT, promotionId: 'p-1', result: 'signalled' }] });
    expect(sfn).toHaveReceivedCommandWith(SendTaskFailureCommand, { taskToken: 'token-1', error: 'GuardrailAlarm', cause: expect.stringMatching(/bluegreen-x-5xx is in ALARM: Threshold Crossed/) });
    expect(dynamo).toHaveReceivedCommandWith(UpdateCommand, { ConditionExpression: 'promotionId = :id' });
  });

  test('GIVEN an alarm nobody watches, or a transition to OK THEN nothing is signalled', async () => {
    dynamo.on(QueryCommand).resolves({ Items: [lock] });
    await expect(onAlarm(alarmEvent('ServerCpuTooHigh'))).resolves.toMatchObject({ promotions: [] });
    await expect(onAlarm(alarmEvent('bluegreen-x-5xx', 'OK'))).resolves.toMatchObject({ promotions: [] });
    expect(sfn).not.toHaveReceivedCommand(SendTaskFailureCommand);
  });

  test('GIVEN the bake already moved past its token THEN the lock flag alone carries the rollback to the next poll', async () => {
    dynamo.on(QueryCommand).resolves({ Items: [lock] });
    sfn.on(SendTaskFailureCommand).rejects(Object.assign(new Error('Task Timed Out'), { name: 'TaskTimedOut' }));
    await expect(onAlarm(alarmEvent('bluegreen-x-5xx'))).resolves.toMatchObject({ promotions: [{ result: 'flagged' }] });
  });
});

describe('await-guardrails', () => {
  test('GIVEN a bake WHEN it waits THEN the task token, watched alarms and what the endpoint must run are parked on this promotion\'s lock', async () => {
    const state = stateAt('baking');
    const { names } = state.promotion;
    dynamo.on(GetCommand).resolves(lockHeldBy());
    await expect(awaitGuardrails({ token: 'token-9', state })).resolves.toEqual({ parked: true });
    expect(dynamo).toHaveReceivedCommandWith(UpdateCommand, {
      ExpressionAttributeValues: {
        ':token': 'token-9',
        ':alarms': state.bake!.alarmNames,
        // With the promotion's footprint: the backstop and endpoint events judge someone else's change against it.
        ':watch': { endpointName: ENDPOINT, configName: names.pairConfig, weights: { AllTraffic: 0, [names.variant]: 1 }, outside: footprintOf(state) },
        ':me': state.promotion.id,
      },
      ConditionExpression: 'promotionId = :me AND attribute_not_exists(recoveredBy)',
      ReturnValues: 'ALL_NEW',
    });
  });

  test('GIVEN an abort flagged while the token was being parked THEN the write that parks it reads the flag back and rolls back', async () => {
    const state = stateAt('baking');
    dynamo.on(GetCommand).resolves(lockHeldBy());
    dynamo.on(UpdateCommand).resolves({ Attributes: { promotionId: state.promotion.id, abortRequested: { error: 'GuardrailAlarm', reason: 'alarm x in ALARM', at: 'now' } } });
    await expect(awaitGuardrails({ token: 't', state })).rejects.toMatchObject({ name: 'GuardrailAlarm', message: 'alarm x in ALARM' });
  });

  test('GIVEN an abort was requested before the bake THEN it rolls back without parking', async () => {
    const state = stateAt('baking');
    dynamo.on(GetCommand).resolves({ Item: { promotionId: state.promotion.id, abortRequested: { error: 'PromotionAborted', reason: 'stop', at: 'now' } } });
    await expect(awaitGuardrails({ token: 't', state })).rejects.toMatchObject({ name: 'PromotionAborted' });
    expect(dynamo).not.toHaveReceivedCommand(UpdateCommand);
  });
});
