import { dynamo } from './clients/dynamo';
import type { PromotionState } from './contracts';
import { GuardrailAlarm, PromotionAborted, UnexpectedEndpointState } from './errors';
import { readLock, type LockItem } from './locks';
import { settings } from './settings';

/** Throws the error an abort flag on this lock asks for, if the flag is this promotion's. */
export function throwIfFlagged(lock: Partial<LockItem> | undefined, promotionId: string): void {
  const abort = lock?.promotionId === promotionId ? lock.abortRequested : undefined;
  if (!abort) return;
  if (abort.error === 'GuardrailAlarm') throw new GuardrailAlarm(abort.reason);
  if (abort.error === 'UnexpectedEndpointState') throw new UnexpectedEndpointState(abort.reason);
  throw new PromotionAborted(abort.reason);
}

/**
 * Throws the requested error when an operator (`bluegreen rollback`), the alarm trigger or the
 * bake's backstop asked this promotion to stop. Every wait checks it when it wakes; the trigger
 * also fails the wait's task token, so an abort takes effect at once in any wait.
 */
export async function throwIfAbortRequested(state: PromotionState): Promise<void> {
  throwIfFlagged(await readLock(dynamo, settings().tableName, state.promotion.endpointName), state.promotion.id);
}
