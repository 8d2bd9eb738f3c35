import { requestAbort, type AbortResult } from '../../lambdas/shared/locks';
import type { StackOptions } from '../aws';
import type { Context } from '../context';
import { formatSeconds } from '../duration';
import { endpointNotFound } from '../endpoint';
import { statusHeadline } from '../environment';
import { CliError, EXIT } from '../errors';
import { describeExecution, executionOutcome, renderOutcome } from '../follow';
import { historyRowOf, inFlightPromotion, type HistoryRow } from '../promotions';
import { gatherStatus, statusDocument, type StatusReport } from './status';

export interface RollbackOptions extends StackOptions {
  json?: boolean;
  reason?: string;
  wait: boolean;
  interval: number;
  /** Milliseconds to wait for the execution to end. */
  timeout: number;
}

const ABORT_EFFECT: Record<AbortResult, string> = {
  signalled: 'the bake was interrupted: the workflow is rolling back now',
  flagged: 'the workflow rolls back at its next poll',
  'not-running': 'the promotion had already ended (its lock is gone)',
};

function serving(report: StatusReport | undefined): string {
  if (!report) return 'the endpoint no longer exists';
  return `${statusHeadline(report.active)} (config ${report.endpoint.configName ?? '-'}, ${report.endpoint.status})`;
}

/**
 * Rolled back (or failed before blue was touched): the endpoint is on blue, which is what
 * was asked → 0. Promoted anyway, or the rollback itself failed → 3.
 */
function exitCodeFor(status: string, error: string | undefined, row: HistoryRow | undefined): number {
  if (row?.outcome === 'rolled_back') return EXIT.ok;
  if (status === 'FAILED' && (error === 'PromotionRolledBack' || error === 'PromotionFailed')) return EXIT.ok;
  return EXIT.promotionFailed;
}

function advice(endpointName: string, executionArn: string, status: string, row: HistoryRow | undefined): string {
  if (row?.outcome === 'promoted') {
    return `The promotion completed before the abort took effect. To go back, promote the previous version: bluegreen promote ${endpointName} --model-package <arn>`;
  }
  if (!row || row.outcome === 'running') {
    return `The execution ended ${status} without recording an outcome, so the workflow did not roll back and its lock stays: check the endpoint ("bluegreen status ${endpointName}"), put it back on blue by hand if needed, then delete the lock item (endpointName ${endpointName}, sk LOCK) from the table.`;
  }
  return `The rollback did not complete: check the endpoint ("bluegreen status ${endpointName}") and the execution ("bluegreen watch ${executionArn}").`;
}

export async function rollback(ctx: Context, endpointName: string, options: RollbackOptions): Promise<number> {
  const tableName = await ctx.targets.tableName();
  const promotion = await inFlightPromotion(ctx.clients, tableName, endpointName);
  if (!promotion) {
    const report = await gatherStatus(ctx, endpointName, {});
    if (!report) throw endpointNotFound(endpointName);
    ctx.out.document({ endpointName, action: 'none', message: 'no promotion in flight', status: statusDocument(report) });
    ctx.out.line(`No promotion in flight for ${endpointName}: nothing to roll back.`);
    ctx.out.line(`It serves: ${serving(report)}`);
    ctx.out.line(`To go back to an earlier version, promote it: bluegreen promote ${endpointName} --model-package <arn of that version>`);
    return EXIT.ok;
  }

  const reason = `${options.reason ?? 'operator requested a rollback'} (bluegreen rollback by ${ctx.user})`;
  const abort = { error: 'PromotionAborted' as const, reason, at: ctx.now().toISOString() };
  const result = await requestAbort({ dynamo: ctx.clients.dynamo, sfn: ctx.clients.sfn }, tableName, promotion.lock, abort);
  const already = promotion.abortRequested ? ` (an abort was already requested at ${promotion.abortRequested.at}: ${promotion.abortRequested.reason})` : '';
  ctx.out.line(`Abort requested for promotion ${promotion.promotionId} of ${endpointName} to version ${promotion.modelPackageVersion ?? '?'}${already}: ${ABORT_EFFECT[result]}.`);
  const requested = { endpointName, promotionId: promotion.promotionId, executionArn: promotion.executionArn, abort: result, reason };

  if (!options.wait) {
    ctx.out.document({ ...requested, action: 'abort-requested' });
    ctx.out.line(`Follow it: bluegreen watch ${promotion.executionArn}`);
    return EXIT.ok;
  }

  ctx.out.line('Waiting for the workflow to bring the endpoint back to blue...');
  const deadline = Date.now() + options.timeout;
  let described;
  for (;;) {
    try {
      described = await describeExecution(ctx.clients, promotion.executionArn);
    } catch (error) {
      if (error instanceof CliError && error.exitCode === EXIT.notFound) throw new CliError(`${error.message}; the lock names an execution that is gone: check the endpoint with "bluegreen status ${endpointName}"`, EXIT.notFound);
      throw error;
    }
    if (described.status !== 'RUNNING') break;
    if (Date.now() > deadline) {
      throw new CliError(
        `the execution is still running after ${formatSeconds(options.timeout / 1000)}; the abort stays requested. Follow it: bluegreen watch ${promotion.executionArn}`,
        EXIT.unexpected,
      );
    }
    await ctx.sleep(options.interval);
  }
  const outcome = executionOutcome(described);
  const row = await historyRowOf(ctx.clients, tableName, endpointName, promotion.promotionId);
  const now = await gatherStatus(ctx, endpointName, {});
  const code = exitCodeFor(outcome.status, outcome.error, row);

  if (!row) ctx.out.line(renderOutcome(outcome));
  else {
    const took = typeof row.durationSeconds === 'number' ? ` after ${formatSeconds(row.durationSeconds)}` : '';
    ctx.out.line(`Outcome: ${row.outcome}${took}${row.reason ? `: ${row.reason}` : ''}`);
    const actions = row.rollbackActions ?? [];
    ctx.out.line(actions.length > 0 ? 'What the rollback did:' : 'The rollback took no action on the endpoint (green had not been stood up).');
    for (const action of actions) ctx.out.line(`  - ${action}`);
    for (const deleted of row.cleanedUp ?? []) ctx.out.line(`  - deleted ${deleted}`);
    for (const kept of row.leftovers ?? []) ctx.out.line(`  - kept ${kept.resource}: ${kept.reason}`);
  }
  ctx.out.line(`Now: ${serving(now)}`);
  if (code !== EXIT.ok) ctx.out.line(advice(endpointName, promotion.executionArn, outcome.status, row));
  ctx.out.document({
    ...requested,
    action: 'rolled-back',
    execution: outcome,
    outcome: row?.outcome ?? outcome.outcome ?? null,
    recordedReason: row?.reason ?? null,
    rollbackActions: row?.rollbackActions ?? [],
    cleanedUp: row?.cleanedUp ?? [],
    leftovers: row?.leftovers ?? [],
    status: now ? statusDocument(now) : null,
    exitCode: code,
  });
  return code;
}
