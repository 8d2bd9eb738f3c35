/**
 * SageMaker Runtime InvokeEndpointAsync (REST: POST /endpoints/{EndpointName}/async-invocations,
 * HTTP 202) and the queue behind it.
 * https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_runtime_InvokeEndpointAsync.html
 * https://docs.aws.amazon.com/sagemaker/latest/dg/async-inference.html
 *
 * - Only for endpoints whose current config has AsyncInferenceConfig; otherwise ValidationError
 *   (AWS documents no message for this case: ours names the missing AsyncInferenceConfig).
 *   There is no TargetVariant (nor TargetModel, InferenceComponentName) in this API: requests are
 *   routed like untargeted InvokeEndpoint traffic (endpoints.route).
 * - "SageMaker queues the request for processing and returns an identifier and output location";
 *   each endpoint has one queue. Workers take requests while the endpoint's serving fleets have
 *   free slots: MaxConcurrentInvocationsPerInstance (AsyncInferenceConfig.ClientConfig; when
 *   absent "SageMaker chooses an optimal value": here a knob, default 4) × instances of variants
 *   that get traffic. Zero instances (scaled in to zero) → requests wait (HasBacklogWithoutCapacity = 1).
 * - A worker reads the input from the local S3 (missing → RequestDownloadFailures), lets the model
 *   work `processingMs` (real ms; variantErrors faults apply as for InvokeEndpoint), then writes
 *   the same JSON body InvokeEndpoint returns to `<S3OutputPath>[/<S3OutputPathExtension>]/<Filename
 *   or InferenceId.out>`. A failure writes a JSON document (the emulator's own format: AWS documents
 *   none) to `<S3FailurePath>/<InferenceId>-error.out` (the `-error.out` suffix is what AWS samples
 *   show, not the API reference); without S3FailurePath nothing is written. S3OutputPathExtension is
 *   "appended to the Amazon S3 output path" (API_runtime_InvokeEndpointAsync) and said of nothing
 *   else: it does not extend the failure path here (the strict reading).
 * - RequestTTLSeconds (default 21600) and InvocationTimeoutSeconds (default 900) are simulated
 *   seconds on the emulator's clock. A request older than its TTL when a slot frees up expires
 *   (ExpiredRequests).
 * - UpdateEndpoint: what happens to queued requests is undocumented (the update page only says
 *   SageMaker "first provisions and switches to the new endpoint configuration ... before it deletes
 *   the resources that were provisioned in the previous endpoint configuration"). Modelled: the
 *   queue belongs to the endpoint and survives the update; each request is processed by whichever
 *   fleet serves when a slot takes it (old until the switch, new after); none is lost.
 * - DeleteEndpoint: queued requests fail to the failure location; requests in flight finish but
 *   fail too (their instances are gone).
 * - Metrics (async-inference-monitor.html): see metrics.ts. InvocationsProcessed counts requests
 *   whose output was written, InvocationFailures any other processed or dropped request except
 *   expired ones. A request the model answered also records the page's "Common Endpoint Metrics"
 *   (ModelLatency, Invocation4XXErrors, Invocation5XXErrors, per fleet like InvokeEndpoint's), but
 *   never Invocations ("not published if the endpoint is enabled for asynchronous inference").
 */
import { randomUUID } from 'node:crypto';
import { ServiceError } from './errors';
import type { Faults } from './faults';
import type { AsyncMetric, MetricsStore } from './metrics';
import { BASELINE_LATENCY_US, modelAnswer } from './runtime';
import { parseS3Uri, type S3Service } from './s3';
import type { EndpointRec, SageMakerService, VariantState } from './sagemaker';
import type { Timers } from './timers';

export interface AsyncInvokeRequest {
  EndpointName: string;
  InputLocation: string;
  ContentType?: string;
  Accept?: string;
  CustomAttributes?: string;
  InferenceId?: string;
  S3OutputPathExtension?: string;
  Filename?: string;
  RequestTTLSeconds?: number;
  InvocationTimeoutSeconds?: number;
}
export interface AsyncInvokeResponse {
  InferenceId: string;
  OutputLocation: string;
  FailureLocation?: string;
}

