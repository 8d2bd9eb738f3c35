import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DescribeModelPackageCommand, ListModelPackagesCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { handler as onExecutionEnd } from '../../../lambdas/on-execution-end';
import { queueItem } from '../../../lambdas/shared/queue-decisions';
import { conditionalCheckFailed, ENDPOINT, packageArn, setStepEnvironment, changeStepSettings } from '../../support/fixtures';

/**
 * on-execution-end's queue part (lambdas/shared/queue.ts afterExecutionEnd): once the ended
 * execution holds no lock, the endpoint's queued approval is claimed and started. Its recovery
 * part is tested in recovery.test.ts.
 */
const sfn = mockClient(SFNClient);
const dynamo = mockClient(DynamoDBDocumentClient);
const sagemaker = mockClient(SageMakerClient);

const STATE_MACHINE = 'arn:aws:states:us-east-1:111122223333:stateMachine:Promotion';
const EXECUTION = `${STATE_MACHINE.replace(':stateMachine:', ':execution:')}:running-v7`;
const lockKey = { Key: { endpointName: ENDPOINT, sk: 'LOCK' } };
const queueKey = { Key: { endpointName: ENDPOINT, sk: 'QUEUED' } };
const EIGHT = queueItem(
  ENDPOINT,
  { executionName: 'churn-prediction-v8-approved-0123456789', modelPackageArn: packageArn(8), version: 8, approvedAt: '2026-12-01T12:03:00Z', requestedBy: 'model-registry:approved:churn-models/8' },
  JSON.stringify({ endpointName: ENDPOINT, modelPackageArn: packageArn(8), requestedBy: 'model-registry:approved:churn-models/8' }),
  '2026-12-01T12:03:01Z',
  'running-v7',
);

function statusEvent(status: string, input: unknown = { endpointName: ENDPOINT }, extra: Record<string, unknown> = {}) {
  const sample = JSON.parse(readFileSync(join(__dirname, '..', '..', 'fixtures', 'events', 'stepfunctions_execution_failed.json'), 'utf8')) as { detail: Record<string, unknown> };
  return { ...sample, detail: { ...sample.detail, executionArn: EXECUTION, name: 'running-v7', status, input: JSON.stringify(input), ...extra } };
}

beforeEach(() => {
  sfn.reset();
  dynamo.reset();
  sagemaker.reset();
  setStepEnvironment({ registryGroups: ['churn-models'] });
  process.env.STATE_MACHINE_ARN = STATE_MACHINE;
  dynamo.on(GetCommand).resolves({});
  dynamo.on(GetCommand, queueKey).resolves({ Item: EIGHT });
  dynamo.on(DeleteCommand).resolves({ Attributes: EIGHT });
  dynamo.on(PutCommand).resolves({});
  sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:started' });
  sfn.on(DescribeExecutionCommand).rejects(Object.assign(new Error('Execution Does Not Exist'), { name: 'ExecutionDoesNotExist' }));
});

