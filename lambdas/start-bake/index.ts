import { PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import { dynamo } from '../shared/clients/dynamo';
import { cloudwatch } from '../shared/clients/cloudwatch';
import type { BakeState, PromotionState } from '../shared/contracts';
import { stateKeys, step } from '../shared/handler';
import { abortAlarmName, greenAlarmNames, terminationWaitSeconds } from '../shared/decisions';
import { greenAlarmPeriodSeconds } from '../shared/detection';
import { greenAlarmSpecs, greenMetricsTarget } from '../shared/green-metrics';
import { throwIfFlagged } from '../shared/abort';
import { updateOwnLock } from '../shared/locks';
import { MANAGED_TAG } from '../shared/sagemaker';
import { settings } from '../shared/settings';
import { workflowBakeSeconds } from '../shared/waits';

/**
 * Arms the guardrails before green can get any user traffic: alarms on green's own metrics
 * (AWS/SageMaker) beside the named ones, and the lock's watch list for the alarm trigger.
 * variant: green's variant (EndpointName + VariantName). guardrails: green keeps blue's variant
 * name, so its alarms are scoped to its fleet by the EndpointConfigName dimension (as the
 * deployment-guardrails guide recommends), and an abort alarm joins SageMaker's auto-rollback
 * list: a metric nobody publishes, missing data ignored, so its state is only what the workflow
 * sets with SetAlarmState ("Configuring how CloudWatch alarms treat missing data": ignore keeps
 * the current state). PutMetricAlarm is an upsert, so a retry is harmless. ModelLatency is in µs.
 * Green's alarms have one data point per period, the interval its metrics are published at
 * (lambdas/shared/detection.ts): 60 s, or 10/30 s (high-resolution alarms) with enhanced metrics.
 */
export const handler = step('start-bake', stateKeys, async (state: PromotionState): Promise<BakeState> => {
  const p = state.promotion;
  const green = state.green!;
  const guardrails = p.strategy === 'guardrails';
  // Watched by the alarm trigger: not the abort alarm, which only the workflow sets, while it already rolls back.
  const greenAlarms = greenAlarmNames(state);
  // component: SageMaker's rolling update watches the same abort alarm (AutoRollbackConfiguration).
  const abortAlarm = guardrails || p.strategy === 'component' ? abortAlarmName(p) : undefined;
  // Watched from now on: an alarm that fires before the bake first waits still reaches this promotion.
  const lock = await updateOwnLock(dynamo, settings().tableName, p, 'SET watchedAlarms = :alarms', { ':alarms': [...p.guardrailAlarmNames, ...greenAlarms] });
  // An abort asked for since the last wait (a rejection in the Model Registry, an operator): stop before the shift.
  throwIfFlagged(lock, p.id);
  const created: string[] = [];
  const period = greenAlarmPeriodSeconds(green.metricPublishSeconds);
  if (p.greenAlarms.enabled) {
    // The metrics per kind of endpoint (lambdas/shared/green-metrics.ts); the names are the same for every kind.
    for (const spec of greenAlarmSpecs(greenMetricsTarget(state), p.greenAlarms)) {
      const alarm = {
        AlarmName: `${p.names.alarmPrefix}-${spec.suffix}`,
        AlarmDescription: `sagemaker-bluegreen guardrail: green ${green.variantName} of ${p.endpointName} ${spec.means}`,
        Namespace: spec.Namespace,
        MetricName: spec.MetricName,
        Dimensions: spec.Dimensions,
        Statistic: spec.Statistic,
        Threshold: spec.Threshold,
        Period: period,
        EvaluationPeriods: 1,
        ComparisonOperator: 'GreaterThanThreshold' as const,
        TreatMissingData: 'notBreaching',
        Tags: [{ Key: MANAGED_TAG, Value: p.id }],
      };
      await cloudwatch.send(new PutMetricAlarmCommand(alarm));
      created.push(alarm.AlarmName);
    }
  }
  if (abortAlarm) {
    await cloudwatch.send(
      new PutMetricAlarmCommand({
        AlarmName: abortAlarm,
        AlarmDescription: `sagemaker-bluegreen: set to ALARM by the workflow to make SageMaker roll back the deployment of ${green.greenConfigName} on ${p.endpointName}`,
        Namespace: 'SageMakerBlueGreen',
        MetricName: 'PromotionAbort',
        Dimensions: [{ Name: 'Promotion', Value: p.id.slice(0, 255) }],
        Statistic: 'Maximum',
        Period: 60,
        EvaluationPeriods: 1,
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'ignore',
        Tags: [{ Key: MANAGED_TAG, Value: p.id }],
      }),
    );
  }
  // guardrails: SageMaker bakes the first hour itself (TerminationWaitInSeconds); the workflow bakes the rest,
  // from when the shift's wait ends: a duration, so it is measured from the bake's first wait, not from now.
  const seconds = workflowBakeSeconds(p);
  // A traffic guard judges green at the bake's end, so a bake SageMaker watches whole (guardrails, at most an
  // hour) still gets its one check: a wait of a second (a task's timeout is at least 1 s) after the shift.
  const done = seconds === 0 && !p.bakeTraffic;
  return {
    alarmNames: [...p.guardrailAlarmNames, ...created],
    createdAlarms: abortAlarm ? [...created, abortAlarm] : created,
    abortAlarm,
    terminationWaitSeconds: guardrails ? terminationWaitSeconds(p) : undefined,
    seconds,
    elapsedSeconds: 0,
    waitSeconds: Math.max(seconds, done ? 0 : 1),
    done,
    startedAt: new Date().toISOString(),
    alarmPeriodSeconds: period,
    extensions: 0,
  };
});
