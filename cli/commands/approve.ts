import { SendTaskFailureCommand, SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { APPROVAL_REJECTED, rejectionCause, type ApprovalAnswer, type ApprovalWait } from '../../lambdas/shared/approval';
import { LOCK_SK, tableKey } from '../../lambdas/shared/contracts';
import { isStaleToken, readLock, type LockItem } from '../../lambdas/shared/locks';
import { versionOf } from '../../lambdas/shared/arns';
import type { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { DescribeEndpointCommand } from '@aws-sdk/client-sagemaker';
import { isConditionFailure, isNotFound } from '../../lambdas/shared/errors';
import type { StackOptions } from '../aws';
import type { Context } from '../context';
import { endpointNotFound } from '../endpoint';
import { CliError, EXIT } from '../errors';

/** How an operator answers the approval gate: approve, or reject with a reason. */
export type ApprovalDecision = { decision: 'approved'; by: string; reason?: string } | { decision: 'rejected'; by: string; reason: string };

export interface AnsweredApproval {
  endpointName: string;
  promotionId: string;
  executionArn: string;
  version: number | null;
  decision: ApprovalDecision['decision'];
  by: string;
  at: string;
  reason: string | null;
  /** What the gate was waiting for (its deadline and default action). */
  wait: ApprovalWait | null;
}

/** No promotion waits for an answer: nothing to approve or reject (exit 4, like any missing thing). */
export class NothingToApprove extends CliError {
  constructor(message: string) {
    super(message, EXIT.notFound);
  }
}

async function endpointExists(sagemaker: SageMakerClient, endpointName: string): Promise<boolean> {
  try {
    await sagemaker.send(new DescribeEndpointCommand({ EndpointName: endpointName }));
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}

/** The lock's gate is answered: it stops showing it (only if it still shows this very wait; the gate's own step removes it too). */
async function clearGate(dynamo: DynamoDBDocumentClient, tableName: string, lock: LockItem, token: string): Promise<void> {
  try {
    await dynamo.send(
      new UpdateCommand({
        TableName: tableName,
        Key: { endpointName: tableKey(lock.endpointName), sk: LOCK_SK },
        UpdateExpression: 'REMOVE approvalTaskToken, approvalWait',
        ConditionExpression: 'approvalTaskToken = :token',
        ExpressionAttributeValues: { ':token': token },
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
}

/**
 * Answers the approval gate of the promotion in flight on `endpointName`: the task token parked on
 * its lock gets SendTaskSuccess (approved: the workflow moves traffic to green) or SendTaskFailure
 * `ApprovalRejected` (the workflow rolls back, the reason and who on the history row). Shared by
 * `bluegreen approve` / `reject` and the local demo. Throws NotFoundError for a missing endpoint and
 * NothingToApprove when no promotion waits for an answer, or the gate was answered or timed out already
 * (Step Functions' TaskTimedOut: "the task token has either expired or the task associated with the
 * token has already been closed", API_SendTaskSuccess).
 */
export async function answerApproval(
  clients: { dynamo: DynamoDBDocumentClient; sfn: SFNClient; sagemaker: SageMakerClient },
  tableName: string,
  endpointName: string,
  answer: ApprovalDecision,
  now: Date = new Date(),
): Promise<AnsweredApproval> {
  const lock = await readLock(clients.dynamo, tableName, endpointName);
  const verb = answer.decision === 'approved' ? 'approve' : 'reject';
  if (!lock) {
    if (!(await endpointExists(clients.sagemaker, endpointName))) throw endpointNotFound(endpointName);
    throw new NothingToApprove(`no promotion in flight on ${endpointName}: nothing to ${verb} (see "bluegreen status ${endpointName}")`);
  }
  const version = versionOf(lock.modelPackageArn) ?? null;
  const token = lock.approvalTaskToken;
  if (!token || lock.abortRequested) {
    const why = lock.abortRequested ? `it is rolling back (${lock.abortRequested.reason})` : 'it is not waiting for approval (no gate, or its gate was answered or timed out already)';
    throw new NothingToApprove(`promotion ${lock.promotionId} of ${endpointName} (version ${version ?? '?'}) is in flight but ${why}: nothing to ${verb}; see "bluegreen status ${endpointName}"`);
  }
  const at = now.toISOString();
  try {
    if (answer.decision === 'approved') {
      const output: ApprovalAnswer = { decision: 'approved', by: answer.by, at, ...(answer.reason ? { reason: answer.reason } : {}) };
      await clients.sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify(output) }));
    } else {
      await clients.sfn.send(new SendTaskFailureCommand({ taskToken: token, error: APPROVAL_REJECTED, cause: rejectionCause(answer.by, at, answer.reason) }));
    }
  } catch (error) {
    if (!isStaleToken(error)) throw error;
    throw new NothingToApprove(
      `the approval gate of promotion ${lock.promotionId} of ${endpointName} was already answered or timed out (${(error as Error).name}): nothing to ${verb}; see "bluegreen status ${endpointName}"`,
    );
  }
  await clearGate(clients.dynamo, tableName, lock, token);
  return {
    endpointName,
    promotionId: lock.promotionId,
    executionArn: lock.executionArn,
    version,
    decision: answer.decision,
    by: answer.by,
    at,
    reason: answer.reason ?? null,
    wait: lock.approvalWait ?? null,
  };
}

export interface ApproveOptions extends StackOptions {
  reason?: string;
}

export interface RejectOptions extends StackOptions {
  reason: string;
}

function report(ctx: Context, answered: AnsweredApproval): number {
  ctx.out.document({ action: answered.decision, ...answered });
  const what = `promotion ${answered.promotionId} of ${answered.endpointName} to version ${answered.version ?? '?'}`;
  const why = answered.reason ? `: ${answered.reason}` : '';
  if (answered.decision === 'approved') {
    ctx.out.line(`Approved ${what} (by ${answered.by}${why}): the workflow moves the traffic to green now.`);
  } else {
    ctx.out.line(`Rejected ${what} (by ${answered.by}${why}): the workflow rolls back to blue now; the reason is recorded in the history.`);
  }
  ctx.out.line(`Follow it: bluegreen watch ${answered.executionArn}`);
  return EXIT.ok;
}

/** `bluegreen approve <endpoint>`: the gate's promotion goes on to the shift. */
export async function approve(ctx: Context, endpointName: string, options: ApproveOptions): Promise<number> {
  const tableName = await ctx.targets.tableName();
  return report(ctx, await answerApproval(ctx.clients, tableName, endpointName, { decision: 'approved', by: ctx.user, reason: options.reason }, ctx.now()));
}

/** `bluegreen reject <endpoint> --reason …`: the gate's promotion rolls back with the reason. */
export async function reject(ctx: Context, endpointName: string, options: RejectOptions): Promise<number> {
  const tableName = await ctx.targets.tableName();
  return report(ctx, await answerApproval(ctx.clients, tableName, endpointName, { decision: 'rejected', by: ctx.user, reason: options.reason }, ctx.now()));
}
