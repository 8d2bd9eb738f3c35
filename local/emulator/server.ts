/**
 * HTTP front end: one loopback server speaks the three wire protocols the AWS SDK v3
 * clients use, so they work unchanged through an endpoint override.
 *
 * - SageMaker: awsJson1_1, `POST /`, `X-Amz-Target: SageMaker.<Op>`; errors are
 *   `{"__type": "<Name>", "message": ...}` plus `x-amzn-ErrorType`.
 * - CloudWatch (client 3.11xx): awsJson1_0 with awsQueryCompatible,
 *   `X-Amz-Target: GraniteServiceVersion20100801.<Op>`, bodies may be gzip
 *   (Content-Encoding: gzip); errors carry `__type` and `x-amzn-query-error: <Code>;Sender`,
 *   from which the SDK takes the error code (see @aws-sdk/core AwsJsonRpcProtocol.handleError).
 * - Application Auto Scaling: awsJson1_1, `X-Amz-Target: AnyScaleFrontendService.<Op>`, errors as SageMaker's.
 * - SageMaker Runtime: restJson1, `POST /endpoints/{EndpointName}/invocations`, raw body;
 *   errors via `x-amzn-ErrorType` with a JSON body. InvokeEndpointAsync:
 *   `POST /endpoints/{EndpointName}/async-invocations`, parameters in headers, HTTP 202.
 * - Amazon S3 (restXml, path-style, see s3.ts): every request that is not JSON-RPC
 *   (no X-Amz-Target), not under `/endpoints/` and not under `/_emulator/`.
 * - Emulator control: CONTROL_ROUTES below (the README's list is generated from it).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { gunzipSync, inflateSync } from 'node:zlib';
import type { AutoScalingService } from './autoscaling';
import { cloudWatchCode, cloudWatchErrorInfo, type CloudWatchService } from './cloudwatch';
import { ServiceError } from './errors';
import { FAULT_DOCS, FaultArgumentError, type FaultName, type Faults } from './faults';
import type { AsyncInference, AsyncInvokeRequest } from './async-inference';
import type { RuntimeService } from './runtime';
import { S3Error, s3ErrorResponse, type S3Service } from './s3';
import type { SageMakerService } from './sagemaker';
import { requestId } from './util';
import { hasOperation, validateInput, type ServiceKey } from './validate';

export interface CallLogEntry {
  service: ServiceKey | 's3';
  operation: string;
  input: unknown;
  error?: string;
  at: number;
}

export interface ServerDeps {
  sagemaker: SageMakerService;
  runtime: RuntimeService;
  cloudwatch: CloudWatchService;
  autoscaling: AutoScalingService;
  faults: Faults;
  callLog: CallLogEntry[];
  state: () => unknown;
  /** Without it (a test rig), S3 requests and InvokeEndpointAsync are unknown operations. */
  s3?: S3Service;
  asyncInference?: AsyncInference;
}

const TARGETS: Array<{ prefix: string; service: ServiceKey }> = [
  { prefix: 'SageMaker.', service: 'sagemaker' },
  { prefix: 'GraniteServiceVersion20100801.', service: 'cloudwatch' },
  { prefix: 'AnyScaleFrontendService.', service: 'autoscaling' },
];
const INVOKE_PATH = /^\/endpoints\/([^/]+)\/invocations\/?$/;
const INVOKE_ASYNC_PATH = /^\/endpoints\/([^/]+)\/async-invocations\/?$/;
/** Paths that are never S3 (so no bucket can be named `endpoints` or `_emulator`). */
const NOT_S3 = /^\/(endpoints|_emulator)(\/|$)/;

async function readRaw(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const raw = await readRaw(req);
  const enc = String(req.headers['content-encoding'] ?? '').toLowerCase();
  if (enc.includes('gzip')) return gunzipSync(raw);
  if (enc.includes('deflate')) return inflateSync(raw);
  return raw;
}

const header = (req: IncomingMessage, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

export function createEmulatorServer(d: ServerDeps): Server {
  const server = createServer((req, res) => {
    handle(d, req, res).catch((err: unknown) => {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ __type: 'InternalFailure', message: String(err) }));
      } else {
        res.destroy();
      }
    });
  });
  server.keepAliveTimeout = 5000;
  return server;
}

