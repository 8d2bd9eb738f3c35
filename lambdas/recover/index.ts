import { DescribeExecutionCommand, GetExecutionHistoryCommand, type DescribeExecutionOutput, type HistoryEvent } from '@aws-sdk/client-sfn';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from '../shared/clients/dynamo';
import { sfn } from '../shared/clients/sfn';
import { describeExecutionIfExists } from '../shared/executions';
import { LOCK_SK, tableKey, type PromotionState } from '../shared/contracts';
import { InvalidPromotionInput, isConditionFailure, NothingToRecover } from '../shared/errors';
import { step } from '../shared/handler';
import { readLock, type LockItem } from '../shared/locks';
import { blueLeftoversAfterRecovery, recoveryDecision, type RecoverableState, type RecoveryMarks } from '../shared/recovery';
import { findOutsideChange } from '../shared/outside-check';
import { findComponentChange } from '../shared/component-outside';
import { footprintOf, interruptionReason } from '../shared/outside';
import { describeEndpointIfExists } from '../shared/sagemaker';
import { settings } from '../shared/settings';

/** The Recover state's payload: the execution's raw input, and the recovery execution's own ARN (`$$.Execution.Id`). */
export interface RecoverEvent {
  input: unknown;
  executionArn: string;
}

export type RecoveredState = PromotionState & Required<RecoveryMarks>;

const EXECUTION_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:execution:[^:]+:[^:]+$/;

/** The recovery entry point skips ValidateInput, so it takes exactly one thing: an execution ARN. */
function recoverExecutionArnOf(input: unknown): string {
  const fields = input !== null && typeof input === 'object' ? (input as Record<string, unknown>) : {};
  const extra = Object.keys(fields).filter((k) => k !== 'recoverExecutionArn');
  if (extra.length > 0) {
    throw new InvalidPromotionInput(`recoverExecutionArn: a recovery input holds only recoverExecutionArn; remove ${extra.join(', ')} (or remove recoverExecutionArn to start a promotion)`);
  }
  const arn = fields.recoverExecutionArn;
  if (typeof arn !== 'string' || !EXECUTION_ARN.test(arn)) {
    throw new InvalidPromotionInput(`recoverExecutionArn: ${JSON.stringify(arn)} is not a Step Functions execution ARN`);
  }
  return arn;
}

/** The state document as the execution last entered a state (GetExecutionHistory, newest first). */
async function lastStateDocument(executionArn: string): Promise<PromotionState | undefined> {
  let token: string | undefined;
  do {
    const page = await sfn.send(new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, includeExecutionData: true, maxResults: 100, nextToken: token }));
    for (const event of page.events ?? ([] as HistoryEvent[])) {
      const input = event.stateEnteredEventDetails?.input;
      if (!input) continue;
      const doc = JSON.parse(input) as Partial<PromotionState>;
      if (doc.promotion?.id && doc.promotion.endpointName) return doc as PromotionState;
    }
    token = page.nextToken;
  } while (token);
  return undefined;
}

function endedText(e: Pick<DescribeExecutionOutput, 'name' | 'status' | 'error' | 'cause'>): string {
  return `execution ${e.name} ended ${e.status}${e.error ? ` (${e.error}${e.cause ? `: ${e.cause}` : ''})` : ''}`;
}

/**
 * Marks the lock with this recovery, so that from now on only its steps act for the promotion (the
 * guard, lambdas/shared/abort.ts). Taken over from an earlier recovery only once that one has ended;
 * idempotent for this recovery (a retried step). Returns how the earlier recovery ended, if any.
 */
async function takeOver(lock: LockItem, me: string): Promise<string | undefined> {
  let previous: string | undefined;
  if (lock.recoveredBy && lock.recoveredBy !== me) {
    const earlier = await describeExecutionIfExists(sfn, lock.recoveredBy);
    if (earlier?.status === 'RUNNING') throw new NothingToRecover(`promotion ${lock.promotionId} is being recovered by ${lock.recoveredBy}, still running`);
    previous = earlier ? `its recovery ${endedText(earlier)}` : `its recovery ${lock.recoveredBy} no longer exists`;
  }
  try {
    await dynamo.send(
      new UpdateCommand({
        TableName: settings().tableName,
        Key: { endpointName: tableKey(lock.endpointName), sk: LOCK_SK },
        // The ended execution's parked waits are over: the bake's backstop and the triggers leave this lock alone.
        UpdateExpression: 'SET recoveredBy = :me, recoveredAt = :now REMOVE bakeWatch, bakeTaskToken, waitTaskToken',
        ConditionExpression: 'promotionId = :id AND (attribute_not_exists(recoveredBy) OR recoveredBy IN (:seen, :me))',
        ExpressionAttributeValues: { ':me': me, ':now': new Date().toISOString(), ':id': lock.promotionId, ':seen': lock.recoveredBy ?? me },
      }),
    );
  } catch (error) {
    if (isConditionFailure(error)) {
      throw new NothingToRecover(`the lock of promotion ${lock.promotionId} changed while this recovery took it over (released, or taken by another recovery)`);
    }
    throw error;
  }
  return previous;
}

