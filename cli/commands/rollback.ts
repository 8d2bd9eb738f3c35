import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { executionArnOf } from '../../lambdas/shared/arns';
import { readLock, requestAbort, type AbortResult, type LockItem } from '../../lambdas/shared/locks';
import { manualRecoveryName, MAX_RECOVERIES, recoveryName } from '../../lambdas/shared/recovery';
import type { StackOptions } from '../aws';
import type { Context } from '../context';
import { formatSeconds } from '../duration';
import { endpointNotFound } from '../endpoint';
import { statusHeadline } from '../environment';
import { CliError, EXIT } from '../errors';
import { describeExecution, executionOutcome, renderOutcome } from '../follow';
import { historyRowOf, inFlightPromotion, type HistoryRow, type InFlight } from '../promotions';
import { gatherStatus, statusDocument, type StatusReport } from './status';

export interface RollbackOptions extends StackOptions {
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

function advice(endpointName: string, executionArn: string, status: string, row: HistoryRow | undefined, recovered: boolean): string {
  if (row?.outcome === 'promoted') {
    const why = recovered
      ? "Its execution had ended after the bake with green serving alone: the recovery recorded the promotion as completed (a rollback would undo it, and blue's config may be gone)."
      : 'The promotion completed before the abort took effect.';
    return `${why} To go back, promote the previous version: bluegreen promote ${endpointName} --model-package <arn>`;
  }
  if (!row || row.outcome === 'running') {
    return `The execution ended ${status} without recording an outcome and the lock stays: run "bluegreen rollback ${endpointName}" again (it starts a recovery execution that finishes the promotion), then check the endpoint ("bluegreen status ${endpointName}").`;
  }
  return `The rollback did not complete: check the endpoint ("bluegreen status ${endpointName}") and the execution ("bluegreen watch ${executionArn}").`;
}

/**
 * What an operator was told when the abort is requested. An abort requested earlier (another
 * `rollback`, an alarm) is already being acted on: the rollback runs, this request only adds its reason.
 */
export function abortEffect(result: AbortResult, earlier: LockItem['abortRequested']): string {
  if (earlier && result !== 'not-running') {
    const who = earlier.error === 'PromotionAborted' ? 'an operator' : earlier.error === 'GuardrailAlarm' ? 'a guardrail alarm' : earlier.error;
    return `a rollback is already under way, asked at ${earlier.at} by ${who}: ${earlier.reason}; your reason is recorded beside it in the history`;
  }
  return ABORT_EFFECT[result];
}

/**
 * Every rollback request's reason on the promotion's history row (rollbackRequests), the ones
 * after the first included: the lock keeps only the first (the one the workflow acts on).
 * record-outcome SETs other attributes only, so the list survives the outcome.
 */
async function recordRequest(ctx: Context, tableName: string, endpointName: string, promotionId: string, request: { by: string; reason: string; at: string }): Promise<void> {
  const row = await historyRowOf(ctx.clients, tableName, endpointName, promotionId);
  if (!row) return;
  await ctx.clients.dynamo.send(
    new UpdateCommand({
      TableName: tableName,
      Key: { endpointName: row.endpointName, sk: row.sk },
      UpdateExpression: 'SET rollbackRequests = list_append(if_not_exists(rollbackRequests, :none), :request)',
      ConditionExpression: 'attribute_exists(sk)',
      ExpressionAttributeValues: { ':none': [], ':request': [request] },
    }),
  );
}

/** The state machine of an execution (its ARN names it: arn:…:execution:<state machine>:<name>). */
function stateMachineOf(executionArn: string): string {
  return executionArn.replace(/:execution:([^:]+):[^:]+$/, ':stateMachine:$1');
}

/**
 * A recovery execution still finishing the promotion: the one its lock names, or one of those
 * on-execution-end starts (it may not have marked the lock yet).
 */
async function runningRecovery(ctx: Context, promotion: InFlight): Promise<string | undefined> {
  const stateMachineArn = stateMachineOf(promotion.executionArn);
  const automatic = Array.from({ length: MAX_RECOVERIES }, (_, i) => executionArnOf(stateMachineArn, recoveryName(promotion.promotionId, i + 1)));
  for (const arn of new Set([promotion.lock.recoveredBy, ...automatic])) {
    if (!arn) continue;
    try {
      if ((await describeExecution(ctx.clients, arn)).status === 'RUNNING') return arn;
    } catch (error) {
      if (!(error instanceof CliError && error.exitCode === EXIT.notFound)) throw error;
    }
  }
  return undefined;
}

/**
 * The promotion's own execution has ended but it still holds the lock: a recovery execution
 * finishes it (lambdas/recover: back to blue, or recorded as promoted when green serves alone after
 * the bake). The one running, or a new one under a fresh name when on-execution-end's ran out.
 */
async function recoveryOf(ctx: Context, endpointName: string, promotion: InFlight): Promise<{ executionArn: string; started: boolean }> {
  const running = await runningRecovery(ctx, promotion);
  const ended = `Promotion ${promotion.promotionId} of ${endpointName} holds the lock, but its execution ended ${promotion.executionStatus}`;
  if (running) {
    ctx.out.line(`${ended}; recovery execution ${running.split(':').pop()} is finishing it.`);
    return { executionArn: running, started: false };
  }
  const name = manualRecoveryName(promotion.promotionId, ctx.now());
  const out = await ctx.clients.sfn.send(
    new StartExecutionCommand({ stateMachineArn: stateMachineOf(promotion.executionArn), name, input: JSON.stringify({ recoverExecutionArn: promotion.executionArn }) }),
  );
  ctx.out.line(`${ended} and no recovery is running: started recovery execution ${name}, which puts blue back (or records the promotion as completed if green serves alone after the bake) and releases the lock.`);
  return { executionArn: out.executionArn ?? executionArnOf(stateMachineOf(promotion.executionArn), name), started: true };
}

/** Someone else's abort flag that won the race to the lock (if_not_exists kept theirs), if any. */
async function laterFlag(ctx: Context, tableName: string, endpointName: string, promotionId: string, ours: { at: string; reason: string }): Promise<LockItem['abortRequested']> {
  const lock = await readLock(ctx.clients.dynamo, tableName, endpointName);
  const flag = lock?.promotionId === promotionId ? lock.abortRequested : undefined;
  return flag && (flag.at !== ours.at || flag.reason !== ours.reason) ? flag : undefined;
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

  // An execution that ended without recording its outcome cannot act on an abort: a recovery finishes it.
  const stranded = promotion.executionStatus !== 'RUNNING' && promotion.executionStatus !== 'UNKNOWN';
  let requested: Record<string, unknown>;
  let followed: string;
  if (stranded) {
    const recovery = await recoveryOf(ctx, endpointName, promotion);
    followed = recovery.executionArn;
    requested = { endpointName, promotionId: promotion.promotionId, executionArn: promotion.executionArn, recoveryExecutionArn: followed, recovery: recovery.started ? 'started' : 'running' };
  } else {
    const reason = `${options.reason ?? 'operator requested a rollback'} (bluegreen rollback by ${ctx.user})`;
    const abort = { error: 'PromotionAborted' as const, reason, at: ctx.now().toISOString() };
    const result = await requestAbort({ dynamo: ctx.clients.dynamo, sfn: ctx.clients.sfn }, tableName, promotion.lock, abort);
    // Read back: another rollback may have flagged the lock between our read and our write.
    const earlier = promotion.abortRequested ?? (result === 'not-running' ? undefined : await laterFlag(ctx, tableName, endpointName, promotion.promotionId, abort));
    if (result !== 'not-running') await recordRequest(ctx, tableName, endpointName, promotion.promotionId, { by: ctx.user, reason, at: abort.at });
    ctx.out.line(`Abort requested for promotion ${promotion.promotionId} of ${endpointName} to version ${promotion.modelPackageVersion ?? '?'}: ${abortEffect(result, earlier)}.`);
    followed = promotion.executionArn;
    requested = { endpointName, promotionId: promotion.promotionId, executionArn: promotion.executionArn, abort: result, reason, alreadyRequested: earlier ?? null };
  }

  if (!options.wait) {
    ctx.out.document({ ...requested, action: stranded ? 'recovery' : 'abort-requested' });
    ctx.out.line(`Follow it: bluegreen watch ${followed}`);
    return EXIT.ok;
  }

  ctx.out.line(stranded ? 'Waiting for the recovery to finish the promotion...' : 'Waiting for the workflow to bring the endpoint back to blue...');
  const deadline = Date.now() + options.timeout;
  let described;
  for (;;) {
    try {
      described = await describeExecution(ctx.clients, followed);
    } catch (error) {
      if (error instanceof CliError && error.exitCode === EXIT.notFound) throw new CliError(`${error.message}; the lock names an execution that is gone: check the endpoint with "bluegreen status ${endpointName}"`, EXIT.notFound);
      throw error;
    }
    if (described.status !== 'RUNNING') break;
    if (Date.now() > deadline) {
      const pending = stranded ? 'the recovery goes on' : 'the abort stays requested';
      throw new CliError(`the execution is still running after ${formatSeconds(options.timeout / 1000)}; ${pending}. Follow it: bluegreen watch ${followed}`, EXIT.unexpected);
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
    if (row.outcome !== 'promoted') ctx.out.line(actions.length > 0 ? 'What the rollback did:' : 'The rollback took no action on the endpoint (green had not been stood up).');
    for (const action of actions) ctx.out.line(`  - ${action}`);
    for (const deleted of row.cleanedUp ?? []) ctx.out.line(`  - deleted ${deleted}`);
    for (const kept of row.leftovers ?? []) ctx.out.line(`  - kept ${kept.resource}: ${kept.reason}`);
  }
  ctx.out.line(`Now: ${serving(now)}`);
  if (code !== EXIT.ok) ctx.out.line(advice(endpointName, followed, outcome.status, row, stranded));
  ctx.out.document({
    ...requested,
    action: stranded ? 'recovered' : 'rolled-back',
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
