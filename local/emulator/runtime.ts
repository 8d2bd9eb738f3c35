/**
 * Amazon SageMaker Runtime InvokeEndpoint (REST: POST /endpoints/{EndpointName}/invocations).
 * https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_runtime_InvokeEndpoint.html
 *
 * - Unknown (or not serving) endpoint: `ValidationError` "Endpoint X of account Y not found."
 *   (the runtime's error shape is ValidationError, not ValidationException).
 * - A container error is `ModelError` (HTTP 424) with OriginalStatusCode/OriginalMessage/LogStreamArn.
 * - Untargeted traffic is split by CurrentWeight with smooth weighted round-robin
 *   (deterministic; a weight-0 variant gets none); `X-Amzn-SageMaker-Target-Variant` picks one.
 */
import { ServiceError } from './errors';
import type { Faults } from './faults';
import type { MetricsStore } from './metrics';
import type { EndpointRec, SageMakerService, VariantState } from './sagemaker';

export interface InvokeRequest {
  EndpointName: string;
  Body: Buffer;
  ContentType?: string;
  Accept?: string;
  TargetVariant?: string;
  CustomAttributes?: string;
  InferenceId?: string;
}
export interface InvokeResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** Model latency recorded for a healthy invocation (microseconds). */
export const BASELINE_LATENCY_US = 2000;

export interface RuntimeOptions {
  accountId: string;
  region: string;
  faults: Faults;
  sagemaker: SageMakerService;
  metrics: MetricsStore;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class RuntimeService {
  constructor(private readonly o: RuntimeOptions) {}

  async invoke(req: InvokeRequest): Promise<InvokeResponse> {
    const ep = this.o.sagemaker.findServingEndpoint(req.EndpointName);
    if (!ep) {
      throw new ServiceError('ValidationError', `Endpoint ${req.EndpointName} of account ${this.o.accountId} not found.`);
    }
    const variant = req.TargetVariant !== undefined ? this.target(ep, req.TargetVariant) : this.pick(ep);
    const model = { variantName: variant.VariantName, modelName: variant.modelName, modelPackageVersion: variant.modelPackageVersion };
    const effect = this.o.faults.variantEffect(ep.name, model);
    if (effect && effect.sleepMs > 0) await sleep(effect.sleepMs);
    const status = effect?.statusCode ?? 200;
    const latencyUs = effect?.latencyMs !== undefined ? Math.round(effect.latencyMs * 1000) : BASELINE_LATENCY_US;
    this.o.metrics.record({ endpointName: ep.name, variantName: variant.VariantName, at: Date.now(), status, latencyUs });
    if (status >= 400) {
      const kind = status >= 500 ? 'server' : 'client';
      const logGroup = `/aws/sagemaker/Endpoints/${ep.name}`;
      throw new ServiceError(
        'ModelError',
        `Received ${kind} error (${status}) from ${variant.VariantName} with message "${effect?.message ?? ''}". ` +
          `See https://${this.o.region}.console.aws.amazon.com/cloudwatch/home?region=${this.o.region}#logEventViewer:group=${logGroup} in account ${this.o.accountId} for more information.`,
        424,
        {
          OriginalStatusCode: status,
          OriginalMessage: effect?.message ?? '',
          LogStreamArn: `arn:aws:logs:${this.o.region}:${this.o.accountId}:log-group:${logGroup}`,
          ErrorCode: status >= 500 ? 'INTERNAL_FAILURE_FROM_MODEL' : 'CLIENT_ERROR_FROM_MODEL',
        },
      );
    }
    const text = req.Body.toString('utf8');
    let echo: unknown = text;
    try {
      echo = JSON.parse(text);
    } catch {
      // not JSON: echoed as a string
    }
    const body = {
      model: variant.modelName,
      modelPackageVersion: variant.modelPackageVersion ?? null,
      variant: variant.VariantName,
      input: echo,
    };
    return {
      status: 200,
      headers: { 'content-type': 'application/json', 'x-amzn-invoked-production-variant': variant.VariantName },
      body: Buffer.from(JSON.stringify(body)),
    };
  }

  private target(ep: EndpointRec, name: string): VariantState {
    const v = ep.variants.find((x) => x.VariantName === name);
    if (!v) {
      throw new ServiceError('ValidationError', `The variant ${name} is not present in endpoint ${ep.name} of account ${this.o.accountId}.`);
    }
    return v;
  }

  /** Smooth weighted round-robin over CurrentWeight (nginx's algorithm): deterministic and proportional. */
  private pick(ep: EndpointRec): VariantState {
    const live = ep.variants.filter((v) => v.CurrentWeight > 0);
    if (live.length === 0) {
      throw new ServiceError('ValidationError', `Endpoint ${ep.name} of account ${this.o.accountId} has no production variant with a positive weight.`);
    }
    const total = live.reduce((a, v) => a + v.CurrentWeight, 0);
    let best: VariantState | undefined;
    let bestScore = -Infinity;
    for (const v of live) {
      const score = (ep.rr.get(v.VariantName) ?? 0) + v.CurrentWeight;
      ep.rr.set(v.VariantName, score);
      if (score > bestScore) {
        best = v;
        bestScore = score;
      }
    }
    const chosen = best as VariantState;
    ep.rr.set(chosen.VariantName, bestScore - total);
    return chosen;
  }
}
