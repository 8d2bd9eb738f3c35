import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { hasOperation, validateInput } from './emulator/validate';
import { acceptEntries, oversize, type PutEventsEntry, type PutEventsOutcome } from './eventbridge';

/**
 * The local EventBridge over HTTP, for the functions' own clients (the approval gate publishes
 * Approval Needed with `@aws-sdk/client-eventbridge`), reached through AWS_ENDPOINT_URL_EVENTBRIDGE.
 * The wire protocol is awsJson1_1: `POST /`, `X-Amz-Target: AWSEvents.<Op>`, errors as
 * `{"__type": <name>, "message": …}` with `x-amzn-ErrorType`. Only PutEvents is served; its request is
 * checked against AWS's published model (local/api-shapes.json: 1–10 entries, the bus name's pattern,
 * Detail a string…) before anything is put. PutEvents' API reference: a request whose entries total over
 * 256 KB is refused whole (ValidationException); an entry without Source, DetailType or Detail, or whose
 * Detail is not JSON, fails alone in the response (InvalidArgument, MalformedDetail). Unlike the state
 * machine's integration, nothing is appended to an entry's Resources. A bus that does not exist is not an
 * error: EventBridge accepts the event and no rule sees it (aws/aws-sdk#186).
 */
export interface LocalEventBridge {
  url: string;
  close(): Promise<void>;
}

const CONTENT_TYPE = 'application/x-amz-json-1.1';
const TARGET_PREFIX = 'AWSEvents.';

export async function startEventBridgeServer(options: {
  account: string;
  region: string;
  /** Called with each request's accepted events, before the response is sent. */
  publish: (accepted: PutEventsOutcome['accepted']) => void;
}): Promise<LocalEventBridge> {
  const server: Server = createServer((req, res) => {
    handle(req, res, options).catch((error: unknown) => {
      if (res.headersSent) return void res.destroy();
      reply(res, 500, { __type: 'InternalException', message: String(error) });
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  const buf = Buffer.from(JSON.stringify(body));
  const error = (body as { __type?: string }).__type;
  res.writeHead(status, { 'content-type': CONTENT_TYPE, 'content-length': String(buf.length), 'x-amzn-requestid': randomUUID(), ...(error ? { 'x-amzn-errortype': error } : {}) });
  res.end(buf);
}

async function handle(req: IncomingMessage, res: ServerResponse, options: Parameters<typeof startEventBridgeServer>[0]): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const target = String(req.headers['x-amz-target'] ?? '');
  const operation = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : '';
  if (req.method !== 'POST' || !operation || !hasOperation('events', operation)) {
    return reply(res, 400, { __type: 'UnknownOperationException', message: `No emulated EventBridge operation for ${req.method ?? ''} ${req.url ?? ''}${target ? ` (X-Amz-Target ${target})` : ''}: the local EventBridge serves PutEvents only.` });
  }
  let input: unknown;
  try {
    const text = Buffer.concat(chunks).toString('utf8');
    input = text.trim() === '' ? {} : JSON.parse(text);
    if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new Error('not an object');
  } catch {
    return reply(res, 400, { __type: 'SerializationException', message: 'Request body is not a JSON object.' });
  }
  const valid = validateInput('events', operation, input);
  if (!valid.ok) return reply(res, 400, { __type: valid.errorName, message: valid.message });
  const prepared = ((input as { Entries: PutEventsEntry[] }).Entries).map((entry) => ({ entry, detail: entry.Detail as string | undefined }));
  const tooLarge = oversize(prepared);
  if (tooLarge) return reply(res, 400, { __type: 'ValidationException', message: tooLarge });
  const { response, accepted } = acceptEntries(prepared, options);
  options.publish(accepted);
  reply(res, 200, response);
}