async function handle(d: ServerDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  // S3 keeps bodies as sent (a gzip Content-Encoding is the object's metadata, not the transport's).
  if (d.s3 && header(req, 'x-amz-target') === undefined && !NOT_S3.test(url.pathname)) return s3Request(d, d.s3, req, res);
  const body = await readBody(req);
  if (url.pathname.startsWith('/_emulator/')) return control(d, req.method ?? 'GET', url.pathname, body, res);

  const target = header(req, 'x-amz-target');
  if (req.method === 'POST' && target) {
    const t = TARGETS.find((x) => target.startsWith(x.prefix));
    if (t) return jsonRpc(d, t.service, target.slice(t.prefix.length), body, res);
  }
  const invoke = INVOKE_PATH.exec(url.pathname);
  if (req.method === 'POST' && invoke) return invokeEndpoint(d, decodeURIComponent(invoke[1] ?? ''), req, body, res);
  const invokeAsync = INVOKE_ASYNC_PATH.exec(url.pathname);
  if (req.method === 'POST' && invokeAsync && d.asyncInference) {
    return invokeEndpointAsync(d, d.asyncInference, decodeURIComponent(invokeAsync[1] ?? ''), req, res);
  }

  send(res, 404, { 'content-type': 'application/json', 'x-amzn-errortype': 'UnknownOperationException' }, {
    __type: 'UnknownOperationException',
    message: `No emulated operation for ${req.method ?? ''} ${url.pathname}${target ? ` (X-Amz-Target ${target})` : ''}.`,
  });
}

function send(res: ServerResponse, status: number, headers: Record<string, string>, body: unknown): void {
  const buf = Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'x-amzn-requestid': requestId(), 'content-length': String(buf.length), ...headers });
  res.end(buf);
}

/** Runs the throttle fault, model validation and the operation, logging the call. */
async function run<T>(d: ServerDeps, service: ServiceKey, operation: string, input: unknown, logInput: unknown, fn: () => T | Promise<T>): Promise<T> {
  const entry: CallLogEntry = { service, operation, input: logInput, at: Date.now() };
  d.callLog.push(entry);
  try {
    const throttled = d.faults.takeThrottle(operation);
    if (throttled) throw new ServiceError(throttled, `Rate exceeded (fault injected for ${operation}).`);
    const v = validateInput(service, operation, input);
    if (!v.ok) throw new ServiceError(v.errorName, v.message);
    return await fn();
  } catch (err) {
    entry.error = err instanceof ServiceError ? err.errorName : 'InternalFailure';
    throw err;
  }
}

async function jsonRpc(d: ServerDeps, service: ServiceKey, operation: string, body: Buffer, res: ServerResponse): Promise<void> {
  const contentType = service === 'sagemaker' || service === 'autoscaling' ? 'application/x-amz-json-1.1' : 'application/x-amz-json-1.0';
  let input: Record<string, unknown>;
  try {
    const text = body.toString('utf8');
    input = text.trim() === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
    if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new Error('not an object');
  } catch {
    return jsonRpcError(res, service, contentType, new ServiceError('SerializationException', 'Request body is not a JSON object.'));
  }
  if (!hasOperation(service, operation)) {
    const err = new ServiceError('UnknownOperationException', `Operation ${operation} is not supported by the local emulator.`);
    d.callLog.push({ service, operation, input, error: err.errorName, at: Date.now() });
    return jsonRpcError(res, service, contentType, err);
  }
  try {
    const out = await run(d, service, operation, input, input, () => {
      if (service === 'sagemaker') return d.sagemaker.handle(operation, input);
      if (service === 'autoscaling') return d.autoscaling.handle(operation, input);
      return d.cloudwatch.handle(operation, input);
    });
    send(res, 200, { 'content-type': contentType }, out);
  } catch (err) {
    if (!(err instanceof ServiceError)) throw err;
    jsonRpcError(res, service, contentType, err);
  }
}

