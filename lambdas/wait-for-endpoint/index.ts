import type { WaitEvent, WaitResult } from '../shared/contracts';
import { expectationFor, judgeEndpoint } from '../shared/decisions';
import { DeadlineExceeded, GreenNotInService, UnexpectedEndpointState } from '../shared/errors';
import { throwIfAbortRequested } from '../shared/abort';
import { step } from '../shared/handler';
import { describeEndpointIfExists } from '../shared/sagemaker';

const ERRORS = { GreenNotInService, UnexpectedEndpointState, DeadlineExceeded };

/**
 * One poll of a wait loop (the Wait state between polls lives in the state machine).
 * Ready only when the endpoint is InService on the expected config with the expected
 * weights; a failed, rolled-back or overdue update throws a named error → rollback.
 */
export const handler = step(
  'wait-for-endpoint',
  (e: WaitEvent) => ({ endpointName: e.state.promotion.endpointName, promotionId: e.state.promotion.id }),
  async ({ phase, state }): Promise<WaitResult> => {
    const p = state.promotion;
    await throwIfAbortRequested(state);
    const attempt = state.wait?.phase === phase ? state.wait.attempt + 1 : 1;
    const endpoint = await describeEndpointIfExists(p.endpointName);
    const verdict = judgeEndpoint(endpoint, expectationFor(phase, state), attempt, p.inServicePolls);
    if (verdict.kind === 'failed') throw new ERRORS[verdict.error](`${phase}: ${verdict.message}`);
    return { phase, attempt, ready: verdict.kind === 'ready', status: verdict.kind === 'pending' ? verdict.status : 'InService' };
  },
);
