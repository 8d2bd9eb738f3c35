/**
 * Which metrics watch green, per kind of endpoint: the metrics of green's own alarms (`<prefix>-5xx`,
 * `<prefix>-latency`: the names never change, the metrics do) and the metric the bake's traffic guard
 * counts. Pure: start-bake creates the alarms, check-guardrails reads the traffic.
 *
 * - real-time, multi-variant, serverless: Invocation5XXErrors (Sum) and ModelLatency (Average, µs);
 *   traffic = Invocations. Dimensions: green's variant (detection.ts greenMetricDimensions: with
 *   EndpointConfigName when green keeps blue's variant name, as deployment-guardrails-configuration
 *   "Monitor model latency on the new fleet" shows).
 * - asynchronous (async-inference-monitor.html): "Invocations … not published if the endpoint is
 *   enabled for asynchronous inference", so traffic = InvocationsProcessed (Sum). Errors =
 *   InvocationFailures (Sum: "If an invocation fails for any reason": a model error, a timeout, an
 *   input it could not download, an output it could not upload, where Invocation5XXErrors sees only
 *   the model's 5xx). Both are published "with the EndpointName and VariantName dimensions" only:
 *   no EndpointConfigName is documented for them, so while SageMaker's deployment runs both fleets
 *   (a canary or linear step) blue's failures count too, and trip the rollback (the guide's "Monitor
 *   invocation errors on both old and new fleets" case: it errs towards blue). Latency stays
 *   ModelLatency, scoped to green's fleet: the page lists it among the "Common Endpoint Metrics"
 *   published for async endpoints, and it is the model's own time. TotalProcessingTime and
 *   TimeInBacklog include the time a request waits in the queue, which grows with the load and
 *   during the switch itself, not with green's quality.
 * - serverless: also ModelSetupTime (Maximum, µs) when greenAlarms.maxModelSetupTimeMs is set: the
 *   `-setup` alarm on green's cold starts (serverless-endpoints-monitoring lists Invocations,
 *   Invocation4XXErrors/5XXErrors, ModelLatency, ModelSetupTime and MemoryUtilization for serverless).
 * - inference-component: the component's own metrics, dimension InferenceComponentName alone, in
 *   AWS/SageMaker (as local/emulator/metrics.ts models them; NOT confirmed in the developer guide).
 */
import type { EndpointKind } from './kinds';
import { greenMetricDimensions } from './detection';
import type { StrategyName } from './strategy-names';
import { watchesColdStarts } from './serverless';

export const SAGEMAKER_NAMESPACE = 'AWS/SageMaker';

export type Dimensions = Array<{ Name: string; Value: string }>;

export interface MetricRef {
  Namespace: string;
  MetricName: string;
  Dimensions: Dimensions;
}

/** One of green's own alarms: its name is `<alarmPrefix>-<suffix>`. */
export interface GreenAlarmSpec extends MetricRef {
  suffix: string;
  Statistic: 'Sum' | 'Average' | 'Maximum';
  Threshold: number;
  /** What the alarm means, for its description. */
  means: string;
}

/** What selects green's metrics: the promotion's kind and strategy, the endpoint, green's variant, its component. */
export interface GreenMetricsTarget {
  /** Absent: real-time (an execution started before kinds existed). */
  kind?: EndpointKind;
  strategy: StrategyName;
  endpointName: string;
  green: { greenConfigName: string; variantName: string };
  inferenceComponentName?: string;
}

export interface GreenAlarmThresholds {
  max5xxErrors: number;
  maxModelLatencyMs: number;
  /** Serverless only: green's cold-start alarm (`-setup`, ModelSetupTime), when set (serverless.ts watchesColdStarts). */
  maxModelSetupTimeMs?: number;
}

function componentDimensions(t: GreenMetricsTarget): Dimensions {
  if (!t.inferenceComponentName) throw new Error(`an inference-component promotion of ${t.endpointName} names no inferenceComponentName`);
  return [{ Name: 'InferenceComponentName', Value: t.inferenceComponentName }];
}

