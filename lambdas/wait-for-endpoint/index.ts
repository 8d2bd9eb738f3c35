import type { PromotionState, WaitEvent, WaitPhase, WaitResult } from '../shared/contracts';
import { expectationFor, judgeEndpoint, routingWaitSeconds, terminationWaitSeconds } from '../shared/decisions';
import { DeadlineExceeded, GreenNotInService, GuardrailAlarm, UnexpectedEndpointState } from '../shared/errors';
import { throwIfAbortRequested } from '../shared/abort';
import { step } from '../shared/handler';
import { describeEndpointIfExists } from '../shared/sagemaker';

const ERRORS = { GreenNotInService, UnexpectedEndpointState, DeadlineExceeded };

/**
 * Polls a wait may take. guardrails' shift is SageMaker's whole deployment: provisioning, the
 * canary/linear waits and the termination wait (the part of the bake SageMaker watches).
 */
function maxPolls(phase: WaitPhase, state: PromotionState): number {
  const p = state.promotion;
  if (phase !== 'shift' || p.strategy !== 'guardrails') return p.inServicePolls;
  return p.inServicePolls + Math.ceil((routingWaitSeconds(p.traffic) + terminationWaitSeconds(p)) / p.pollSeconds);
}

/** The alarm named in a FailureReason of SageMaker's auto-rollback, if any. */
function alarmOf(reason: string | undefined): string | undefined {
  return reason ? /alarm (\S+)/i.exec(reason)?.[1] : undefined;
}

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
    const expected = expectationFor(phase, state);
    if (expected.none) return { phase, attempt, ready: true, status: 'nothing to wait for' };
    const endpoint = await describeEndpointIfExists(expected.endpointName ?? p.endpointName);
    const verdict = judgeEndpoint(endpoint, expected, attempt, maxPolls(phase, state));
    if (verdict.kind === 'failed') {
      const rolledBackBy = phase === 'shift' && p.strategy === 'guardrails' ? alarmOf(endpoint?.FailureReason) : undefined;
      // SageMaker's own auto-rollback: the deployment ended on blue's config because a guardrail alarm fired.
      if (rolledBackBy) throw new GuardrailAlarm(`SageMaker rolled the deployment back to blue's fleet: ${endpoint?.FailureReason}`);
      throw new ERRORS[verdict.error](`${phase}: ${verdict.message}`);
    }
    return { phase, attempt, ready: verdict.kind === 'ready', status: verdict.kind === 'pending' ? verdict.status : 'InService' };
  },
);
