import { bakeTrafficMetric, greenAlarmSpecs, type GreenMetricsTarget } from '../../lambdas/shared/green-metrics';

const target = (extra: Partial<GreenMetricsTarget> = {}): GreenMetricsTarget => ({
  strategy: 'guardrails',
  endpointName: 'churn',
  green: { greenConfigName: 'churn-v2-abc-config', variantName: 'AllTraffic' },
  ...extra,
});
const thresholds = { max5xxErrors: 0, maxModelLatencyMs: 250 };
const fleet = [
  { Name: 'EndpointName', Value: 'churn' },
  { Name: 'EndpointConfigName', Value: 'churn-v2-abc-config' },
  { Name: 'VariantName', Value: 'AllTraffic' },
];
const variant = [
  { Name: 'EndpointName', Value: 'churn' },
  { Name: 'VariantName', Value: 'AllTraffic' },
];

describe('green-metrics', () => {
  test('GIVEN a real-time promotion (or one started before kinds existed) THEN the alarms watch Invocation5XXErrors and ModelLatency (µs) of green\'s fleet, and the traffic guard counts Invocations', () => {
    for (const t of [target(), target({ kind: 'real-time' })]) {
      expect(greenAlarmSpecs(t, thresholds).map((a) => [a.suffix, a.MetricName, a.Statistic, a.Threshold, a.Dimensions])).toEqual([
        ['5xx', 'Invocation5XXErrors', 'Sum', 0, fleet],
        ['latency', 'ModelLatency', 'Average', 250_000, fleet],
      ]);
      expect(bakeTrafficMetric(t)).toEqual({ Namespace: 'AWS/SageMaker', MetricName: 'Invocations', Dimensions: fleet });
    }
  });

  test('GIVEN the variant strategy THEN green\'s own variant is enough (no EndpointConfigName)', () => {
    expect(bakeTrafficMetric(target({ strategy: 'variant' })).Dimensions).toEqual(variant);
  });

  test('GIVEN an asynchronous endpoint (no Invocations, async-inference-monitor) THEN -5xx watches InvocationFailures and the traffic guard InvocationsProcessed, on EndpointName + VariantName only; -latency stays ModelLatency of green\'s fleet', () => {
    const t = target({ kind: 'asynchronous' });
    expect(greenAlarmSpecs(t, thresholds).map((a) => [a.suffix, a.MetricName, a.Statistic, a.Threshold, a.Dimensions])).toEqual([
      ['5xx', 'InvocationFailures', 'Sum', 0, variant],
      ['latency', 'ModelLatency', 'Average', 250_000, fleet],
    ]);
    expect(bakeTrafficMetric(t)).toEqual({ Namespace: 'AWS/SageMaker', MetricName: 'InvocationsProcessed', Dimensions: variant });
  });

  test('GIVEN an inference component THEN its metrics are selected by InferenceComponentName; without one it is a bug, named', () => {
    const t = target({ kind: 'inference-component', strategy: 'component', inferenceComponentName: 'churn-ic' });
    expect(greenAlarmSpecs(t, thresholds).every((a) => JSON.stringify(a.Dimensions) === JSON.stringify([{ Name: 'InferenceComponentName', Value: 'churn-ic' }]))).toBe(true);
    expect(bakeTrafficMetric(t).MetricName).toBe('Invocations');
    expect(() => bakeTrafficMetric(target({ kind: 'inference-component', strategy: 'component' }))).toThrow(/names no inferenceComponentName/);
  });

  test('GIVEN scope variant (the CLI\'s live line) THEN a guardrails promotion is counted on the whole variant (no EndpointConfigName); async and component keep their own metric', () => {
    expect(bakeTrafficMetric(target(), 'variant')).toEqual({ Namespace: 'AWS/SageMaker', MetricName: 'Invocations', Dimensions: variant });
    expect(bakeTrafficMetric(target({ kind: 'asynchronous' }), 'variant')).toEqual({ Namespace: 'AWS/SageMaker', MetricName: 'InvocationsProcessed', Dimensions: variant });
    expect(bakeTrafficMetric(target({ kind: 'inference-component', strategy: 'component', inferenceComponentName: 'churn-ic' }), 'variant').Dimensions).toEqual([{ Name: 'InferenceComponentName', Value: 'churn-ic' }]);
  });
});