function jsonRpcError(res: ServerResponse, service: ServiceKey, contentType: string, err: ServiceError): void {
  if (service === 'cloudwatch') {
    const code = cloudWatchCode(err.errorName);
    const info = cloudWatchErrorInfo(code);
    const status = info.status !== 400 ? info.status : err.status;
    send(
      res,
      status,
      { 'content-type': contentType, 'x-amzn-query-error': `${code};${status >= 500 ? 'Receiver' : 'Sender'}` },
      { __type: `com.amazonaws.cloudwatch#${info.type}`, message: err.message, ...err.extra },
    );
    return;
  }
  send(res, err.status, { 'content-type': contentType, 'x-amzn-errortype': err.errorName }, { __type: err.errorName, message: err.message, ...err.extra });
}

async function invokeEndpoint(d: ServerDeps, endpointName: string, req: IncomingMessage, body: Buffer, res: ServerResponse): Promise<void> {
  const input = {
    EndpointName: endpointName,
    Body: body,
    ContentType: header(req, 'content-type'),
    Accept: header(req, 'accept'),
    CustomAttributes: header(req, 'x-amzn-sagemaker-custom-attributes'),
    TargetModel: header(req, 'x-amzn-sagemaker-target-model'),
    TargetVariant: header(req, 'x-amzn-sagemaker-target-variant'),
    TargetContainerHostname: header(req, 'x-amzn-sagemaker-target-container-hostname'),
    InferenceId: header(req, 'x-amzn-sagemaker-inference-id'),
    InferenceComponentName: header(req, 'x-amzn-sagemaker-inference-component'),
  };
  for (const k of Object.keys(input) as Array<keyof typeof input>) if (input[k] === undefined) delete input[k];
  const logInput = { ...input, Body: body.toString('utf8') };
  try {
    const out = await run(d, 'runtime', 'InvokeEndpoint', input, logInput, () => d.runtime.invoke(input));
    send(res, out.status, out.headers, out.body);
  } catch (err) {
    runtimeError(res, err);
  }
}

/** The runtime's errors: restJson1 with `x-amzn-ErrorType`; its validation error is named ValidationError. */
function runtimeError(res: ServerResponse, err: unknown): void {
  if (!(err instanceof ServiceError)) throw err;
  const name = err.errorName === 'ValidationException' ? 'ValidationError' : err.errorName;
  send(res, err.status, { 'content-type': 'application/json', 'x-amzn-errortype': name }, { message: err.message, ...err.extra });
}

async function invokeEndpointAsync(d: ServerDeps, queue: AsyncInference, endpointName: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const int = (name: string): number | string | undefined => {
    const v = header(req, name);
    return v !== undefined && /^-?\d+$/.test(v) ? Number(v) : v; // a non-integer stays a string: SerializationException
  };
  const input = {
    EndpointName: endpointName,
    ContentType: header(req, 'x-amzn-sagemaker-content-type'),
    Accept: header(req, 'x-amzn-sagemaker-accept'),
    CustomAttributes: header(req, 'x-amzn-sagemaker-custom-attributes'),
    InferenceId: header(req, 'x-amzn-sagemaker-inference-id'),
    InputLocation: header(req, 'x-amzn-sagemaker-inputlocation'),
    S3OutputPathExtension: header(req, 'x-amzn-sagemaker-s3outputpathextension'),
    Filename: header(req, 'x-amzn-sagemaker-filename'),
    RequestTTLSeconds: int('x-amzn-sagemaker-requestttlseconds'),
    InvocationTimeoutSeconds: int('x-amzn-sagemaker-invocationtimeoutseconds'),
  };
  for (const k of Object.keys(input) as Array<keyof typeof input>) if (input[k] === undefined) delete input[k];
  try {
    const out = await run(d, 'runtime', 'InvokeEndpointAsync', input, input, () => queue.invoke(input as AsyncInvokeRequest));
    const headers: Record<string, string> = { 'content-type': 'application/json', 'x-amzn-sagemaker-outputlocation': out.OutputLocation };
    if (out.FailureLocation !== undefined) headers['x-amzn-sagemaker-failurelocation'] = out.FailureLocation;
    send(res, 202, headers, { InferenceId: out.InferenceId });
  } catch (err) {
    runtimeError(res, err);
  }
}

