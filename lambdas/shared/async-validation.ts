/**
 * Validating green on an asynchronous endpoint (AsyncInferenceConfig). Pure: where the workflow's
 * own requests and answers live in S3, and how an answer (an output object, a failure object, or
 * nothing by the deadline) is judged. lambdas/validate-green/async.ts sends and waits.
 *
 * InvokeEndpointAsync (API_runtime_InvokeEndpointAsync) queues a request whose payload is in S3
 * (InputLocation) and answers with the OutputLocation (and FailureLocation) where the result will
 * appear; it has no TargetVariant, so green is validated on the short-lived validation endpoint
 * before any user request, and on the endpoint itself once green's fleet serves.
 *
 * Nothing of the workflow lands among the customer's outputs:
 * - the validation endpoint's config writes under `<blue's S3OutputPath>/bluegreen-validation/<validation
 *   config>` (and its failures under blue's S3FailurePath the same way), a prefix of blue's own
 *   location, so blue's model execution role, which writes blue's outputs, may write there too; and
 *   it publishes no SNS notification (blue's NotificationConfig would tell the customer's subscribers
 *   about the workflow's samples);
 * - on the serving endpoint, requests carry S3OutputPathExtension `bluegreen-validation/<promotion id>`;
 * - an inline sample body is uploaded beside the outputs, under `.../inputs/` (an s3Uri sample is sent
 *   as it is).
 */
import type { AsyncInferenceConfig } from '@aws-sdk/client-sagemaker';
import { judgeSample, type SampleResponse } from './decisions';
import { shortHash } from './naming';

/** The key segment every object the workflow writes for an async validation is under. */
export const ASYNC_VALIDATION_PREFIX = 'bluegreen-validation';

/** The bucket an s3:// URI names (undefined when it is not one). */
export function s3BucketOf(uri: string): string | undefined {
  return /^s3:\/\/([^/]+)/.exec(uri)?.[1];
}

export function parseS3Uri(uri: string): { bucket: string; key: string } | undefined {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  return match ? { bucket: match[1]!, key: match[2]! } : undefined;
}

/** An S3 URI with path segments appended (one slash between each). */
export function s3Join(base: string, ...segments: string[]): string {
  return [base.replace(/\/+$/, ''), ...segments.map((s) => s.replace(/^\/+|\/+$/g, ''))].filter((s) => s.length > 0).join('/');
}

/** The validation endpoint's AsyncInferenceConfig: blue's, with its own output and failure prefixes and no notifications. */
export function validationAsyncConfig(blue: AsyncInferenceConfig | undefined, validationConfigName: string): AsyncInferenceConfig | undefined {
  if (!blue) return undefined;
  const out = blue.OutputConfig;
  if (!out?.S3OutputPath) return { ...blue, OutputConfig: out && { ...out, NotificationConfig: undefined } };
  const own = (path: string) => s3Join(path, ASYNC_VALIDATION_PREFIX, validationConfigName);
  return {
    ...blue,
    OutputConfig: {
      ...out,
      S3OutputPath: own(out.S3OutputPath),
      S3FailurePath: out.S3FailurePath ? own(out.S3FailurePath) : s3Join(own(out.S3OutputPath), 'failures'),
      NotificationConfig: undefined,
    },
  };
}

/**
 * InferenceId of the workflow's request for sample `index`: deterministic per promotion (a retried
 * validation overwrites its own objects instead of leaving a second set), and holding the prefix, so
 * a failure object — written to `<S3FailurePath>/<InferenceId>-error.out`, which S3OutputPathExtension
 * is not documented to extend — is still one of the workflow's own keys (IAM: `*bluegreen-validation*`).
 */
export function validationInferenceId(promotionId: string, index: number): string {
  return `${ASYNC_VALIDATION_PREFIX}-${shortHash(promotionId)}-${index + 1}`;
}

/** S3OutputPathExtension of the workflow's requests to the serving endpoint. */
export function servingOutputExtension(promotionId: string): string {
  return `${ASYNC_VALIDATION_PREFIX}/${promotionId}`;
}

/** Where an inline sample body is uploaded: beside the outputs of the endpoint validated. */
export function inputLocation(outputPath: string, extension: string | undefined, promotionId: string, index: number): string {
  return s3Join(outputPath, extension ?? '', 'inputs', `${promotionId}-sample-${index + 1}`);
}

/** Why green's async outputs cannot be looked for, or undefined: the endpoint config must say where they go. */
export function outputPathProblem(config: { EndpointConfigName?: string; AsyncInferenceConfig?: AsyncInferenceConfig }): string | undefined {
  if (!config.AsyncInferenceConfig) return `endpoint config ${config.EndpointConfigName} has no AsyncInferenceConfig, so InvokeEndpointAsync cannot validate it`;
  if (!config.AsyncInferenceConfig.OutputConfig?.S3OutputPath) {
    return `endpoint config ${config.EndpointConfigName} has no AsyncInferenceConfig.OutputConfig.S3OutputPath, so the workflow cannot read green's answers; give blue's config an S3OutputPath`;
  }
  return undefined;
}

/** What became of one async request. */
export type AsyncOutcome =
  | { kind: 'output'; body: string; location: string; afterMs: number }
  | { kind: 'failure'; body: string; location: string; afterMs: number }
  | { kind: 'deadline'; outputLocation: string; failureLocation?: string; seconds: number; afterMs: number };

const EXCERPT = 200;

/** A failure object's message: AWS documents no format for it, so a JSON `message` when there is one, else the text as it is. */
export function failureText(body: string): string {
  try {
    const parsed = JSON.parse(body) as unknown;
    if (parsed && typeof parsed === 'object') {
      const message = (parsed as Record<string, unknown>).message ?? (parsed as Record<string, unknown>).Message;
      if (typeof message === 'string') return message;
    }
  } catch {
    // not JSON: the text itself
  }
  return body;
}

