import type { PromotionState } from '../../lambdas/shared/contracts';
import {
  blueLeftoversAfterRecovery,
  manualRecoveryName,
  noRecoveryReason,
  promotionEndedReason,
  recoveryDecision,
  recoveryName,
  type RecoverableState,
} from '../../lambdas/shared/recovery';
import { anEndpoint, BLUE_CONFIG, BLUE_VARIANT, PROMOTION_ID, stateAt } from '../support/fixtures';

/** Pure decisions of recovery (lambdas/shared/recovery.ts), without mocks. */

const RECOVERY = 'arn:aws:states:us-east-1:111122223333:execution:bluegreen-promotion:promotion-1-recover';
const OTHER_RECOVERY = `${RECOVERY}2`;

/** A variant promotion whose bake is over and Finalize ran: what CheckGreenAlone, RevalidateGreen and CleanupBlue see. */
function afterTheBake(): PromotionState {
  const s = stateAt('finalized');
  return { ...s, bake: { ...s.bake!, elapsedSeconds: s.bake!.seconds, waitSeconds: 0, done: true } };
}
const greenAlone = (s: PromotionState) => anEndpoint(s.green!.greenConfigName, [{ name: s.green!.variantName, weight: 1 }]);

describe('promotionEndedReason (the guard of every step after AcquireLock)', () => {
  const own = stateAt('baking');
  const inRecovery: RecoverableState = { ...own, recover: 'rollback', recovery: { executionArn: RECOVERY, ended: 'x', decision: 'y' } };

  test.each([
    ['its promotion holds the lock, nobody recovers it', own, { promotionId: PROMOTION_ID }],
    ['a recovery runs it and the lock names that recovery', inRecovery, { promotionId: PROMOTION_ID, recoveredBy: RECOVERY }],
  ])('GIVEN %s THEN the step may act', (_what, state, lock) => {
    expect(promotionEndedReason(lock, state)).toBeUndefined();
  });

  test.each([
    ['the lock is released (the outcome is recorded)', own, undefined, /no longer locked by it/],
    ['another promotion holds the lock', own, { promotionId: 'promotion-2' }, /locked by promotion promotion-2/],
    ['a recovery finishes the promotion (a redrive of the stopped execution)', own, { promotionId: PROMOTION_ID, recoveredBy: RECOVERY }, /being finished by recovery .*promotion-1-recover;/],
    ['a later recovery took over from this one', inRecovery, { promotionId: PROMOTION_ID, recoveredBy: OTHER_RECOVERY }, /being finished by recovery .*-recover2, not by .*-recover;/],
    ['the lock names no recovery while this step runs in one', inRecovery, { promotionId: PROMOTION_ID }, /names no recovery/],
  ])('GIVEN %s THEN it may not act, and the reason says why', (_what, state, lock, reason) => {
    expect(promotionEndedReason(lock, state)).toMatch(reason);
  });
});

