/**
 * How fast green's trouble can be seen, and whether a bake saw enough of green to judge it. Pure.
 *
 * SageMaker publishes an endpoint's invocation metrics (Invocations, Invocation5XXErrors,
 * ModelLatency…) every 60 s, unless the endpoint config's MetricsConfig turns enhanced metrics on:
 * then they are published every MetricPublishFrequencyInSeconds (10, 30, 60, 120, 180, 240 or 300;
 * with EnableEnhancedMetrics false the frequency applies to utilization metrics only — API_MetricsConfig,
 * https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_MetricsConfig.html). CloudWatch alarm
 * periods are 10, 20, 30 or a multiple of 60 (PutMetricAlarm Period); a period shorter than the
 * metric's resolution finds no data in most periods, so green's alarms use the publish interval.
 */

import type { StrategyName } from './strategy-names';
/** MetricsConfig.MetricPublishFrequencyInSeconds: the valid values (API_MetricsConfig). */
export const METRIC_PUBLISH_SECONDS = [10, 30, 60, 120, 180, 240, 300] as const;
/** SageMaker's standard publish interval of invocation metrics. */
export const STANDARD_PUBLISH_SECONDS = 60;

export interface MetricsConfigLike {
  EnableEnhancedMetrics?: boolean;
  MetricPublishFrequencyInSeconds?: number;
}

/** Seconds between two data points of an endpoint config's invocation metrics. */
export function invocationPublishSeconds(metrics: MetricsConfigLike | undefined): number {
  if (!metrics?.EnableEnhancedMetrics) return STANDARD_PUBLISH_SECONDS;
  return metrics.MetricPublishFrequencyInSeconds ?? STANDARD_PUBLISH_SECONDS;
}

/**
 * The period of green's alarms: one data point each (10 and 30 make them high-resolution alarms,
 * which CloudWatch bills at a higher rate than standard ones).
 */
export function greenAlarmPeriodSeconds(publishSeconds: number | undefined): number {
  return publishSeconds ?? STANDARD_PUBLISH_SECONDS;
}

// ---- the bake's traffic guard ---------------------------------------------------------------

export const TOO_LITTLE_TRAFFIC_ACTIONS = ['extend', 'rollback'] as const;
export type TooLittleTrafficAction = (typeof TOO_LITTLE_TRAFFIC_ACTIONS)[number];
/** A bake is extended at most this many times for too little traffic; then it rolls back. */
export const MAX_BAKE_EXTENSIONS = 2;

export interface BakeTrafficGuard {
  minInvocations: number;
  onTooLittleTraffic: TooLittleTrafficAction;
  /** Seconds each extension adds to the bake. */
  extendSeconds: number;
}

export type BakeTrafficVerdict =
  | { kind: 'enough' }
  | { kind: 'extend'; seconds: number; reason: string }
  | { kind: 'rollback'; reason: string };

/**
 * At the end of the bake (and of each extension): did green get `minInvocations` requests during
 * it? If not, extend (at most MAX_BAKE_EXTENSIONS times) or roll back, as the guard says.
 */
export function judgeBakeTraffic(guard: BakeTrafficGuard | undefined, invocations: number, extensionsSoFar: number): BakeTrafficVerdict {
  if (!guard || invocations >= guard.minInvocations) return { kind: 'enough' };
  const seen = `green got ${invocations} invocation${invocations === 1 ? '' : 's'} during the bake, fewer than minInvocations ${guard.minInvocations}`;
  if (guard.onTooLittleTraffic === 'extend' && extensionsSoFar < MAX_BAKE_EXTENSIONS) {
    return { kind: 'extend', seconds: guard.extendSeconds, reason: `${seen}: bake extended by ${guard.extendSeconds} s (extension ${extensionsSoFar + 1} of at most ${MAX_BAKE_EXTENSIONS})` };
  }
  const why = guard.onTooLittleTraffic === 'extend' ? ` after ${extensionsSoFar} extension${extensionsSoFar === 1 ? '' : 's'}` : '';
  return { kind: 'rollback', reason: `${seen}${why}: too little traffic to judge green, rolled back` };
}

/** The longest a bake can run with its guard's extensions: what must fit the execution. */
export function longestBakeSeconds(bakeSeconds: number, guard: Pick<BakeTrafficGuard, 'onTooLittleTraffic' | 'extendSeconds'> | undefined): number {
  return bakeSeconds + (guard?.onTooLittleTraffic === 'extend' ? MAX_BAKE_EXTENSIONS * guard.extendSeconds : 0);
}

/**
 * The dimensions of green's own metrics: its variant (EndpointName + VariantName); with the
 * guardrails strategy green keeps blue's variant name, so its fleet is told apart by
 * EndpointConfigName too (as the deployment-guardrails guide recommends).
 */
export function greenMetricDimensions(
  strategy: StrategyName,
  endpointName: string,
  green: { greenConfigName: string; variantName: string },
): Array<{ Name: string; Value: string }> {
  return [
    { Name: 'EndpointName', Value: endpointName },
    // replace (serverless): no page documents EndpointConfigName on serverless metrics, and green alone serves through its bake.
    ...(strategy === 'guardrails' ? [{ Name: 'EndpointConfigName', Value: green.greenConfigName }] : []),
    { Name: 'VariantName', Value: green.variantName },
  ];
}
