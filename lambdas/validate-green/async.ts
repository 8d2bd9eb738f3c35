import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, waitUntilObjectExists } from '@aws-sdk/client-s3';
import { DescribeEndpointConfigCommand } from '@aws-sdk/client-sagemaker';
import { InvokeEndpointAsyncCommand } from '@aws-sdk/client-sagemaker-runtime';
import { performance } from 'node:perf_hooks';
import { dynamo } from '../shared/clients/dynamo';
import { s3 } from '../shared/clients/s3';
import { sagemaker } from '../shared/clients/sagemaker';
import { sagemakerRuntime } from '../shared/clients/runtime';
import type { Promotion } from '../shared/contracts';
import {
  asyncResponse,
  inputLocation,
  judgeAsyncSample,
  mergeAsyncLeftovers,
  outputPathProblem,
  ownObjectsAfter,
  parseS3Uri,
  servingOutputExtension,
  validationInferenceId,
  type AsyncLeftover,
  type AsyncOutcome,
  type AsyncRequestObjects,
} from '../shared/async-validation';
import type { ValidationSample } from '../shared/input';
import { GreenValidationFailed, isRetryable } from '../shared/errors';
import type { CheckedSample } from '../shared/evidence';
import { updateOwnLock } from '../shared/locks';
import { logger } from '../shared/powertools';
import { settings } from '../shared/settings';

/** How often S3 is asked for an answer: 0.2 s at first, backing off to 5 s (the SDK waiter's exponential back-off). */
const POLL = { minDelay: 0.2, maxDelay: 5 } as const;
/** InvokeEndpointAsync's RequestTTLSeconds is 60–21600: a request nobody waits for any more expires from the queue. */
const MIN_REQUEST_TTL_SECONDS = 60;

export interface AsyncTarget {
  endpointName: string;
  /** The endpoint config whose AsyncInferenceConfig says where the answers go. */
  configName: string;
  /** The serving endpoint (customers' requests share its output location): the workflow's go under an extension of it. */
  serving: boolean;
}

/** A sample's request: its objects (what ownObjectsAfter deletes or records) and how it was sent. */
interface Sent extends AsyncRequestObjects {
  index: number;
  sample: ValidationSample;
  started: number;
  /** InvokeEndpointAsync refused the request (not retryable): the sample failed with this. */
  refused?: CheckedSample['response'];
}

/**
 * validate-green on an asynchronous endpoint: every sample is queued with InvokeEndpointAsync (an
 * inline body uploaded first, beside the outputs), then each one's output or failure object is
 * waited for, all at once, within validation.asyncOutputSeconds of its sending, and judged like a
 * synchronous answer (lambdas/shared/async-validation.ts). The workflow's objects are deleted once read;
 * what it cannot delete, and the locations of answers that had not appeared by the deadline, go on
 * the lock (`asyncLeftovers`, after `earlier`'s that this run could delete now are dropped) for
 * record-outcome to name on the history row, also when the step throws.
 */
export async function validateAsync(p: Promotion, target: AsyncTarget, earlier: AsyncLeftover[] = []): Promise<CheckedSample[]> {
  // validate-input fills it for every asynchronous promotion (its default, DEFAULT_ASYNC_OUTPUT_SECONDS, lives with the input schema, which this bundle leaves out).
  const seconds = p.validation.asyncOutputSeconds;
  if (seconds === undefined) throw new Error(`promotion ${p.id} of asynchronous endpoint ${p.endpointName} has no validation.asyncOutputSeconds (validate-input sets it)`);
  const stillLeft = await deleteEarlierLeftovers(earlier);
  const sent: Sent[] = [];
  try {
    const config = await sagemaker.send(new DescribeEndpointConfigCommand({ EndpointConfigName: target.configName }));
    const problem = outputPathProblem(config);
    if (problem) throw new GreenValidationFailed(`green (${target.endpointName}) cannot be validated asynchronously: ${problem}`);
    const outputPath = config.AsyncInferenceConfig!.OutputConfig!.S3OutputPath!;
    const extension = target.serving ? servingOutputExtension(p.id) : undefined;
    for (const [index, sample] of p.validation.samples.entries()) {
      sent.push(await send(p, target, { index, sample, outputPath, extension, seconds }));
    }
    // Every wait ends before the objects go (a failed read must not delete another sample's answer before it lands).
    const settled = await Promise.allSettled(sent.map((s) => outcomeOf(s, seconds)));
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    return settled.map((r) => (r as PromiseFulfilledResult<CheckedSample>).value);
  } finally {
    // Also when a read failed (e.g. GetObject refused): the workflow's objects never stay in the customer's bucket by its own error, or unrecorded.
    const left = (await Promise.all(sent.map((s) => removeOwnObjects(s, seconds)))).flat();
    await recordLeftovers(p, earlier, mergeAsyncLeftovers(stillLeft, left));
  }
}