describe('recoveryDecision (from the endpoint as it is)', () => {
  test('GIVEN variant: green alone after the bake (stopped during RevalidateGreen or CleanupBlue) THEN only the record: promoted, never a rollback', () => {
    const s = afterTheBake();
    expect(recoveryDecision(greenAlone(s), s)).toEqual({ recover: 'record', why: expect.stringMatching(/serves green .* alone after the bake/) });
  });

  test('GIVEN guardrails: green alone once SageMaker\'s deployment ended (a bake within its termination wait: done from the start) THEN promoted', () => {
    const s = stateAt('baking', { promotion: { strategy: 'guardrails', bakeSeconds: 1800 } });
    const guardrails = { ...s, bake: { ...s.bake!, done: true } };
    expect(recoveryDecision(greenAlone(guardrails), guardrails)).toMatchObject({ recover: 'record' });
  });

  test('GIVEN green alone but the workflow\'s own bake not over (guardrails beyond the termination wait, stopped mid-bake) THEN the rollback loop', () => {
    const s = stateAt('baking', { promotion: { strategy: 'guardrails', bakeSeconds: 7200 } });
    expect(recoveryDecision(greenAlone(s), s)).toMatchObject({ recover: 'rollback', why: expect.stringMatching(/back to blue/) });
  });

  test('GIVEN a first deployment InService after its validation passed THEN promoted; before it THEN the rollback (which deletes it)', () => {
    const validated = stateAt('stoodUp', { firstDeployment: true });
    expect(recoveryDecision(greenAlone(validated), validated)).toMatchObject({ recover: 'record', why: expect.stringMatching(/after its validation/) });
    const unvalidated: PromotionState = { ...validated, validation: undefined };
    expect(recoveryDecision(greenAlone(unvalidated), unvalidated)).toMatchObject({ recover: 'rollback' });
  });

  test('GIVEN the promotion had already decided to roll back (a failure in its state) THEN the rollback stands, even with green alone', () => {
    const s: PromotionState = { ...afterTheBake(), failure: { Error: 'GreenValidationFailed', Cause: 'typical-customer: status 500' } };
    expect(recoveryDecision(greenAlone(s), s)).toEqual({ recover: 'rollback', why: expect.stringMatching(/already rolling back \(GreenValidationFailed\)/) });
  });

  test('GIVEN an abort asked for on the lock (an operator, an alarm) THEN the rollback, with the abort as the failure', () => {
    const s = afterTheBake();
    const abort = { error: 'PromotionAborted' as const, reason: 'latency up (bluegreen rollback by jane)', at: 'now' };
    expect(recoveryDecision(greenAlone(s), s, abort)).toEqual({
      recover: 'rollback',
      why: expect.stringMatching(/abort was asked for/),
      failure: { Error: 'PromotionAborted', Cause: 'latency up (bluegreen rollback by jane)' },
    });
  });

  test('GIVEN the promotion was already interrupted by an outside change THEN the interrupted path, never the rollback (the outside decision stands)', () => {
    const interruption = { Error: 'OutsideChange', Cause: 'weights moved (detected by check-guardrails at 2026-12-01T10:00:00Z)' };
    const s: PromotionState = { ...afterTheBake(), interruption, failure: { Error: 'GreenValidationFailed', Cause: 'x' } };
    expect(recoveryDecision(greenAlone(s), s)).toEqual({ recover: 'interrupt', why: expect.stringMatching(/already interrupted/), interruption });
  });

  test('GIVEN an outside change flagged on the lock (on-endpoint-change) but not yet acted on THEN the interrupted path with that reason', () => {
    const s = stateAt('stoodUp');
    const abort = { error: 'OutsideChange' as const, reason: 'endpoint deleted (detected by on-endpoint-change at now)', at: 'now' };
    expect(recoveryDecision(undefined, s, abort)).toEqual({
      recover: 'interrupt',
      why: expect.stringMatching(/outside change was flagged/),
      interruption: { Error: 'OutsideChange', Cause: 'endpoint deleted (detected by on-endpoint-change at now)' },
    });
  });

  test('GIVEN the endpoint now shows a change the promotion did not make THEN the interrupted path, even while the promotion was rolling back', () => {
    const s: PromotionState = { ...stateAt('stoodUp'), failure: { Error: 'GreenValidationFailed', Cause: 'x' } };
    const seen = 'config other-config is not one of this promotion\'s (detected by recover at now)';
    expect(recoveryDecision(anEndpoint('other-config', [{ name: BLUE_VARIANT, weight: 1 }]), s, undefined, seen)).toEqual({
      recover: 'interrupt',
      why: expect.stringMatching(/change the promotion did not make/),
      interruption: { Error: 'OutsideChange', Cause: seen },
    });
  });

  test('GIVEN blue serving (InService on blue\'s config) THEN the rollback loop, which ends at once: nothing to undo', () => {
    const s = stateAt('stoodUp');
    expect(recoveryDecision(anEndpoint(BLUE_CONFIG, [{ name: BLUE_VARIANT, weight: 1 }]), s)).toEqual({ recover: 'rollback', why: expect.stringMatching(/blue's: nothing to undo/) });
  });

  test.each([
    ['Updating towards green alone (variant finalize in flight)', (s: PromotionState) => anEndpoint(s.green!.greenConfigName, [{ name: s.green!.variantName, weight: 1 }], { EndpointStatus: 'Updating' })],
    ['on the pair config, green carrying the traffic', (s: PromotionState) => anEndpoint(s.green!.pairConfigName!, [{ name: BLUE_VARIANT, weight: 0 }, { name: s.green!.variantName, weight: 1 }])],
    ['on green\'s config with a second variant', (s: PromotionState) => anEndpoint(s.green!.greenConfigName, [{ name: BLUE_VARIANT, weight: 0 }, { name: s.green!.variantName, weight: 1 }])],
  ])('GIVEN an endpoint in motion or not green alone: %s THEN the rollback loop', (_what, endpoint) => {
    const s = afterTheBake();
    expect(recoveryDecision(endpoint(s), s)).toMatchObject({ recover: 'rollback', why: expect.stringMatching(/back to blue/) });
  });

  test('GIVEN no endpoint THEN the rollback loop (which finds nothing to do)', () => {
    expect(recoveryDecision(undefined, afterTheBake())).toEqual({ recover: 'rollback', why: 'endpoint churn-prediction does not exist' });
  });
});

describe('blueLeftoversAfterRecovery', () => {
  test('GIVEN a variant promotion recovered as promoted THEN blue\'s configs, models and green\'s alarms are recorded, none deleted', () => {
    const s = afterTheBake();
    const { names } = s.promotion;
    const kept = blueLeftoversAfterRecovery(s);
    expect(kept.map((k) => k.resource)).toEqual(
      expect.arrayContaining([`config ${names.pairConfig}`, `alarm ${names.alarmPrefix}-5xx`, `alarm ${names.alarmPrefix}-latency`, `config ${BLUE_CONFIG}`, 'model churn-v1']),
    );
    expect(kept.find((k) => k.resource === `config ${names.pairConfig}`)?.reason).toMatch(/ended before blue's cleanup .* may remain/);
    // Blue's hand-made config was never this tool's: kept with that reason, as the cleanup would.
    expect(kept.find((k) => k.resource === `config ${BLUE_CONFIG}`)?.reason).toMatch(/not created by sagemaker-bluegreen/);
  });

  test('GIVEN guardrails THEN the validation endpoint is on the record too', () => {
    const s = stateAt('baking', { promotion: { strategy: 'guardrails' } });
    expect(blueLeftoversAfterRecovery(s).map((k) => k.resource)).toContain(`endpoint ${s.promotion.names.validationEndpoint}`);
  });
});

describe('recovery names (Step Functions: 1–80 characters)', () => {
  test('GIVEN a short execution name THEN -recover, -recover2, -recover3', () => {
    expect([1, 2, 3].map((n) => recoveryName('stop-me', n))).toEqual(['stop-me-recover', 'stop-me-recover2', 'stop-me-recover3']);
  });

  test('GIVEN two 80-character names sharing 70 characters THEN their recoveries fit 80 and still differ', () => {
    const a = `${'x'.repeat(70)}aaaaaaaaaa`;
    const b = `${'x'.repeat(70)}bbbbbbbbbb`;
    for (const n of [1, 2, 3]) {
      expect(recoveryName(a, n)).toHaveLength(80);
      expect(recoveryName(a, n)).not.toEqual(recoveryName(b, n));
    }
    expect(recoveryName(a, 2)).toMatch(/-[0-9a-f]{6}-recover2$/);
  });

  test('GIVEN bluegreen rollback starting one by hand THEN a fresh name of at most 80 characters, none of the automatic ones', () => {
    const at = new Date('2026-12-01T10:00:00Z');
    const name = manualRecoveryName('x'.repeat(80), at);
    expect(name.length).toBeLessThanOrEqual(80);
    expect(name).toMatch(/-recover-[0-9a-z]+$/);
    expect(manualRecoveryName('stop-me', at)).not.toEqual(manualRecoveryName('stop-me', new Date(at.getTime() + 1)));
    expect([1, 2, 3].map((n) => recoveryName('stop-me', n))).not.toContain(manualRecoveryName('stop-me', at));
  });
});

describe('noRecoveryReason (on-execution-end)', () => {
  const ended = { name: 'promotion-1-recover', executionArn: RECOVERY, error: 'States.Runtime' };
  const facts = { ended, promotionId: PROMOTION_ID, lock: { promotionId: PROMOTION_ID, recoveredBy: RECOVERY }, lockRecoveryRunning: false };

  test('GIVEN a recovery that ended while its promotion still holds the lock it marked THEN the next recovery starts', () => {
    expect(noRecoveryReason(facts)).toBeUndefined();
    expect(noRecoveryReason({ ...facts, lock: { promotionId: PROMOTION_ID } })).toBeUndefined();
  });

  test.each([
    ['it stopped itself (PromotionEnded: a redrive after its recovery)', { ...facts, ended: { ...ended, error: 'PromotionEnded' } }, /stopped itself/],
    ['it found nothing to recover', { ...facts, ended: { ...ended, error: 'NothingToRecover' } }, /nothing to recover/],
    ['the promotion released its lock', { ...facts, lock: undefined }, /no longer holds/],
    ['another promotion holds the lock', { ...facts, lock: { promotionId: 'promotion-2' } }, /no longer holds/],
    ['another recovery, still running, finishes it', { ...facts, lock: { promotionId: PROMOTION_ID, recoveredBy: OTHER_RECOVERY }, lockRecoveryRunning: true }, /-recover2 is finishing/],
  ])('GIVEN %s THEN no recovery starts', (_what, f, reason) => {
    expect(noRecoveryReason(f)).toMatch(reason);
  });
});
