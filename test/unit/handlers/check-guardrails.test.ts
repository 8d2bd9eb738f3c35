import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { handler } from '../../../lambdas/check-guardrails';
import type { PromotionState } from '../../../lambdas/shared/contracts';
import { cloudWatchError, quietMetrics, setStepEnvironment, stateAt } from '../../support/fixtures';

const cloudwatch = mockClient(CloudWatchClient);
/** The lock: every wait loop reads it for an abort request. */
const dynamo = mockClient(DynamoDBDocumentClient);
quietMetrics();

const state = stateAt('baking', { promotion: { guardrailAlarmNames: ['churn-5xx'] } });
const bake = state.bake!;
const withBake = (changes: Partial<typeof bake>): PromotionState => ({ ...state, bake: { ...bake, ...changes } });

beforeEach(() => {
  dynamo.reset();
  dynamo.on(GetCommand).resolves({});
  cloudwatch.reset();
  setStepEnvironment();
  cloudwatch.on(DescribeAlarmsCommand).callsFake((input: { AlarmNames?: string[] }) => ({
    MetricAlarms: (input.AlarmNames ?? []).map((AlarmName) => ({ AlarmName, StateValue: 'OK', StateReason: 'Threshold not crossed' })),
  }));
});

describe('check-guardrails', () => {
  test('GIVEN every guardrail alarm OK WHEN checked THEN the poll is counted and the bake goes on', async () => {
    await expect(handler(state)).resolves.toEqual({ ...bake, pollsDone: 1, done: false });
    expect(cloudwatch).toHaveReceivedCommandWith(DescribeAlarmsCommand, { AlarmNames: bake.alarmNames, AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] });
  });

  test('GIVEN the last poll of the bake WHEN checked THEN the bake is done', async () => {
    await expect(handler(withBake({ pollsDone: 3 }))).resolves.toMatchObject({ pollsDone: 4, done: true });
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

  test('GIVEN an abort flag left by another promotion WHEN polled THEN it is ignored', async () => {
    dynamo.on(GetCommand).resolves({ Item: { promotionId: 'someone-else', abortRequested: { error: 'PromotionAborted', reason: 'x', at: 'now' } } });
    await expect(handler(state)).resolves.toMatchObject({ pollsDone: 1 });
  });
});
