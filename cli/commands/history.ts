import type { StackOptions } from '../aws';
import type { Context } from '../context';
import { formatSeconds } from '../duration';
import { EXIT } from '../errors';
import { queryHistory, type HistoryRow } from '../promotions';
import { table } from '../table';
import { describeApproval } from '../../lambdas/shared/approval';

export interface HistoryOptions extends StackOptions {
  limit: number;
}

/** `1 → 2`; `none → 1` for a first deployment; `? → 3` while blue's version is not recorded yet; `- → 3` for an approval that did not start (yet). */
export function versions(row: HistoryRow): string {
  const blue = row.blueModelPackageVersion ?? (row.firstDeployment ? 'none' : row.approvalId ? '-' : '?');
  return `${blue} → ${row.modelPackageVersion}`;
}

export function historyDocument(endpointName: string, rows: HistoryRow[]) {
  return {
    endpointName,
    promotions: rows.map((r) => ({
      promotionId: r.promotionId ?? null,
      executionArn: r.executionArn ?? null,
      /** An approval's row (queued, superseded, refused): when it was recorded. */
      startedAt: r.startedAt ?? r.recordedAt ?? null,
      approvalId: r.approvalId ?? null,
      approvedAt: r.approvedAt ?? null,
      supersededBy: r.supersededBy ?? null,
      startedAs: r.startedAs ?? null,
      finishedAt: r.finishedAt ?? null,
      requestedBy: r.requestedBy ?? null,
      modelPackageArn: r.modelPackageArn,
      blueModelPackageVersion: r.blueModelPackageVersion ?? null,
      modelPackageVersion: r.modelPackageVersion,
      firstDeployment: r.firstDeployment ?? null,
      outcome: r.outcome,
      reason: r.reason ?? null,
      durationSeconds: r.durationSeconds ?? null,
      rollbackActions: r.rollbackActions ?? null,
      cleanedUp: r.cleanedUp ?? null,
      leftovers: r.leftovers ?? null,
      interruption: r.interruption ?? null,
      rollbackRequests: r.rollbackRequests ?? null,
      approval: r.approval ?? null,
    })),
  };
}

export async function history(ctx: Context, endpointName: string, options: HistoryOptions): Promise<number> {
  const tableName = await ctx.targets.tableName();
  const rows = await queryHistory(ctx.clients, tableName, endpointName, options.limit);
  ctx.out.document(historyDocument(endpointName, rows));
  if (ctx.out.json) return EXIT.ok;
  if (rows.length === 0) {
    ctx.out.line(`No promotions recorded for ${endpointName} in table ${tableName}.`);
    return EXIT.ok;
  }
  const lines = table(
    ['STARTED', 'REQUESTED BY', 'VERSIONS', 'OUTCOME', 'DURATION', 'REASON'],
    rows.map((r) => [
      (r.startedAt ?? r.recordedAt ?? '-').replace(/\.\d{3}Z$/, 'Z'),
      r.requestedBy ?? '-',
      versions(r),
      r.outcome,
      typeof r.durationSeconds === 'number' ? formatSeconds(r.durationSeconds) : '-',
      `${r.reason ?? (r.outcome === 'running' ? `in flight (bluegreen watch ${r.executionArn})` : '-')}${r.approval ? ` (${describeApproval(r.approval)})` : ''}`,
    ]),
  );
  ctx.out.line(`Promotions of ${endpointName}, newest first (${rows.length}${rows.length === options.limit ? `, more with --limit ${options.limit * 2}` : ''}):`);
  for (const line of lines) ctx.out.line(line);
  return EXIT.ok;
}
