import type { PromotionState, WaitEvent, WaitPhase, WaitResult } from '../shared/contracts';
import { expectationFor, judgeEndpoint, waitDeadlineSeconds } from '../shared/decisions';
import { DeadlineExceeded, GreenNotInService, GuardrailAlarm, UnexpectedEndpointState } from '../shared/errors';
import { throwIfAbortRequested } from '../shared/abort';
import { checkComponentWait } from '../shared/component-actions';
import { step } from '../shared/handler';
import { throwIfOutsideChange } from '../shared/outside-check';
import { describeEndpointIfExists } from '../shared/sagemaker';
import { nextWaitSeconds } from '../shared/waits';

const ERRORS = { GreenNotInService, UnexpectedEndpointState, DeadlineExceeded };

/** The alarm named in a FailureReason of SageMaker's auto-rollback, if any. */
function alarmOf(reason: string | undefined): string | undefined {
  return reason ? /alarm (\S+)/i.exec(reason)?.[1] : undefined;
}

/**
 * How long this wait has lasted: its backstop polls that ran to their timeout. The first check
 * of a wait comes straight after the step that started it; later ones after WaitFor<X>, whose
 * ending is at `$.wake` (a timeout, or an endpoint event that counts nothing).
 */
function elapsed(phase: WaitPhase, state: PromotionState): { attempt: number; elapsedSeconds: number } {
  const previous = state.wait?.phase === phase ? state.wait : undefined;
  if (!previous) return { attempt: 1, elapsedSeconds: 0 };
  const timedOut = state.wake?.Error === 'States.Timeout';
  return { attempt: previous.attempt + 1, elapsedSeconds: previous.elapsedSeconds + (timedOut ? previous.waitSeconds : 0) };
}

/**
 * One check of a wait (the waiting itself is the WaitFor<X> callback task, woken by SageMaker's
 * endpoint events with a backstop poll). First, the promotion's endpoint is compared with what the
 * promotion itself last did: someone else's change throws OutsideChange (the promotion stops, see
 * lambdas/shared/outside.ts). Ready only when the endpoint is InService on the expected config with
 * the expected weights; a failed, rolled-back or overdue update throws a named error → rollback.
 * component: the (validation) component is judged instead (component-actions.ts checkComponentWait);
 * no endpoint event reports a component's progress, so those waits poll (waits.ts nextWaitSeconds).
 */
export const handler = step(
  'wait-for-endpoint',
  (e: WaitEvent) => ({ endpointName: e.state.promotion.endpointName, promotionId: e.state.promotion.id }),
  async ({ phase, state }): Promise<WaitResult> => {
    const p = state.promotion;
    await throwIfAbortRequested(state);
    const { attempt, elapsedSeconds } = elapsed(phase, state);
    const deadline = waitDeadlineSeconds(phase, p);
    const waitSeconds = nextWaitSeconds(phase, p, attempt);
    const expected = expectationFor(phase, state);
    // guardrails stands green up on a validation endpoint: the promotion's own endpoint is looked at too.
    const own = await describeEndpointIfExists(p.endpointName);
    await throwIfOutsideChange(own, state, `wait-for-endpoint:${phase}`);
    if (p.strategy === 'component' && state.blue?.component) return checkComponentWait(phase, state, attempt, elapsedSeconds, waitSeconds);
    if (expected.none) return { phase, attempt, ready: true, status: 'nothing to wait for', elapsedSeconds, waitSeconds };
    const endpoint = expected.endpointName ? await describeEndpointIfExists(expected.endpointName) : own;
    // The deadline in poll intervals, as judgeEndpoint counts it: reached once the waits add up to it.
    const verdict = judgeEndpoint(endpoint, expected, Math.floor(elapsedSeconds / p.pollSeconds), Math.ceil(deadline / p.pollSeconds));
    if (verdict.kind === 'failed') {
      const rolledBackBy = phase === 'shift' && p.strategy === 'guardrails' ? alarmOf(endpoint?.FailureReason) : undefined;
      // SageMaker's own auto-rollback: the deployment ended on blue's config because a guardrail alarm fired.
      if (rolledBackBy) throw new GuardrailAlarm(`SageMaker rolled the deployment back to blue's fleet: ${endpoint?.FailureReason}`);
      throw new ERRORS[verdict.error](`${phase}: ${verdict.message}`);
    }
    return { phase, attempt, ready: verdict.kind === 'ready', status: verdict.kind === 'pending' ? verdict.status : 'InService', elapsedSeconds, waitSeconds };
  },
);
