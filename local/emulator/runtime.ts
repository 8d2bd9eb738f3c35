/**
 * Amazon SageMaker Runtime InvokeEndpoint (REST: POST /endpoints/{EndpointName}/invocations).
 * https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_runtime_InvokeEndpoint.html
 *
 * - Unknown (or not serving) endpoint: `ValidationError` "Endpoint X of account Y not found."
 *   (the runtime's error shape is ValidationError, not ValidationException).
 * - A container error is `ModelError` (HTTP 424) with OriginalStatusCode/OriginalMessage/LogStreamArn.
 * - Untargeted traffic is split across serving fleets by traffic share (during a guardrails
 *   canary or linear step), then by CurrentWeight (smooth weighted round-robin: deterministic;
 *   a weight-0 variant gets none); `X-Amzn-SageMaker-Target-Variant` picks one (endpoints.route).
 * - Serverless: the first invocation after a (re)deployment waits for a container, recorded as
 *   ModelSetupTime ("you can experience cold starts ... because SageMaker AI must re-initialize
 *   your container and model", https://docs.aws.amazon.com/sagemaker/latest/dg/serverless-endpoints-update.html).
 */
import { ServiceError } from './errors';
import type { Faults } from './faults';
import type { MetricsStore } from './metrics';
import type { SageMakerService, VariantState } from './sagemaker';

export interface InvokeRequest {
  EndpointName: string;
  Body: Buffer;
  ContentType?: string;
  Accept?: string;
  TargetVariant?: string;
  CustomAttributes?: string;
  InferenceId?: string;
  /** X-Amzn-SageMaker-Inference-Component: routes to that inference component (inference-components.ts). */
  InferenceComponentName?: string;
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
  /** Real ms, and simulated seconds, a serverless cold start takes. */
  serverlessColdStartMs: number;
  serverlessColdStartSeconds: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class RuntimeService {
  constructor(private readonly o: RuntimeOptions) {}

  async invoke(req: InvokeRequest): Promise<InvokeResponse> {
    const ep = this.o.sagemaker.findServingEndpoint(req.EndpointName);
    if (!ep) {
      throw new ServiceError('ValidationError', `Endpoint ${req.EndpointName} of account ${this.o.accountId} not found.`);
    }
    const { fleet, variant, inferenceComponentName } = this.o.sagemaker.route(ep, req.TargetVariant, req.InferenceComponentName);
    const model = { variantName: variant.VariantName, modelName: variant.modelName ?? '', modelPackageVersion: variant.modelPackageVersion };
    let setupUs: number | undefined;
    if (variant.cold) {
      variant.cold = false;
      setupUs = Math.round(this.o.serverlessColdStartSeconds * 1_000_000);
      await sleep(Math.min(50, this.o.serverlessColdStartMs));
    }
    const effect = this.o.faults.variantEffect(ep.name, model);
    if (effect && effect.sleepMs > 0) await sleep(effect.sleepMs);
    const status = effect?.statusCode ?? 200;
    const latencyUs = effect?.latencyMs !== undefined ? Math.round(effect.latencyMs * 1000) : BASELINE_LATENCY_US;
    const publishSeconds = this.o.sagemaker.configs.invocationPublishSeconds(fleet.configName);
    this.o.metrics.record({ endpointName: ep.name, variantName: variant.VariantName, at: Date.now(), status, latencyUs, configName: fleet.configName, setupUs, inferenceComponentName, publishSeconds });
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
    return {
      status: 200,
      headers: { 'content-type': 'application/json', 'x-amzn-invoked-production-variant': variant.VariantName },
      body: modelAnswer(variant, req.Body),
    };
  }
}

/** What the emulated model answers (InvokeEndpoint, and async inference's output): who served, and the input echoed. */
export function modelAnswer(variant: VariantState, input: Buffer): Buffer {
  const text = input.toString('utf8');
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
  return Buffer.from(JSON.stringify(body));
}
