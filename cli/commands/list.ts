import { versionOf } from '../../lambdas/shared/arns';
import { locksInFlight, type LockItem } from '../../lambdas/shared/locks';
import { queuedApprovals } from '../../lambdas/shared/queue';
import type { QueuedApproval } from '../../lambdas/shared/queue-decisions';
import { onTable, type StackOptions } from '../aws';
import type { Context } from '../context';
import { formatSeconds } from '../duration';
import { EXIT } from '../errors';
import { table } from '../table';

export type ListOptions = StackOptions;

/** What a promotion in flight is doing, as far as its lock tells (no other call). */
export type Phase = 'running' | 'waiting' | 'baking' | 'rolling-back' | 'interrupted' | 'recovering';

export function phaseOf(lock: Pick<LockItem, 'abortRequested' | 'recoveredBy' | 'bakeWatch' | 'waitTaskToken'>): Phase {
  if (lock.recoveredBy) return 'recovering';
  if (lock.abortRequested?.error === 'OutsideChange') return 'interrupted';
  if (lock.abortRequested) return 'rolling-back';
  if (lock.bakeWatch) return 'baking';
  if (lock.waitTaskToken) return 'waiting';
  return 'running';
}

export interface ListEntry {
  endpointName: string;
  /** The promotion in flight; absent when the endpoint only has an approval queued (its promotion's end event still to come). */
  promotion?: { promotionId: string; executionArn: string; modelPackageArn: string; modelPackageVersion: number | null; since: string; phase: Phase; reason: string | null };
  queued?: { executionName: string; modelPackageArn: string; modelPackageVersion: number; approvedAt: string; queuedAt: string };
}

/** One entry per endpoint, by name: its promotion in flight and the approval queued behind it. Pure. */
export function listEntries(locks: LockItem[], queued: QueuedApproval[]): ListEntry[] {
  const entries = new Map<string, ListEntry>();
  const entry = (key: string, displayName: string | undefined) => {
    const found = entries.get(key) ?? { endpointName: displayName ?? key };
    entries.set(key, found);
    return found;
  };
  for (const lock of locks) {
    entry(lock.endpointName, lock.endpointDisplayName).promotion = {
      promotionId: lock.promotionId,
      executionArn: lock.executionArn,
      modelPackageArn: lock.modelPackageArn,
      modelPackageVersion: versionOf(lock.modelPackageArn) ?? null,
      since: lock.acquiredAt,
      phase: phaseOf(lock),
      reason: lock.abortRequested?.reason ?? null,
    };
  }
  for (const q of queued) {
    entry(q.endpointName, q.endpointDisplayName).queued = {
      executionName: q.executionName,
      modelPackageArn: q.modelPackageArn,
      modelPackageVersion: q.version,
      approvedAt: q.approvedAt,
      queuedAt: q.queuedAt,
    };
  }
  return [...entries.values()].sort((a, b) => a.endpointName.localeCompare(b.endpointName));
}

function age(since: string, now: Date): string {
  const ms = now.getTime() - new Date(since).getTime();
  return Number.isNaN(ms) ? since : formatSeconds(Math.max(0, Math.round(ms / 1000)));
}

export function renderList(entries: ListEntry[], now: Date): string[] {
  if (entries.length === 0) return ['No promotion in flight and none queued.'];
  return table(
    ['ENDPOINT', 'PHASE', 'VERSION', 'AGE', 'PROMOTION', 'QUEUED'],
    entries.map((e) => [
      e.endpointName,
      e.promotion?.phase ?? 'queued',
      e.promotion ? String(e.promotion.modelPackageVersion ?? '?') : '-',
      e.promotion ? age(e.promotion.since, now) : '-',
      e.promotion?.promotionId ?? '-',
      e.queued ? `version ${e.queued.modelPackageVersion} as ${e.queued.executionName}` : '-',
    ]),
  );
}

/**
 * Every promotion in flight and every approval queued, all endpoints: two Query calls on the
 * table's sparse indexes (InFlight: the locks; Queued: the queue items), never the history.
 */
export async function list(ctx: Context, _options: ListOptions): Promise<number> {
  const tableName = await ctx.targets.tableName();
  const [locks, queued] = await onTable(tableName, () => Promise.all([locksInFlight(ctx.clients.dynamo, tableName), queuedApprovals(ctx.clients.dynamo, tableName)]));
  const entries = listEntries(locks, queued);
  ctx.out.document({ entries });
  for (const line of renderList(entries, ctx.now())) ctx.out.line(line);
  return EXIT.ok;
}
