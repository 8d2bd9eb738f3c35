import type { PromotionState, WaitResult } from '../../lambdas/shared/contracts';
import { changeFrom, footprintOf, interruptionOf, interruptionReason, outsideChange } from '../../lambdas/shared/outside';
import { aBlue, anEndpoint, BLUE_CONFIG, BLUE_VARIANT, ENDPOINT, stateAt } from '../support/fixtures';

/**
 * The judge of outside changes (lambdas/shared/outside.ts), pure: the endpoint as DescribeEndpoint
 * shows it against what the promotion itself last did. Blue runs 2 instances (aBlue), so every
 * endpoint here is described with 2 instances unless a test changes them.
 */
const variantState = stateAt('baking');
const { names } = variantState.promotion;
const GREEN = names.variant;
const two = (name: string, weight: number, extra: { desired?: number } = {}) => ({ name, weight, instances: 2, ...extra });
const failure = { Error: 'GuardrailAlarm', Cause: 'alarm in ALARM' };
const waited = (phase: WaitResult['phase'], ready: boolean): WaitResult => ({ phase, attempt: 1, ready, status: ready ? 'InService' : 'Updating', elapsedSeconds: 0, waitSeconds: 30 });

/** guardrails: green keeps blue's variant name; the validation config and endpoint are its own. */
function guardrailsState(overrides: Partial<Omit<PromotionState, 'promotion'>> = {}): PromotionState {
  const s = stateAt('stoodUp', { promotion: { strategy: 'guardrails' } });
  return {
    ...s,
    green: { ...s.green!, variantName: BLUE_VARIANT, pairConfigName: undefined, validationConfigName: names.validationConfig, validationEndpointName: names.validationEndpoint },
    standUp: { action: 'CreateValidationEndpoint', configName: names.validationConfig, at: '2025-01-01T00:01:00.000Z' },
    ...overrides,
  };
}

describe('outside changes: the endpoint deleted', () => {
  test('GIVEN blue existed WHEN DescribeEndpoint finds nothing THEN the endpoint was deleted by someone else', () => {
    expect(outsideChange(undefined, variantState)).toEqual({ kind: 'deleted', change: `endpoint ${ENDPOINT} was deleted by someone else (DescribeEndpoint: not found)` });
  });

  test('GIVEN blue existed WHEN the endpoint is Deleting THEN it is being deleted by someone else', () => {
    const endpoint = anEndpoint(names.pairConfig, [two(BLUE_VARIANT, 0), two(GREEN, 1)], { EndpointStatus: 'Deleting' });
    expect(outsideChange(endpoint, variantState)).toMatchObject({ kind: 'deleted', change: expect.stringContaining('is being deleted by someone else (Deleting)') });
  });

  test('GIVEN a first deployment before its CreateEndpoint WHEN there is no endpoint THEN nothing changed', () => {
    expect(outsideChange(undefined, stateAt('greenCreated', { firstDeployment: true }))).toBeUndefined();
  });

  test('GIVEN a first deployment after its CreateEndpoint WHEN the endpoint is gone THEN it was deleted by someone else', () => {
    expect(outsideChange(undefined, stateAt('stoodUp', { firstDeployment: true }))).toMatchObject({ kind: 'deleted' });
  });

  test("GIVEN a first deployment rolling back (its rollback deletes the endpoint it created) WHEN it is Deleting or gone THEN nothing changed, logged or not yet", () => {
    const deleting = anEndpoint(names.greenConfig, [{ name: 'AllTraffic', weight: 1 }], { EndpointStatus: 'Deleting' });
    for (const actions of [[`first deployment: deleted endpoint ${ENDPOINT}`], []]) {
      const state = stateAt('stoodUp', { firstDeployment: true }, { failure, rollback: { attempt: 1, done: false, actions } });
      expect(outsideChange(undefined, state)).toBeUndefined();
      expect(outsideChange(deleting, state)).toBeUndefined();
    }
    // Not rolling back: the endpoint it created is gone, so someone else deleted it.
    expect(outsideChange(deleting, stateAt('stoodUp', { firstDeployment: true }))).toMatchObject({ kind: 'deleted' });
  });

  test('GIVEN the promotion has not described blue yet WHEN there is no endpoint THEN there is nothing to compare with', () => {
    expect(footprintOf(stateAt('validated'))).toBeUndefined();
    expect(outsideChange(undefined, stateAt('validated'))).toBeUndefined();
  });
});

