import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { throwIfAbortRequested, throwIfFlagged, throwIfPromotionEnded } from '../shared/abort';
import { approvalNeededDetail, approvalWaitOf, judgeApproval, type ApprovalResult, type ApprovalWait, type ApprovalWake } from '../shared/approval';
import { dynamo } from '../shared/clients/dynamo';
import { eventBridge } from '../shared/clients/eventbridge';
import type { PromotionState } from '../shared/contracts';
import { ApprovalTimedOut } from '../shared/errors';
import { step } from '../shared/handler';
import { DETAIL_TYPES, EVENT_SOURCE, executionResources } from '../shared/lifecycle';
import { updateOwnLock } from '../shared/locks';
import { logger } from '../shared/powertools';
import { settings } from '../shared/settings';

/** AwaitApproval (the callback task: `park`, with its token) and CheckApproval (after it: `decide`). */
export type ApprovalGateEvent = { action: 'park'; token: string; state: PromotionState } | { action: 'decide'; state: PromotionState };

/**
 * The manual approval gate, green validated and no user traffic on it yet.
 * `park`: the gate waits in one `.waitForTaskToken` task whose timeout is the gate's; this parks the
 * token and what it waits for on the lock, where `bluegreen approve` (SendTaskSuccess) and
 * `bluegreen reject` (SendTaskFailure ApprovalRejected → rollback) find it, and an abort fails it
 * like any wait's (the flag is read back from the same write, see requestAbort). Only then does it
 * publish Approval Needed, so whoever reacts to the event finds something to approve.
 * `decide`: the gate is over; the lock stops showing it, an abort flagged meanwhile wins, and then
 * an approval goes on to the shift, a timeout to the gate's onTimeout (rollback: ApprovalTimedOut).
 */
export const handler = step(
  'approval-gate',
  (e: ApprovalGateEvent) => ({ endpointName: e.state.promotion.endpointName, promotionId: e.state.promotion.id }),
  async (event): Promise<{ parked: true } | ApprovalResult> => {
    const { state } = event;
    const p = state.promotion;
    const gate = p.approval;
    if (!gate) throw new Error(`promotion ${p.id} has no approval gate: the state machine enters AwaitApproval only when promotion.approval is set`);
    if (event.action === 'park') {
      await throwIfAbortRequested(state);
      const wait = approvalWaitOf(gate, new Date());
      const lock = await updateOwnLock(dynamo, settings().tableName, p, 'SET approvalTaskToken = :token, approvalWait = :wait', {
        ':token': event.token,
        ':wait': wait,
      });
      throwIfFlagged(lock, p.id);
      await publishApprovalNeeded(state, wait);
      return { parked: true };
    }
    await throwIfPromotionEnded(state);
    // The lock stops showing the gate first, then an abort flagged while it waited wins over the answer.
    throwIfFlagged(await updateOwnLock(dynamo, settings().tableName, p, 'REMOVE approvalTaskToken, approvalWait'), p.id);
    const verdict = judgeApproval(gate, state.approval as ApprovalWake | undefined, new Date().toISOString());
    if (verdict.kind === 'rollback') throw new ApprovalTimedOut(verdict.reason);
    if (verdict.kind === 'unexpected') throw new Error(verdict.problem);
    return verdict.result;
  },
);

/**
 * Approval Needed, on the lifecycle bus. The state machine cannot publish it: its wait is this very
 * task, and a PutEvents state before it would announce a gate nobody can answer yet. A failure to
 * publish (after the SDK's retries) is logged and never fails the wait: the token is parked, and
 * `bluegreen status` and `bluegreen list` show the gate. PutEvents reports a rejected entry in its
 * response (FailedEntryCount), not as an error (API reference, PutEventsResultEntry).
 */
async function publishApprovalNeeded(state: PromotionState, wait: ApprovalWait): Promise<void> {
  const bus = settings().eventBusName;
  try {
    const detail = approvalNeededDetail(state, wait, await eventBridge.config.region());
    const out = await eventBridge.send(
      new PutEventsCommand({
        Entries: [{ Source: EVENT_SOURCE, DetailType: DETAIL_TYPES.approvalNeeded, Detail: JSON.stringify(detail), Resources: executionResources(state.promotion.executionArn), ...(bus ? { EventBusName: bus } : {}) }],
      }),
    );
    const failed = out.Entries?.find((e) => e.ErrorCode);
    if ((out.FailedEntryCount ?? 0) > 0) logger.error('Approval Needed not published: the gate waits all the same', { eventBusName: bus ?? 'default', errorCode: failed?.ErrorCode, errorMessage: failed?.ErrorMessage });
  } catch (error) {
    logger.error('Approval Needed not published: the gate waits all the same', { eventBusName: bus ?? 'default', error: error as Error });
  }
}
