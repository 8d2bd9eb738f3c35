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
 *
 * Asynchronous inference publishes its own metrics instead of Invocations
 * (https://docs.aws.amazon.com/sagemaker/latest/dg/async-inference-monitor.html): queue gauges
 * with the dimension EndpointName only (ApproximateBacklogSize, …PerInstance,
 * ApproximateAgeOfOldestRequest, HasBacklogWithoutCapacity) and per-request counts and times with
 * EndpointName + VariantName (InvocationsProcessed, InvocationFailures, RequestDownloadFailures, …).
 * A gauge is sampled when the queue changes; a period without a change reports the last value
 * (CloudWatch gets one every minute from SageMaker).
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
  /** The inference component invoked (X-Amzn-SageMaker-Inference-Component), if any. */
  inferenceComponentName?: string;
  /**
   * Simulated seconds between two data points SageMaker publishes for the serving config (its
   * MetricsConfig: MetricPublishFrequencyInSeconds with enhanced metrics on, else 60).
   */
  publishSeconds?: number;
  /** An InvokeEndpointAsync request: it counts in ModelLatency and the error metrics, never in Invocations (async-inference-monitor). */
  asynchronous?: boolean;
}

/**
 * How CloudWatch sees the records: as SageMaker publishes them. The invocations of one publish
 * interval become one data point, timestamped at the interval's start and visible from its end
 * (never sooner: SageMaker sends it then), so a 10-second alarm period on a metric published every
 * 60 s finds data in one period out of six ("a period of 10, 20, or 30 for a metric that does not
 * have sub-minute resolution … does not receive data", PutMetricAlarm Period).
 */
export interface PublishedView {
  /** Real epoch ms of the query. */
  now: number;
  timeScale: number;
}

/** Real ms of a record's data point (its publish interval's start), and whether it is published by `now`. */
export function publishedAt(r: Pick<InvocationRecord, 'at' | 'publishSeconds'>, view: PublishedView): { ts: number; visible: boolean } {
  const intervalMs = ((r.publishSeconds ?? 60) * 1000) / view.timeScale;
  const ts = Math.floor(r.at / intervalMs) * intervalMs;
  return { ts, visible: ts + intervalMs <= view.now };
}

export const SAGEMAKER_NAMESPACE = 'AWS/SageMaker';
/** Per-inference-component metrics' namespace (assumed: not confirmed from the docs). */
export const INFERENCE_COMPONENTS_NAMESPACE = '/aws/sagemaker/InferenceComponents';
export const INVOCATION_METRICS = ['Invocations', 'Invocation4XXErrors', 'Invocation5XXErrors', 'ModelLatency', 'ModelSetupTime'] as const;
export type InvocationMetric = (typeof INVOCATION_METRICS)[number];

/** Queue gauges of an async endpoint: dimension EndpointName only. */
export const ASYNC_ENDPOINT_METRICS = ['ApproximateBacklogSize', 'ApproximateBacklogSizePerInstance', 'ApproximateAgeOfOldestRequest', 'HasBacklogWithoutCapacity'] as const;
/** Per-request async metrics: dimensions EndpointName + VariantName. */
export const ASYNC_VARIANT_METRICS = [
  'InvocationsProcessed',
  'InvocationFailures',
  'RequestDownloadFailures',
  'ResponseUploadFailures',
  'ExpiredRequests',
  'TimeInBacklog',
  'TotalProcessingTime',
] as const;
export type AsyncMetric = (typeof ASYNC_ENDPOINT_METRICS)[number] | (typeof ASYNC_VARIANT_METRICS)[number];

/** One async-inference sample (a gauge reading or a per-request value). */
export interface AsyncMetricRecord {
  endpointName: string;
  /** Absent for the endpoint-level gauges. */
  variantName?: string;
  metric: AsyncMetric;
  /** Real epoch milliseconds. */
  at: number;
  value: number;
}

const UNITS: Record<string, string> = {
  ModelLatency: 'Microseconds',
  ModelSetupTime: 'Microseconds',
  TimeInBacklog: 'Milliseconds',
  TotalProcessingTime: 'Milliseconds',
  ApproximateAgeOfOldestRequest: 'Seconds',
};
export const metricUnit = (metric: string): string => UNITS[metric] ?? 'None';

/** Keep memory bounded in long demos. */
const MAX_RECORDS = 200_000;

export interface Dimension {
  Name: string;
  Value: string;
}

