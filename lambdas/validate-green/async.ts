import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, waitUntilObjectExists } from '@aws-sdk/client-s3';
import { DescribeEndpointConfigCommand } from '@aws-sdk/client-sagemaker';
import { InvokeEndpointAsyncCommand } from '@aws-sdk/client-sagemaker-runtime';
import { performance } from 'node:perf_hooks';
import { s3 } from '../shared/clients/s3';
import { sagemaker } from '../shared/clients/sagemaker';
import { sagemakerRuntime } from '../shared/clients/runtime';
import type { Promotion } from '../shared/contracts';
import { asyncResponse, inputLocation, validationInferenceId, judgeAsyncSample, outputPathProblem, parseS3Uri, servingOutputExtension, type AsyncOutcome } from '../shared/async-validation';
import type { ValidationSample } from '../shared/input';
import { GreenValidationFailed, isRetryable } from '../shared/errors';
import type { CheckedSample } from '../shared/evidence';
import { logger } from '../shared/powertools';

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

interface Sent {
  index: number;
  sample: ValidationSample;
  started: number;
  uploaded?: string;
  outputLocation?: string;
  failureLocation?: string;
  /** InvokeEndpointAsync refused the request (not retryable): the sample failed with this. */
  refused?: CheckedSample['response'];
}

/**
 * validate-green on an asynchronous endpoint: every sample is queued with InvokeEndpointAsync (an
 * inline body uploaded first, beside the outputs), then each one's output or failure object is
 * waited for, all at once, within validation.asyncOutputSeconds of its sending, and judged like a
 * synchronous answer (lambdas/shared/async-validation.ts). The workflow's objects are deleted once read.
 */
export async function validateAsync(p: Promotion, target: AsyncTarget): Promise<CheckedSample[]> {
  const config = await sagemaker.send(new DescribeEndpointConfigCommand({ EndpointConfigName: target.configName }));
  const problem = outputPathProblem(config);
  if (problem) throw new GreenValidationFailed(`green (${target.endpointName}) cannot be validated asynchronously: ${problem}`);
  const outputPath = config.AsyncInferenceConfig!.OutputConfig!.S3OutputPath!;
  const extension = target.serving ? servingOutputExtension(p.id) : undefined;
  // validate-input fills it for every asynchronous promotion (its default, DEFAULT_ASYNC_OUTPUT_SECONDS, lives with the input schema, which this bundle leaves out).
  const seconds = p.validation.asyncOutputSeconds;
  if (seconds === undefined) throw new Error(`promotion ${p.id} of asynchronous endpoint ${p.endpointName} has no validation.asyncOutputSeconds (validate-input sets it)`);
  const sent: Sent[] = [];
  try {
    for (const [index, sample] of p.validation.samples.entries()) {
      sent.push(await send(p, target, { index, sample, outputPath, extension, seconds }));
    }
    return await Promise.all(sent.map((s) => outcomeOf(s, seconds)));
  } finally {
    // Also when a read failed (e.g. GetObject refused): the workflow's objects never stay in the customer's bucket by its own error.
    await Promise.all(sent.map((s) => removeOwnObjects(s)));
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
    return { index, sample, started, uploaded, outputLocation: out.OutputLocation, failureLocation: out.FailureLocation };
  } catch (error) {
    if (isRetryable(error)) throw error;
    const e = error as Error & { $metadata?: { httpStatusCode?: number } };
    return { index, sample, started, uploaded, refused: { status: e.$metadata?.httpStatusCode ?? 0, latencyMs: 0, body: '', error: `${e.name}: ${e.message}` } };
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
  const afterMs = Math.round(performance.now() - s.started);
  const outcome: AsyncOutcome =
    found === undefined
      ? { kind: 'deadline', outputLocation: s.outputLocation, failureLocation: s.failureLocation, seconds, afterMs }
      : { kind: found === s.outputLocation ? 'output' : 'failure', location: found, body: await bodyAt(found), afterMs };
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

async function bodyAt(uri: string): Promise<string> {
  const { bucket, key } = parseS3Uri(uri)!;
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return (await object.Body?.transformToString()) ?? '';
}

/** The workflow's own objects (an uploaded input, the answer) go once read; a failure to delete is logged, never fatal. */
async function removeOwnObjects(s: Sent): Promise<void> {
  for (const uri of [s.uploaded, s.outputLocation, s.failureLocation]) {
    const where = uri === undefined ? undefined : parseS3Uri(uri);
    if (!where) continue;
    try {
      await s3.send(new DeleteObjectCommand({ Bucket: where.bucket, Key: where.key }));
    } catch (error) {
      logger.warn('could not delete an async validation object', { uri, error: (error as Error).name });
    }
  }
}
