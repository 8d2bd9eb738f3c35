import { PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from '../shared/clients/dynamo';
import { cloudwatch } from '../shared/clients/cloudwatch';
import { LOCK_SK, type BakeState, type PromotionState } from '../shared/contracts';
import { stateKeys, step } from '../shared/handler';
import { greenAlarmNames } from '../shared/decisions';
import { MANAGED_TAG } from '../shared/sagemaker';
import { settings } from '../shared/settings';

/**
 * Guardrail alarms on green's own variant metrics (AWS/SageMaker, EndpointName +
 * VariantName), beside the named ones. PutMetricAlarm is an upsert, so a retry is harmless.
 * ModelLatency is reported in microseconds.
 */
export const handler = step('start-bake', stateKeys, async (state: PromotionState): Promise<BakeState> => {
  const p = state.promotion;
  const green = state.green!;
  const dimensions = [
    { Name: 'EndpointName', Value: p.endpointName },
    { Name: 'VariantName', Value: green.variantName },
  ];
  const errorsAlarm = `${p.names.alarmPrefix}-5xx`;
  const latencyAlarm = `${p.names.alarmPrefix}-latency`;
  const greenAlarms = greenAlarmNames(state);
  // Watched from now on: an alarm that fires before the bake first waits still reaches this promotion.
  await dynamo.send(
    new UpdateCommand({
      TableName: settings().tableName,
      Key: { endpointName: p.endpointName, sk: LOCK_SK },
      UpdateExpression: 'SET watchedAlarms = :alarms',
      ConditionExpression: 'promotionId = :me',
      ExpressionAttributeValues: { ':alarms': [...p.guardrailAlarmNames, ...greenAlarms], ':me': p.id },
    }),
  );
  const created: string[] = [];
  if (p.greenAlarms.enabled) {
    const common = {
      Namespace: 'AWS/SageMaker',
      Dimensions: dimensions,
      Period: 60,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanThreshold' as const,
      TreatMissingData: 'notBreaching',
      Tags: [{ Key: MANAGED_TAG, Value: p.id }],
    };
    const alarms = [
      {
        ...common,
        AlarmName: errorsAlarm,
        AlarmDescription: `sagemaker-bluegreen guardrail: green ${green.variantName} of ${p.endpointName} returns 5xx`,
        MetricName: 'Invocation5XXErrors',
        Statistic: 'Sum' as const,
        Threshold: p.greenAlarms.max5xxErrors,
      },
      {
        ...common,
        AlarmName: latencyAlarm,
        AlarmDescription: `sagemaker-bluegreen guardrail: green ${green.variantName} of ${p.endpointName} answers slower than ${p.greenAlarms.maxModelLatencyMs} ms`,
        MetricName: 'ModelLatency',
        Statistic: 'Average' as const,
        Threshold: p.greenAlarms.maxModelLatencyMs * 1000,
      },
    ];
    for (const alarm of alarms) {
      await cloudwatch.send(new PutMetricAlarmCommand(alarm));
      created.push(alarm.AlarmName);
    }
  }
  return {
    alarmNames: [...p.guardrailAlarmNames, ...created],
    createdAlarms: created,
    pollsDone: 0,
    polls: p.bakePolls,
    done: p.bakePolls === 0,
    startedAt: new Date().toISOString(),
  };
});
