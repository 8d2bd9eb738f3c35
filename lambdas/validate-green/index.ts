import { InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import { performance } from 'node:perf_hooks';
import { sagemakerRuntime } from '../shared/clients/runtime';
import type { PromotionState, SampleResult, ValidationResult } from '../shared/contracts';
import { judgeSample } from '../shared/decisions';
import { switchesConfig } from '../shared/kinds';
import { GreenValidationFailed, isRetryable, OutsideChange } from '../shared/errors';
import { stateKeys, step } from '../shared/handler';
import { throwIfAbortRequested } from '../shared/abort';
import { dynamo } from '../shared/clients/dynamo';
import { validationEvidence, type CheckedSample } from '../shared/evidence';
import { updateOwnLock } from '../shared/locks';
import { settings } from '../shared/settings';
import { interruptionReason, outsideChange } from '../shared/outside';
import { describeEndpointIfExists } from '../shared/sagemaker';
import type { ValidationSample } from '../shared/input';
import { logger } from '../shared/powertools';
import { bodyAt, validateAsync } from './async';
import { parseS3Uri } from '../shared/async-validation';

/** Green's answer time: the SDK's back-off between retried attempts (throttling) is not the model's latency. */
function latency(started: number, metadata: { totalRetryDelay?: number } | undefined): number {
  return Math.max(0, Math.round(performance.now() - started - (metadata?.totalRetryDelay ?? 0)));
}

async function bodyOf(sample: ValidationSample): Promise<string> {
  if (sample.body !== undefined) return sample.body;
  const uri = parseS3Uri(sample.s3Uri ?? '');
  if (!uri) throw new GreenValidationFailed(`sample s3Uri ${sample.s3Uri} is not an s3:// URI`);
  return bodyAt(uri);
}

/** ValidateGreen passes the state itself; RevalidateGreen asks for the fleet that serves now. */
export type ValidateGreenEvent = PromotionState | { target: 'serving'; state: PromotionState };

/**
 * Where the samples go. Before any user traffic: variant → green's zero-weight variant of the
 * endpoint (TargetVariant); guardrails and replace → the short-lived validation endpoint. `serving`: the
 * endpoint itself, green's variant, once green's fleet is the one that serves (after finalize,
 * or after SageMaker's deployment): the fleet users get is checked, not only one like it.
 */
function targetOf(event: ValidateGreenEvent): { state: PromotionState; endpointName: string; where: string; componentName?: string } | undefined {
  // component: InvokeEndpoint reaches a component by its name: the validation component before any user traffic, then the promoted one.
  const state = 'target' in event ? event.state : event;
  const component = state.promotion.strategy === 'component' ? state.promotion.inferenceComponentName : undefined;
  if (component && 'target' in event) return { state, endpointName: state.promotion.endpointName, where: `inference component ${component}`, componentName: component };
  if (component) {
    const name = state.green?.validationComponentName;
    return name ? { state, endpointName: state.promotion.endpointName, where: `validation component ${name}`, componentName: name } : undefined;
  }
  if ('target' in event) return { state: event.state, endpointName: event.state.promotion.endpointName, where: 'the serving fleet' };
  const green = event.green!;
  if (switchesConfig(event.promotion.strategy) && event.blue?.exists) {
    return green.validationEndpointName ? { state: event, endpointName: green.validationEndpointName, where: `validation endpoint ${green.validationEndpointName}` } : undefined;
  }
  return { state: event, endpointName: event.promotion.endpointName, where: `variant ${green.variantName}` };
}

/**
 * Real requests to green only, before green gets any user traffic (and again on the fleet
 * that serves, before blue's resources go). Payloads and responses are logged at DEBUG only:
 * they may hold customer data.
 */
export const handler = step('validate-green', (e: ValidateGreenEvent) => stateKeys('target' in e ? e.state : e), async (event: ValidateGreenEvent): Promise<ValidationResult> => {
  const target = targetOf(event);
  const state = 'target' in event ? event.state : event;
  const lock = await throwIfAbortRequested(state);
  const p = state.promotion;
  const green = state.green!;
  const { samples, contentType, accept, maxLatencyMs } = p.validation;
  if (samples.length === 0) {
    logger.warn('no validation samples configured: green goes live on InService alone; configure validation.samples');
    return { passed: true, samples: [] };
  }
  if (!target) {
    logger.warn('validation.mode is off: green gets user traffic without a check before it; its serving fleet is checked afterwards');
    return { passed: true, samples: [] };
  }
  // An asynchronous endpoint answers in S3 (./async.ts: its own deadline, no latency ceiling); the others right away, below.
  const asynchronous = p.kind === 'asynchronous';
  const checked: CheckedSample[] = asynchronous
    ? await validateAsync(p, { endpointName: target.endpointName, configName: 'target' in event ? green.greenConfigName : green.validationConfigName!, serving: 'target' in event }, lock.asyncLeftovers)
    : [];
  for (const [index, sample] of (asynchronous ? [] : samples).entries()) {
    const name = sample.name ?? `sample-${index + 1}`;
    const body = await bodyOf(sample);
    const started = performance.now();
    let response: CheckedSample['response'];
    try {
      const out = await sagemakerRuntime.send(
        new InvokeEndpointCommand({
          EndpointName: target.endpointName,
          ...(target.componentName ? { InferenceComponentName: target.componentName } : { TargetVariant: green.variantName }),
          ContentType: sample.contentType ?? contentType,
          Accept: accept,
          Body: new TextEncoder().encode(body),
        }),
      );
      response = { status: 200, latencyMs: latency(started, out.$metadata), body: new TextDecoder().decode(out.Body) };
    } catch (error) {
      if (isRetryable(error)) throw error;
      // A ModelError (green's container answered 4xx/5xx) says what the container said and where it logged (InvokeEndpoint API reference).
      const e = error as Error & { OriginalStatusCode?: number; OriginalMessage?: string; LogStreamArn?: string; $metadata?: { httpStatusCode?: number; totalRetryDelay?: number } };
      response = {
        status: e.OriginalStatusCode ?? e.$metadata?.httpStatusCode ?? 0,
        latencyMs: latency(started, e.$metadata),
        body: '',
        error: `${e.name}: ${e.message}`,
        originalMessage: e.OriginalMessage,
        logStreamArn: e.LogStreamArn,
      };
    }
    logger.debug('validation exchange', { sample: name, request: body, response: response.body });
    const problem = judgeSample(sample, response, maxLatencyMs);
    checked.push({ expected: sample, response, result: { name, ok: problem === undefined, latencyMs: response.latencyMs, status: response.status, problem } });
  }
  const results: SampleResult[] = checked.map((c) => c.result);
  const failed = results.filter((r) => !r.ok);
  if (failed.length > 0) {
    // Green may fail only because someone else changed the promotion's endpoint (its variant gone, another
    // config): that is an interruption, not green's fault, and the rollback must not act on the endpoint.
    // (An instance count is never why a sample fails: that judgement, which needs Application Auto Scaling, is left to the waits.)
    const found = target.endpointName === p.endpointName ? outsideChange(await describeEndpointIfExists(p.endpointName), state) : undefined;
    if (found && found.kind !== 'instances') throw new OutsideChange(interruptionReason(found.change, 'validate-green', new Date().toISOString()));
    // The samples travel structured on the lock (a Lambda error carries only its name and message): record-outcome puts them in the rollback's event.
    const evidence = validationEvidence(target.where, checked, maxLatencyMs, new Date().toISOString());
    await updateOwnLock(dynamo, settings().tableName, p, 'SET validationEvidence = :evidence', { ':evidence': evidence });
    throw new GreenValidationFailed(
      `green (${target.where}) failed ${failed.length} of ${results.length} validation requests: ${failed.map((f) => `${f.name}: ${f.problem}`).join('; ')}`,
    );
  }
  return { passed: true, samples: results, at: new Date().toISOString() };
});
