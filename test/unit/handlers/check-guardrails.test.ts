import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeEndpointCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { handler } from '../../../lambdas/check-guardrails';
import type { PromotionState, WakeResult } from '../../../lambdas/shared/contracts';
import { anEndpoint, BLUE_VARIANT, cloudWatchError, ENDPOINT, setStepEnvironment, stateAt, lockHeldBy } from '../../support/fixtures';

const cloudwatch = mockClient(CloudWatchClient);
const sagemaker = mockClient(SageMakerClient);
/** The lock: every wait reads it for an abort request; the bake's end stops the backstop watching it. */
const dynamo = mockClient(DynamoDBDocumentClient);

/** A 120 s bake (variant), its one wait ran to its timeout. */
const TIMED_OUT: WakeResult = { Error: 'States.Timeout', Cause: 'the task timed out' };
const state: PromotionState = { ...stateAt('baking', { promotion: { guardrailAlarmNames: ['churn-5xx'] } }), wake: TIMED_OUT };
const bake = state.bake!;
const { names } = state.promotion;
const withBake = (changes: Partial<typeof bake>, wake: WakeResult = TIMED_OUT): PromotionState => ({ ...state, bake: { ...bake, ...changes }, wake });
/** What the shift left: the pair config, all traffic on green. */
const shifted = anEndpoint(names.pairConfig, [{ name: BLUE_VARIANT, weight: 0 }, { name: names.variant, weight: 1 }]);

beforeEach(() => {
  dynamo.reset();
  dynamo.on(GetCommand).resolves(lockHeldBy());
  dynamo.on(UpdateCommand).resolves({});
  cloudwatch.reset();
  sagemaker.reset();
  setStepEnvironment();
  cloudwatch.on(DescribeAlarmsCommand).callsFake((input: { AlarmNames?: string[] }) => ({
    MetricAlarms: (input.AlarmNames ?? []).map((AlarmName) => ({ AlarmName, StateValue: 'OK', StateReason: 'Threshold not crossed' })),
  }));
  sagemaker.on(DescribeEndpointCommand).resolves(shifted);
});