export interface AsyncInferenceOptions {
  accountId: string;
  region: string;
  sagemaker: SageMakerService;
  faults: Faults;
  metrics: MetricsStore;
  s3: S3Service;
  timers: Timers;
  /** Simulated seconds per real second. */
  timeScale: number;
  /** Real ms the model works on one request. */
  processingMs: number;
  /** MaxConcurrentInvocationsPerInstance when the endpoint config leaves it out. */
  defaultMaxConcurrentInvocationsPerInstance: number;
  /** How often queues are looked at for expired requests, new capacity and deleted endpoints (real ms). */
  tickMs: number;
}

export interface AsyncQueueSnapshot {
  queued: number;
  inFlight: number;
  processed: number;
  failed: number;
  expired: number;
}

interface AsyncRequest {
  inferenceId: string;
  inputLocation: string;
  outputLocation: string;
  failureLocation?: string;
  enqueuedAt: number;
  /** Real ms. */
  ttlMs: number;
  /** Simulated seconds. */
  timeoutSeconds: number;
}

interface Queue {
  ep: EndpointRec;
  waiting: AsyncRequest[];
  inFlight: number;
  processed: number;
  failed: number;
  expired: number;
  lastGauges?: string;
}

const DEFAULT_TTL_SECONDS = 21_600;
const DEFAULT_TIMEOUT_SECONDS = 900;

type Obj = Record<string, unknown>;

export class AsyncInference {
  private readonly queues = new Map<EndpointRec, Queue>();

  constructor(private readonly o: AsyncInferenceOptions) {
    o.timers.every(o.tickMs, () => this.tick()).unref();
  }

  invoke(req: AsyncInvokeRequest): AsyncInvokeResponse {
    const ep = this.o.sagemaker.findServingEndpoint(req.EndpointName);
    if (!ep) throw new ServiceError('ValidationError', `Endpoint ${req.EndpointName} of account ${this.o.accountId} not found.`);
    // As the endpoint's fleet was deployed: a deleted config does not stop what runs.
    const asyncConfig = this.o.sagemaker.endpoints.deployedConfig(ep)?.AsyncInferenceConfig as Obj | undefined;
    if (!asyncConfig) {
      throw new ServiceError(
        'ValidationError',
        `Endpoint ${ep.name} of account ${this.o.accountId} is not an asynchronous inference endpoint: ` +
          `its endpoint config ${ep.configName} has no AsyncInferenceConfig. Use InvokeEndpoint.`,
      );
    }
    const out = (asyncConfig.OutputConfig as Obj | undefined) ?? {};
    const id = req.InferenceId ?? randomUUID();
    const ext = req.S3OutputPathExtension ? `/${req.S3OutputPathExtension.replace(/^\/+|\/+$/g, '')}` : '';
    const base = (path: string): string => `${path.replace(/\/+$/, '')}${ext}`;
    // Assumed when S3OutputPath is left out (the SageMaker Python SDK's default location).
    const outputPath = (out.S3OutputPath as string | undefined) ?? `s3://sagemaker-${this.o.region}-${this.o.accountId}/async-endpoint-outputs/${ep.name}`;
    const failurePath = out.S3FailurePath as string | undefined;
    const r: AsyncRequest = {
      inferenceId: id,
      inputLocation: req.InputLocation,
      outputLocation: `${base(outputPath)}/${req.Filename ?? `${id}.out`}`,
      failureLocation: failurePath === undefined ? undefined : `${failurePath.replace(/\/+$/, '')}/${id}-error.out`,
      enqueuedAt: Date.now(),
      ttlMs: ((req.RequestTTLSeconds ?? DEFAULT_TTL_SECONDS) * 1000) / this.o.timeScale,
      timeoutSeconds: req.InvocationTimeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS,
    };
    const q = this.queueOf(ep);
    q.waiting.push(r);
    this.gauges(q);
    this.pump(q);
    return { InferenceId: id, OutputLocation: r.outputLocation, FailureLocation: r.failureLocation };
  }

  snapshot(): Record<string, AsyncQueueSnapshot> {
    return Object.fromEntries(
      [...this.queues.values()].map((q) => [q.ep.name, { queued: q.waiting.length, inFlight: q.inFlight, processed: q.processed, failed: q.failed, expired: q.expired }]),
    );
  }

  // ---- the queue --------------------------------------------------------------------------

