import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from '../shared/clients/dynamo';
import { historySk, LOCK_SK, tableKey, type LockResult, type PromotionState } from '../shared/contracts';
import { isConditionFailure, PromotionInProgress } from '../shared/errors';
import { stateKeys, step } from '../shared/handler';
import { promotionInProgressMessage, type LockItem } from '../shared/locks';
import { recordRefusal, refusedRow } from '../shared/refusal';
import { settings } from '../shared/settings';

/**
 * One promotion per endpoint (the table key is the name in lower case, as SageMaker compares
 * names): a conditional put that succeeds when nobody holds the lock, or when this same promotion
 * already does (a retried step). ValidateInput refuses a busy endpoint first; this is the atomic
 * guarantee against two starts that both passed it (the loser's start is recorded as `refused`
 * there too). Also writes the history row as `running`, so `bluegreen status` sees the promotion in flight.
 */
export const handler = step('acquire-lock', stateKeys, async (state: PromotionState): Promise<LockResult> => {
  const { tableName } = settings();
  const p = state.promotion;
  const acquiredAt = new Date().toISOString();
  try {
    await dynamo.send(
      new PutCommand({
        TableName: tableName,
        Item: {
          endpointName: tableKey(p.endpointName),
          endpointDisplayName: p.endpointName,
          sk: LOCK_SK,
          promotionId: p.id,
          executionArn: p.executionArn,
          modelPackageArn: p.modelPackageArn,
          acquiredAt,
          inFlight: 'yes',
        },
        ConditionExpression: 'attribute_not_exists(endpointName) OR promotionId = :me',
        ExpressionAttributeValues: { ':me': p.id },
      }),
    );
  } catch (error) {
    if (isConditionFailure(error)) {
      const holder = await dynamo.send(new GetCommand({ TableName: tableName, Key: { endpointName: tableKey(p.endpointName), sk: LOCK_SK }, ConsistentRead: true }));
      const h = holder.Item as LockItem | undefined;
      if (!h) {
        throw new PromotionInProgress(`endpoint ${p.endpointName} was held by another promotion, which has just ended; start this one again`, { cause: error });
      }
      const reason = promotionInProgressMessage(p.endpointName, h);
      await recordRefusal(dynamo, tableName, refusedRow(p, h, reason, new Date().toISOString()));
      throw new PromotionInProgress(reason, { cause: error });
    }
    throw error;
  }
  await dynamo.send(
    new PutCommand({
      TableName: tableName,
      Item: {
        endpointName: tableKey(p.endpointName),
        endpointDisplayName: p.endpointName,
        sk: historySk(p.startedAt, p.id),
        promotionId: p.id,
        executionArn: p.executionArn,
        modelPackageArn: p.modelPackageArn,
        modelPackageVersion: p.modelPackageVersion,
        requestedBy: p.requestedBy,
        startedAt: p.startedAt,
        // How this endpoint's kind is promoted (lambdas/shared/kinds.ts), for history and `bluegreen status`.
        strategy: p.strategy,
        kind: p.kind ?? 'real-time',
        ...(p.strategyReason ? { strategyReason: p.strategyReason } : {}),
        ...(p.variantName ? { targetVariant: p.variantName } : {}),
        ...(p.inferenceComponentName ? { inferenceComponentName: p.inferenceComponentName } : {}),
        outcome: 'running',
      },
    }),
  );
  return { owner: p.id, acquiredAt };
});