describe('check-guardrails', () => {
  test('GIVEN every guardrail alarm OK and the bake waited to its end WHEN checked THEN the bake is done and the backstop stops watching it', async () => {
    await expect(handler(state)).resolves.toEqual({ ...bake, elapsedSeconds: 120, waitSeconds: 0, done: true });
    expect(cloudwatch).toHaveReceivedCommandWith(DescribeAlarmsCommand, { AlarmNames: bake.alarmNames, AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] });
    expect(sagemaker).toHaveReceivedCommandWith(DescribeEndpointCommand, { EndpointName: ENDPOINT });
    expect(dynamo).toHaveReceivedCommandWith(UpdateCommand, { UpdateExpression: 'REMOVE bakeWatch', ConditionExpression: 'promotionId = :me AND attribute_not_exists(recoveredBy)' });
  });

  test('GIVEN the wait was cut short (its parking step failed) WHEN checked THEN nothing counts and the whole bake is left', async () => {
    await expect(handler(withBake({}, { Error: 'Lambda.Unknown', Cause: 'boom' }))).resolves.toEqual({ ...bake, elapsedSeconds: 0, waitSeconds: 120, done: false });
    expect(dynamo).not.toHaveReceivedCommand(UpdateCommand);
  });

  test('GIVEN someone else put the endpoint on another config WHEN checked THEN OutsideChange names it (their change wins: no rollback)', async () => {
    sagemaker.on(DescribeEndpointCommand).resolves(anEndpoint('someone-elses-config', [{ name: BLUE_VARIANT, weight: 1 }]));

    await expect(handler(state)).rejects.toMatchObject({ name: 'OutsideChange', message: expect.stringMatching(/runs config someone-elses-config, which is neither blue's/) });
  });

  test('GIVEN the fleet the shift left failed WHEN checked THEN GreenNotInService rolls back', async () => {
    sagemaker.on(DescribeEndpointCommand).resolves({ ...shifted, EndpointStatus: 'Failed', FailureReason: 'instances failed health checks' });

    await expect(handler(state)).rejects.toMatchObject({ name: 'GreenNotInService', message: expect.stringMatching(/is Failed during the bake: instances failed health checks/) });
  });

  test('GIVEN the endpoint scales (Updating on the same config and weights) WHEN checked THEN the bake is fine', async () => {
    sagemaker.on(DescribeEndpointCommand).resolves({ ...shifted, EndpointStatus: 'Updating' });

    await expect(handler(state)).resolves.toMatchObject({ done: true });
  });

  test('GIVEN a metric alarm in ALARM WHEN checked THEN GuardrailAlarm names it and its reason', async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: bake.alarmNames.map((AlarmName) => ({
        AlarmName,
        StateValue: AlarmName.endsWith('-5xx') && AlarmName !== 'churn-5xx' ? 'ALARM' : 'OK',
        StateReason: 'Threshold Crossed: 1 datapoint [3.0] was greater than the threshold (0.0).',
      })),
    });

    await expect(handler(state)).rejects.toMatchObject({
      name: 'GuardrailAlarm',
      message: `guardrail alarm ${bake.createdAlarms[0]} is in ALARM: Threshold Crossed: 1 datapoint [3.0] was greater than the threshold (0.0).`,
    });
  });

  test('GIVEN a composite guardrail alarm in ALARM WHEN checked THEN it rolls back too', async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: bake.createdAlarms.map((AlarmName) => ({ AlarmName, StateValue: 'OK' })),
      CompositeAlarms: [{ AlarmName: 'churn-5xx', StateValue: 'ALARM', StateReason: 'child alarm in ALARM' }],
    });

    await expect(handler(state)).rejects.toMatchObject({ name: 'GuardrailAlarm', message: 'guardrail alarm churn-5xx is in ALARM: child alarm in ALARM' });
  });

  test('GIVEN a guardrail alarm was deleted WHEN checked THEN GuardrailAlarm says the bake cannot be watched', async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: bake.createdAlarms.map((AlarmName) => ({ AlarmName, StateValue: 'OK' })) });

    await expect(handler(state)).rejects.toMatchObject({ name: 'GuardrailAlarm', message: 'guardrail alarm churn-5xx no longer exists, so the bake cannot be watched' });
  });

  test('GIVEN more than 100 alarms WHEN checked THEN they are described 100 at a time', async () => {
    const many = Array.from({ length: 150 }, (_, i) => `alarm-${i}`);

    await handler(withBake({ alarmNames: many }));

    expect(cloudwatch).toHaveReceivedCommandTimes(DescribeAlarmsCommand, 2);
    expect(cloudwatch).toHaveReceivedNthCommandWith(1, DescribeAlarmsCommand, { AlarmNames: many.slice(0, 100) });
    expect(cloudwatch).toHaveReceivedNthCommandWith(2, DescribeAlarmsCommand, { AlarmNames: many.slice(100) });
  });

  test('GIVEN CloudWatch throttles WHEN checked THEN the error propagates for a retry', async () => {
    cloudwatch.on(DescribeAlarmsCommand).rejects(cloudWatchError('Throttling', 'Rate exceeded'));

    await expect(handler(state)).rejects.toMatchObject({ name: 'Throttling' });
  });
  test('GIVEN an operator asked to abort (lock flag) WHEN polled THEN PromotionAborted with their reason, before any alarm is read', async () => {
    dynamo.on(GetCommand).resolves({ Item: { promotionId: state.promotion.id, abortRequested: { error: 'PromotionAborted', reason: 'bad numbers (bluegreen rollback by jane)', at: 'now' } } });
    await expect(handler(state)).rejects.toMatchObject({ name: 'PromotionAborted', message: 'bad numbers (bluegreen rollback by jane)' });
    expect(cloudwatch).not.toHaveReceivedCommand(DescribeAlarmsCommand);
  });

  test('GIVEN the lock is another promotion\'s (this one ended, e.g. recovered) WHEN polled THEN PromotionEnded, before any alarm is read', async () => {
    dynamo.on(GetCommand).resolves({ Item: { promotionId: 'someone-else', abortRequested: { error: 'PromotionAborted', reason: 'x', at: 'now' } } });
    await expect(handler(state)).rejects.toMatchObject({ name: 'PromotionEnded', message: expect.stringMatching(/locked by promotion someone-else/) });
    expect(cloudwatch).not.toHaveReceivedCommand(DescribeAlarmsCommand);
  });
});