describe('on-execution-end starts the approval queued behind the promotion that ended', () => {
  test.each(['SUCCEEDED', 'FAILED'])('GIVEN a promotion %s through its own states (lock released) THEN the queued approval is claimed and started under its own name, and its row says so', async (status) => {
    await expect(onExecutionEnd(statusEvent(status))).resolves.toMatchObject({ action: 'nothing-to-do', queue: { drain: { action: 'started', executionName: EIGHT.executionName, duplicate: false } } });
    expect(dynamo).toHaveReceivedCommandWith(DeleteCommand, { ...queueKey, ConditionExpression: 'executionName = :name', ExpressionAttributeValues: { ':name': EIGHT.executionName } });
    expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, { stateMachineArn: STATE_MACHINE, name: EIGHT.executionName, input: EIGHT.input });
    expect(dynamo).toHaveReceivedCommandWith(PutCommand, { Item: expect.objectContaining({ approvalId: EIGHT.executionName, outcome: 'queued', startedAs: EIGHT.executionName }) });
  });

  test('GIVEN the ended promotion still holds its lock THEN its recovery starts and the queue waits for the recovery\'s end', async () => {
    dynamo.on(GetCommand, lockKey).resolves({ Item: { endpointName: ENDPOINT, sk: 'LOCK', promotionId: 'running-v7' } });
    await expect(onExecutionEnd(statusEvent('ABORTED'))).resolves.toMatchObject({ action: 'recovery-started' });
    expect(dynamo).not.toHaveReceivedCommand(DeleteCommand);
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
    expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, { name: 'running-v7-recover' });
  });

  test('GIVEN another promotion holds the lock by now THEN the queue is left for that one\'s end', async () => {
    dynamo.on(GetCommand, lockKey).resolves({ Item: { endpointName: ENDPOINT, sk: 'LOCK', promotionId: 'someone-else' } });
    await expect(onExecutionEnd(statusEvent('SUCCEEDED'))).resolves.toMatchObject({ queue: { drain: { action: 'busy', holder: 'someone-else' } } });
    expect(dynamo).not.toHaveReceivedCommand(DeleteCommand);
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  test('GIVEN a recovery execution ends (its input names only the recovered execution) THEN the endpoint is found through that one and its queue starts', async () => {
    sfn.on(DescribeExecutionCommand, { executionArn: EXECUTION }).resolves({ input: JSON.stringify({ endpointName: ENDPOINT }) });
    await expect(onExecutionEnd(statusEvent('SUCCEEDED', { recoverExecutionArn: EXECUTION }))).resolves.toMatchObject({ queue: { drain: { action: 'started' } } });
    expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, { name: EIGHT.executionName });
  });

  test('GIVEN the end event delivered twice THEN the second claims nothing and starts nothing', async () => {
    dynamo.on(GetCommand, queueKey).resolvesOnce({ Item: EIGHT }).resolves({});
    await onExecutionEnd(statusEvent('SUCCEEDED'));
    await expect(onExecutionEnd(statusEvent('SUCCEEDED'))).resolves.toMatchObject({ queue: { drain: { action: 'empty' } } });
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
  });

  test('GIVEN two claimers racing THEN the one whose conditional delete fails reads again and starts nothing', async () => {
    dynamo.on(GetCommand, queueKey).resolvesOnce({ Item: EIGHT }).resolves({});
    dynamo.on(DeleteCommand).rejects(conditionalCheckFailed());
    await expect(onExecutionEnd(statusEvent('SUCCEEDED'))).resolves.toMatchObject({ queue: { drain: { action: 'empty' } } });
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  test('GIVEN the queued execution had run already (a duplicate delivery queued again) THEN its row says so and names no execution it started', async () => {
    sfn.on(StartExecutionCommand).rejects(Object.assign(new Error('Execution Already Exists'), { name: 'ExecutionAlreadyExists' }));
    await expect(onExecutionEnd(statusEvent('SUCCEEDED'))).resolves.toMatchObject({ queue: { drain: { action: 'started', duplicate: true } } });
    const row = dynamo.commandCalls(PutCommand).map((c) => c.args[0].input.Item as Record<string, unknown>).find((i) => i.approvalId === EIGHT.executionName);
    expect(row).toMatchObject({ outcome: 'queued', reason: expect.stringMatching(/had run already \(a duplicate delivery\): not started again$/) });
    expect(row?.startedAs).toBeUndefined();
  });

  test('GIVEN Step Functions throttles the start THEN the claimed item is put back (unless a newer one took its place) and the event fails to be retried', async () => {
    sfn.on(StartExecutionCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    await expect(onExecutionEnd(statusEvent('SUCCEEDED'))).rejects.toMatchObject({ name: 'ThrottlingException' });
    expect(dynamo).toHaveReceivedCommandWith(PutCommand, { Item: EIGHT, ConditionExpression: 'attribute_not_exists(sk)' });
  });

  test("GIVEN an approval's start refused PromotionInProgress (it lost the race for the lock) THEN it is queued again under a new name", async () => {
    dynamo.on(GetCommand, lockKey).resolves({ Item: { endpointName: ENDPOINT, sk: 'LOCK', promotionId: 'winner', modelPackageArn: packageArn(7) } });
    dynamo.on(GetCommand, queueKey).resolves({});
    const input = { endpointName: ENDPOINT, modelPackageArn: packageArn(8), requestedBy: 'model-registry:approved:churn-models/8' };
    const result = await onExecutionEnd(statusEvent('FAILED', input, { name: 'loser-v8', error: 'PromotionInProgress', startDate: Date.parse('2026-12-01T12:03:00Z') }));
    expect(result).toMatchObject({ queue: { requeued: { status: 'queued', executionName: 'loser-v8-q1' }, drain: { action: 'busy', holder: 'winner' } } });
    expect(dynamo).toHaveReceivedCommandWith(PutCommand, { Item: expect.objectContaining({ sk: 'QUEUED', executionName: 'loser-v8-q1', version: 8, input: JSON.stringify(input), behind: 'winner' }) });
  });
});

describe('on-execution-end: a version rejected while it went live (after the promotion\'s last abort check)', () => {
  const promoted = { endpointName: ENDPOINT, modelPackageArn: packageArn(7), bakeSeconds: 600, requestedBy: 'model-registry:approved:churn-models/7' };

  test('GIVEN a promotion of version 7 SUCCEEDED but 7 is Rejected now THEN the latest other approved version is promoted, with the ended promotion\'s settings', async () => {
    dynamo.on(GetCommand, queueKey).resolves({});
    sagemaker.on(DescribeModelPackageCommand).resolves({ ModelApprovalStatus: 'Rejected' });
    sagemaker.on(ListModelPackagesCommand).resolves({ ModelPackageSummaryList: [5, 6, 7].map((v) => ({ ModelPackageArn: packageArn(v), ModelPackageVersion: v })) as never });

    const result = await onExecutionEnd(statusEvent('SUCCEEDED', promoted));
    expect(result).toMatchObject({ queue: { fallback: { status: 'started', executionName: 'running-v7-rejected' } } });
    expect(sagemaker).toHaveReceivedCommandWith(DescribeModelPackageCommand, { ModelPackageName: packageArn(7) });
    const start = sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input;
    expect(start.name).toBe('running-v7-rejected');
    expect(JSON.parse(start.input!)).toEqual({ ...promoted, modelPackageArn: packageArn(6), requestedBy: 'model-registry:rejected:churn-models/7' });
  });

  test('GIVEN the version is still Approved, or its group is not routed THEN nothing moves', async () => {
    dynamo.on(GetCommand, queueKey).resolves({});
    sagemaker.on(DescribeModelPackageCommand).resolves({ ModelApprovalStatus: 'Approved' });
    await expect(onExecutionEnd(statusEvent('SUCCEEDED', promoted))).resolves.toMatchObject({ queue: { fallback: undefined, drain: { action: 'empty' } } });
    changeStepSettings({ registryGroups: [] });
    await onExecutionEnd(statusEvent('SUCCEEDED', promoted));
    expect(sagemaker).toHaveReceivedCommandTimes(DescribeModelPackageCommand, 1);
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });
});
