import { DeleteCommand, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { throwIfPromotionEnded } from '../shared/abort';
import { dynamo } from '../shared/clients/dynamo';
import { historySk, LOCK_SK, tableKey, type CleanupResult, type Outcome, type OutcomeResult, type Promotion, type PromotionState } from '../shared/contracts';
import { approvalRecord } from '../shared/approval';
import { withAsyncLeftovers } from '../shared/async-validation';
import { cleanupLeftovers, decideOutcome } from '../shared/decisions';
import { causeMessage, isConditionFailure, PromotionEnded } from '../shared/errors';
import { blueFacts, durationSeconds, evidenceOf, type Evidence } from '../shared/evidence';
import { stateKeys, step } from '../shared/handler';
import { interruptionOf } from '../shared/outside';
import { captureColdStart, metrics } from '../shared/metrics';
import { outcomeMetrics, outcomeProperties, type AbortRequest } from '../shared/outcome-metrics';
import { logger } from '../shared/powertools';
import type { RecoverableState } from '../shared/recovery';
import { settings } from '../shared/settings';
import type { LockItem } from '../shared/locks';

type Leftover = CleanupResult['kept'][number];

/**
 * A rollback that gave up leaves the endpoint on either side (a SageMaker deployment in flight may
 * still complete on green), and green's cleanup looks at green's side only: blue's config and
 * models are named too, so whichever side ends up unused is on the record.
 */
function withBlueWhenRollbackFailed(state: PromotionState, leftovers: Leftover[] | undefined): Leftover[] | undefined {
  const blue = state.blue;
  if (!state.rollbackFailure || !blue?.exists) return leftovers;
  const reason = 'the rollback did not complete: kept; the endpoint may run either side, delete this once it does not run blue';
  const named = new Set((leftovers ?? []).map((l) => l.resource));
  const blues = [...(blue.endpointConfigName ? [`config ${blue.endpointConfigName}`] : []), ...blue.modelNames.map((m) => `model ${m}`)];
  return [...(leftovers ?? []), ...blues.filter((r) => !named.has(r)).map((resource) => ({ resource, reason }))];
}

/**
 * variant: Finalize deregisters blue's scalable target before the update that drops blue's variant;
 * a rollback restores it, an interruption does not (the endpoint stays as the outside change left
 * it), so the record says so: whoever made the change decides whether blue's variant needs it back.
 */
function withBlueScalingWhenInterrupted(state: PromotionState, leftovers: Leftover[] | undefined): Leftover[] | undefined {
  const variant = state.blue?.variants[0]?.variantName;
  if (!state.interruption || state.promotion.strategy !== 'variant' || !state.finalize || !state.blue?.scaling || !variant) return leftovers;
  const resource = `autoscaling of variant ${variant} (scalable target endpoint/${state.promotion.endpointName}/variant/${variant})`;
  const reason = "deregistered by Finalize before the outside change and not restored, since the endpoint is left as that change set it; register it again if blue's variant serves";
  return [...(leftovers ?? []), { resource, reason }];
}

/** The history row this execution already made final (a retry of this step after it recorded and released the lock). */
async function ownFinalRow(tableName: string, p: Promotion, recordedBy: string): Promise<Record<string, unknown> | undefined> {
  const out = await dynamo.send(new GetCommand({ TableName: tableName, Key: { endpointName: tableKey(p.endpointName), sk: historySk(p.startedAt, p.id) }, ConsistentRead: true }));
  const row = out.Item;
  return row && row.outcome !== 'running' && row.recordedBy === recordedBy ? row : undefined;
}

/** One EMF document per dimension set (lambdas/shared/outcome-metrics.ts), each carrying the endpoint and promotion as properties. */
function publishOutcomeMetrics(state: RecoverableState, outcome: Outcome, finishedAt: string, abort: AbortRequest | undefined): void {
  for (const batch of outcomeMetrics(state, outcome, finishedAt, abort)) {
    if (batch.at) metrics.setTimestamp(new Date(batch.at));
    metrics.addDimensions(batch.dimensions);
    for (const m of batch.metrics) metrics.addMetric(m.name, m.unit, m.value);
    for (const [key, value] of Object.entries(outcomeProperties(state))) metrics.addMetadata(key, value);
    metrics.publishStoredMetrics();
  }
}

/**
 * Last step on every path after the lock: writes the history row, then releases the lock (only if
 * this promotion holds it). Only while this execution still acts for the promotion (the guard), and
 * a row already made final by another execution is never overwritten: PromotionEnded instead.
 */
export const handler = step('record-outcome', stateKeys, async (state: RecoverableState): Promise<OutcomeResult> => {
  const { tableName } = settings();
  const p = state.promotion;
  const { outcome, reason, error } = decideOutcome(state, (caught) => causeMessage(caught.Cause));
  // Who writes the record: the promotion's own execution, or the recovery finishing it.
  const recordedBy = state.recovery?.executionArn ?? p.executionArn;
  captureColdStart();
  let abort: AbortRequest | undefined;
  let evidence: Evidence;
  let lock: LockItem;
  try {
    lock = await throwIfPromotionEnded(state);
    abort = lock.abortRequested;
    // The lock holds what the steps found before they threw (the failing samples, the alarm): read before it is released.
    evidence = evidenceOf(state, lock);
  } catch (ended) {
    const mine = ended instanceof PromotionEnded ? await ownFinalRow(tableName, p, recordedBy) : undefined;
    if (!mine) throw ended;
    const recorded = String(mine.finishedAt);
    // The lock is gone: the evidence is the row's (rows recorded before it existed: what the state alone says).
    const kept = (mine.evidence as Evidence | null | undefined) ?? evidenceOf(state);
    return { outcome, reason, error, finishedAt: recorded, durationSeconds: durationSeconds(p.startedAt, recorded), blue: blueFacts(state), evidence: kept };
  }
  const finishedAt = new Date().toISOString();
  const item = {
    outcome,
    reason,
    failedWith: state.failure?.Error,
    /** Someone else changed the endpoint: what changed, which check saw it and when (lambdas/shared/outside.ts). */
    interruption: state.interruption ? interruptionOf(causeMessage(state.interruption.Cause), finishedAt) : undefined,
    finishedAt,
    durationSeconds: durationSeconds(p.startedAt, finishedAt),
    blueConfig: state.blue?.endpointConfigName,
    blueModelPackageVersion: state.blue?.modelPackageVersion,
    greenConfig: state.green?.greenConfigName,
    greenVariant: state.green?.variantName,
    firstDeployment: state.blue ? !state.blue.exists : undefined,
    phases: {
      standUpAt: state.standUp?.at,
      shiftAt: state.shift?.at,
      bakeStartedAt: state.bake?.startedAt,
      finalizeAt: state.finalize?.at,
    },
    rollbackActions: state.rollback?.actions,
    cleanedUp: state.cleanup?.deleted,
    leftovers: withAsyncLeftovers(
      withBlueScalingWhenInterrupted(state, withBlueWhenRollbackFailed(
        state,
        state.cleanupFailure
          ? cleanupLeftovers(state.failure || state.rollbackFailure || state.interruption ? 'green' : 'blue', state, `${state.cleanupFailure.Error}: ${causeMessage(state.cleanupFailure.Cause)}`)
          : state.cleanup?.kept,
      )),
      // The async validation's S3 objects it could not delete or whose answer may still land (kept on the lock by validate-green, even when it threw).
      lock.asyncLeftovers,
    ),
    validation: state.validation?.samples.map((s) => ({ name: s.name, ok: s.ok, latencyMs: s.latencyMs, status: s.status })),
    /** What the lifecycle event of the end carries (lambdas/shared/evidence.ts), kept for a retry of this step after the lock is gone. */
    evidence,
    /** The approval gate's outcome: who approved or rejected and why, or its timeout (lambdas/shared/approval.ts). */
    approval: approvalRecord(state, (caught) => causeMessage(caught.Cause)),
    recordedBy,
    /** Set when a recovery execution finished the promotion: how its execution ended and what the recovery decided. */
    recovery: state.recovery,
  };
  const names = Object.keys(item) as Array<keyof typeof item>;
  try {
    await dynamo.send(
      new UpdateCommand({
        TableName: tableName,
        Key: { endpointName: tableKey(p.endpointName), sk: historySk(p.startedAt, p.id) },
        UpdateExpression: `SET ${names.map((n) => `#${n} = :${n}`).join(', ')}`,
        // Idempotent: a row another execution already made final stays as it is.
        ConditionExpression: 'attribute_not_exists(#outcome) OR #outcome = :running OR #recordedBy = :recordedBy',
        ExpressionAttributeNames: Object.fromEntries(names.map((n) => [`#${n}`, n])),
        ExpressionAttributeValues: { ...Object.fromEntries(names.map((n) => [`:${n}`, item[n] ?? null])), ':running': 'running' },
      }),
    );
  } catch (failed) {
    if (!isConditionFailure(failed)) throw failed;
    throw new PromotionEnded(`the history row of promotion ${p.id} was already made final by another execution: not overwritten`, { cause: failed });
  }
  try {
    await dynamo.send(
      new DeleteCommand({
        TableName: tableName,
        Key: { endpointName: tableKey(p.endpointName), sk: LOCK_SK },
        ConditionExpression: 'promotionId = :me',
        ExpressionAttributeValues: { ':me': p.id },
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    logger.warn('lock was not held by this promotion; left as it is');
  }
  publishOutcomeMetrics(state, outcome, finishedAt, abort);
  logger.info('promotion ended', { outcome, reason });
  return {
    outcome,
    reason,
    error,
    finishedAt,
    durationSeconds: item.durationSeconds,
    blue: blueFacts(state),
    evidence,
  };
});
