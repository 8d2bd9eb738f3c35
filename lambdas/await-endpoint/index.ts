import { dynamo } from '../shared/clients/dynamo';
import type { AwaitEndpointEvent } from '../shared/contracts';
import { throwIfFlagged } from '../shared/abort';
import { expectationFor } from '../shared/decisions';
import { step } from '../shared/handler';
import { updateOwnLock } from '../shared/locks';
import { settings } from '../shared/settings';

/**
 * An InService wait waits in a `.waitForTaskToken` task (WaitFor<X>) whose timeout is the
 * backstop poll: this step parks the token and the endpoint it waits on (guardrails' validation
 * endpoint while standing green up) on the lock. SageMaker's "Endpoint State Change" event for
 * that endpoint completes the task (lambdas/on-endpoint-change), so the check runs at once; an
 * abort fails it. The flag is read back from the same write that parks the token (see requestAbort).
 */
export const handler = step(
  'await-endpoint',
  (e: AwaitEndpointEvent) => ({ endpointName: e.state.promotion.endpointName, promotionId: e.state.promotion.id }),
  async ({ token, phase, state }): Promise<{ parked: true }> => {
    const p = state.promotion;
    const watched = expectationFor(phase, state).endpointName ?? p.endpointName;
    const lock = await updateOwnLock(dynamo, settings().tableName, p, 'SET waitTaskToken = :token, watchedEndpoints = :endpoints', {
      ':token': token,
      ':endpoints': [watched],
    });
    throwIfFlagged(lock, p.id);
    return { parked: true };
  },
);
