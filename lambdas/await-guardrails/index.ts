import { dynamo } from '../shared/clients/dynamo';
import type { PromotionState } from '../shared/contracts';
import { throwIfAbortRequested, throwIfFlagged } from '../shared/abort';
import { expectationFor } from '../shared/decisions';
import { step } from '../shared/handler';
import { type BakeWatch, updateOwnLock } from '../shared/locks';
import { footprintOf } from '../shared/outside';
import { settings } from '../shared/settings';

export interface AwaitGuardrailsEvent {
  token: string;
  state: PromotionState;
}

/**
 * The bake waits in one `.waitForTaskToken` task, its timeout the rest of the bake: this step
 * parks the token, the alarms it watches and what the endpoint must keep running on the lock,
 * where the alarm trigger, `bluegreen rollback` and the bake's backstop (on-backstop, every few
 * minutes) find them and fail the task — the rollback starts within seconds of the alarm.
 */
export const handler = step(
  'await-guardrails',
  (e: AwaitGuardrailsEvent) => ({ endpointName: e.state.promotion.endpointName, promotionId: e.state.promotion.id }),
  async ({ token, state }): Promise<{ parked: true }> => {
    const p = state.promotion;
    await throwIfAbortRequested(state);
    const expected = expectationFor('shift', state);
    // With what the promotion itself did (its footprint), the backstop and endpoint events can tell someone else's change.
    const watch: BakeWatch = { endpointName: expected.endpointName ?? p.endpointName, configName: expected.configName, weights: expected.weights, outside: footprintOf(state) };
    const lock = await updateOwnLock(dynamo, settings().tableName, p, 'SET bakeTaskToken = :token, watchedAlarms = :alarms, bakeWatch = :watch', {
      ':token': token,
      ':alarms': state.bake?.alarmNames ?? [],
      ':watch': watch,
    });
    // An abort flagged while the token was being parked: its requester may have read the lock before the token was there.
    throwIfFlagged(lock, p.id);
    return { parked: true };
  },
);