async function send(
  p: Promotion,
  target: AsyncTarget,
  a: { index: number; sample: ValidationSample; outputPath: string; extension: string | undefined; seconds: number },
): Promise<Sent> {
  const { sample, index } = a;
  const contentType = sample.contentType ?? p.validation.contentType;
  let location = sample.s3Uri;
  let uploaded: string | undefined;
  if (location === undefined) {
    uploaded = location = inputLocation(a.outputPath, a.extension, p.id, index);
    const where = parseS3Uri(location)!;
    await s3.send(new PutObjectCommand({ Bucket: where.bucket, Key: where.key, Body: sample.body ?? '', ContentType: contentType }));
  }
  const started = performance.now();
  try {
    const out = await sagemakerRuntime.send(
      new InvokeEndpointAsyncCommand({
        EndpointName: target.endpointName,
        ContentType: contentType,
        Accept: p.validation.accept,
        InputLocation: location,
        S3OutputPathExtension: a.extension,
        InferenceId: validationInferenceId(p.id, index),
        RequestTTLSeconds: Math.max(MIN_REQUEST_TTL_SECONDS, a.seconds),
      }),
    );
    return { index, sample, started, uploaded, outputLocation: out.OutputLocation, failureLocation: out.FailureLocation, waited: false };
  } catch (error) {
    if (isRetryable(error)) throw error;
    const e = error as Error & { $metadata?: { httpStatusCode?: number } };
    return { index, sample, started, uploaded, waited: false, refused: { status: e.$metadata?.httpStatusCode ?? 0, latencyMs: 0, body: '', error: `${e.name}: ${e.message}` } };
  }
}

async function outcomeOf(s: Sent, seconds: number): Promise<CheckedSample> {
  const name = s.sample.name ?? `sample-${s.index + 1}`;
  if (s.refused || !s.outputLocation) {
    const response = s.refused ?? { status: 0, latencyMs: 0, body: '', error: 'InvokeEndpointAsync answered no OutputLocation' };
    return { expected: s.sample, response, result: { name, ok: false, latencyMs: 0, status: response.status, problem: `status ${response.status} (${response.error})` } };
  }
  const left = Math.max(1, seconds - (performance.now() - s.started) / 1000);
  const found = await firstObject([s.outputLocation, ...(s.failureLocation ? [s.failureLocation] : [])], left);
  s.answer = found;
  s.waited = true;
  const afterMs = Math.round(performance.now() - s.started);
  const outcome: AsyncOutcome =
    found === undefined
      ? { kind: 'deadline', outputLocation: s.outputLocation, failureLocation: s.failureLocation, seconds, afterMs }
      : { kind: found === s.outputLocation ? 'output' : 'failure', location: found, body: await bodyAt(parseS3Uri(found)!), afterMs };
  const response = asyncResponse(outcome);
  logger.debug('async validation exchange', { sample: name, outcome: outcome.kind, response: response.body });
  const problem = judgeAsyncSample(s.sample, outcome);
  return { expected: s.sample, response, result: { name, ok: problem === undefined, latencyMs: response.latencyMs, status: response.status, problem } };
}