export class MetricsStore {
  readonly records: InvocationRecord[] = [];
  readonly asyncRecords: AsyncMetricRecord[] = [];

  record(r: InvocationRecord): void {
    this.records.push(r);
    if (this.records.length > MAX_RECORDS) this.records.splice(0, this.records.length - MAX_RECORDS);
  }

  recordAsync(r: AsyncMetricRecord): void {
    this.asyncRecords.push(r);
    if (this.asyncRecords.length > MAX_RECORDS) this.asyncRecords.splice(0, this.asyncRecords.length - MAX_RECORDS);
  }

  private asyncSamples(metric: string, dimensions: Dimension[], fromMs: number, toMs: number): Array<{ at: number; value: number }> {
    const ep = dimensions.find((d) => d.Name === 'EndpointName')?.Value;
    const variant = dimensions.find((d) => d.Name === 'VariantName')?.Value;
    const gauge = (ASYNC_ENDPOINT_METRICS as readonly string[]).includes(metric);
    if (ep === undefined || dimensions.length !== (gauge ? 1 : 2) || (!gauge && variant === undefined)) return [];
    const mine = (r: AsyncMetricRecord) => r.metric === metric && r.endpointName === ep && (gauge || r.variantName === variant);
    const out = this.asyncRecords.filter((r) => mine(r) && r.at >= fromMs && r.at < toMs).map((r) => ({ at: r.at, value: r.value }));
    if (gauge && out.length === 0) {
      for (let i = this.asyncRecords.length - 1; i >= 0; i--) {
        const r = this.asyncRecords[i] as AsyncMetricRecord;
        if (r.at < fromMs && mine(r)) {
          out.push({ at: fromMs, value: r.value });
          break;
        }
      }
    }
    return out;
  }

  /**
   * Samples of a metric in [fromMs, toMs) (real time). CloudWatch matches dimensions
   * exactly, so only {EndpointName, VariantName} or {EndpointName, EndpointConfigName,
   * VariantName} selects data.
   */
  samples(namespace: string, metric: string, dimensions: Dimension[], fromMs: number, toMs: number, view?: PublishedView): Array<{ at: number; value: number }> {
    // Seen as published: a record counts in the window of its data point's timestamp, once published.
    const inWindow = (r: InvocationRecord): boolean => {
      if (!view) return r.at >= fromMs && r.at < toMs;
      const p = publishedAt(r, view);
      return p.visible && p.ts >= fromMs && p.ts < toMs;
    };
    if (namespace === SAGEMAKER_NAMESPACE && [...ASYNC_ENDPOINT_METRICS, ...ASYNC_VARIANT_METRICS].includes(metric as AsyncMetric)) {
      return this.asyncSamples(metric, dimensions, fromMs, toMs);
    }
    // Assumed (unverified in the docs): the invocation metrics per component, with the dimension
    // InferenceComponentName alone, in AWS/SageMaker and in /aws/sagemaker/InferenceComponents.
    const component = dimensions.length === 1 && dimensions[0]?.Name === 'InferenceComponentName' ? dimensions[0].Value : undefined;
    if (component !== undefined && (namespace === SAGEMAKER_NAMESPACE || namespace === INFERENCE_COMPONENTS_NAMESPACE)) {
      if (!(INVOCATION_METRICS as readonly string[]).includes(metric)) return [];
      return this.records
        .filter((r) => r.inferenceComponentName === component && inWindow(r) && (metric !== 'ModelSetupTime' || r.setupUs !== undefined))
        .map((r) => ({ at: r.at, value: sampleValue(metric as InvocationMetric, r) }));
    }
    if (namespace !== SAGEMAKER_NAMESPACE || !(INVOCATION_METRICS as readonly string[]).includes(metric)) return [];
    const ep = dimensions.find((d) => d.Name === 'EndpointName')?.Value;
    const variant = dimensions.find((d) => d.Name === 'VariantName')?.Value;
    const config = dimensions.find((d) => d.Name === 'EndpointConfigName')?.Value;
    if (ep === undefined || variant === undefined || dimensions.length !== (config === undefined ? 2 : 3)) return [];
    const out: Array<{ at: number; value: number }> = [];
    for (const r of this.records) {
      if (!inWindow(r) || r.endpointName !== ep || r.variantName !== variant) continue;
      if (config !== undefined && r.configName !== config) continue;
      if (metric === 'ModelSetupTime' && r.setupUs === undefined) continue;
      if (metric === 'Invocations' && r.asynchronous) continue;
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
