import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from '../shared/clients/dynamo';
import { historySk, LOCK_SK, type LockResult, type PromotionState } from '../shared/contracts';
import { PromotionInProgress } from '../shared/errors';
import { stateKeys, step } from '../shared/handler';
import { settings } from '../shared/settings';

/**
 * One promotion per endpoint: a conditional put that succeeds when nobody holds the
 * lock, or when this same promotion already does (a retried step). Also writes the
 * history row as `running`, so `bluegreen status` sees the promotion in flight.
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
          endpointName: p.endpointName,
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
    if (error instanceof Error && error.name === 'ConditionalCheckFailedException') {
      const holder = await dynamo.send(new GetCommand({ TableName: tableName, Key: { endpointName: p.endpointName, sk: LOCK_SK }, ConsistentRead: true }));
      const h = holder.Item ?? {};
      throw new PromotionInProgress(
        `endpoint ${p.endpointName} is being promoted by ${String(h.promotionId)} (model package ${String(h.modelPackageArn)}, since ${String(h.acquiredAt)}); wait for it to end or abort it with "bluegreen rollback ${p.endpointName}"`,
        { cause: error },
      );
    }
    throw error;
  }
  await dynamo.send(
    new PutCommand({
      TableName: tableName,
      Item: {
        endpointName: p.endpointName,
        sk: historySk(p.startedAt, p.id),
        promotionId: p.id,
        executionArn: p.executionArn,
        modelPackageArn: p.modelPackageArn,
        modelPackageVersion: p.modelPackageVersion,
        requestedBy: p.requestedBy,
        startedAt: p.startedAt,
        outcome: 'running',
      },
    }),
  );
  return { owner: p.id, acquiredAt };
});