  private queueOf(ep: EndpointRec): Queue {
    let q = this.queues.get(ep);
    if (!q) {
      q = { ep, waiting: [], inFlight: 0, processed: 0, failed: 0, expired: 0 };
      this.queues.set(ep, q);
    }
    return q;
  }

  private deleted(ep: EndpointRec): boolean {
    return this.o.sagemaker.endpoints.endpoints.get(ep.name.toLowerCase()) !== ep || ep.status === 'Deleting';
  }

  /** Instances that take traffic now, and how many requests they may work on at once. */
  private capacity(ep: EndpointRec): { instances: number; slots: number } {
    let instances = 0;
    let slots = 0;
    for (const fleet of this.o.sagemaker.endpoints.servingFleets(ep)) {
      const client = (fleet.config.AsyncInferenceConfig as Obj | undefined)?.ClientConfig as Obj | undefined;
      const perInstance = (client?.MaxConcurrentInvocationsPerInstance as number | undefined) ?? this.o.defaultMaxConcurrentInvocationsPerInstance;
      for (const v of fleet.variants) {
        if (v.CurrentWeight <= 0) continue;
        const n = v.CurrentInstanceCount ?? 0;
        instances += n;
        slots += n * perInstance;
      }
    }
    return { instances, slots };
  }

  private tick(): void {
    for (const q of [...this.queues.values()]) if (q.waiting.length > 0 || this.deleted(q.ep)) this.pump(q);
  }

  /** Expires, fails (deleted endpoint) or starts waiting requests while slots are free. */
  private pump(q: Queue): void {
    const now = Date.now();
    if (this.deleted(q.ep)) {
      for (const r of q.waiting.splice(0)) this.fail(q, r, this.anyVariant(q), undefined, `Endpoint ${q.ep.name} was deleted before the request was processed.`);
      this.gauges(q);
      if (q.inFlight === 0) this.queues.delete(q.ep);
      return;
    }
    const expired = q.waiting.filter((r) => now - r.enqueuedAt > r.ttlMs);
    if (expired.length > 0) {
      q.waiting = q.waiting.filter((r) => !expired.includes(r));
      for (const r of expired) {
        q.expired += 1;
        this.fail(q, r, this.anyVariant(q), 'ExpiredRequests', `The request expired in the queue: it was older than its RequestTTLSeconds.`);
      }
    }
    if (this.o.sagemaker.findServingEndpoint(q.ep.name) === q.ep) {
      const { slots } = this.capacity(q.ep);
      while (q.waiting.length > 0 && q.inFlight < slots) {
        let routed: { fleet: { configName: string }; variant: VariantState };
        try {
          routed = this.o.sagemaker.endpoints.route(q.ep);
        } catch {
          break; // no variant takes traffic now: try again on the next tick
        }
        const r = q.waiting.shift() as AsyncRequest;
        q.inFlight += 1;
        void this.process(q, r, routed.variant, routed.fleet.configName);
      }
    }
    this.gauges(q);
  }