/** The first of these S3 objects to exist within `seconds` (the SDK's ObjectExists waiters, the loser aborted), or undefined. */
async function firstObject(locations: string[], seconds: number): Promise<string | undefined> {
  const abort = new AbortController();
  try {
    return await Promise.any(
      locations.map(async (uri) => {
        const { bucket, key } = parseS3Uri(uri)!;
        await waitUntilObjectExists({ client: s3, maxWaitTime: seconds, ...POLL, abortSignal: abort.signal }, { Bucket: bucket, Key: key });
        return uri;
      }),
    );
  } catch (error) {
    // Every waiter timed out (or was aborted): nothing appeared by the deadline.
    if (error instanceof AggregateError) return undefined;
    throw error;
  } finally {
    abort.abort();
  }
}

/** An S3 object's body as text (an answer, a failure, or an `s3Uri` sample). */
export async function bodyAt(where: { bucket: string; key: string }): Promise<string> {
  const object = await s3.send(new GetObjectCommand({ Bucket: where.bucket, Key: where.key }));
  return (await object.Body?.transformToString()) ?? '';
}

/** Deletes an object; the failure, as a leftover (never fatal: the validation's verdict stands). */
async function deleteObject(uri: string): Promise<AsyncLeftover | undefined> {
  const where = parseS3Uri(uri);
  if (!where) return undefined;
  try {
    await s3.send(new DeleteObjectCommand({ Bucket: where.bucket, Key: where.key }));
    return undefined;
  } catch (error) {
    const e = error as Error;
    logger.warn('could not delete an async validation object', { uri, error: e.name });
    return { kind: 'undeleted', uri, error: `${e.name}: ${e.message}` };
  }
}

/** The workflow's own objects (an uploaded input, the answer) go once read (ownObjectsAfter); returns what stays or may still come. */
async function removeOwnObjects(s: Sent, seconds: number): Promise<AsyncLeftover[]> {
  const { remove, pending } = ownObjectsAfter(s, seconds);
  const undeleted: AsyncLeftover[] = [];
  for (const uri of remove) {
    const failed = await deleteObject(uri);
    if (failed) undeleted.push(failed);
  }
  return [...undeleted, ...(pending ? [pending] : [])];
}

/** Whether the object exists; undefined when S3 would not say (the answer may still come). */
async function exists(uri: string): Promise<boolean | undefined> {
  const where = parseS3Uri(uri);
  if (!where) return false;
  try {
    await s3.send(new HeadObjectCommand({ Bucket: where.bucket, Key: where.key }));
    return true;
  } catch (error) {
    return (error as Error).name === 'NotFound' ? false : undefined;
  }
}

/**
 * A later validation of the promotion (the serving fleet's, or a retry) deletes what an earlier one
 * left: an object it could not delete, an answer that has landed since (the other location of its
 * request will then stay empty). What still cannot go stays recorded.
 */
async function deleteEarlierLeftovers(earlier: AsyncLeftover[]): Promise<AsyncLeftover[]> {
  const left: AsyncLeftover[] = [];
  for (const l of earlier) {
    if (l.kind === 'undeleted') {
      const failed = await deleteObject(l.uri);
      if (failed) left.push(failed);
      continue;
    }
    const found = await Promise.all(l.uris.map(exists));
    const landed = l.uris.find((_, i) => found[i] === true);
    if (landed === undefined) {
      left.push(l);
      continue;
    }
    const failed = await deleteObject(landed);
    if (failed) left.push(failed);
  }
  return left;
}

/** The leftovers on the lock, for record-outcome (written only when they changed). */
async function recordLeftovers(p: Promotion, earlier: AsyncLeftover[], now: AsyncLeftover[]): Promise<void> {
  if (JSON.stringify(earlier) === JSON.stringify(now)) return;
  if (now.length > 0) logger.warn('async validation objects left in S3, recorded for the history row', { leftovers: now });
  await updateOwnLock(dynamo, settings().tableName, p, now.length > 0 ? 'SET asyncLeftovers = :left' : 'REMOVE asyncLeftovers', now.length > 0 ? { ':left': now } : {});
}