/**
 * First step of a recovery execution, started by on-execution-end (or `bluegreen rollback`) for a
 * promotion whose execution ended outside its own Catch blocks (stopped, timed out, failed in an
 * unexpected way) while holding its endpoint's lock. Rebuilds that promotion's state document from
 * its history, takes the lock over for this recovery, and decides from the endpoint as it is
 * (recoveryDecision): only the record when green serves alone after the bake, else the rollback
 * loop, which converges from any state — so an earlier recovery that failed half-way changes
 * nothing here. Refuses anything else, so this entry point can never be used to skip input validation.
 */
export const handler = step(
  'recover',
  (e: RecoverEvent) => ({ promotionId: (e?.input as { recoverExecutionArn?: string } | undefined)?.recoverExecutionArn?.split(':').pop() }),
  async ({ input, executionArn: me }): Promise<RecoveredState> => {
    const recoverExecutionArn = recoverExecutionArnOf(input);
    const execution = await sfn.send(new DescribeExecutionCommand({ executionArn: recoverExecutionArn }));
    if (execution.status === 'RUNNING') throw new NothingToRecover(`execution ${recoverExecutionArn} is still running; it rolls back on its own`);
    const doc = (await lastStateDocument(recoverExecutionArn)) as RecoverableState | undefined;
    if (!doc) throw new NothingToRecover(`execution ${recoverExecutionArn} never got past its input validation: nothing was created`);
    if (doc.recovery) throw new NothingToRecover(`execution ${recoverExecutionArn} is itself a recovery; recover the promotion's own execution ${doc.promotion.executionArn}`);
    const lock = await readLock(dynamo, settings().tableName, doc.promotion.endpointName);
    if (lock?.promotionId !== doc.promotion.id) {
      throw new NothingToRecover(`endpoint ${doc.promotion.endpointName} is not locked by ${doc.promotion.id}: that promotion already recorded its outcome`);
    }
    const previous = await takeOver(lock, me);

    const endpoint = await describeEndpointIfExists(doc.promotion.endpointName);
    // After an earlier recovery (or this one, retried) the endpoint may be on its way back to blue by
    // the promotion's own rollback, which this document does not show: judge it as rolling back.
    const judged: PromotionState = lock.recoveredBy ? { ...doc, failure: doc.failure ?? { Error: 'ExecutionEnded' } } : doc;
    // component: the endpoint never changes; someone else's change to the component counts the same (component-outside.ts).
    const change = (await findOutsideChange(endpoint, footprintOf(judged)))?.change ?? (await findComponentChange(judged));
    const outsideNow = change ? interruptionReason(change, 'recover', new Date().toISOString()) : undefined;
    const decision = recoveryDecision(endpoint, doc, lock.abortRequested, outsideNow);
    const { wait: _wait, rollback: _rollback, rollbackFailure: _rf, outcome: _outcome, recover: _recover, ...kept } = doc;
    const ended = `${endedText(execution)} outside its own error handling${previous ? `; ${previous}` : ''}`;
    const recovery = { executionArn: me, ended, decision: decision.why };
    if (decision.recover === 'record') {
      return { ...kept, recover: 'record', recovery, cleanup: kept.cleanup ?? { target: 'blue', deleted: [], kept: blueLeftoversAfterRecovery(kept) } };
    }
    if (decision.recover === 'interrupt') return { ...kept, recover: 'interrupt', recovery, interruption: decision.interruption };
    return { ...kept, recover: 'rollback', recovery, failure: kept.failure ?? decision.failure ?? { Error: 'ExecutionEnded', Cause: ended } };
  },
);
