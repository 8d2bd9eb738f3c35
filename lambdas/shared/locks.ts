import { SendTaskFailureCommand } from '@aws-sdk/client-sfn';
import { GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { versionOf } from './arns';
import { LOCK_SK, tableKey } from './contracts';
import type { Footprint } from './outside';
import { isConditionFailure, PromotionEnded } from './errors';
import type { AsyncLeftover } from './async-validation';
import { abortCause, type AlarmEvidence, type ValidationEvidence } from './evidence';

/**
 * Why a promotion is asked to stop: the error its wait fails with (the state machine catches it by
 * name). All but OutsideChange roll back; OutsideChange (someone else changed the endpoint) ends it
 * `interrupted` without touching the endpoint.
 */
export type AbortError = 'PromotionAborted' | 'GuardrailAlarm' | 'UnexpectedEndpointState' | 'OutsideChange';

/** What the bake expects the endpoint to run (the shift's outcome), for the backstop outside the execution. */
export interface BakeWatch {
  endpointName: string;
  configName: string;
  weights: Record<string, number>;
  /** What the promotion itself last did (lambdas/shared/outside.ts), so the backstop and endpoint events can tell someone else's change. */
  outside?: Footprint;
}

/** The lock item of an endpoint with a promotion in flight (table: pk endpointName = tableKey(name), sk LOCK). */
export interface LockItem {
  /** The table key: the endpoint's name in lower case (`tableKey`). */
  endpointName: string;
  /** The name as the promotion spelled it, for display (absent on items written before it existed). */
  endpointDisplayName?: string;
  sk: typeof LOCK_SK;
  promotionId: string;
  executionArn: string;
  modelPackageArn: string;
  acquiredAt: string;
  /** Sparse-index key: present on lock items only, so the InFlight index lists the promotions in flight. */
  inFlight: 'yes';
  /** Set while the bake waits for an alarm or its end: a SendTaskFailure to it rolls back at once. */
  bakeTaskToken?: string;
  /** Guardrail alarms watched by the bake (the alarm trigger matches events against them). */
  watchedAlarms?: string[];
  /** Present while the bake waits (CheckGuardrails removes it at the bake's end): the backstop checks only these. */
  bakeWatch?: BakeWatch;
  /** Set while an InService wait waits: an endpoint event (SendTaskSuccess) runs its check at once, an abort fails it. */
  waitTaskToken?: string;
  /** The endpoints that InService wait watches: the promotion's, or guardrails' validation endpoint. */
  watchedEndpoints?: string[];
  /** Set while the approval gate waits for a person: `bluegreen approve` / `reject` answer it, an abort fails it. */
  approvalTaskToken?: string;
  /** What the approval gate waits for, until when (lambdas/shared/approval.ts), for `bluegreen status`. */
  approvalWait?: import('./approval').ApprovalWait;
  /** An operator, an alarm or the bake's backstop asked to abort; every wait checks it when it wakes. */
  /** `alarm`: the guardrail alarm that asked, for the rollback's evidence (lambdas/shared/evidence.ts). */
  abortRequested?: { error: AbortError; reason: string; at: string; alarm?: AlarmEvidence };
  /**
   * The evidence a step found before it threw (a Lambda error carries only its name and message), for
   * the rollback's notification (lambdas/shared/evidence.ts evidenceOf): the guardrail alarm in ALARM at
   * the bake's check (check-guardrails), the failing samples (validate-green).
   */
  alarmEvidence?: AlarmEvidence;
  validationEvidence?: ValidationEvidence;
  /** The async validation's S3 objects it could not delete, or whose answer may still land (validate-green/async.ts): record-outcome names them as leftovers. */
  asyncLeftovers?: AsyncLeftover[];
  /**
   * The recovery execution finishing this promotion (lambdas/recover marks it): from then on only its
   * steps act; any other execution of the promotion (a redrive, an earlier recovery) ends `PromotionEnded`.
   */
  recoveredBy?: string;
  recoveredAt?: string;
}

export const IN_FLIGHT_INDEX = 'InFlight';

export async function readLock(dynamo: DynamoDBDocumentClient, tableName: string, endpointName: string): Promise<LockItem | undefined> {
  const out = await dynamo.send(new GetCommand({ TableName: tableName, Key: { endpointName: tableKey(endpointName), sk: LOCK_SK }, ConsistentRead: true }));
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

/**
 * Updates the lock item of the promotion that holds it, from one of its own execution's steps:
 * `expression` is an UpdateExpression over `values`; returns the item as it is now. PromotionEnded
 * (and nothing written) when the lock is not the promotion's any more or a recovery finishes it.
 */
export async function updateOwnLock(
  dynamo: DynamoDBDocumentClient,
  tableName: string,
  owner: { endpointName: string; id: string },
  expression: string,
  values: Record<string, unknown> = {},
): Promise<Partial<LockItem> | undefined> {
  let out;
  try {
    out = await dynamo.send(
      new UpdateCommand({
        TableName: tableName,
        Key: { endpointName: tableKey(owner.endpointName), sk: LOCK_SK },
        UpdateExpression: expression,
        ConditionExpression: 'promotionId = :me AND attribute_not_exists(recoveredBy)',
        ExpressionAttributeValues: { ...values, ':me': owner.id },
        ReturnValues: 'ALL_NEW',
      }),
    );
  } catch (error) {
    if (isConditionFailure(error)) {
      throw new PromotionEnded(`promotion ${owner.id} no longer holds the lock of ${owner.endpointName} (its outcome is recorded, or a recovery finishes it): nothing done`, { cause: error });
    }
    throw error;
  }
  return out?.Attributes as Partial<LockItem> | undefined;
}

export type AbortResult = 'signalled' | 'flagged' | 'not-running';

/** SendTask* to a token whose task is over (timed out, completed, or its execution ended). */
export function isStaleToken(error: unknown): boolean {
  return error instanceof Error && (error.name === 'TaskTimedOut' || error.name === 'InvalidToken' || error.name === 'TaskDoesNotExist');
}

/**
 * Asks the promotion holding `lock` to roll back: flags the lock (every wait checks it when it
 * wakes) and fails the task token of the wait in progress (the bake's, an InService wait's, or the approval gate's),
 * so the rollback starts now. The flag is written first and the tokens read back in the same
 * call, and a wait parks its token the same way before reading the flag: one of the two always
 * sees the other. Idempotent: a second call finds the flag and the tokens already used.
 * `whileBaking`: only if the bake still waits (the backstop must not act on a later phase).
 */
export async function requestAbort(
  clients: { dynamo: DynamoDBDocumentClient; sfn: SFNClient },
  tableName: string,
  lock: LockItem,
  abort: NonNullable<LockItem['abortRequested']>,
  options: { whileBaking?: boolean } = {},
): Promise<AbortResult> {
  let current: Partial<LockItem> | undefined;
  try {
    const out = await clients.dynamo.send(
      new UpdateCommand({
        TableName: tableName,
        Key: { endpointName: tableKey(lock.endpointName), sk: LOCK_SK },
        UpdateExpression: 'SET abortRequested = if_not_exists(abortRequested, :abort)',
        ConditionExpression: options.whileBaking ? 'promotionId = :id AND attribute_exists(bakeWatch)' : 'promotionId = :id',
        ExpressionAttributeValues: { ':abort': abort, ':id': lock.promotionId },
        ReturnValues: 'ALL_NEW',
      }),
    );
    current = out?.Attributes as Partial<LockItem> | undefined;
  } catch (error) {
    if (isConditionFailure(error)) return 'not-running';
    throw error;
  }
  const item = current ?? lock;
  let signalled = false;
  for (const token of new Set([item.bakeTaskToken, item.waitTaskToken, item.approvalTaskToken])) {
    if (!token) continue;
    try {
      await clients.sfn.send(new SendTaskFailureCommand({ taskToken: token, error: abort.error, cause: abortCause(abort.reason, abort.alarm) }));
      signalled = true;
    } catch (error) {
      // That wait is over (its timeout, or the execution ended): the flag does the rest.
      if (!isStaleToken(error)) throw error;
    }
  }
  return signalled ? 'signalled' : 'flagged';
}

/**
 * Why a start is refused while `holder` promotes the endpoint: the running promotion (its id,
 * version, package, since when) and the fix. Shared by ValidateInput, AcquireLock and `bluegreen plan`.
 */
export function promotionInProgressMessage(
  endpointName: string,
  holder: Pick<LockItem, 'promotionId' | 'modelPackageArn' | 'acquiredAt'> & Partial<Pick<LockItem, 'endpointDisplayName'>>,
): string {
  const spelled = holder.endpointDisplayName && holder.endpointDisplayName !== endpointName ? ` (spelled ${holder.endpointDisplayName} by that promotion)` : '';
  return (
    `endpoint ${endpointName}${spelled} is being promoted by ${holder.promotionId} ` +
    `(version ${versionOf(holder.modelPackageArn) ?? '?'}, model package ${holder.modelPackageArn}, since ${holder.acquiredAt}); ` +
    `wait for it to end or abort it with "bluegreen rollback ${endpointName}"`
  );
}
