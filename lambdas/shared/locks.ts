import { SendTaskFailureCommand } from '@aws-sdk/client-sfn';
import { GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { LOCK_SK } from './contracts';

/** The lock item of an endpoint with a promotion in flight (table: pk endpointName, sk LOCK). */
export interface LockItem {
  endpointName: string;
  sk: typeof LOCK_SK;
  promotionId: string;
  executionArn: string;
  modelPackageArn: string;
  acquiredAt: string;
  /** Sparse-index key: present on lock items only, so the InFlight index lists the promotions in flight. */
  inFlight: 'yes';
  /** Set while the bake waits for an alarm or its next poll: a SendTaskFailure to it rolls back at once. */
  bakeTaskToken?: string;
  /** Guardrail alarms watched by the bake (the alarm trigger matches events against them). */
  watchedAlarms?: string[];
  /** An operator or an alarm asked to abort; every wait loop checks it at its next poll. */
  abortRequested?: { error: 'PromotionAborted' | 'GuardrailAlarm'; reason: string; at: string };
}

export const IN_FLIGHT_INDEX = 'InFlight';

export async function readLock(dynamo: DynamoDBDocumentClient, tableName: string, endpointName: string): Promise<LockItem | undefined> {
  const out = await dynamo.send(new GetCommand({ TableName: tableName, Key: { endpointName, sk: LOCK_SK }, ConsistentRead: true }));
  return out.Item as LockItem | undefined;
}

export async function locksInFlight(dynamo: DynamoDBDocumentClient, tableName: string): Promise<LockItem[]> {
  const items: LockItem[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await dynamo.send(
      new QueryCommand({ TableName: tableName, IndexName: IN_FLIGHT_INDEX, KeyConditionExpression: 'inFlight = :yes', ExpressionAttributeValues: { ':yes': 'yes' }, ExclusiveStartKey: start }),
    );
    items.push(...((page.Items ?? []) as LockItem[]));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

export type AbortResult = 'signalled' | 'flagged' | 'not-running';

/**
 * Asks the promotion holding `lock` to roll back: flags the lock (every wait loop checks it
 * at its next poll) and, when the bake is waiting on its task token, fails that task so the
 * rollback starts now. Idempotent: a second call finds the flag and the token already used.
 */
export async function requestAbort(
  clients: { dynamo: DynamoDBDocumentClient; sfn: SFNClient },
  tableName: string,
  lock: LockItem,
  abort: NonNullable<LockItem['abortRequested']>,
): Promise<AbortResult> {
  try {
    await clients.dynamo.send(
      new UpdateCommand({
        TableName: tableName,
        Key: { endpointName: lock.endpointName, sk: LOCK_SK },
        UpdateExpression: 'SET abortRequested = if_not_exists(abortRequested, :abort)',
        ConditionExpression: 'promotionId = :id',
        ExpressionAttributeValues: { ':abort': abort, ':id': lock.promotionId },
      }),
    );
  } catch (error) {
    if (error instanceof Error && error.name === 'ConditionalCheckFailedException') return 'not-running';
    throw error;
  }
  if (!lock.bakeTaskToken) return 'flagged';
  try {
    await clients.sfn.send(new SendTaskFailureCommand({ taskToken: lock.bakeTaskToken, error: abort.error, cause: abort.reason }));
    return 'signalled';
  } catch (error) {
    // The bake already moved on (poll timeout) or the execution ended: the flag does the rest.
    if (error instanceof Error && (error.name === 'TaskTimedOut' || error.name === 'InvalidToken' || error.name === 'TaskDoesNotExist')) return 'flagged';
    throw error;
  }
}
