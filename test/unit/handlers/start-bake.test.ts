import { CloudWatchClient, PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { MANAGED_TAG } from '../../../lambdas/shared/sagemaker';
import { handler } from '../../../lambdas/start-bake';
import { cloudWatchError, ENDPOINT, PROMOTION_ID, setStepEnvironment, stateAt } from '../../support/fixtures';

const cloudwatch = mockClient(CloudWatchClient);
const dynamo = mockClient(DynamoDBDocumentClient);

const state = stateAt('shifted', { promotion: { guardrailAlarmNames: ['churn-5xx'], greenAlarms: { enabled: true, max5xxErrors: 2, maxModelLatencyMs: 250 } } });
const { names } = state.promotion;

beforeEach(() => {
  dynamo.reset();
  dynamo.on(UpdateCommand).resolves({});
  cloudwatch.reset();
  setStepEnvironment();
  cloudwatch.on(PutMetricAlarmCommand).resolves({});
});

describe('start-bake', () => {
  test('GIVEN green alarms enabled WHEN the bake starts THEN a 5xx and a latency alarm are put on green’s own variant metrics', async () => {
    const dimensions = [
      { Name: 'EndpointName', Value: ENDPOINT },
      { Name: 'VariantName', Value: names.variant },
    ];

    const bake = await handler(state);

    expect(cloudwatch).toHaveReceivedCommandTimes(PutMetricAlarmCommand, 2);
    expect(cloudwatch).toHaveReceivedCommandWith(PutMetricAlarmCommand, {
      AlarmName: `${names.alarmPrefix}-5xx`,
      Namespace: 'AWS/SageMaker',
      MetricName: 'Invocation5XXErrors',
      Dimensions: dimensions,
      Statistic: 'Sum',
      Period: 60,
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 2,
      TreatMissingData: 'notBreaching',
      Tags: [{ Key: MANAGED_TAG, Value: PROMOTION_ID }],
    });
    // ModelLatency is reported in microseconds.
    expect(cloudwatch).toHaveReceivedCommandWith(PutMetricAlarmCommand, {
      AlarmName: `${names.alarmPrefix}-latency`,
      MetricName: 'ModelLatency',
      Dimensions: dimensions,
      Statistic: 'Average',
      Threshold: 250_000,
    });
    expect(bake).toEqual({
      alarmNames: ['churn-5xx', `${names.alarmPrefix}-5xx`, `${names.alarmPrefix}-latency`],
      createdAlarms: [`${names.alarmPrefix}-5xx`, `${names.alarmPrefix}-latency`],
      seconds: 120,
      elapsedSeconds: 0,
      waitSeconds: 120,
      done: false,
      startedAt: expect.any(String),
      alarmPeriodSeconds: 60,
      extensions: 0,
    });
  });

  test.each([10, 30])('GIVEN green\'s metrics published every %i s (enhanced metrics) WHEN the bake starts THEN both alarms are high-resolution, one data point per period', async (seconds) => {
    const enhanced = { ...state, green: { ...state.green!, metricPublishSeconds: seconds } };

    await expect(handler(enhanced)).resolves.toMatchObject({ alarmPeriodSeconds: seconds });

    for (const suffix of ['5xx', 'latency']) {
      expect(cloudwatch).toHaveReceivedCommandWith(PutMetricAlarmCommand, { AlarmName: `${names.alarmPrefix}-${suffix}`, Period: seconds, EvaluationPeriods: 1 });
    }
  });

  test('GIVEN green created before the publish interval was recorded WHEN the bake starts THEN the alarms keep SageMaker\'s standard 60 s', async () => {
    const { metricPublishSeconds: _omitted, ...green } = state.green!;

    await expect(handler({ ...state, green })).resolves.toMatchObject({ alarmPeriodSeconds: 60 });
    expect(cloudwatch).toHaveReceivedCommandWith(PutMetricAlarmCommand, { AlarmName: `${names.alarmPrefix}-5xx`, Period: 60 });
  });

  test('GIVEN green alarms disabled WHEN the bake starts THEN no alarm is created and only the named ones are watched', async () => {
    const bake = await handler(stateAt('shifted', { promotion: { guardrailAlarmNames: ['churn-5xx'], greenAlarms: { enabled: false, max5xxErrors: 0, maxModelLatencyMs: 1000 } } }));

    expect(cloudwatch).not.toHaveReceivedCommand(PutMetricAlarmCommand);
    expect(bake).toMatchObject({ alarmNames: ['churn-5xx'], createdAlarms: [] });
  });

  test('GIVEN guardrails WHEN the bake starts THEN the workflow bakes only what SageMaker\'s termination wait (at most an hour) does not', async () => {
    const guardrails = (bakeSeconds: number) => stateAt('shifted', { promotion: { strategy: 'guardrails', bakeSeconds } });

    await expect(handler(guardrails(1800))).resolves.toMatchObject({ terminationWaitSeconds: 1800, seconds: 0, done: true });
    await expect(handler(guardrails(14_400))).resolves.toMatchObject({ terminationWaitSeconds: 3600, seconds: 10_800, waitSeconds: 10_800, elapsedSeconds: 0, done: false });
  });

  test('GIVEN a traffic guard and a bake SageMaker watches whole (guardrails, ≤ 1 h) WHEN the bake starts THEN a one-second wait is left, so the guard still judges green once', async () => {
    const guarded = stateAt('shifted', { promotion: { strategy: 'guardrails', bakeSeconds: 1800, bakeTraffic: { minInvocations: 10, onTooLittleTraffic: 'rollback', extendSeconds: 600 } } });

    await expect(handler(guarded)).resolves.toMatchObject({ terminationWaitSeconds: 1800, seconds: 0, waitSeconds: 1, done: false });
  });

  test('GIVEN a zero-second bake WHEN the bake starts THEN it is done at once', async () => {
    await expect(handler(stateAt('shifted', { promotion: { bakeSeconds: 0 } }))).resolves.toMatchObject({ seconds: 0, done: true });
  });

  test('GIVEN CloudWatch throttles WHEN the bake starts THEN the error propagates for a retry', async () => {
    cloudwatch.on(PutMetricAlarmCommand).rejects(cloudWatchError('Throttling', 'Rate exceeded'));

    await expect(handler(state)).rejects.toMatchObject({ name: 'Throttling' });
  });

  test('GIVEN the account’s alarm quota is reached WHEN the bake starts THEN LimitExceeded propagates', async () => {
    cloudwatch.on(PutMetricAlarmCommand).rejects(cloudWatchError('LimitExceeded', 'The maximum number of alarms for this account has been reached.'));

    await expect(handler(state)).rejects.toMatchObject({ name: 'LimitExceeded' });
  });
  test('GIVEN an abort flagged since the last wait (a rejection, an operator) WHEN the guardrails would be armed THEN no alarm is created and the promotion stops before the shift', async () => {
    const abortRequested = { error: 'PromotionAborted', reason: 'superseded by version 3', at: '2026-12-01T10:00:00Z' };
    dynamo.on(UpdateCommand).resolves({ Attributes: { promotionId: state.promotion.id, abortRequested } });

    await expect(handler(state)).rejects.toMatchObject({ name: 'PromotionAborted', message: 'superseded by version 3' });
    expect(cloudwatch).not.toHaveReceivedCommand(PutMetricAlarmCommand);
  });

  test('GIVEN a bake starting THEN the lock lists every watched alarm before any alarm exists, so an early ALARM reaches this promotion', async () => {
    const state = stateAt('shifted', { promotion: { guardrailAlarmNames: ['churn-p99'] } });
    await handler(state);
    const prefix = state.promotion.names.alarmPrefix;
    expect(dynamo).toHaveReceivedCommandWith(UpdateCommand, {
      ConditionExpression: 'promotionId = :me AND attribute_not_exists(recoveredBy)',
      ExpressionAttributeValues: { ':alarms': ['churn-p99', `${prefix}-5xx`, `${prefix}-latency`], ':me': state.promotion.id },
    });
  });

  test('GIVEN a bake starting THEN the watched alarms are on the lock before the first alarm is created', async () => {
    let listed = false;
    const listedWhenCreated: boolean[] = [];
    dynamo.on(UpdateCommand).callsFake(() => ((listed = true), {}));
    cloudwatch.on(PutMetricAlarmCommand).callsFake(() => (listedWhenCreated.push(listed), {}));
    await handler(stateAt('shifted'));
    expect(listedWhenCreated).toEqual([true, true]);
  });
});
