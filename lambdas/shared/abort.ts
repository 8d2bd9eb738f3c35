import { dynamo } from './clients/dynamo';
import type { PromotionState } from './contracts';
import { GuardrailAlarm, PromotionAborted } from './errors';
import { readLock } from './locks';
import { settings } from './settings';

/**
 * Throws the requested error when an operator (`bluegreen rollback`) or the alarm trigger
 * asked this promotion to stop. Every wait loop calls it at each poll, so an abort takes
 * effect within one poll interval anywhere, and at once during the bake (task token).
 */
export async function throwIfAbortRequested(state: PromotionState): Promise<void> {
  const lock = await readLock(dynamo, settings().tableName, state.promotion.endpointName);
  const abort = lock?.promotionId === state.promotion.id ? lock.abortRequested : undefined;
  if (!abort) return;
  throw abort.error === 'GuardrailAlarm' ? new GuardrailAlarm(abort.reason) : new PromotionAborted(abort.reason);
}
