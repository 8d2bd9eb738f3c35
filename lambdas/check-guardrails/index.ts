import { dynamo } from '../shared/clients/dynamo';
import type { BakeState, PromotionState } from '../shared/contracts';
import { bakeProblem } from '../shared/bake';
import { componentBakeProblem } from '../shared/component-actions';
import { expectationFor } from '../shared/decisions';
import { GreenNotInService, GuardrailAlarm, OutsideChange, TooLittleTraffic, UnexpectedEndpointState } from '../shared/errors';
import { metricSumOverLast } from '../shared/alarms';
import { cloudwatch } from '../shared/clients/cloudwatch';
import { judgeBakeTraffic, type BakeTrafficVerdict } from '../shared/detection';
import { bakeTrafficMetric, greenMetricsTarget } from '../shared/green-metrics';
import { logger } from '../shared/powertools';
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
 * At the bake's end, a traffic guard (bakeTraffic) extends it or rolls back (TooLittleTraffic) when green
 * got fewer than minInvocations requests: a bake with no traffic never passes silently.
 */
export const handler = step('check-guardrails', stateKeys, async (state: PromotionState): Promise<BakeState> => {
  const bake = state.bake!;
  const p = state.promotion;
  await throwIfAbortRequested(state);
  const expected = expectationFor('shift', state);
  // component: the component itself too (component-actions.ts).
  const problem = (await bakeProblem(bake.alarmNames, { ...expected, endpointName: expected.endpointName ?? p.endpointName, outside: footprintOf(state) })) ?? (await componentBakeProblem(state));
  // An alarm in ALARM is also left on the lock, with its state reason: the rollback's event names it (a Lambda error carries only a message).
  const alarm = problem?.kind === 'alarm' ? { name: problem.alarmName, stateReason: problem.reason } : undefined;
  if (alarm) await updateOwnLock(dynamo, settings().tableName, p, 'REMOVE bakeWatch SET alarmEvidence = :alarm', { ':alarm': alarm });
  else if (problem) await updateOwnLock(dynamo, settings().tableName, p, 'REMOVE bakeWatch');
  if (problem?.kind === 'outside') throw new OutsideChange(interruptionReason(problem.change, 'check-guardrails', new Date().toISOString()));
  if (problem?.kind === 'alarm') throw new GuardrailAlarm(`guardrail alarm ${problem.alarmName} is in ALARM: ${problem.reason}`);
  if (problem?.kind === 'missing') {
    throw new GuardrailAlarm(`guardrail alarm ${problem.alarmNames.join(', ')} no longer exists, so the bake cannot be watched`);
  }
  if (problem?.kind === 'endpoint') throw new (problem.error === 'GreenNotInService' ? GreenNotInService : UnexpectedEndpointState)(problem.message);

  const elapsedSeconds = bake.elapsedSeconds + (state.wake?.Error === 'States.Timeout' ? bake.waitSeconds : 0);
  const left = bake.seconds - elapsedSeconds;
  if (left > 0) return { ...bake, elapsedSeconds, waitSeconds: left, done: false };
  const traffic = await judgeTraffic(state, elapsedSeconds);
  if (traffic.kind === 'extend') {
    logger.warn('bake extended: too little traffic on green', { endpointName: p.endpointName, promotionId: p.id, reason: traffic.reason });
    return { ...bake, seconds: bake.seconds + traffic.seconds, elapsedSeconds, waitSeconds: bake.seconds + traffic.seconds - elapsedSeconds, done: false, extensions: (bake.extensions ?? 0) + 1 };
  }
  await updateOwnLock(dynamo, settings().tableName, p, 'REMOVE bakeWatch');
  if (traffic.kind === 'rollback') throw new TooLittleTraffic(traffic.reason);
  return { ...bake, elapsedSeconds, waitSeconds: 0, done: true };
});

/**
 * The traffic guard at the bake's end: green's requests (Invocations; async: InvocationsProcessed) over the whole bake (guardrails: SageMaker's
 * termination wait too, counted back from now so that a compressed local clock reads the same window).
 */
async function judgeTraffic(state: PromotionState, elapsedSeconds: number): Promise<BakeTrafficVerdict> {
  const p = state.promotion;
  const bake = state.bake!;
  if (!p.bakeTraffic) return { kind: 'enough' };
  const window = elapsedSeconds + (bake.terminationWaitSeconds ?? 0);
  // Invocations, or InvocationsProcessed on an asynchronous endpoint, which publishes no Invocations (green-metrics.ts).
  const invocations = await metricSumOverLast(cloudwatch, bakeTrafficMetric(greenMetricsTarget(state)), window);
  return judgeBakeTraffic(p.bakeTraffic, invocations, bake.extensions ?? 0);
}
