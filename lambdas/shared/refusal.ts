import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { versionOf } from './arns';
import { historySk, tableKey, type RefusedRow } from './contracts';
import type { LockItem } from './locks';

/** The start that was refused, as the execution knows it. */
export interface RefusedStart {
  id: string;
  executionArn: string;
  endpointName: string;
  modelPackageArn: string;
  startedAt: string;
  requestedBy: string;
}

/** The history row of a start refused because `holder` promotes the endpoint (pure: the item to put). */
export function refusedRow(start: RefusedStart, holder: Pick<LockItem, 'promotionId'>, reason: string, finishedAt: string): RefusedRow {
  return {
    endpointName: tableKey(start.endpointName),
    endpointDisplayName: start.endpointName,
    sk: historySk(start.startedAt, start.id),
    promotionId: start.id,
    executionArn: start.executionArn,
    modelPackageArn: start.modelPackageArn,
    modelPackageVersion: versionOf(start.modelPackageArn) ?? null,
    requestedBy: start.requestedBy,
    startedAt: start.startedAt,
    finishedAt,
    outcome: 'refused',
    reason,
    failedWith: 'PromotionInProgress',
    refusedFor: holder.promotionId,
  };
}

/**
 * Records a refused start in the history, so `bluegreen history` shows who asked and why nothing
 * happened. Keyed by the refused execution: a retried step writes the same row again.
 */
export async function recordRefusal(dynamo: DynamoDBDocumentClient, tableName: string, row: RefusedRow): Promise<void> {
  await dynamo.send(new PutCommand({ TableName: tableName, Item: row }));
}
