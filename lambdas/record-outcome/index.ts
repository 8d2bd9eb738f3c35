import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { DeleteCommand, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { throwIfPromotionEnded } from '../shared/abort';
import { dynamo } from '../shared/clients/dynamo';
import { historySk, LOCK_SK, tableKey, type CleanupResult, type OutcomeResult, type Promotion, type PromotionState } from '../shared/contracts';
import { cleanupLeftovers, decideOutcome } from '../shared/decisions';
import { causeMessage, PromotionEnded } from '../shared/errors';
import { stateKeys, step } from '../shared/handler';
import { interruptionOf } from '../shared/outside';
import { metrics } from '../shared/metrics';
import { logger } from '../shared/powertools';
import type { RecoverableState } from '../shared/recovery';
import { settings } from '../shared/settings';

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
  try {
    await throwIfPromotionEnded(state);
  } catch (ended) {
    const mine = ended instanceof PromotionEnded ? await ownFinalRow(tableName, p, recordedBy) : undefined;
    if (!mine) throw ended;
    return { outcome, reason, error, finishedAt: String(mine.finishedAt) };
  }
  const finishedAt = new Date().toISOString();
  const item = {
    outcome,
    reason,
    failedWith: state.failure?.Error,
    /** Someone else changed the endpoint: what changed, which check saw it and when (lambdas/shared/outside.ts). */
    interruption: state.interruption ? interruptionOf(causeMessage(state.interruption.Cause), finishedAt) : undefined,
    finishedAt,
    durationSeconds: Math.round((Date.parse(finishedAt) - Date.parse(p.startedAt)) / 1000),
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
    leftovers: withBlueScalingWhenInterrupted(state, withBlueWhenRollbackFailed(
      state,
      state.cleanupFailure
        ? cleanupLeftovers(state.failure || state.rollbackFailure || state.interruption ? 'green' : 'blue', state, `${state.cleanupFailure.Error}: ${causeMessage(state.cleanupFailure.Cause)}`)
        : state.cleanup?.kept,
    )),
    validation: state.validation?.samples.map((s) => ({ name: s.name, ok: s.ok, latencyMs: s.latencyMs, status: s.status })),
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
    if (!(failed instanceof Error && failed.name === 'ConditionalCheckFailedException')) throw failed;
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
    if (!(error instanceof Error && error.name === 'ConditionalCheckFailedException')) throw error;
    logger.warn('lock was not held by this promotion; left as it is');
  }
  metrics.addDimension('Outcome', outcome);
  metrics.addMetric('PromotionsEnded', MetricUnit.Count, 1);
  metrics.publishStoredMetrics();
  logger.info('promotion ended', { outcome, reason });
  return {
    outcome,
    reason,
    error,
    finishedAt,
  };
});
