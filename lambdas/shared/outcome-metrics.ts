import { tableKey, type Outcome, type PromotionState } from './contracts';

/** The CloudWatch namespace and the `service` dimension of every metric the functions publish (./metrics.ts), and the dashboard reads (lib/observability.ts). */
export const METRICS_NAMESPACE = 'SageMakerBlueGreen';
export const METRICS_SERVICE = 'sagemaker-bluegreen';

export type MetricUnitName = 'Count' | 'Seconds';

/** One EMF document: its metrics share one dimension set (besides `service`); `properties` are EMF properties, searchable in the logs, never dimensions. */
export interface MetricBatch {
  dimensions: Record<string, string>;
  metrics: Array<{ name: string; unit: MetricUnitName; value: number }>;
  /** The data point's time when it is not now (EMF `Timestamp`; CloudWatch takes points up to two weeks old). */
  at?: string;
}

/** The moments of a promotion the dashboard marks on its endpoint's graphs (PromotionMilestone, by EndpointName and Milestone). */
export const MILESTONES = ['started', 'shifted', 'blueBack', 'ended'] as const;
export type Milestone = (typeof MILESTONES)[number];

/** When the abort that stopped the promotion was asked for (the lock's `abortRequested`): a guardrail alarm's state change time, from the alarm trigger. */
export interface AbortRequest {
  error: string;
  at: string;
}

const seconds = (from: string, to: string) => Math.max(0, Math.round((Date.parse(to) - Date.parse(from)) / 100) / 10);

/**
 * The metrics of one ended promotion, decided from its state document. Dimensions stay
 * low-cardinality (outcome, strategy, the error that caused a rollback: a closed set of error
 * names); the endpoint and the promotion go in `properties`, so a dashboard line never splits
 * per endpoint and the log line still says which one it was.
 * - PromotionsEnded, PromotionDuration (start → recorded), by Outcome and Strategy;
 * - TimeToValidate (start → green passed its validation requests; stand-up included), by Strategy,
 *   only when requests were sent before user traffic;
 * - AlarmToBlue (the guardrail alarm's state change → the rollback saw blue serving), by Strategy,
 *   only when the alarm trigger or the bake's backstop asked for the rollback (the abort carries the
 *   time; an alarm the bake's own check found, or SageMaker's own rollback, carries none);
 * - Rollbacks, by Cause (the error that started the rollback), for promotions that ended rolled back;
 * - PromotionMilestone (1 at the start, the shift, blue serving again after a rollback, the end, each
 *   at its own time), by EndpointName (in lower case, as SageMaker compares names) and Milestone: the
 *   one endpoint dimension, bounded by the endpoints the stack manages, so that each endpoint's graphs
 *   on the dashboard show when its promotions ran (a dashboard cannot draw annotations from data).
 */
export function outcomeMetrics(state: PromotionState, outcome: Outcome, finishedAt: string, abort?: AbortRequest): MetricBatch[] {
  const p = state.promotion;
  const batches: MetricBatch[] = [
    {
      dimensions: { Outcome: outcome, Strategy: p.strategy },
      metrics: [
        { name: 'PromotionsEnded', unit: 'Count', value: 1 },
        { name: 'PromotionDuration', unit: 'Seconds', value: seconds(p.startedAt, finishedAt) },
      ],
    },
  ];
  const timings: MetricBatch['metrics'] = [];
  const validation = state.validation;
  if (validation?.passed && validation.at && validation.samples.length > 0) {
    timings.push({ name: 'TimeToValidate', unit: 'Seconds', value: seconds(p.startedAt, validation.at) });
  }
  const blueAt = state.rollback?.done ? state.rollback.blueAt : undefined;
  if (blueAt && abort?.error === 'GuardrailAlarm' && state.failure?.Error === 'GuardrailAlarm') {
    timings.push({ name: 'AlarmToBlue', unit: 'Seconds', value: seconds(abort.at, blueAt) });
  }
  if (timings.length > 0) batches.push({ dimensions: { Strategy: p.strategy }, metrics: timings });
  if (outcome === 'rolled_back') {
    batches.push({ dimensions: { Cause: state.failure?.Error ?? 'unknown' }, metrics: [{ name: 'Rollbacks', unit: 'Count', value: 1 }] });
  }
  const moments: Record<Milestone, string | undefined> = { started: p.startedAt, shifted: state.shift?.at, blueBack: blueAt, ended: finishedAt };
  for (const milestone of MILESTONES) {
    const at = moments[milestone];
    if (at) batches.push({ dimensions: { EndpointName: tableKey(p.endpointName), Milestone: milestone }, metrics: [{ name: 'PromotionMilestone', unit: 'Count', value: 1 }], at });
  }
  return batches;
}

/** EMF properties of a promotion's metrics: which endpoint and promotion, searchable in the logs without being dimensions. */
export function outcomeProperties(state: PromotionState): Record<string, string> {
  const p = state.promotion;
  return { endpointName: p.endpointName, promotionId: p.id, modelPackageVersion: String(p.modelPackageVersion), executionArn: p.executionArn };
}
