import { DescribeModelPackageCommand, ListModelPackagesCommand, type SageMakerClient } from '@aws-sdk/client-sagemaker';
import { StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { executionArnOf, modelPackageParts } from './arns';
import { tableKey } from './contracts';
import { isConditionFailure } from './errors';
import { describeExecutionIfExists } from './executions';
import { readLock, requestAbort, type AbortResult } from './locks';
import {
  approvalRow,
  decideApproval,
  inputFields,
  lostApproval,
  promotedBy,
  queuedRow,
  rejectionFallback,
  queueItem,
  QUEUE_SK,
  QUEUED_INDEX,
  type Approval,
  type ApprovalRow,
  type EndedExecution,
  type QueuedApproval,
  type QueuePolicy,
} from './queue-decisions';

/**
 * The approval queue's table and Step Functions calls: they carry out the pure decisions of
 * queue-decisions.ts (decideApproval, decideRejection, decideStranded) for lambdas/on-approval,
 * lambdas/on-execution-end and lambdas/on-backstop. The queue item (pk tableKey(endpoint), sk QUEUED) and the approvals'
 * history rows live in the lock's table; every write is conditional where two writers can race.
 */
export { QUEUE_SK, QUEUED_INDEX, requeuedName, type QueuedApproval } from './queue-decisions';

/** How many execution names a recovery may chain back through to find the endpoint (a recovery of a recovery…). */
const MAX_RECOVERY_CHAIN = 5;
/** Decide-and-write rounds when other approvals keep changing the queue between the read and the conditional write. */
const MAX_ADMIT_ROUNDS = 5;

export interface QueueClients {
  dynamo: DynamoDBDocumentClient;
  sfn: SFNClient;
}


export async function readQueued(dynamo: DynamoDBDocumentClient, tableName: string, endpointName: string): Promise<QueuedApproval | undefined> {
  const out = await dynamo.send(new GetCommand({ TableName: tableName, Key: { endpointName: tableKey(endpointName), sk: QUEUE_SK }, ConsistentRead: true }));
  return out.Item as QueuedApproval | undefined;
}

/**
 * Writes the queue item if the queue still holds what the decision saw (`replaces`: that
 * approval; none: nothing). False when it changed meanwhile: decide again.
 */
export async function putQueued(dynamo: DynamoDBDocumentClient, tableName: string, item: QueuedApproval, replaces: string | undefined): Promise<boolean> {
  try {
    await dynamo.send(
      new PutCommand({
        TableName: tableName,
        Item: item,
        ConditionExpression: replaces ? 'executionName = :replaces' : 'attribute_not_exists(sk)',
        ExpressionAttributeValues: replaces ? { ':replaces': replaces } : undefined,
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/**
 * Writes an approval's history row. `first`: only if the row does not exist yet — whoever wrote it
 * first (the approval queuing itself, or one that superseded or started it in between) knows more.
 */
export async function putApprovalRow(dynamo: DynamoDBDocumentClient, tableName: string, row: ApprovalRow, options: { first?: boolean } = {}): Promise<void> {
  try {
    await dynamo.send(new PutCommand({ TableName: tableName, Item: row, ConditionExpression: options.first ? 'attribute_not_exists(sk)' : undefined }));
  } catch (error) {
    if (!(options.first && isConditionFailure(error))) throw error;
  }
}

/** Removes the queue item if it is still this approval; returns it, or undefined when another one took its place or it is gone. */
export async function removeQueued(dynamo: DynamoDBDocumentClient, tableName: string, endpointName: string, executionName: string): Promise<QueuedApproval | undefined> {
  try {
    const out = await dynamo.send(
      new DeleteCommand({
        TableName: tableName,
        Key: { endpointName: tableKey(endpointName), sk: QUEUE_SK },
        ConditionExpression: 'executionName = :name',
        ExpressionAttributeValues: { ':name': executionName },
        ReturnValues: 'ALL_OLD',
      }),
    );
    return out.Attributes as QueuedApproval | undefined;
  } catch (error) {
    if (isConditionFailure(error)) return undefined;
    throw error;
  }
}

/**
 * Every approval waiting, one item per endpoint at most (the sparse QUEUED_INDEX: the history's rows
 * are not in it). An index read is eventually consistent: whoever acts on an item reads it again.
 */
export async function queuedApprovals(dynamo: DynamoDBDocumentClient, tableName: string): Promise<QueuedApproval[]> {
  const items: QueuedApproval[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await dynamo.send(
      new QueryCommand({ TableName: tableName, IndexName: QUEUED_INDEX, KeyConditionExpression: 'queued = :yes', ExpressionAttributeValues: { ':yes': 'yes' }, ExclusiveStartKey: start }),
    );
    items.push(...((page.Items ?? []) as QueuedApproval[]));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

/**
 * Notes on the queue item, if it is still this approval, that the backstop found its endpoint free
 * (`at`), or (`at` undefined) forgets it. False when the item was claimed or replaced meanwhile.
 */
export async function markFoundFree(dynamo: DynamoDBDocumentClient, tableName: string, item: Pick<QueuedApproval, 'endpointName' | 'executionName'>, at: string | undefined): Promise<boolean> {
  try {
    await dynamo.send(
      new UpdateCommand({
        TableName: tableName,
        Key: { endpointName: tableKey(item.endpointName), sk: QUEUE_SK },
        UpdateExpression: at ? 'SET foundFreeAt = if_not_exists(foundFreeAt, :at)' : 'REMOVE foundFreeAt',
        ConditionExpression: 'executionName = :name',
        ExpressionAttributeValues: at ? { ':name': item.executionName, ':at': at } : { ':name': item.executionName },
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

export type DrainResult =
  | { action: 'busy'; holder: string }
  | { action: 'empty' }
  /** `only` was given and another approval waits in its place now (or nothing does). */
  | { action: 'replaced' }
  | { action: 'started'; executionName: string; modelPackageArn: string; duplicate: boolean };

export interface DrainOptions {
  /** Start the queued approval only if it is still this one (the backstop's, acting on what it listed). */
  only?: string;
  /** Who started it and why, for its history row. */
  note?: string;
}

/**
 * Starts the queued approval of an endpoint whose lock is free: claims the queue item (a
 * conditional delete, so of two claimers only one gets it), starts it under its deterministic name
 * (a duplicate start finds ExecutionAlreadyExists) and records it on its history row. A start that
 * fails puts the item back before the error goes up, so the retried event finds it again.
 */
export async function startQueued(
  clients: QueueClients,
  tableName: string,
  stateMachineArn: string,
  endpointName: string,
  now: () => Date = () => new Date(),
  options: DrainOptions = {},
): Promise<DrainResult> {
  for (let round = 0; round < MAX_ADMIT_ROUNDS; round++) {
    const lock = await readLock(clients.dynamo, tableName, endpointName);
    if (lock) return { action: 'busy', holder: lock.promotionId };
    const queued = await readQueued(clients.dynamo, tableName, endpointName);
    if (options.only !== undefined && queued?.executionName !== options.only) return { action: 'replaced' };
    if (!queued) return { action: 'empty' };
    const claimed = await removeQueued(clients.dynamo, tableName, endpointName, queued.executionName);
    // Another approval replaced it, or another claimer took it, between the read and the delete.
    if (!claimed) continue;
    let duplicate = false;
    try {
      await clients.sfn.send(new StartExecutionCommand({ stateMachineArn, name: claimed.executionName, input: claimed.input }));
    } catch (error) {
      if (error instanceof Error && error.name === 'ExecutionAlreadyExists') {
        duplicate = true;
      } else {
        await putQueued(clients.dynamo, tableName, claimed, undefined);
        throw error;
      }
    }
    const at = now().toISOString();
    const waited = `approved at ${claimed.approvedAt}; waited for ${claimed.behind}`;
    await putApprovalRow(
      clients.dynamo,
      tableName,
      duplicate
        ? queuedRow(claimed, { reason: `${waited}; ${claimed.executionName} had run already (a duplicate delivery): not started again` })
        : queuedRow(claimed, { startedAs: claimed.executionName, reason: `${waited}; started as ${claimed.executionName} at ${at}${options.note ? ` ${options.note}` : ''}` }),
    );
    return { action: 'started', executionName: claimed.executionName, modelPackageArn: claimed.modelPackageArn, duplicate };
  }
  throw new Error(`the queue of ${endpointName} changed ${MAX_ADMIT_ROUNDS} times while it was being started; the event is retried`);
}

/**
 * The endpoint an ended execution was about: its input's, or, for a recovery (input
 * `{ recoverExecutionArn }`), the recovered execution's. Undefined for an input that names none.
 */
export async function endpointOfExecution(sfn: SFNClient, input: string | null | undefined): Promise<string | undefined> {
  let fields = inputFields(input);
  for (let depth = 0; depth < MAX_RECOVERY_CHAIN; depth++) {
    if (typeof fields.endpointName === 'string') return fields.endpointName;
    if (typeof fields.recoverExecutionArn !== 'string') return undefined;
    // Step Functions keeps a closed execution for 90 days; past that there is no endpoint to find.
    const recovered = await describeExecutionIfExists(sfn, fields.recoverExecutionArn);
    if (!recovered) return undefined;
    fields = inputFields(recovered.input);
  }
  return undefined;
}

/** Has an execution of this name started (running or ended)? Step Functions never starts a name twice. */
async function executionExists(sfn: SFNClient, stateMachineArn: string, name: string): Promise<boolean> {
  return (await describeExecutionIfExists(sfn, executionArnOf(stateMachineArn, name))) !== undefined;
}

/**
 * StartExecution of an approval's promotion. Step Functions answers a second start of the same name
 * and input with the running execution, no error (StartExecution, API reference: "idempotent"), so
 * look first to report a duplicate delivery as one; ExecutionAlreadyExists is one too.
 */
export async function startExecution(sfn: SFNClient, stateMachineArn: string, name: string, input: string): Promise<'started' | 'duplicate'> {
  if (await executionExists(sfn, stateMachineArn, name)) return 'duplicate';
  try {
    await sfn.send(new StartExecutionCommand({ stateMachineArn, name, input }));
    return 'started';
  } catch (error) {
    if (error instanceof Error && error.name === 'ExecutionAlreadyExists') return 'duplicate';
    throw error;
  }
}

export interface AdmitRequest {
  /** As the route spells it. */
  endpointName: string;
  group: string;
  approval: Approval;
  /** StartExecution's input (JSON). */
  input: string;
  live?: number;
  policy: QueuePolicy;
}

export interface Admitted {
  status: 'started' | 'duplicate' | 'ignored' | 'refused' | 'superseded' | 'queued';
  executionName: string;
  note: string;
  /** onNewerApproval "supersede": what asking the running promotion to roll back did. */
  abort?: AbortResult;
}

/**
 * Carries out decideApproval: starts the approval, queues it (then, since the promotion in flight
 * may have ended and found the queue empty since the lock was read, starts it if the lock is free
 * by now), or records why not. Rounds again when another approval changed the queue in between.
 */
export async function admit(clients: QueueClients, tableName: string, stateMachineArn: string, r: AdmitRequest, now: () => Date = () => new Date()): Promise<Admitted> {
  const name = r.approval.executionName;
  for (let round = 0; round < MAX_ADMIT_ROUNDS; round++) {
    const [lock, queued] = await Promise.all([readLock(clients.dynamo, tableName, r.endpointName), readQueued(clients.dynamo, tableName, r.endpointName)]);
    const d = decideApproval({ endpointName: r.endpointName, group: r.group, approval: r.approval, live: r.live, inFlight: lock, queued, policy: r.policy });
    const at = now().toISOString();
    // An approval waiting with no promotion in flight was stranded (its promotion's end event lost): this event starts it.
    const unstrand = async (admitted: Admitted): Promise<Admitted> => {
      if (!lock && queued) await startQueued(clients, tableName, stateMachineArn, r.endpointName, now);
      return admitted;
    };
    switch (d.action) {
      case 'duplicate':
        return unstrand({ status: 'duplicate', executionName: name, note: d.note });
      case 'ignore':
        return unstrand({ status: 'ignored', executionName: name, note: d.note });
      case 'refuse':
        await putApprovalRow(clients.dynamo, tableName, approvalRow(r.endpointName, r.approval, at, { outcome: 'refused', reason: d.reason }));
        return unstrand({ status: 'refused', executionName: name, note: d.reason });
      case 'superseded':
        await putApprovalRow(clients.dynamo, tableName, approvalRow(r.endpointName, r.approval, at, { outcome: 'superseded', reason: d.reason, supersededBy: d.supersededBy, behind: lock?.promotionId }));
        return unstrand({ status: 'superseded', executionName: name, note: d.reason });
      case 'start':
        return { status: await startExecution(clients.sfn, stateMachineArn, name, r.input), executionName: name, note: 'the endpoint was free' };
      case 'queue': {
        // A duplicate delivery of an approval whose promotion has ended already: nothing to queue.
        if (await executionExists(clients.sfn, stateMachineArn, name)) return unstrand({ status: 'duplicate', executionName: name, note: `${name} has run already` });
        const item = queueItem(r.endpointName, r.approval, r.input, at, lock?.promotionId ?? queued?.behind ?? 'a promotion that has ended');
        if (!(await putQueued(clients.dynamo, tableName, item, d.replaces?.item.executionName))) continue;
        if (d.replaces) await putApprovalRow(clients.dynamo, tableName, queuedRow(d.replaces.item, { outcome: 'superseded', reason: d.replaces.reason, supersededBy: d.replaces.supersededBy }));
        await putApprovalRow(clients.dynamo, tableName, queuedRow(item), { first: true });
        const abort = d.abortReason && lock ? await requestAbort(clients, tableName, lock, { error: 'PromotionAborted', reason: d.abortReason, at }) : undefined;
        // The race with the promotion's end: it may have released the lock and found no queue item since the read above.
        const drained = await startQueued(clients, tableName, stateMachineArn, r.endpointName, now);
        const started = drained.action === 'started' && drained.executionName === name;
        const note = started ? 'the endpoint became free: started' : `queued behind ${item.behind}${d.replaces ? `, superseding ${d.replaces.item.executionName}` : ''}`;
        return { status: started ? 'started' : 'queued', executionName: name, note, abort };
      }
    }
  }
  throw new Error(`the queue of ${r.endpointName} changed ${MAX_ADMIT_ROUNDS} times while ${name} was being queued; the event is retried`);
}

/** The group's latest Approved version other than `version` (ListModelPackages, every page). */
export async function latestApprovedOtherThan(sagemaker: SageMakerClient, group: string, version: number): Promise<{ modelPackageArn: string; version: number } | undefined> {
  let token: string | undefined;
  let best: { modelPackageArn: string; version: number } | undefined;
  do {
    const page = await sagemaker.send(new ListModelPackagesCommand({ ModelPackageGroupName: group, ModelApprovalStatus: 'Approved', NextToken: token, MaxResults: 100 }));
    for (const p of page.ModelPackageSummaryList ?? []) {
      const v = p.ModelPackageVersion ?? 0;
      if (v !== version && p.ModelPackageArn && (!best || v > best.version)) best = { modelPackageArn: p.ModelPackageArn, version: v };
    }
    token = page.NextToken;
  } while (token);
  return best;
}

/**
 * A promotion ended promoted with a version the registry rejected while it ran, too late for the
 * rollback (after its last abort check): the endpoint moves to the group's latest other approved
 * version, as a rejection of the live version does (queued like any approval).
 */
async function fallBackIfRejected(clients: EndClients, tableName: string, stateMachineArn: string, ended: EndedExecution, routedGroups: string[], now: () => Date): Promise<Admitted | undefined> {
  const live = promotedBy(ended, routedGroups);
  if (!live) return undefined;
  const described = await clients.sagemaker.send(new DescribeModelPackageCommand({ ModelPackageName: live.modelPackageArn }));
  if (described.ModelApprovalStatus !== 'Rejected') return undefined;
  const fallback = await latestApprovedOtherThan(clients.sagemaker, live.group, live.version);
  if (!fallback) return { status: 'ignored', executionName: ended.name, note: `version ${live.version} was rejected while it went live, and no other version is approved to move back to` };
  const { approval, input } = rejectionFallback(ended, live, fallback, now().toISOString());
  return admit(clients, tableName, stateMachineArn, { endpointName: live.endpointName, group: live.group, approval, input, policy: { onNewerApproval: 'queue', allowDowngrade: false } }, now);
}

export type EndClients = QueueClients & { sagemaker: SageMakerClient };

export interface AfterEnd {
  /** An approval whose start lost the race for the lock, queued again. */
  requeued?: Admitted;
  /** The move back from a version rejected while it went live. */
  fallback?: Admitted;
  drain: DrainResult | { action: 'no-endpoint' };
}

/**
 * After an execution ends (lambdas/on-execution-end): re-queue an approval whose start lost the
 * race for the lock; move back from a version of a routed group rejected while it went live; then
 * start the endpoint's queued approval if the lock is free (a promotion still holding it is
 * recovered first, and its recovery's own end starts the queue).
 */
export async function afterExecutionEnd(
  clients: EndClients,
  tableName: string,
  stateMachineArn: string,
  ended: EndedExecution,
  options: { routedGroups: string[]; now?: () => Date; endpointName?: string },
): Promise<AfterEnd> {
  const now = options.now ?? (() => new Date());
  const lost = lostApproval(ended);
  const requeued = lost
    ? await admit(clients, tableName, stateMachineArn, { endpointName: lost.endpointName, group: modelPackageParts(lost.approval.modelPackageArn).group, approval: lost.approval, input: lost.input, policy: { onNewerApproval: 'queue', allowDowngrade: false } }, now)
    : undefined;
  const fallback = await fallBackIfRejected(clients, tableName, stateMachineArn, ended, options.routedGroups, now);
  // The caller may know it already (on-execution-end resolved a recovery's endpoint): no second DescribeExecution.
  const endpointName = lost?.endpointName ?? options.endpointName ?? (await endpointOfExecution(clients.sfn, ended.input));
  if (!endpointName) return { requeued, fallback, drain: { action: 'no-endpoint' } };
  return { requeued, fallback, drain: await startQueued(clients, tableName, stateMachineArn, endpointName, now) };
}
