import { DETAIL_TYPES, EVENT_SOURCE } from '../lambdas/shared/lifecycle';

/** The fields of a lifecycle event's detail a one-line summary reads (schema/events.schema.json has them all). */
interface Detail {
  endpointName?: string;
  strategy?: string;
  requestedBy?: string;
  green?: { version?: number };
  reason?: string | null;
  approval?: { timeoutSeconds?: number; onTimeout?: string };
  commands?: { approve?: string };
  validation?: { samples?: unknown[] };
  timings?: { durationSeconds?: number };
}

const minutes = (seconds: number) => (seconds % 60 === 0 ? `${seconds / 60}m` : `${seconds}s`);

/** What the line says after the detail-type, per detail-type. */
function what(type: string, d: Detail): string {
  const version = `v${d.green?.version ?? '?'}`;
  const took = d.timings?.durationSeconds === undefined ? '' : ` after ${d.timings.durationSeconds}s`;
  switch (type) {
    case DETAIL_TYPES.started:
      return `${version} (${d.strategy ?? '?'}) requested by ${d.requestedBy ?? 'unknown'}`;
    case DETAIL_TYPES.validated:
      return `${version} answered its ${d.validation?.samples?.length ?? 0} validation samples`;
    case DETAIL_TYPES.approvalNeeded: {
      const a = d.approval;
      const deadline = a?.timeoutSeconds === undefined ? '' : ` within ${minutes(a.timeoutSeconds)} (then ${a.onTimeout ?? '?'})`;
      return `${version} waits for a person${deadline}: ${d.commands?.approve ?? 'bluegreen approve'} (or reject)`;
    }
    case DETAIL_TYPES.shifted:
      return `${version} carries the traffic`;
    case DETAIL_TYPES.succeeded:
      return `${version} promoted${took}`;
    default:
      // Rolled Back, Failed, Interrupted: why, in the words record-outcome used.
      return `${version}${took}: ${d.reason ?? 'no reason recorded'}`;
  }
}

/**
 * One readable line for a lifecycle event as EventBridge delivers it (`detail-type`, `detail`), e.g.
 * `event Promotion Rolled Back  churn-prediction v3 after 40s: GuardrailAlarm: …`; undefined for any
 * other source's event.
 */
export function lifecycleLine(event: { source?: string; 'detail-type'?: string; detail?: unknown }, maxLength = 160): string | undefined {
  if (event.source !== EVENT_SOURCE || !event['detail-type']) return undefined;
  const type = event['detail-type'];
  const d = (event.detail ?? {}) as Detail;
  const line = `event ${type.padEnd(21)} ${d.endpointName ?? '?'} ${what(type, d)}`;
  return line.length > maxLength ? `${line.slice(0, maxLength - 1)}…` : line;
}
