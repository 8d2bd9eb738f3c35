import { CloudWatchClient, DescribeAlarmsCommand, GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
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
    // A Lambda error carries only its message: the alarm and its state reason stay on the lock for the rollback's event.
    expect(dynamo).toHaveReceivedCommandWith(UpdateCommand, {
      UpdateExpression: 'REMOVE bakeWatch SET alarmEvidence = :alarm',
      ConditionExpression: 'promotionId = :me AND attribute_not_exists(recoveredBy)',
      ExpressionAttributeValues: expect.objectContaining({ ':alarm': { name: bake.createdAlarms[0], stateReason: 'Threshold Crossed: 1 datapoint [3.0] was greater than the threshold (0.0).' } }),
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
    // No alarm state to quote: nothing but the end of the watch is written.
    expect(dynamo).toHaveReceivedCommandWith(UpdateCommand, { UpdateExpression: 'REMOVE bakeWatch' });
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

  describe('the traffic guard (bakeTraffic) at the bake\'s end', () => {
    const guarded = (onTooLittleTraffic: 'extend' | 'rollback', changes: Partial<typeof bake> = {}): PromotionState => ({
      ...withBake(changes),
      promotion: { ...state.promotion, bakeTraffic: { minInvocations: 100, onTooLittleTraffic, extendSeconds: 600 } },
    });
    /** GetMetricStatistics' answer: one Sum per minute. */
    const invocations = (...sums: number[]) => cloudwatch.on(GetMetricStatisticsCommand).resolves({ Label: 'Invocations', Datapoints: sums.map((Sum, i) => ({ Sum, Timestamp: new Date(60_000 * i) })) });

    test('GIVEN enough requests to green over the bake WHEN the bake ends THEN done, read from green\'s own variant over the whole bake', async () => {
      invocations(60, 40);

      await expect(handler(guarded('rollback'))).resolves.toMatchObject({ done: true, waitSeconds: 0, elapsedSeconds: 120 });
      const call = cloudwatch.commandCalls(GetMetricStatisticsCommand)[0]!.args[0].input;
      expect(call).toMatchObject({
        Namespace: 'AWS/SageMaker',
        MetricName: 'Invocations',
        Dimensions: [
          { Name: 'EndpointName', Value: ENDPOINT },
          { Name: 'VariantName', Value: state.green!.variantName },
        ],
        Period: 60,
        Statistics: ['Sum'],
      });
      expect(call.EndTime!.getTime() - call.StartTime!.getTime()).toBe(120_000);
      expect(dynamo).toHaveReceivedCommandWith(UpdateCommand, { UpdateExpression: 'REMOVE bakeWatch' });
    });

    test('GIVEN too few requests and onTooLittleTraffic rollback WHEN the bake ends THEN TooLittleTraffic says how many, and the backstop stops watching', async () => {
      invocations(3, 4);

      await expect(handler(guarded('rollback'))).rejects.toMatchObject({ name: 'TooLittleTraffic', message: 'green got 7 invocations during the bake, fewer than minInvocations 100: too little traffic to judge green, rolled back' });
      expect(dynamo).toHaveReceivedCommandWith(UpdateCommand, { UpdateExpression: 'REMOVE bakeWatch' });
    });

    test('GIVEN too few requests and onTooLittleTraffic extend WHEN the bake ends THEN it is extended by extendSeconds, counted, and the backstop keeps watching', async () => {
      invocations(7);

      await expect(handler(guarded('extend'))).resolves.toEqual({ ...bake, seconds: 720, elapsedSeconds: 120, waitSeconds: 600, done: false, extensions: 1 });
      expect(dynamo).not.toHaveReceivedCommandWith(UpdateCommand, { UpdateExpression: 'REMOVE bakeWatch' });
    });

    test('GIVEN an extended bake whose extension ran out WHEN judged THEN the window is the whole bake, extensions included', async () => {
      invocations(150);

      await expect(handler(guarded('extend', { seconds: 720, elapsedSeconds: 120, waitSeconds: 600, extensions: 1 }))).resolves.toMatchObject({ done: true, extensions: 1, elapsedSeconds: 720 });
      const call = cloudwatch.commandCalls(GetMetricStatisticsCommand)[0]!.args[0].input;
      expect(call.EndTime!.getTime() - call.StartTime!.getTime()).toBe(720_000);
    });

    test('GIVEN too few requests after the last extension WHEN judged THEN TooLittleTraffic, never a third extension', async () => {
      cloudwatch.on(GetMetricStatisticsCommand).resolves({ Datapoints: [] });

      await expect(handler(guarded('extend', { seconds: 1320, elapsedSeconds: 720, waitSeconds: 600, extensions: 2 }))).rejects.toMatchObject({
        name: 'TooLittleTraffic',
        message: 'green got 0 invocations during the bake, fewer than minInvocations 100 after 2 extensions: too little traffic to judge green, rolled back',
      });
    });

    test('GIVEN guardrails WHEN judged THEN the window covers SageMaker\'s termination wait too, on green\'s config', async () => {
      invocations(500);
      const base = stateAt('baking', { promotion: { strategy: 'guardrails', bakeSeconds: 120, bakeTraffic: { minInvocations: 100, onTooLittleTraffic: 'rollback', extendSeconds: 600 } } });
      const green = base.green!;
      // SageMaker's deployment left the endpoint on green's config.
      sagemaker.on(DescribeEndpointCommand).resolves(anEndpoint(green.greenConfigName, [{ name: green.variantName, weight: 1 }]));

      await expect(handler({ ...base, bake: { ...base.bake!, terminationWaitSeconds: 1800 }, wake: TIMED_OUT })).resolves.toMatchObject({ done: true });
      const call = cloudwatch.commandCalls(GetMetricStatisticsCommand)[0]!.args[0].input;
      expect(call.Dimensions).toEqual([
        { Name: 'EndpointName', Value: ENDPOINT },
        { Name: 'EndpointConfigName', Value: green.greenConfigName },
        { Name: 'VariantName', Value: green.variantName },
      ]);
      expect(call.EndTime!.getTime() - call.StartTime!.getTime()).toBe(1920_000);
    });

    test('GIVEN time left in the bake WHEN polled THEN the metric is not read yet', async () => {
      await expect(handler(guarded('rollback', { seconds: 600 }))).resolves.toMatchObject({ done: false, waitSeconds: 480 });
      expect(cloudwatch).not.toHaveReceivedCommand(GetMetricStatisticsCommand);
    });

    test('GIVEN no guard WHEN the bake ends THEN green\'s traffic is never read', async () => {
      await handler(state);
      expect(cloudwatch).not.toHaveReceivedCommand(GetMetricStatisticsCommand);
    });
  });

  test('GIVEN the lock is another promotion\'s (this one ended, e.g. recovered) WHEN polled THEN PromotionEnded, before any alarm is read', async () => {
    dynamo.on(GetCommand).resolves({ Item: { promotionId: 'someone-else', abortRequested: { error: 'PromotionAborted', reason: 'x', at: 'now' } } });
    await expect(handler(state)).rejects.toMatchObject({ name: 'PromotionEnded', message: expect.stringMatching(/locked by promotion someone-else/) });
    expect(cloudwatch).not.toHaveReceivedCommand(DescribeAlarmsCommand);
  });
});
