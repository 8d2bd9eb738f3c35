import { randomUUID } from 'node:crypto';
import type { BridgeEvent } from './emulator/events';
import { busName } from './template';

/**
 * The local EventBridge's PutEvents, as the state machine's optimized integration calls it
 * (https://docs.aws.amazon.com/step-functions/latest/dg/connect-eventbridge.html): Step Functions
 * appends the execution's and the state machine's ARNs to each entry's Resources; the response is
 * PutEvents' own ({ Entries: [{ EventId }], FailedEntryCount }); a non-zero FailedEntryCount fails the
 * task with `EventBridge.FailedEntry`.
 */

/** PutEvents: the entries of one request total at most 256 KB (EventBridge quotas, "PutEvents event entry size"). */
export const MAX_PUT_EVENTS_BYTES = 256 * 1024;

export interface PutEventsEntry {
  Source?: string;
  DetailType?: string;
  /** An object in the state machine's parameters; the integration serializes it for the API (a JSON string). */
  Detail?: unknown;
  EventBusName?: string;
  Resources?: string[];
  /** A timestamp string from a state's parameters; epoch seconds from an SDK client (awsJson1_1). */
  Time?: string | number;
}

/** An event as EventBridge delivers it to targets (the emulators' events have the same shape). */
export type BusEvent = BridgeEvent<unknown>;

export interface PutEventsOutcome {
  response: { Entries: Array<{ EventId?: string; ErrorCode?: string; ErrorMessage?: string }>; FailedEntryCount: number };
  /** The accepted events and the bus each goes to. */
  accepted: Array<{ bus: string; event: BusEvent }>;
}

class IntegrationError extends Error {
  constructor(name: string, message: string) {
    super(message, { cause: message });
    this.name = name;
  }
}

const bytes = (s: string | undefined) => (s === undefined ? 0 : Buffer.byteLength(s, 'utf8'));

/**
 * An entry's size as the EventBridge user guide counts it ("Calculating PutEvents event entry size"):
 * Time 14 bytes if present, then the UTF-8 bytes of Source, DetailType, Detail and each Resource.
 */
export function entrySize(entry: PutEventsEntry, detail: string): number {
  return (entry.Time ? 14 : 0) + bytes(entry.Source) + bytes(entry.DetailType) + bytes(detail) + (entry.Resources ?? []).reduce((n, r) => n + bytes(r), 0);
}

/**
 * One PutEvents request of the integration. Entries missing Source, DetailType or Detail fail
 * (InvalidArgument), a Detail that is not JSON fails (MalformedDetail), as the API reports them in
 * its response; a request over 256 KB is refused whole.
 */
export function putEvents(
  parameters: { Entries?: unknown[] },
  context: { executionArn: string; stateMachineArn: string; account: string; region: string },
): PutEventsOutcome {
  const entries = (parameters.Entries ?? []) as PutEventsEntry[];
  if (entries.length < 1 || entries.length > 10) throw new IntegrationError('EventBridge.EventBridgeException', `PutEvents takes 1 to 10 entries, got ${entries.length}`);
  const prepared = entries.map((entry) => {
    const detail = typeof entry.Detail === 'string' ? entry.Detail : entry.Detail === undefined ? undefined : JSON.stringify(entry.Detail);
    const resources = [...(entry.Resources ?? []), context.executionArn, context.stateMachineArn];
    return { entry: { ...entry, Resources: resources }, detail };
  });
  const tooLarge = oversize(prepared);
  // Assumed name: the integration reports an API error as EventBridge.<exception>.
  if (tooLarge) throw new IntegrationError('EventBridge.EventBridgeException', tooLarge);
  return acceptEntries(prepared, context);
}

/** The request's refusal when its entries total over 256 KB, else undefined. */
export function oversize(prepared: Array<{ entry: PutEventsEntry; detail: string | undefined }>): string | undefined {
  const total = prepared.reduce((n, p) => n + entrySize(p.entry, p.detail ?? ''), 0);
  return total > MAX_PUT_EVENTS_BYTES ? `Total size of the entries in the request is over the limit (${total} > ${MAX_PUT_EVENTS_BYTES} bytes)` : undefined;
}

const eventTime = (time: string | number | undefined): string =>
  time === undefined ? new Date().toISOString() : typeof time === 'number' ? new Date(time * 1000).toISOString() : time;

/**
 * PutEvents' verdict on each entry, whoever called it (the state machine's integration, or a client over
 * HTTP: local/eventbridge-server.ts): entries missing Source, DetailType or Detail fail (InvalidArgument),
 * a Detail that is not JSON fails (MalformedDetail), each in the response; the others are accepted.
 */
export function acceptEntries(prepared: Array<{ entry: PutEventsEntry; detail: string | undefined }>, context: { account: string; region: string }): PutEventsOutcome {
  const outcome: PutEventsOutcome = { response: { Entries: [], FailedEntryCount: 0 }, accepted: [] };
  for (const { entry, detail } of prepared) {
    if (!entry.Source || !entry.DetailType || detail === undefined) {
      outcome.response.Entries.push({ ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameters Source, DetailType and Detail are required' });
      outcome.response.FailedEntryCount += 1;
      continue;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(detail);
    } catch {
      outcome.response.Entries.push({ ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is not valid JSON' });
      outcome.response.FailedEntryCount += 1;
      continue;
    }
    const id = randomUUID();
    outcome.response.Entries.push({ EventId: id });
    outcome.accepted.push({
      bus: busName(entry.EventBusName),
      event: {
        version: '0',
        id,
        'detail-type': entry.DetailType,
        source: entry.Source,
        account: context.account,
        time: eventTime(entry.Time),
        region: context.region,
        resources: entry.Resources ?? [],
        detail: parsed,
      },
    });
  }
  return outcome;
}

/** The integration's verdict on a response: the task fails when any entry failed (the others were still put). */
export function throwIfFailedEntries(response: PutEventsOutcome['response']): void {
  if (response.FailedEntryCount > 0) throw new IntegrationError('EventBridge.FailedEntry', JSON.stringify(response));
}