/**
 * The outcome as a synchronous answer, for judgeSample: an output is a 200 with its body (SageMaker
 * writes one only for a request the model answered); a failure object has no documented format, so
 * its status is 0 and its text is the error; nothing by the deadline names the deadline and the fix.
 */
export function asyncResponse(outcome: AsyncOutcome): SampleResponse {
  switch (outcome.kind) {
    case 'output':
      return { status: 200, latencyMs: outcome.afterMs, body: outcome.body };
    case 'failure':
      return { status: 0, latencyMs: outcome.afterMs, body: '', error: `failed: ${failureText(outcome.body).slice(0, EXCERPT)} (${outcome.location})` };
    case 'deadline':
      // The deadline and the fix first: a problem is clipped to MAX_PROBLEM_CHARS, and the locations are long.
      return {
        status: 0,
        latencyMs: outcome.afterMs,
        body: '',
        error:
          `no output within validation.asyncOutputSeconds (${outcome.seconds} s): raise validation.asyncOutputSeconds (at most 600), ` +
          `or look at green's queue (ApproximateBacklogSize) and its container logs; expected at ${outcome.outputLocation}`,
      };
  }
}

/**
 * An async sample's problem, or undefined. The time until the output appeared is recorded but not
 * held against maxLatencyMs: it includes the time the request waited in the queue and the polling of
 * S3, not only the model's; the deadline (asyncOutputSeconds) bounds it, and green's latency alarm
 * watches ModelLatency during the bake.
 */
export function judgeAsyncSample(sample: Parameters<typeof judgeSample>[0], outcome: AsyncOutcome): string | undefined {
  return judgeSample(sample, asyncResponse(outcome), Number.POSITIVE_INFINITY);
}

/**
 * One of the workflow's own objects it could not remove, kept on the promotion's lock
 * (LockItem.asyncLeftovers) until a later validation of the promotion deletes it, or record-outcome
 * names it on the history row: `undeleted`, DeleteObject failed; `pending`, no answer appeared by
 * validation.asyncOutputSeconds, so the request's output or failure object may still land at one of
 * `uris` (SageMaker answers a queued request late, or fails it when the endpoint is deleted).
 */
export type AsyncLeftover =
  | { kind: 'undeleted'; uri: string; error: string }
  /** `seconds`: the deadline that passed; absent when the validation ended (another sample's error) before this answer was awaited. */
  | { kind: 'pending'; uris: string[]; seconds?: number };

/** One request of the workflow's, as far as its answer is known. */
export interface AsyncRequestObjects {
  /** The inline body the workflow uploaded. */
  uploaded?: string;
  /** Where InvokeEndpointAsync said the answer goes (none: SageMaker refused the request). */
  outputLocation?: string;
  failureLocation?: string;
  /** The location the answer appeared at (read or not). */
  answer?: string;
  /** The wait for the answer ended (with it or at the deadline). */
  waited: boolean;
}

/**
 * What the workflow deletes after one request, and what may still come: the uploaded input always;
 * the answer that appeared; when none did by the deadline, nothing is there to delete and both
 * locations are pending; a request whose answer was never awaited (the validation ended first) may
 * have its answer there already or later: both deleted now and pending.
 */
export function ownObjectsAfter(r: AsyncRequestObjects, seconds: number): { remove: string[]; pending?: AsyncLeftover } {
  const uploaded = r.uploaded === undefined ? [] : [r.uploaded];
  if (r.outputLocation === undefined) return { remove: uploaded };
  if (r.answer !== undefined) return { remove: [...uploaded, r.answer] };
  const locations = [r.outputLocation, ...(r.failureLocation === undefined ? [] : [r.failureLocation])];
  if (r.waited) return { remove: uploaded, pending: { kind: 'pending', uris: locations, seconds } };
  return { remove: [...uploaded, ...locations], pending: { kind: 'pending', uris: locations } };
}

const leftoverKey = (l: AsyncLeftover) => (l.kind === 'undeleted' ? `undeleted ${l.uri}` : `pending ${l.uris.join(' ')}`);

/** The lists together, one entry per object or request (a retried validation reuses its keys): the later entry wins. */
export function mergeAsyncLeftovers(...lists: AsyncLeftover[][]): AsyncLeftover[] {
  const byKey = new Map<string, AsyncLeftover>();
  for (const l of lists.flat()) byKey.set(leftoverKey(l), l);
  return [...byKey.values()];
}

/** The history row's leftover for it: the object(s) by S3 URI (`object s3://…`, `objects s3://…, s3://…`) and what to do. */
export function asyncLeftoverRecord(l: AsyncLeftover): { resource: string; reason: string } {
  if (l.kind === 'undeleted') return { resource: `object ${l.uri}`, reason: `the workflow's own validation object could not be deleted (${l.error}): delete it` };
  const why = l.seconds === undefined ? 'the validation ended before its answer was awaited' : `no answer within validation.asyncOutputSeconds (${l.seconds} s)`;
  return { resource: `${l.uris.length > 1 ? 'objects' : 'object'} ${l.uris.join(', ')}`, reason: `${why}: an answer (output or failure object) may still arrive here; delete it once it does` };
}

/** The history row's leftovers with the async validation's, each resource once. */
export function withAsyncLeftovers<T extends { resource: string; reason: string }>(leftovers: T[] | undefined, async: AsyncLeftover[] | undefined): Array<T | { resource: string; reason: string }> | undefined {
  if (!async || async.length === 0) return leftovers;
  const named = new Set((leftovers ?? []).map((l) => l.resource));
  return [...(leftovers ?? []), ...async.map(asyncLeftoverRecord).filter((l) => !named.has(l.resource))];
}
