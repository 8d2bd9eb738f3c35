import { DescribeExecutionCommand, GetExecutionHistoryCommand, type HistoryEvent } from '@aws-sdk/client-sfn';
import { dynamo } from '../shared/clients/dynamo';
import { sfn } from '../shared/clients/sfn';
import type { PromotionState } from '../shared/contracts';
import { InvalidPromotionInput, NothingToRecover } from '../shared/errors';
import { step } from '../shared/handler';
import { readLock } from '../shared/locks';
import { settings } from '../shared/settings';

export interface RecoverEvent {
  recoverExecutionArn: string;
}

export type RecoveredState = PromotionState & { recover: 'rollback' | 'record' };

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

/**
 * First step of a recovery execution, started by on-execution-end for a promotion that
 * ended outside its own Catch blocks (stopped, timed out, failed in an unexpected way)
 * while holding its endpoint's lock. Rebuilds that promotion's state document from its
 * history and sends it into the rollback loop — or straight to the record, when blue was
 * already cleaned up (green fully serves). Refuses anything else, so this entry point can
 * never be used to skip input validation.
 */
export const handler = step(
  'recover',
  (e: RecoverEvent) => ({ promotionId: e.recoverExecutionArn?.split(':').pop() }),
  async (input): Promise<RecoveredState> => {
    // The recovery entry point skips ValidateInput, so it takes exactly one thing: an execution ARN.
    const extra = Object.keys(input ?? {}).filter((k) => k !== 'recoverExecutionArn');
    if (extra.length > 0) {
      throw new InvalidPromotionInput(`recoverExecutionArn: a recovery input holds only recoverExecutionArn; remove ${extra.join(', ')} (or remove recoverExecutionArn to start a promotion)`);
    }
    const { recoverExecutionArn } = input;
    if (typeof recoverExecutionArn !== 'string' || !/^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:execution:[^:]+:[^:]+$/.test(recoverExecutionArn)) {
      throw new InvalidPromotionInput(`recoverExecutionArn: ${JSON.stringify(recoverExecutionArn)} is not a Step Functions execution ARN`);
    }
    const execution = await sfn.send(new DescribeExecutionCommand({ executionArn: recoverExecutionArn }));
    if (execution.status === 'RUNNING') throw new NothingToRecover(`execution ${recoverExecutionArn} is still running; it rolls back on its own`);
    const doc = await lastStateDocument(recoverExecutionArn);
    if (!doc) throw new NothingToRecover(`execution ${recoverExecutionArn} never got past its input validation: nothing was created`);
    const lock = await readLock(dynamo, settings().tableName, doc.promotion.endpointName);
    if (lock?.promotionId !== doc.promotion.id) {
      throw new NothingToRecover(`endpoint ${doc.promotion.endpointName} is not locked by ${doc.promotion.id}: that promotion already recorded its outcome`);
    }
    const { wait: _wait, rollback: _rollback, rollbackFailure: _rf, outcome: _outcome, ...kept } = doc;
    const ended = `execution ${execution.name} ended ${execution.status}${execution.error ? ` (${execution.error}${execution.cause ? `: ${execution.cause}` : ''})` : ''} outside its own error handling`;
    if (doc.cleanup?.target === 'blue' && !doc.failure) return { ...kept, recover: 'record' };
    return { ...kept, failure: doc.failure ?? { Error: 'ExecutionEnded', Cause: ended }, recover: 'rollback' };
  },
);
