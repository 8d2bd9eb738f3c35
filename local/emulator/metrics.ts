/**
 * Invocation records and the AWS/SageMaker endpoint metrics computed from them
 * (https://docs.aws.amazon.com/sagemaker/latest/dg/monitoring-cloudwatch.html):
 * Invocations, Invocation4XXErrors, Invocation5XXErrors (one 0/1 sample per
 * request, so Sum is a count and Average a rate), ModelLatency (microseconds),
 * with dimensions EndpointName + VariantName, and the same metrics with EndpointName +
 * EndpointConfigName + VariantName, which scope an alarm to one fleet during a deployment
 * (the deployment-guardrails guide recommends alarms that watch the new fleet this way).
 * ModelSetupTime (serverless: the time to launch compute for a cold start) is recorded on the
 * invocations that waited for one.
 */

export interface InvocationRecord {
  endpointName: string;
  variantName: string;
  /** Real epoch milliseconds. */
  at: number;
  /** HTTP status the model container answered with. */
  status: number;
  /** Model latency in microseconds. */
  latencyUs: number;
  /** The endpoint config of the fleet that served it. */
  configName?: string;
  /** Serverless cold start: ModelSetupTime in microseconds. */
  setupUs?: number;
}

export const SAGEMAKER_NAMESPACE = 'AWS/SageMaker';
export const INVOCATION_METRICS = ['Invocations', 'Invocation4XXErrors', 'Invocation5XXErrors', 'ModelLatency', 'ModelSetupTime'] as const;
export type InvocationMetric = (typeof INVOCATION_METRICS)[number];

export const metricUnit = (metric: string): string => (metric === 'ModelLatency' || metric === 'ModelSetupTime' ? 'Microseconds' : 'None');

/** Keep memory bounded in long demos. */
const MAX_RECORDS = 200_000;

export interface Dimension {
  Name: string;
  Value: string;
}

export class MetricsStore {
  readonly records: InvocationRecord[] = [];

  record(r: InvocationRecord): void {
    this.records.push(r);
    if (this.records.length > MAX_RECORDS) this.records.splice(0, this.records.length - MAX_RECORDS);
  }

  /**
   * Samples of a metric in [fromMs, toMs) (real time). CloudWatch matches dimensions
   * exactly, so only {EndpointName, VariantName} or {EndpointName, EndpointConfigName,
   * VariantName} selects data.
   */
  samples(namespace: string, metric: string, dimensions: Dimension[], fromMs: number, toMs: number): Array<{ at: number; value: number }> {
    if (namespace !== SAGEMAKER_NAMESPACE || !(INVOCATION_METRICS as readonly string[]).includes(metric)) return [];
    const ep = dimensions.find((d) => d.Name === 'EndpointName')?.Value;
    const variant = dimensions.find((d) => d.Name === 'VariantName')?.Value;
    const config = dimensions.find((d) => d.Name === 'EndpointConfigName')?.Value;
    if (ep === undefined || variant === undefined || dimensions.length !== (config === undefined ? 2 : 3)) return [];
    const out: Array<{ at: number; value: number }> = [];
    for (const r of this.records) {
      if (r.at < fromMs || r.at >= toMs || r.endpointName !== ep || r.variantName !== variant) continue;
      if (config !== undefined && r.configName !== config) continue;
      if (metric === 'ModelSetupTime' && r.setupUs === undefined) continue;
      out.push({ at: r.at, value: sampleValue(metric as InvocationMetric, r) });
    }
    return out;
  }

  counts(): Record<string, Record<string, { total: number; '2xx': number; '4xx': number; '5xx': number }>> {
    const out: Record<string, Record<string, { total: number; '2xx': number; '4xx': number; '5xx': number }>> = {};
    for (const r of this.records) {
      const ep = (out[r.endpointName] ??= {});
      const c = (ep[r.variantName] ??= { total: 0, '2xx': 0, '4xx': 0, '5xx': 0 });
      c.total += 1;
      if (r.status >= 500) c['5xx'] += 1;
      else if (r.status >= 400) c['4xx'] += 1;
      else c['2xx'] += 1;
    }
    return out;
  }
}

function sampleValue(metric: InvocationMetric, r: InvocationRecord): number {
  switch (metric) {
    case 'Invocations':
      return 1;
    case 'Invocation4XXErrors':
      return r.status >= 400 && r.status < 500 ? 1 : 0;
    case 'Invocation5XXErrors':
      return r.status >= 500 ? 1 : 0;
    case 'ModelLatency':
      return r.latencyUs;
    case 'ModelSetupTime':
      return r.setupUs ?? 0;
  }
}

/** A CloudWatch statistic over samples: Sum, Average, Minimum, Maximum, SampleCount or pNN(.N). */
export function statistic(values: number[], stat: string): number | undefined {
  if (values.length === 0) return undefined;
  switch (stat) {
    case 'Sum':
      return values.reduce((a, b) => a + b, 0);
    case 'Average':
      return values.reduce((a, b) => a + b, 0) / values.length;
    case 'Minimum':
      return Math.min(...values);
    case 'Maximum':
      return Math.max(...values);
    case 'SampleCount':
      return values.length;
    default: {
      const m = /^p(\d{1,2}(\.\d+)?|100)$/.exec(stat);
      if (!m) return undefined;
      const p = Number(m[1]);
      const sorted = [...values].sort((a, b) => a - b);
      const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
      return sorted[rank - 1];
    }
  }
}

export const isKnownStat = (stat: string): boolean =>
  ['Sum', 'Average', 'Minimum', 'Maximum', 'SampleCount'].includes(stat) || /^p(\d{1,2}(\.\d+)?|100)$/.test(stat);
