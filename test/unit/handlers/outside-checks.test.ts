import { ApplicationAutoScalingClient, DescribeScalableTargetsCommand, DeregisterScalableTargetCommand } from '@aws-sdk/client-application-auto-scaling';
import { CloudWatchClient, DescribeAlarmsCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import {
  DeleteEndpointCommand,
  DeleteEndpointConfigCommand,
  DeleteModelCommand,
  DescribeEndpointCommand,
  SageMakerClient,
  UpdateEndpointCommand,
  UpdateEndpointWeightsAndCapacitiesCommand,
  type DescribeEndpointOutput,
} from '@aws-sdk/client-sagemaker';
import { SendTaskFailureCommand, SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { handler as checkGuardrails } from '../../../lambdas/check-guardrails';
import { handler as cleanup } from '../../../lambdas/cleanup';
import { handler as finalize } from '../../../lambdas/finalize';
import { handler as onBackstop } from '../../../lambdas/on-backstop';
import { handler as onEndpointChange } from '../../../lambdas/on-endpoint-change';
import { handler as rollback } from '../../../lambdas/rollback';
import { handler as shiftTraffic } from '../../../lambdas/shift-traffic';
import { handler as standUpGreen } from '../../../lambdas/stand-up-green';
import { handler as waitForEndpoint } from '../../../lambdas/wait-for-endpoint';
import type { PromotionState, WaitResult } from '../../../lambdas/shared/contracts';
import { footprintOf } from '../../../lambdas/shared/outside';
import { aBlue, anEndpoint, BLUE_CONFIG, BLUE_VARIANT, ENDPOINT, notFound, setStepEnvironment, stateAt } from '../../support/fixtures';

/**
 * Every look at the endpoint judges outside changes before the step acts (issue 11): the InService
 * checks, the bake's check and its backstop, endpoint events, the stand-up, the shift, finalize,
 * each rollback turn and blue's cleanup. Someone else's change stops the promotion with OutsideChange and the
 * step does nothing to the endpoint. Blue runs 2 instances (aBlue): endpoints here are described so.
 */
const sagemaker = mockClient(SageMakerClient);
const dynamo = mockClient(DynamoDBDocumentClient);
const cloudwatch = mockClient(CloudWatchClient);
const sfn = mockClient(SFNClient);
const autoscaling = mockClient(ApplicationAutoScalingClient);

const baking = stateAt('baking');
const { names } = baking.promotion;
const GREEN = names.variant;
const v = (name: string, weight: number, instances = 2) => ({ name, weight, instances });
const shifted = anEndpoint(names.pairConfig, [v(BLUE_VARIANT, 0), v(GREEN, 1)]);
/** An operator's UpdateEndpointWeightsAndCapacities back to blue, done. */
const weightsBack = anEndpoint(names.pairConfig, [v(BLUE_VARIANT, 1), v(GREEN, 0)]);
const onBlue = anEndpoint(BLUE_CONFIG, [v(BLUE_VARIANT, 1)]);
const lockOf = (state: PromotionState, extra: Record<string, unknown> = {}) => ({
  endpointName: ENDPOINT,
  sk: 'LOCK',
  promotionId: state.promotion.id,
  executionArn: state.promotion.executionArn,
  modelPackageArn: state.promotion.modelPackageArn,
  acquiredAt: '2025-01-01T00:00:01.000Z',
  inFlight: 'yes',
  ...extra,
});
const describes = (endpoint: DescribeEndpointOutput | undefined) =>
  endpoint ? sagemaker.on(DescribeEndpointCommand, { EndpointName: ENDPOINT }).resolves(endpoint) : sagemaker.on(DescribeEndpointCommand, { EndpointName: ENDPOINT }).rejects(notFound('endpoint', ENDPOINT));
const ready = (phase: WaitResult['phase']): WaitResult => ({ phase, attempt: 1, ready: true, status: 'InService', elapsedSeconds: 0, waitSeconds: 30 });
/** Nothing was done to the endpoint. */
function expectEndpointUntouched(): void {
  expect(sagemaker).not.toHaveReceivedCommand(UpdateEndpointCommand);
  expect(sagemaker).not.toHaveReceivedCommand(UpdateEndpointWeightsAndCapacitiesCommand);
  expect(sagemaker).not.toHaveReceivedCommandWith(DeleteEndpointCommand, { EndpointName: ENDPOINT });
}

beforeEach(() => {
  for (const client of [sagemaker, dynamo, cloudwatch, sfn, autoscaling]) client.reset();
  setStepEnvironment();
  dynamo.on(GetCommand).resolves({ Item: lockOf(baking) });
  dynamo.on(UpdateCommand).resolves({ Attributes: lockOf(baking) });
  cloudwatch.on(DescribeAlarmsCommand).callsFake((input: { AlarmNames?: string[] }) => ({
    MetricAlarms: (input.AlarmNames ?? []).map((AlarmName) => ({ AlarmName, StateValue: 'OK', StateReason: 'Threshold not crossed' })),
  }));
  autoscaling.on(DescribeScalableTargetsCommand).resolves({ ScalableTargets: [] });
  describes(shifted);
});

describe('the InService checks (wait-for-endpoint)', () => {
  test('GIVEN the shift’s wait WHEN the endpoint is back on blue’s config with no FailureReason THEN OutsideChange names it and which check saw it, not a rollback', async () => {
    describes(onBlue);
    await expect(waitForEndpoint({ phase: 'shift', state: { ...stateAt('stoodUp'), shift: baking.shift, bake: baking.bake } })).rejects.toMatchObject({
      name: 'OutsideChange',
      message: expect.stringMatching(new RegExp(`^endpoint ${ENDPOINT} is back on blue's config ${BLUE_CONFIG} .* \\(detected by wait-for-endpoint:shift at \\S+\\)$`)),
    });
  });

  test('GIVEN the stand-up never seen InService WHEN SageMaker silently rolled it back THEN it stays UnexpectedEndpointState (a rollback)', async () => {
    describes(onBlue);
    await expect(waitForEndpoint({ phase: 'standUp', state: { ...stateAt('greenCreated'), standUp: { action: 'UpdateEndpoint', configName: names.pairConfig, at: 'x' } } })).rejects.toMatchObject({
      name: 'UnexpectedEndpointState',
    });
  });

  test('GIVEN guardrails validating on its validation endpoint WHEN the promoted endpoint runs someone else’s config THEN OutsideChange, whatever the validation endpoint says', async () => {
    const s = stateAt('greenCreated', { promotion: { strategy: 'guardrails' } });
    const state: PromotionState = { ...s, green: { ...s.green!, variantName: BLUE_VARIANT, pairConfigName: undefined, validationConfigName: names.validationConfig, validationEndpointName: names.validationEndpoint } };
    describes(anEndpoint('churn-hotfix-config', [v(BLUE_VARIANT, 1)]));
    sagemaker.on(DescribeEndpointCommand, { EndpointName: names.validationEndpoint }).resolves(anEndpoint(names.validationConfig, [v(BLUE_VARIANT, 1, 1)]));

    await expect(waitForEndpoint({ phase: 'standUp', state })).rejects.toMatchObject({ name: 'OutsideChange', message: expect.stringContaining('runs config churn-hotfix-config') });
  });

  test('GIVEN the endpoint was deleted while the promotion waited THEN OutsideChange (someone else deleted it)', async () => {
    describes(undefined);
    await expect(waitForEndpoint({ phase: 'shift', state: baking })).rejects.toMatchObject({ name: 'OutsideChange', message: expect.stringContaining('was deleted by someone else') });
  });
});

describe('the bake’s check (check-guardrails)', () => {
  test('GIVEN the bake WHEN the weights were moved back to blue THEN OutsideChange, even before the alarms, and the backstop stops watching the bake', async () => {
    describes(weightsBack);
    await expect(checkGuardrails({ ...baking, wake: { Error: 'States.Timeout' } })).rejects.toMatchObject({
      name: 'OutsideChange',
      message: expect.stringMatching(/^weights moved on .*-pair: AllTraffic=1, v2-[0-9a-f]{6}=0, expected AllTraffic=0, v2-[0-9a-f]{6}=1 .*\(detected by check-guardrails at /),
    });
    expect(dynamo).toHaveReceivedCommandWith(UpdateCommand, { UpdateExpression: 'REMOVE bakeWatch' });
    expect(cloudwatch).not.toHaveReceivedCommand(DescribeAlarmsCommand);
  });

  test('GIVEN the bake and a guardrail alarm in ALARM WHEN the endpoint is as the shift left it THEN it is still the alarm’s rollback', async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: baking.bake!.alarmNames.map((AlarmName) => ({ AlarmName, StateValue: 'ALARM', StateReason: 'Threshold Crossed' })) });
    await expect(checkGuardrails(baking)).rejects.toMatchObject({ name: 'GuardrailAlarm' });
  });
});