/** S3 errors a throttle fault answers with (by the fault's error name; codes and statuses: AmazonS3/latest/API/ErrorResponses.html). */
const S3_THROTTLE: Record<string, { code: string; status: number; message: string }> = {
  ThrottlingException: { code: 'SlowDown', status: 503, message: 'Please reduce your request rate.' },
  InternalFailure: { code: 'InternalError', status: 500, message: 'We encountered an internal error. Please try again.' },
  // A policy or bucket that refuses the caller: 403, which no client retries.
  AccessDenied: { code: 'AccessDenied', status: 403, message: 'Access Denied' },
};

async function s3Request(d: ServerDeps, s3: S3Service, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const method = req.method ?? 'GET';
  const raw = await readRaw(req);
  const call = s3.describe(method, req.url ?? '/');
  const entry: CallLogEntry = { service: 's3', operation: call.operation, input: call.input, at: Date.now() };
  d.callLog.push(entry);
  const throttled = d.faults.takeThrottle(call.operation);
  const t = throttled ? (S3_THROTTLE[throttled] ?? { code: throttled, status: 503, message: `${throttled} (fault injected).` }) : undefined;
  const out = t ? s3ErrorResponse(new S3Error(t.code, t.message, t.status), method === 'HEAD') : s3.handle(method, req.url ?? '/', req.headers, raw);
  entry.error = out.error;
  send(res, out.status, out.headers, out.body);
}

const FAULTS: FaultName[] = FAULT_DOCS.map((f) => f.name);

/** The emulator's own routes, served by `control` below (test/emulator/faults-docs.test.ts requests each). */
export const CONTROL_ROUTES: ReadonlyArray<{ method: 'GET' | 'POST'; path: string; what: string }> = [
  { method: 'POST', path: '/_emulator/faults/<name>', what: 'injects a fault, the arguments as a JSON body (table below); 400 naming the bad argument' },
  { method: 'POST', path: '/_emulator/reset-faults', what: 'removes every fault' },
  { method: 'GET', path: '/_emulator/state', what: 'everything the emulator holds: SageMaker resources, alarms, invocation counts, faults, autoscaling, S3, async queues' },
  { method: 'GET', path: '/_emulator/meter', what: 'per endpoint: provisioning cycles, instance-seconds per instance type, fleets with their traffic share and invocations' },
  { method: 'GET', path: '/_emulator/hazards', what: 'deletions of configs and models an endpoint was using' },
];

function control(d: ServerDeps, method: string, path: string, body: Buffer, res: ServerResponse): void {
  const json = { 'content-type': 'application/json' };
  if (method === 'GET' && path === '/_emulator/state') return send(res, 200, json, d.state());
  if (method === 'GET' && path === '/_emulator/meter') return send(res, 200, json, d.sagemaker.meter());
  if (method === 'GET' && path === '/_emulator/hazards') return send(res, 200, json, { hazards: d.sagemaker.hazards() });
  if (method === 'POST' && path === '/_emulator/reset-faults') {
    d.faults.clear();
    return send(res, 200, json, { ok: true });
  }
  const m = /^\/_emulator\/faults\/([A-Za-z]+)$/.exec(path);
  const name = m?.[1] as FaultName | undefined;
  if (method === 'POST' && name && FAULTS.includes(name)) {
    let args: unknown;
    try {
      args = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
    } catch {
      return send(res, 400, json, { error: 'body must be JSON' });
    }
    try {
      if (name === 'clear') d.faults.clear();
      else (d.faults[name] as (a: unknown) => void).call(d.faults, args);
      return send(res, 200, json, { ok: true });
    } catch (err) {
      if (err instanceof FaultArgumentError || err instanceof ServiceError) {
        return send(res, 400, json, { error: err.message, ...(err instanceof ServiceError ? { errorName: err.errorName } : {}) });
      }
      throw err;
    }
  }
  send(res, 404, json, { error: `unknown emulator control ${method} ${path}`, faults: FAULTS });
}