  private async process(q: Queue, r: AsyncRequest, variant: VariantState, configName: string): Promise<void> {
    const started = Date.now();
    this.metric(q, variant, 'TimeInBacklog', (started - r.enqueuedAt) * this.o.timeScale);
    try {
      const input = parseS3Uri(r.inputLocation);
      const obj = input ? this.o.s3.getObject(input.bucket, input.key) : undefined;
      if (!obj) {
        this.fail(q, r, variant, 'RequestDownloadFailures', `Failed to download the request payload from ${r.inputLocation}: The specified key does not exist.`);
        return;
      }
      const effect = this.o.faults.variantEffect(q.ep.name, { variantName: variant.VariantName, modelName: variant.modelName ?? '', modelPackageVersion: variant.modelPackageVersion });
      await this.wait(this.o.processingMs + (effect?.sleepMs ?? 0));
      if (this.deleted(q.ep)) {
        this.fail(q, r, variant, undefined, `Endpoint ${q.ep.name} was deleted while the request was processed.`);
        return;
      }
      const workedSeconds = (this.o.processingMs / 1000) * this.o.timeScale + (effect?.latencyMs ?? 0) / 1000;
      if (workedSeconds > r.timeoutSeconds) {
        this.fail(q, r, variant, undefined, `The model did not answer within InvocationTimeoutSeconds (${r.timeoutSeconds} s).`);
        return;
      }
      const status = effect?.statusCode ?? 200;
      // The "Common Endpoint Metrics" async endpoints publish too (async-inference-monitor): ModelLatency, Invocation4XX/5XXErrors, never Invocations.
      const latencyUs = effect?.latencyMs !== undefined ? Math.round(effect.latencyMs * 1000) : BASELINE_LATENCY_US;
      const publishSeconds = this.o.sagemaker.configs.invocationPublishSeconds(configName);
      this.o.metrics.record({ endpointName: q.ep.name, variantName: variant.VariantName, at: Date.now(), status, latencyUs, configName, publishSeconds, asynchronous: true });
      if (status >= 400) {
        const kind = status >= 500 ? 'server' : 'client';
        this.fail(q, r, variant, undefined, `Received ${kind} error (${status}) from ${variant.VariantName} with message "${effect?.message ?? ''}".`, status);
        return;
      }
      const dest = parseS3Uri(r.outputLocation);
      if (!dest || !this.tryPut(dest.bucket, dest.key, modelAnswer(variant, obj.body))) {
        this.fail(q, r, variant, 'ResponseUploadFailures', `Failed to upload the response to ${r.outputLocation}: The specified bucket does not exist.`);
        return;
      }
      q.processed += 1;
      this.metric(q, variant, 'InvocationsProcessed', 1);
      this.metric(q, variant, 'TotalProcessingTime', (Date.now() - r.enqueuedAt) * this.o.timeScale);
    } finally {
      q.inFlight -= 1;
      this.pump(q);
      if (q.inFlight === 0 && q.waiting.length === 0 && this.deleted(q.ep)) this.queues.delete(q.ep);
    }
  }

  private fail(q: Queue, r: AsyncRequest, variant: VariantState | undefined, metric: AsyncMetric | undefined, message: string, originalStatusCode?: number): void {
    if (metric !== 'ExpiredRequests') {
      q.failed += 1;
      this.metric(q, variant, 'InvocationFailures', 1);
    }
    if (metric) this.metric(q, variant, metric, 1);
    const dest = r.failureLocation ? parseS3Uri(r.failureLocation) : undefined;
    if (!dest) return;
    const doc = { InferenceId: r.inferenceId, EndpointName: q.ep.name, VariantName: variant?.VariantName, OriginalStatusCode: originalStatusCode, message };
    if (!this.tryPut(dest.bucket, dest.key, Buffer.from(JSON.stringify(doc)))) this.metric(q, variant, 'ResponseUploadFailures', 1);
  }

  private tryPut(bucket: string, key: string, body: Buffer): boolean {
    if (!this.o.s3.hasBucket(bucket)) return false;
    this.o.s3.putObject(bucket, key, body, 'application/json');
    return true;
  }

  /** The variant a request that never reached one is counted on (async endpoints usually have one). */
  private anyVariant(q: Queue): VariantState | undefined {
    return q.ep.fleet?.variants[0];
  }

  private metric(q: Queue, variant: VariantState | undefined, metric: AsyncMetric, value: number): void {
    if (!variant) return;
    this.o.metrics.recordAsync({ endpointName: q.ep.name, variantName: variant.VariantName, metric, at: Date.now(), value });
  }

  /** Records the queue gauges when they change. */
  private gauges(q: Queue): void {
    const backlog = q.waiting.length + q.inFlight;
    const { instances } = this.capacity(q.ep);
    const oldest = q.waiting[0]?.enqueuedAt;
    const values: Array<[AsyncMetric, number]> = [
      ['ApproximateBacklogSize', backlog],
      ['ApproximateBacklogSizePerInstance', instances > 0 ? backlog / instances : backlog],
      ['HasBacklogWithoutCapacity', backlog > 0 && instances === 0 ? 1 : 0],
    ];
    const key = JSON.stringify(values);
    if (key === q.lastGauges) return;
    q.lastGauges = key;
    const at = Date.now();
    values.push(['ApproximateAgeOfOldestRequest', oldest === undefined ? 0 : ((at - oldest) / 1000) * this.o.timeScale]);
    for (const [metric, value] of values) this.o.metrics.recordAsync({ endpointName: q.ep.name, metric, at, value });
  }

  private wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (ms <= 0) resolve();
      else this.o.timers.after(ms, resolve);
    });
  }
}
