import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { tableKey } from '../lambdas/shared/contracts';
import { readLock, type LockItem } from '../lambdas/shared/locks';
import { modelPackageParts } from '../lambdas/shared/input';
import { greenNames } from '../lambdas/shared/naming';
import { readQueued } from '../lambdas/shared/queue';
import type { QueuedApproval } from '../lambdas/shared/queue-decisions';
import { onTable, type AwsClients } from './aws';
import { describeExecution } from './follow';
import { CliError } from './errors';

/** A history row, as lambdas/acquire-lock writes it and lambdas/record-outcome completes it. */
export interface HistoryRow {
  /** The table key (`tableKey`: lower case); the name as the promotion spelled it is `endpointDisplayName`. */
  endpointName: string;
  endpointDisplayName?: string;
  sk: string;
  /** A promotion's row. Absent on an approval's row (queued, superseded or refused: lambdas/shared/queue.ts ApprovalRow), which has `approvalId`. */
  promotionId?: string;
  executionArn?: string;
  modelPackageArn: string;
  modelPackageVersion: number;
  requestedBy?: string;
  /** A promotion's start; an approval's row has `recordedAt` instead. */
  startedAt?: string;
  /** `running` until record-outcome writes promoted | rolled_back | failed | interrupted; an approval's row: queued | superseded | refused. */
  outcome: string;
  /** An approval's row: the execution it starts (or would have started) as, when it was approved and recorded, and what became of it. */
  approvalId?: string;
  approvedAt?: string;
  recordedAt?: string;
  behind?: string;
  supersededBy?: string;
  startedAs?: string;
  reason?: string | null;
  failedWith?: string | null;
  finishedAt?: string | null;
  durationSeconds?: number | null;
  blueConfig?: string | null;
  blueModelPackageVersion?: number | null;
  greenConfig?: string | null;
  greenVariant?: string | null;
  firstDeployment?: boolean | null;
  rollbackActions?: string[] | null;
  cleanedUp?: string[] | null;
  leftovers?: Array<{ resource: string; reason: string }> | null;
  /** The approval gate's outcome: who approved or rejected and why, or its timeout (lambdas/shared/approval.ts). */
  approval?: import('../lambdas/shared/approval').ApprovalResult | null;
  /** Every `bluegreen rollback` asked of this promotion (who, why, when), the ones after the first included (cli/commands/rollback.ts). */
  rollbackRequests?: Array<{ by: string; reason: string; at: string }> | null;
  /** `interrupted`: what someone else changed on the endpoint, which check saw it and when. */
  interruption?: { change: string; detectedBy: string; detectedAt: string } | null;
}

/** Newest first (the sort key holds the start time); any spelling of the name finds the endpoint's rows, as SageMaker compares names. */
export async function queryHistory(clients: AwsClients, tableName: string, endpointName: string, limit: number): Promise<HistoryRow[]> {
  const rows: HistoryRow[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await onTable(tableName, () =>
      clients.dynamo.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: 'endpointName = :e AND begins_with(sk, :p)',
          ExpressionAttributeValues: { ':e': tableKey(endpointName), ':p': 'PROMOTION#' },
          ScanIndexForward: false,
          Limit: limit - rows.length,
          ExclusiveStartKey: start,
        }),
      ),
    );
    rows.push(...((page.Items ?? []) as HistoryRow[]));
    start = page.LastEvaluatedKey;
  } while (start && rows.length < limit);
  return rows;
}

/** The history row of one promotion (looked up among the endpoint's latest). */
export async function historyRowOf(clients: AwsClients, tableName: string, endpointName: string, promotionId: string): Promise<HistoryRow | undefined> {
  return (await queryHistory(clients, tableName, endpointName, 50)).find((r) => r.promotionId === promotionId);
}

export interface InFlight {
  lock: LockItem;
  promotionId: string;
  executionArn: string;
  modelPackageArn: string;
  modelPackageVersion?: number;
  /** The variant the promotion adds: its name is derived from the promotion id, as the workflow derives it. */
  greenVariant?: string;
  /** Green's model, named the same way: how green is recognised when it keeps blue's variant name (guardrails). */
  greenModel?: string;
  since: string;
  /** DescribeExecution's status, or UNKNOWN when the execution cannot be described. */
  executionStatus: string;
  abortRequested?: LockItem['abortRequested'];
}

export async function inFlightPromotion(clients: AwsClients, tableName: string, endpointName: string): Promise<InFlight | undefined> {
  const lock = await onTable(tableName, () => readLock(clients.dynamo, tableName, endpointName));
  if (!lock) return undefined;
  let version: number | undefined;
  try {
    version = modelPackageParts(lock.modelPackageArn).version;
  } catch {
    version = undefined;
  }
  let executionStatus = 'UNKNOWN';
  try {
    executionStatus = (await describeExecution(clients, lock.executionArn)).status ?? 'UNKNOWN';
  } catch (error) {
    if (!(error instanceof CliError)) throw error; // not found: the lock outlived its execution; say so in the status
  }
  // Green's names derive from the name as the promotion spelled it, not as this caller typed it.
  const names = version === undefined ? undefined : greenNames(lock.endpointDisplayName ?? endpointName, version, lock.promotionId);
  return {
    lock,
    promotionId: lock.promotionId,
    executionArn: lock.executionArn,
    modelPackageArn: lock.modelPackageArn,
    modelPackageVersion: version,
    greenVariant: names?.variant,
    greenModel: names?.model,
    since: lock.acquiredAt,
    executionStatus,
    abortRequested: lock.abortRequested,
  };
}

/** The approval queued behind the promotion in flight (lambdas/shared/queue.ts), if any. */
export async function queuedApproval(clients: AwsClients, tableName: string, endpointName: string): Promise<QueuedApproval | undefined> {
  return onTable(tableName, () => readQueued(clients.dynamo, tableName, endpointName));
}
