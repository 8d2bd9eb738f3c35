import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { DeleteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from '../shared/clients/dynamo';
import { historySk, LOCK_SK, type CleanupResult, type OutcomeResult, type PromotionState } from '../shared/contracts';
import { cleanupLeftovers, decideOutcome } from '../shared/decisions';
import { causeMessage } from '../shared/errors';
import { stateKeys, step } from '../shared/handler';
import { logger, metrics } from '../shared/powertools';
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

/** Last step on every path after the lock: writes the history row, then releases the lock (only if this promotion holds it). */
export const handler = step('record-outcome', stateKeys, async (state: PromotionState): Promise<OutcomeResult> => {
  const { tableName } = settings();
  const p = state.promotion;
  const { outcome, reason, error } = decideOutcome(state, (caught) => causeMessage(caught.Cause));
  const finishedAt = new Date().toISOString();
  const item = {
    outcome,
    reason,
    failedWith: state.failure?.Error,
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
    leftovers: withBlueWhenRollbackFailed(
      state,
      state.cleanupFailure
        ? cleanupLeftovers(state.failure || state.rollbackFailure ? 'green' : 'blue', state, `${state.cleanupFailure.Error}: ${causeMessage(state.cleanupFailure.Cause)}`)
        : state.cleanup?.kept,
    ),
    validation: state.validation?.samples.map((s) => ({ name: s.name, ok: s.ok, latencyMs: s.latencyMs, status: s.status })),
  };
  const names = Object.keys(item) as Array<keyof typeof item>;
  await dynamo.send(
    new UpdateCommand({
      TableName: tableName,
      Key: { endpointName: p.endpointName, sk: historySk(p.startedAt, p.id) },
      UpdateExpression: `SET ${names.map((n) => `#${n} = :${n}`).join(', ')}`,
      ExpressionAttributeNames: Object.fromEntries(names.map((n) => [`#${n}`, n])),
      ExpressionAttributeValues: Object.fromEntries(names.map((n) => [`:${n}`, item[n] ?? null])),
    }),
  );
  try {
    await dynamo.send(
      new DeleteCommand({
        TableName: tableName,
        Key: { endpointName: p.endpointName, sk: LOCK_SK },
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
  logger.info('promotion ended', { outcome, reason });
  return {
    outcome,
    reason,
    error,
    finishedAt,
  };
});