describe('the bake’s backstop (on-backstop) and endpoint events (on-endpoint-change)', () => {
  const watch = { endpointName: ENDPOINT, configName: names.pairConfig, weights: { [BLUE_VARIANT]: 0, [GREEN]: 1 }, outside: footprintOf(baking) };
  const bakingLock = lockOf(baking, { bakeTaskToken: 'bake-token', waitTaskToken: 'shift-token', watchedEndpoints: [ENDPOINT], watchedAlarms: baking.bake!.alarmNames, bakeWatch: watch });
  const event = (status = 'IN_SERVICE') => ({ source: 'aws.sagemaker', 'detail-type': 'SageMaker Endpoint State Change', detail: { EndpointName: ENDPOINT, EndpointStatus: status } });

  beforeEach(() => {
    dynamo.on(QueryCommand, { IndexName: 'InFlight' }).resolves({ Items: [bakingLock] });
    dynamo.on(QueryCommand, { IndexName: 'Queued' }).resolves({ Items: [] });
    // requestAbort reads the tokens back from the write that flags the lock.
    dynamo.on(UpdateCommand).resolves({ Attributes: bakingLock });
    sfn.on(SendTaskFailureCommand).resolves({});
    sfn.on(SendTaskSuccessCommand).rejects(Object.assign(new Error('Task Timed Out'), { name: 'TaskTimedOut' }));
  });

  test('GIVEN a promotion baking WHEN the backstop finds the weights moved THEN its bake fails with OutsideChange, the change named', async () => {
    describes(weightsBack);
    await expect(onBackstop({})).resolves.toEqual({ baking: [{ endpointName: ENDPOINT, promotionId: baking.promotion.id, result: 'signalled', problem: expect.stringMatching(/^weights moved on .*\(detected by on-backstop at /) }], queued: [] });
    expect(sfn).toHaveReceivedCommandWith(SendTaskFailureCommand, { taskToken: 'bake-token', error: 'OutsideChange', cause: expect.stringContaining('weights moved on') });
    expect(dynamo).toHaveReceivedCommandWith(UpdateCommand, { ConditionExpression: 'promotionId = :id AND attribute_exists(bakeWatch)' });
  });

  test('GIVEN a promotion baking WHEN the endpoint event of an operator’s update comes THEN the promotion is stopped at once with OutsideChange', async () => {
    describes(onBlue);
    await expect(onEndpointChange(event())).resolves.toEqual({
      endpointName: ENDPOINT,
      status: 'IN_SERVICE',
      promotions: [{ endpointName: ENDPOINT, promotionId: baking.promotion.id, result: 'stopped', change: expect.stringContaining(`back on blue's config ${BLUE_CONFIG}`), abort: 'signalled' }],
    });
    expect(sfn).toHaveReceivedCommandWith(SendTaskFailureCommand, { taskToken: 'bake-token', error: 'OutsideChange', cause: expect.stringContaining('(detected by on-endpoint-change at ') });
    expect(sfn).not.toHaveReceivedCommand(SendTaskSuccessCommand);
  });

  test('GIVEN a promotion baking WHEN the event shows the endpoint as the shift left it THEN nothing is stopped (the wait is only woken, as before)', async () => {
    await expect(onEndpointChange(event())).resolves.toMatchObject({ promotions: [{ result: 'not-waiting' }] });
    expect(sfn).not.toHaveReceivedCommand(SendTaskFailureCommand);
  });

  test('GIVEN blue has no autoscaling in the state WHEN a count moves on a variant that has a scalable target now THEN it is not an outside change', async () => {
    describes(anEndpoint(names.pairConfig, [v(BLUE_VARIANT, 0), v(GREEN, 1, 3)]));
    autoscaling.on(DescribeScalableTargetsCommand).resolves({ ScalableTargets: [{ ServiceNamespace: 'sagemaker', ResourceId: `endpoint/${ENDPOINT}/variant/${GREEN}`, ScalableDimension: 'sagemaker:variant:DesiredInstanceCount', MinCapacity: 2, MaxCapacity: 4, RoleARN: 'r', CreationTime: new Date(0) }] });

    await expect(onEndpointChange(event())).resolves.toMatchObject({ promotions: [{ result: 'not-waiting' }] });
    expect(autoscaling).toHaveReceivedCommandWith(DescribeScalableTargetsCommand, { ResourceIds: [`endpoint/${ENDPOINT}/variant/${BLUE_VARIANT}`, `endpoint/${ENDPOINT}/variant/${GREEN}`] });
    // Without one, the same count is someone else's.
    autoscaling.on(DescribeScalableTargetsCommand).resolves({ ScalableTargets: [] });
    await expect(onEndpointChange(event())).resolves.toMatchObject({ promotions: [{ result: 'stopped', change: expect.stringContaining(`instance count of variant ${GREEN} changed to 3`) }] });
  });

  test('GIVEN a promotion already told to stop (its flag set) WHEN an event comes THEN it is not judged again', async () => {
    dynamo.on(QueryCommand, { IndexName: 'InFlight' }).resolves({ Items: [{ ...bakingLock, abortRequested: { error: 'GuardrailAlarm', reason: 'x', at: 'now' } }] });
    describes(onBlue);
    await expect(onEndpointChange(event())).resolves.toMatchObject({ promotions: [{ result: 'not-waiting' }] });
    expect(sfn).not.toHaveReceivedCommand(SendTaskFailureCommand);
  });
});

describe('steps that act judge first: the stand-up, finalize, the shift, the rollback, blue’s cleanup', () => {
  test('GIVEN green created from blue as it was described WHEN an operator has since updated blue to another config THEN the stand-up does not replace it', async () => {
    describes(anEndpoint('churn-hotfix-config', [v(BLUE_VARIANT, 1)]));
    await expect(standUpGreen(stateAt('greenCreated'))).rejects.toMatchObject({ name: 'OutsideChange', message: expect.stringContaining('(detected by stand-up-green at') });
    expectEndpointUntouched();
  });

  test('GIVEN the bake is over WHEN the endpoint runs someone else’s config THEN finalize does nothing: no scaling change, no update', async () => {
    describes(anEndpoint('churn-hotfix-config', [v(BLUE_VARIANT, 1)]));
    const scaled = { ...baking, blue: aBlue({ scaling: { minCapacity: 2, maxCapacity: 4, policies: [] } }) };
    await expect(finalize(scaled)).rejects.toMatchObject({ name: 'OutsideChange', message: expect.stringContaining('(detected by finalize at') });
    expectEndpointUntouched();
    expect(autoscaling).not.toHaveReceivedCommand(DeregisterScalableTargetCommand);
  });

  test('GIVEN green validated at weight 0 WHEN an operator already changed blue’s instance count THEN the shift gives green no traffic', async () => {
    describes(anEndpoint(names.pairConfig, [v(BLUE_VARIANT, 1, 4), v(GREEN, 0)]));
    await expect(shiftTraffic({ ...stateAt('stoodUp'), bake: baking.bake })).rejects.toMatchObject({ name: 'OutsideChange', message: expect.stringContaining(`variant ${BLUE_VARIANT} changed to 4`) });
    expectEndpointUntouched();
  });

  test('GIVEN a rollback after an alarm WHEN the endpoint was deleted by someone else THEN the rollback stops with OutsideChange instead of calling it done', async () => {
    describes(undefined);
    await expect(rollback({ ...baking, failure: { Error: 'GuardrailAlarm', Cause: 'x' } })).rejects.toMatchObject({ name: 'OutsideChange', message: expect.stringContaining('(detected by rollback at') });
    expectEndpointUntouched();
  });

  test('GIVEN the rollback set traffic back on blue WHEN an operator moved it to green again THEN the rollback never undoes the operator', async () => {
    describes(shifted);
    const state = { ...baking, failure: { Error: 'GuardrailAlarm', Cause: 'x' }, rollback: { attempt: 1, done: false, actions: [`traffic back to blue (${BLUE_VARIANT}=1, ${GREEN}=0)`] } };
    await expect(rollback(state)).rejects.toMatchObject({ name: 'OutsideChange', message: expect.stringContaining('weights moved on') });
    expectEndpointUntouched();
    expect(cloudwatch).not.toHaveReceivedCommand(SetAlarmStateCommand);
  });

  test('GIVEN the promotion validated the serving fleet WHEN an operator updated the endpoint back to blue THEN blue’s cleanup deletes nothing', async () => {
    describes(onBlue);
    const finalized = { ...stateAt('finalized'), wait: ready('finalize') };
    await expect(cleanup({ target: 'blue', state: finalized })).rejects.toMatchObject({ name: 'OutsideChange', message: expect.stringContaining('(detected by cleanup at') });
    expect(sagemaker).not.toHaveReceivedCommand(DeleteEndpointConfigCommand);
    expect(sagemaker).not.toHaveReceivedCommand(DeleteModelCommand);
  });
});
