import { randomUUID } from 'node:crypto';
import type { EventEmitter } from 'node:events';

/** An EventBridge event as delivered to rules/targets. */
export interface BridgeEvent<D = Record<string, unknown>> {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: D;
}

/** ISO-8601 without milliseconds, as in EventBridge's `time` ("2021-02-24T17:00:14Z"). */
export const eventTime = (ms: number = Date.now()): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Emits on 'event'; a throwing listener must not break the emulated API call. */
export function emitBridgeEvent(
  emitter: EventEmitter,
  e: { detailType: string; source: string; account: string; region: string; resources: string[]; detail: Record<string, unknown> },
): BridgeEvent {
  const event: BridgeEvent = {
    version: '0',
    id: randomUUID(),
    'detail-type': e.detailType,
    source: e.source,
    account: e.account,
    time: eventTime(),
    region: e.region,
    resources: e.resources,
    detail: e.detail,
  };
  try {
    emitter.emit('event', event);
  } catch (err) {
    process.stderr.write(`[emulator] an 'event' listener threw: ${String(err)}\n`);
  }
  return event;
}