describe('outside changes: a config that is neither blue’s nor the promotion’s', () => {
  test('GIVEN the bake WHEN the endpoint runs another config THEN the change names it, blue’s and the promotion’s own', () => {
    const endpoint = anEndpoint('churn-hotfix-config', [two(BLUE_VARIANT, 1)]);
    expect(outsideChange(endpoint, variantState)).toEqual({
      kind: 'config',
      change: `endpoint ${ENDPOINT} runs config churn-hotfix-config, which is neither blue's (${BLUE_CONFIG}) nor this promotion's (${names.greenConfig}, ${names.pairConfig}): someone else updated it`,
    });
  });

  test('GIVEN the bake WHEN someone else’s UpdateEndpoint to another config is in flight THEN the pending config is named', () => {
    const endpoint = anEndpoint(names.pairConfig, [two(BLUE_VARIANT, 0), two(GREEN, 1)], { EndpointStatus: 'Updating', PendingDeploymentSummary: { EndpointConfigName: 'churn-hotfix-config' } });
    expect(outsideChange(endpoint, variantState)?.change).toMatch(/is updating to config churn-hotfix-config \(from .*-pair\), which is neither blue's/);
  });

  test('GIVEN the promotion’s own updates in flight (the pair at stand-up, green at finalize) THEN nothing changed', () => {
    const standingUp = anEndpoint(BLUE_CONFIG, [two(BLUE_VARIANT, 1)], { EndpointStatus: 'Updating', PendingDeploymentSummary: { EndpointConfigName: names.pairConfig } });
    expect(outsideChange(standingUp, stateAt('stoodUp'))).toBeUndefined();
    const finalizing = anEndpoint(names.pairConfig, [two(BLUE_VARIANT, 0), two(GREEN, 1)], { EndpointStatus: 'Updating', PendingDeploymentSummary: { EndpointConfigName: names.greenConfig } });
    expect(outsideChange(finalizing, stateAt('finalized'))).toBeUndefined();
  });

  test('GIVEN a first deployment WHEN the endpoint runs a config the promotion did not create THEN someone else updated it', () => {
    const endpoint = anEndpoint('someone-elses-config', [{ name: 'AllTraffic', weight: 1 }]);
    expect(outsideChange(endpoint, stateAt('stoodUp', { firstDeployment: true }))).toMatchObject({ kind: 'config', change: expect.stringContaining("neither blue's (none: first deployment)") });
  });
});

describe('outside changes: blue’s config back when the promotion did not ask for it', () => {
  test('GIVEN the pair config served (the bake) WHEN the endpoint is InService on blue’s config with no FailureReason THEN an operator updated it back', () => {
    const endpoint = anEndpoint(BLUE_CONFIG, [two(BLUE_VARIANT, 1)]);
    expect(outsideChange(endpoint, variantState)).toMatchObject({ kind: 'back-on-blue', change: expect.stringContaining(`is back on blue's config ${BLUE_CONFIG} (InService, no FailureReason`) });
  });

  test('GIVEN the stand-up was never seen InService WHEN the endpoint ends on blue’s config without a reason (a silent rollback) THEN it stays the rollback’s case, not an outside change', () => {
    const state = { ...stateAt('greenCreated'), standUp: { action: 'UpdateEndpoint' as const, configName: names.pairConfig, at: 'x' }, wait: waited('standUp', false) };
    expect(outsideChange(anEndpoint(BLUE_CONFIG, [two(BLUE_VARIANT, 1)]), state)).toBeUndefined();
  });

  test('GIVEN the stand-up was seen InService (its wait ready) WHEN blue’s config is back THEN it is an outside change', () => {
    const state = { ...stateAt('greenCreated'), standUp: { action: 'UpdateEndpoint' as const, configName: names.pairConfig, at: 'x' }, wait: waited('standUp', true) };
    expect(outsideChange(anEndpoint(BLUE_CONFIG, [two(BLUE_VARIANT, 1)]), state)).toMatchObject({ kind: 'back-on-blue' });
  });

  test('GIVEN an update of the promotion failed WHEN SageMaker left the endpoint on blue’s config with a FailureReason THEN it is SageMaker’s rollback, not an outside change', () => {
    const endpoint = anEndpoint(BLUE_CONFIG, [two(BLUE_VARIANT, 1)], { FailureReason: 'The primary container did not pass the ping health check.' });
    expect(outsideChange(endpoint, variantState)).toBeUndefined();
  });

  test('GIVEN guardrails’ deployment in flight WHEN SageMaker’s auto-rollback ends on blue’s config naming the alarm THEN it is not an outside change', () => {
    const state = guardrailsState({ shift: { weights: {}, at: 'x' }, wait: waited('shift', false) });
    const endpoint = anEndpoint(BLUE_CONFIG, [two(BLUE_VARIANT, 1)], { FailureReason: 'Deployment was rolled back because alarm bluegreen-x-5xx went into ALARM state.' });
    expect(outsideChange(endpoint, state)).toBeUndefined();
    // Even without a reason: the promotion never saw green serving, so this is the silent rollback the wait judges.
    expect(outsideChange(anEndpoint(BLUE_CONFIG, [two(BLUE_VARIANT, 1)]), state)).toBeUndefined();
  });

  test('GIVEN guardrails’ deployment seen complete (green serving) WHEN blue’s config is back without a reason THEN an operator updated it back', () => {
    const state = guardrailsState({ shift: { weights: {}, at: 'x' }, wait: waited('shift', true) });
    expect(outsideChange(anEndpoint(BLUE_CONFIG, [two(BLUE_VARIANT, 1)]), state)).toMatchObject({ kind: 'back-on-blue' });
    expect(outsideChange(anEndpoint(names.greenConfig, [two(BLUE_VARIANT, 1)]), state)).toBeUndefined();
  });

  test('GIVEN no rollback WHEN an UpdateEndpoint to blue’s config is in flight THEN someone else is updating it back', () => {
    const endpoint = anEndpoint(names.pairConfig, [two(BLUE_VARIANT, 0), two(GREEN, 1)], { EndpointStatus: 'Updating', PendingDeploymentSummary: { EndpointConfigName: BLUE_CONFIG } });
    expect(outsideChange(endpoint, variantState)).toMatchObject({ kind: 'back-on-blue', change: expect.stringContaining('is updating back to blue\'s config') });
  });

  test('GIVEN the promotion rolls back WHEN the endpoint is on or moving to blue’s config THEN that is where it is heading: nothing changed', () => {
    const rollingBack = { ...variantState, failure, rollback: { attempt: 2, done: false, actions: ['traffic back to blue (AllTraffic=1, x=0)', `endpoint back to blue config ${BLUE_CONFIG}`] } };
    const moving = anEndpoint(names.pairConfig, [two(BLUE_VARIANT, 1), two(GREEN, 0)], { EndpointStatus: 'Updating', PendingDeploymentSummary: { EndpointConfigName: BLUE_CONFIG } });
    expect(outsideChange(moving, rollingBack)).toBeUndefined();
    // Back on blue's config: its instance counts are the config's own, which the state does not hold, so they are not judged.
    expect(outsideChange(anEndpoint(BLUE_CONFIG, [{ name: BLUE_VARIANT, weight: 1, instances: 1 }]), rollingBack)).toBeUndefined();
  });
});

describe('outside changes: weights the promotion did not set', () => {
  test('GIVEN the bake (all traffic on green) WHEN the weights are moved back to blue THEN the change names both weights and what was expected', () => {
    const endpoint = anEndpoint(names.pairConfig, [two(BLUE_VARIANT, 1), two(GREEN, 0)]);
    expect(outsideChange(endpoint, variantState)).toEqual({
      kind: 'weights',
      change: `weights moved on ${names.pairConfig}: ${BLUE_VARIANT}=1, ${GREEN}=0, expected ${BLUE_VARIANT}=0, ${GREEN}=1 (this promotion did not set them)`,
    });
  });

  test('GIVEN the bake WHEN someone else’s weights call is still settling (DesiredWeight) THEN it is already a change', () => {
    const endpoint = anEndpoint(names.pairConfig, [two(BLUE_VARIANT, 0, { desired: 1 }), two(GREEN, 1, { desired: 0 })], { EndpointStatus: 'Updating' });
    expect(outsideChange(endpoint, variantState)).toMatchObject({ kind: 'weights' });
  });

  test('GIVEN the shift was asked WHEN its own weights are settling or set THEN nothing changed', () => {
    const settling = anEndpoint(names.pairConfig, [two(BLUE_VARIANT, 1, { desired: 0 }), two(GREEN, 0, { desired: 1 })], { EndpointStatus: 'Updating' });
    expect(outsideChange(settling, variantState)).toBeUndefined();
    expect(outsideChange(anEndpoint(names.pairConfig, [two(BLUE_VARIANT, 0), two(GREEN, 1)]), variantState)).toBeUndefined();
  });

  test('GIVEN green stood up at weight 0 and no shift yet WHEN green gets traffic THEN the promotion did not do that', () => {
    const stoodUp = stateAt('stoodUp');
    expect(outsideChange(anEndpoint(names.pairConfig, [two(BLUE_VARIANT, 1), two(GREEN, 0)]), stoodUp)).toBeUndefined();
    expect(outsideChange(anEndpoint(names.pairConfig, [two(BLUE_VARIANT, 0.5), two(GREEN, 0.5)]), stoodUp)).toMatchObject({ kind: 'weights' });
  });

  test('GIVEN the guardrails were armed (the shift may have acted before its result was stored) WHEN the shift’s weights are in place THEN they are the promotion’s own', () => {
    const armed = { ...stateAt('stoodUp'), bake: variantState.bake };
    expect(outsideChange(anEndpoint(names.pairConfig, [two(BLUE_VARIANT, 0), two(GREEN, 1)]), armed)).toBeUndefined();
    expect(outsideChange(anEndpoint(names.pairConfig, [two(BLUE_VARIANT, 1), two(GREEN, 0)]), armed)).toBeUndefined();
  });

  test('GIVEN the rollback put traffic back on blue WHEN traffic is on green again THEN someone else moved it', () => {
    const rolledTraffic = { ...variantState, failure, rollback: { attempt: 1, done: false, actions: [`traffic back to blue (${BLUE_VARIANT}=1, ${GREEN}=0)`] } };
    expect(outsideChange(anEndpoint(names.pairConfig, [two(BLUE_VARIANT, 1), two(GREEN, 0)]), rolledTraffic)).toBeUndefined();
    expect(outsideChange(anEndpoint(names.pairConfig, [two(BLUE_VARIANT, 0), two(GREEN, 1)]), rolledTraffic)).toMatchObject({ kind: 'weights' });
    // Before its weights call the rollback finds green's traffic, which the promotion itself set.
    expect(outsideChange(anEndpoint(names.pairConfig, [two(BLUE_VARIANT, 0), two(GREEN, 1)]), { ...variantState, failure })).toBeUndefined();
  });

  test('GIVEN green alone after finalize WHEN its only variant’s weight is changed THEN the change is named', () => {
    const finalized = stateAt('finalized');
    expect(outsideChange(anEndpoint(names.greenConfig, [two(GREEN, 1)]), finalized)).toBeUndefined();
    expect(outsideChange(anEndpoint(names.greenConfig, [two(GREEN, 0.5)]), finalized)).toMatchObject({ kind: 'weights', change: `weights moved on ${names.greenConfig}: ${GREEN}=0.5, expected ${GREEN}=1 (this promotion did not set them)` });
  });

  test('GIVEN a config deployment in flight WHEN the current fleet’s weights differ THEN they are not judged (they are the old fleet’s)', () => {
    const endpoint = anEndpoint(BLUE_CONFIG, [two(BLUE_VARIANT, 1)], { EndpointStatus: 'Updating', PendingDeploymentSummary: { EndpointConfigName: names.pairConfig } });
    expect(outsideChange(endpoint, stateAt('stoodUp'))).toBeUndefined();
  });
});

describe('outside changes: instance counts of a variant without autoscaling', () => {
  test('GIVEN blue has no autoscaling WHEN a variant’s count on the pair changes THEN the change names it, current and desired', () => {
    const endpoint = anEndpoint(names.pairConfig, [two(BLUE_VARIANT, 0), { name: GREEN, weight: 1, instances: 4 }]);
    expect(outsideChange(endpoint, variantState)).toEqual({
      kind: 'instances',
      change: `instance count of variant ${GREEN} changed to 4 (current 4, desired 4), expected 2; the variant has no autoscaling, so someone else changed it`,
    });
  });

  test('GIVEN a capacity change in flight (DesiredInstanceCount) WHEN judged THEN the count asked for is the change', () => {
    const endpoint = anEndpoint(names.pairConfig, [two(BLUE_VARIANT, 0), two(GREEN, 1)], { EndpointStatus: 'Updating' });
    endpoint.ProductionVariants![1]!.DesiredInstanceCount = 1;
    expect(outsideChange(endpoint, variantState)).toMatchObject({ kind: 'instances', change: expect.stringContaining('changed to 1 (current 2, desired 1), expected 2') });
  });

  test('GIVEN blue autoscales WHEN counts move THEN autoscaling did it: never an outside change', () => {
    const scaled = { ...variantState, blue: aBlue({ scaling: { minCapacity: 2, maxCapacity: 4, policies: [] } }) };
    expect(outsideChange(anEndpoint(names.pairConfig, [{ name: BLUE_VARIANT, weight: 0, instances: 3 }, { name: GREEN, weight: 1, instances: 4 }]), scaled)).toBeUndefined();
  });

  test('GIVEN a scalable target registered on the variant now, or managed instance scaling WHEN its count moves THEN it is not an outside change', () => {
    const endpoint = anEndpoint(names.pairConfig, [two(BLUE_VARIANT, 0), { name: GREEN, weight: 1, instances: 4 }]);
    expect(outsideChange(endpoint, variantState, { scalableVariants: [GREEN] })).toBeUndefined();
    endpoint.ProductionVariants![1]!.ManagedInstanceScaling = { Status: 'ENABLED', MinInstanceCount: 1, MaxInstanceCount: 4 };
    expect(outsideChange(endpoint, variantState)).toBeUndefined();
  });

  test('GIVEN blue’s config before the promotion touched it WHEN blue’s count changes THEN green would be sized on a count nobody runs: an outside change', () => {
    const endpoint = anEndpoint(BLUE_CONFIG, [{ name: BLUE_VARIANT, weight: 1, instances: 5 }]);
    expect(outsideChange(endpoint, stateAt('greenCreated'))).toMatchObject({ kind: 'instances', change: expect.stringContaining(`variant ${BLUE_VARIANT} changed to 5`) });
    expect(outsideChange(anEndpoint(BLUE_CONFIG, [two(BLUE_VARIANT, 1)]), stateAt('greenCreated'))).toBeUndefined();
  });
});

describe('the footprint parked on the lock', () => {
  test('GIVEN the bake WHEN its footprint is judged instead of the state THEN the verdicts are the same', () => {
    const footprint = footprintOf(variantState);
    expect(footprint).toMatchObject({ endpointName: ENDPOINT, blueConfig: BLUE_CONFIG, offBlue: true, rollingBack: false, instances: { [BLUE_VARIANT]: 2, [GREEN]: 2 } });
    const moved = anEndpoint(names.pairConfig, [two(BLUE_VARIANT, 1), two(GREEN, 0)]);
    // As DynamoDB would return it: plain JSON.
    expect(changeFrom(moved, JSON.parse(JSON.stringify(footprint)))).toEqual(outsideChange(moved, variantState));
  });
});

describe('what the history records of an interruption', () => {
  test('GIVEN an OutsideChange message WHEN read back THEN the change, the check and the time come apart', () => {
    const reason = interruptionReason('weights moved on x-pair: AllTraffic=1, v2-abc=0, expected AllTraffic=0, v2-abc=1', 'on-endpoint-change', '2026-12-01T10:00:00.000Z');
    expect(interruptionOf(reason, 'later')).toEqual({
      change: 'weights moved on x-pair: AllTraffic=1, v2-abc=0, expected AllTraffic=0, v2-abc=1',
      detectedBy: 'on-endpoint-change',
      detectedAt: '2026-12-01T10:00:00.000Z',
    });
  });

  test('GIVEN a message in another shape WHEN read back THEN it is the change, seen at the fallback time by an unknown check', () => {
    expect(interruptionOf('someone deleted it', '2026-12-01T10:00:00.000Z')).toEqual({ change: 'someone deleted it', detectedBy: 'unknown', detectedAt: '2026-12-01T10:00:00.000Z' });
  });
});
