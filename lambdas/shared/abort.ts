import { dynamo } from './clients/dynamo';
import type { PromotionState } from './contracts';
import { GuardrailAlarm, OutsideChange, PromotionAborted, PromotionEnded, UnexpectedEndpointState } from './errors';
import { readLock, type LockItem } from './locks';
import { promotionEndedReason, type RecoverableState } from './recovery';
import { settings } from './settings';

/**
 * The guard every step after AcquireLock runs first: one consistent read of the lock, and
 * PromotionEnded unless this execution still acts for its promotion (see promotionEndedReason):
 * a redriven or outlived execution does nothing. Returns the lock for the step's own checks.
 */
export async function throwIfPromotionEnded(state: RecoverableState): Promise<LockItem> {
  const lock = await readLock(dynamo, settings().tableName, state.promotion.endpointName);
  const ended = promotionEndedReason(lock, state);
  if (ended !== undefined || !lock) throw new PromotionEnded(`${ended ?? 'no lock'}: nothing done`);
  return lock;
}

/** Throws the error an abort flag on this lock asks for, if the flag is this promotion's. */
export function throwIfFlagged(lock: Partial<LockItem> | undefined, promotionId: string): void {
  const abort = lock?.promotionId === promotionId ? lock.abortRequested : undefined;
  if (!abort) return;
  if (abort.error === 'GuardrailAlarm') throw new GuardrailAlarm(abort.reason);
  if (abort.error === 'UnexpectedEndpointState') throw new UnexpectedEndpointState(abort.reason);
  if (abort.error === 'OutsideChange') throw new OutsideChange(abort.reason);
  throw new PromotionAborted(abort.reason);
}

/**
 * The guard (throwIfPromotionEnded, the same read), then the requested error when an operator
 * (`bluegreen rollback`), the alarm trigger, the bake's backstop or an endpoint event showing
 * someone else's change (OutsideChange) asked this promotion to stop.
 * Every wait checks it when it wakes; the trigger also fails the wait's task token, so an abort
 * takes effect at once in any wait. Returns the lock, as the guard does.
 */
export async function throwIfAbortRequested(state: PromotionState): Promise<LockItem> {
  const lock = await throwIfPromotionEnded(state);
  throwIfFlagged(lock, state.promotion.id);
  return lock;
}
