import { dynamo } from '../shared/clients/dynamo';
import type { BakeState, PromotionState } from '../shared/contracts';
import { bakeProblem } from '../shared/bake';
import { expectationFor } from '../shared/decisions';
import { GreenNotInService, GuardrailAlarm, OutsideChange, UnexpectedEndpointState } from '../shared/errors';
import { throwIfAbortRequested } from '../shared/abort';
import { stateKeys, step } from '../shared/handler';
import { updateOwnLock } from '../shared/locks';
import { footprintOf, interruptionReason } from '../shared/outside';
import { settings } from '../shared/settings';

/**
 * After the Bake wait: someone else's change to the endpoint stops the promotion (OutsideChange);
 * any guardrail alarm in ALARM (or gone), or an endpoint no longer running what the shift left,
 * rolls back. Otherwise the wait counts if it ran to its timeout (an early wake counts nothing, so
 * the bake is never cut short) and the bake is done when nothing is left. When the bake ends either
 * way, the backstop stops watching it (so it never judges the endpoint against a bake that is over).
 */
export const handler = step('check-guardrails', stateKeys, async (state: PromotionState): Promise<BakeState> => {
  const bake = state.bake!;
  const p = state.promotion;
  await throwIfAbortRequested(state);
  const expected = expectationFor('shift', state);
  const problem = await bakeProblem(bake.alarmNames, { ...expected, endpointName: expected.endpointName ?? p.endpointName, outside: footprintOf(state) });
  if (problem) await updateOwnLock(dynamo, settings().tableName, p, 'REMOVE bakeWatch');
  if (problem?.kind === 'outside') throw new OutsideChange(interruptionReason(problem.change, 'check-guardrails', new Date().toISOString()));
  if (problem?.kind === 'alarm') throw new GuardrailAlarm(`guardrail alarm ${problem.alarmName} is in ALARM: ${problem.reason}`);
  if (problem?.kind === 'missing') {
    throw new GuardrailAlarm(`guardrail alarm ${problem.alarmNames.join(', ')} no longer exists, so the bake cannot be watched`);
  }
  if (problem?.kind === 'endpoint') throw new (problem.error === 'GreenNotInService' ? GreenNotInService : UnexpectedEndpointState)(problem.message);

  const elapsedSeconds = bake.elapsedSeconds + (state.wake?.Error === 'States.Timeout' ? bake.waitSeconds : 0);
  const left = bake.seconds - elapsedSeconds;
  if (left <= 0) await updateOwnLock(dynamo, settings().tableName, p, 'REMOVE bakeWatch');
  return { ...bake, elapsedSeconds, waitSeconds: Math.max(left, 0), done: left <= 0 };
});