/** The variant's dimensions as async-inference-monitor documents them: EndpointName + VariantName. */
function variantDimensions(t: GreenMetricsTarget): Dimensions {
  return [
    { Name: 'EndpointName', Value: t.endpointName },
    { Name: 'VariantName', Value: t.green.variantName },
  ];
}

/** Green's own alarms (the `-5xx` and `-latency` names kept for every kind). */
export function greenAlarmSpecs(t: GreenMetricsTarget, thresholds: GreenAlarmThresholds): GreenAlarmSpec[] {
  const kind = t.kind ?? 'real-time';
  const fleet = kind === 'inference-component' ? componentDimensions(t) : greenMetricDimensions(t.strategy, t.endpointName, t.green);
  const latency: GreenAlarmSpec = {
    suffix: 'latency',
    Namespace: SAGEMAKER_NAMESPACE,
    MetricName: 'ModelLatency',
    Dimensions: fleet,
    Statistic: 'Average',
    // ModelLatency is in microseconds.
    Threshold: thresholds.maxModelLatencyMs * 1000,
    means: `answers slower than ${thresholds.maxModelLatencyMs} ms`,
  };
  if (kind === 'asynchronous') {
    return [
      {
        suffix: '5xx',
        Namespace: SAGEMAKER_NAMESPACE,
        MetricName: 'InvocationFailures',
        Dimensions: variantDimensions(t),
        Statistic: 'Sum',
        Threshold: thresholds.max5xxErrors,
        means: 'fails asynchronous requests (InvocationFailures)',
      },
      latency,
    ];
  }
  // Serverless: ModelSetupTime, "the time it takes to launch new compute resources for a serverless endpoint" (µs), the slowest cold start per period.
  const coldStart: GreenAlarmSpec[] =
    watchesColdStarts(kind, thresholds)
      ? [{ suffix: 'setup', Namespace: SAGEMAKER_NAMESPACE, MetricName: 'ModelSetupTime', Dimensions: fleet, Statistic: 'Maximum', Threshold: thresholds.maxModelSetupTimeMs! * 1000, means: `takes longer than ${thresholds.maxModelSetupTimeMs} ms to start a container (cold start)` }]
      : [];
  return [
    {
      suffix: '5xx',
      Namespace: SAGEMAKER_NAMESPACE,
      MetricName: 'Invocation5XXErrors',
      Dimensions: fleet,
      Statistic: 'Sum',
      Threshold: thresholds.max5xxErrors,
      means: 'returns 5xx',
    },
    latency,
    ...coldStart,
  ];
}

/**
 * The metric whose Sum over the bake is the number of requests green got (the traffic guard's count).
 * `scope: 'variant'` counts the variant's requests whichever config serves them (the CLI's live line,
 * which reads the Bake state's input and so no green config name).
 */
export function bakeTrafficMetric(t: GreenMetricsTarget, scope: 'green' | 'variant' = 'green'): MetricRef {
  const kind = t.kind ?? 'real-time';
  if (kind === 'asynchronous') return { Namespace: SAGEMAKER_NAMESPACE, MetricName: 'InvocationsProcessed', Dimensions: variantDimensions(t) };
  if (kind === 'inference-component') return { Namespace: SAGEMAKER_NAMESPACE, MetricName: 'Invocations', Dimensions: componentDimensions(t) };
  const dimensions = scope === 'variant' ? variantDimensions(t) : greenMetricDimensions(t.strategy, t.endpointName, t.green);
  return { Namespace: SAGEMAKER_NAMESPACE, MetricName: 'Invocations', Dimensions: dimensions };
}

/** The target of a promotion's state, for the functions above. */
export function greenMetricsTarget(state: {
  promotion: { kind?: EndpointKind; strategy: StrategyName; endpointName: string; inferenceComponentName?: string };
  green?: { greenConfigName: string; variantName: string };
}): GreenMetricsTarget {
  const p = state.promotion;
  return { kind: p.kind, strategy: p.strategy, endpointName: p.endpointName, green: state.green!, inferenceComponentName: p.inferenceComponentName };
}
