import { componentPlan, serverlessPlan, strategyPlan, type StrategyPlanInput } from '../../cli/strategy-plan';
import { describeTraffic, parseTraffic } from '../../cli/traffic';

/** Blue as in the README's example: 2 × ml.m5.large, a 30-min bake, provisioning at the assumed 8 min. */
const blue: StrategyPlanInput = { strategy: 'guardrails', instanceType: 'ml.m5.large', instanceCount: 2, bakeSeconds: 1800 };

describe('strategyPlan: guardrails', () => {
  test('GIVEN 2 instances and a 30-min bake THEN a validation endpoint and green once: 1 × 8 + 2 × (8 + 30) instance-minutes', () => {
    const plan = strategyPlan(blue);
    expect(plan).toMatchObject({ strategy: 'guardrails', cycles: 2, extraInstanceMinutes: 84, formula: '1 × 8 + 2 × (8 + 30) = 84' });
    expect(plan.provisions).toEqual([
      expect.objectContaining({ fleet: 'validation-endpoint', instanceType: 'ml.m5.large', instances: 1, extraInstanceMinutes: 8 }),
      expect.objectContaining({ fleet: 'green-fleet', instanceType: 'ml.m5.large', instances: 2, extraInstanceMinutes: 76 }),
    ]);
    expect(plan.lines).toEqual([
      'a 1-instance validation endpoint (ml.m5.large): ~8 min provisioning + validation, then deleted',
      "green's fleet of 2 × ml.m5.large, provisioned once (one UpdateEndpoint with deployment guardrails; traffic all at once)",
      "blue's fleet is kept for the termination wait (30m00s), so an alarm rolls back without re-provisioning",
      'after the deployment, the serving fleet is re-validated with the same samples',
      "2 provisioning cycles; cost above blue's steady fleet ≈ 1 × 8 + 2 × (8 + 30) = 84 instance-minutes",
    ]);
    expect(plan.notes.join('\n')).toContain('provisioning assumed 8 min per fleet');
  });

  test('GIVEN a bake longer than SageMaker keeps blue (3600 s) THEN only 1 h is counted, and the rest is the workflow watch whose rollback re-provisions blue', () => {
    const plan = strategyPlan({ ...blue, bakeSeconds: 3 * 3600 });
    expect(plan).toMatchObject({ cycles: 2, extraInstanceMinutes: 8 + 2 * (8 + 60), formula: '1 × 8 + 2 × (8 + 60) = 144' });
    expect(plan.lines).toContain("blue's fleet is kept for the termination wait (1h00m), so an alarm rolls back without re-provisioning");
    expect(plan.lines.join('\n')).toContain(
      "the rest of the bake (2h00m) runs under the workflow's watch once blue's fleet is gone (SageMaker keeps it at most 1h00m): a rollback then provisions blue's fleet again (2 × ml.m5.large, ~8 min)",
    );
  });

  test('GIVEN a bake of exactly 3600 s THEN nothing runs under the workflow watch', () => {
    expect(strategyPlan({ ...blue, bakeSeconds: 3600 }).lines.join('\n')).not.toContain("workflow's watch");
  });

  test("GIVEN a canary (10%, 5 min) THEN both fleets also run through the canary's wait", () => {
    const plan = strategyPlan({ ...blue, traffic: { type: 'CANARY', percent: 10, waitSeconds: 300 } });
    expect(plan).toMatchObject({ extraInstanceMinutes: 8 + 2 * (8 + 5 + 30), formula: '1 × 8 + 2 × (8 + 5 + 30) = 94' });
    expect(plan.lines[1]).toContain("traffic canary: 10% of green's instances first, 5m00s watched by SageMaker, then the rest");
    expect(plan.lines[2]).toBe("blue's fleet is kept for the traffic shift (5m00s) and the termination wait (30m00s), so an alarm rolls back without re-provisioning");
  });

  test('GIVEN linear 25% steps of 2 min THEN 4 steps, 3 waits (6 min) of shift; defaults apply when the spec omits them', () => {
    expect(strategyPlan({ ...blue, traffic: { type: 'LINEAR', percent: 25, waitSeconds: 120 } })).toMatchObject({ extraInstanceMinutes: 8 + 2 * (8 + 6 + 30) });
    // canary without percent or wait: 10% and 300 s
    expect(strategyPlan({ ...blue, traffic: { type: 'CANARY' } }).extraInstanceMinutes).toBe(94);
  });

  test('GIVEN no pre-validation THEN one cycle, no validation endpoint, and a note that users meet green first', () => {
    const plan = strategyPlan({ ...blue, validationMode: 'off' });
    expect(plan).toMatchObject({ cycles: 1, extraInstanceMinutes: 76, formula: '2 × (8 + 30) = 76' });
    expect(plan.provisions.map((p) => p.fleet)).toEqual(['green-fleet']);
    expect(plan.notes.join('\n')).toContain("green's first requests are users'");
  });

  test('GIVEN a 90-s bake on one instance and 10-min provisioning THEN fractions are kept to one decimal', () => {
    const plan = strategyPlan({ ...blue, instanceCount: 1, bakeSeconds: 90, provisioningMinutes: 10 });
    expect(plan).toMatchObject({ extraInstanceMinutes: 21.5, formula: '1 × 10 + 1 × (10 + 1.5) = 21.5' });
    expect(plan.notes.join('\n')).toContain('provisioning assumed 10 min per fleet');
  });
});

describe('strategyPlan: variant', () => {
  const variant: StrategyPlanInput = { ...blue, strategy: 'variant' };

  test('GIVEN 2 instances and a 30-min bake THEN a pair fleet then a green-only fleet: 2 cycles, each update billed as one fleet while it runs', () => {
    const plan = strategyPlan(variant);
    // Each update is all at once without baking: billed for one fleet while it runs (deployment-guardrails-blue-green).
    expect(plan).toMatchObject({ strategy: 'variant', cycles: 2, extraInstanceMinutes: 76, formula: '2 × 30 + 2 × 8 = 76' });
    expect(plan.provisions).toEqual([
      expect.objectContaining({ fleet: 'pair-fleet', instances: 4, extraInstanceMinutes: 60 }),
      expect.objectContaining({ fleet: 'green-only-fleet', instances: 2, extraInstanceMinutes: 16 }),
    ]);
    expect(plan.lines[0]).toBe('a pair fleet (blue 2 + green 2 = 4 × ml.m5.large), all new, for provisioning (~8 min) + validation + the bake (30m00s)');
    expect(plan.lines[1]).toContain('re-validated after it takes traffic');
    expect(plan.lines.join('\n')).toContain("a rollback during the bake: one weights call puts the traffic back on blue's variant (seconds), then UpdateEndpoint back to blue's config provisions a new fleet of 2 × ml.m5.large");
    expect(plan.notes.join('\n')).toContain("blue's scalable target and policies are copied onto it before the shift");
  });

  test('GIVEN no bake THEN only the green-only update overlaps; a long bake has no 1-h cut', () => {
    expect(strategyPlan({ ...variant, bakeSeconds: 0 })).toMatchObject({ extraInstanceMinutes: 16, formula: '2 × 8 = 16' });
    expect(strategyPlan({ ...variant, bakeSeconds: 7200 }).extraInstanceMinutes).toBe(2 * 120 + 16);
  });
});

describe('strategyPlan: guardrails on the other kinds', () => {
  test('GIVEN a multi-variant endpoint THEN every variant is re-provisioned (deployment-guardrails-blue-green) and counted: 1 × 8 + (2 + 3) × (8 + 30)', () => {
    const plan = strategyPlan({ ...blue, otherVariants: [{ variantName: 'challenger', instanceType: 'ml.c5.xlarge', instances: 3 }] });
    expect(plan).toMatchObject({ cycles: 3, extraInstanceMinutes: 8 + 5 * 38, formula: '1 × 8 + 5 × (8 + 30) = 198', billing: 'instance-minutes' });
    expect(plan.provisions[2]).toMatchObject({ fleet: 'other-variant-fleet', instanceType: 'ml.c5.xlarge', instances: 3, extraInstanceMinutes: 114 });
    expect(plan.lines.join('\n')).toContain('the other variants are re-provisioned too');
    expect(plan.lines.join('\n')).toContain('challenger 3 × ml.c5.xlarge, their models and weights kept');
  });

  test('GIVEN an asynchronous endpoint THEN the same fleets, validation through InvokeEndpointAsync, and the queue kept through the switch', () => {
    const plan = strategyPlan({ ...blue, asyncOutputSeconds: 300 });
    expect(plan).toMatchObject({ cycles: 2, extraInstanceMinutes: 84 });
    expect(plan.lines[0]).toContain('validation through InvokeEndpointAsync (each output or failure awaited up to 5m00s)');
    expect(plan.lines.join('\n')).toContain('requests queued by InvokeEndpointAsync are kept through the switch');
  });
});

describe('serverlessPlan (replace)', () => {
  test('GIVEN provisioned concurrency and samples THEN a warm one-container validation endpoint, one UpdateEndpoint without guardrails, cold starts on rollback, nothing priced', () => {
    const plan = serverlessPlan({ memorySizeInMb: 2048, maxConcurrency: 5, provisionedConcurrency: 2, bakeSeconds: 1800 });
    expect(plan).toMatchObject({ strategy: 'replace', cycles: 2, extraInstanceMinutes: 0, billing: 'serverless', formula: 'not priced' });
    expect(plan.provisions.map((p) => p.fleet)).toEqual(['serverless-validation-endpoint', 'serverless-green']);
    expect(plan.lines[0]).toBe('a serverless validation endpoint (2048 MB, max concurrency 1, provisioned concurrency 1, warm as blue is): validated, then deleted');
    expect(plan.lines[1]).toContain('with no deployment guardrails: they do not apply to serverless endpoints');
    expect(plan.lines.join('\n')).toContain('re-initializes the container, so users meet cold starts again');
    expect(plan.costUnknown).toContain('billed per request');
  });

  test('GIVEN on-demand blue and no validation THEN one container initialization, and the validation note of a cold start is absent', () => {
    const plan = serverlessPlan({ memorySizeInMb: 1024, maxConcurrency: 1, bakeSeconds: 600, validationMode: 'off' });
    expect(plan).toMatchObject({ cycles: 1 });
    expect(plan.lines.join('\n')).not.toContain('validation endpoint');
    expect(plan.lines.at(-1)).toBe('1 container initialization (cold starts until warm); no instance-minutes (see the cost below)');
  });
});

describe('componentPlan (component)', () => {
  const chat = { componentName: 'chat', copies: 4, instanceType: 'ml.g5.12xlarge', instances: 2, bakeSeconds: 1800 };

  test('GIVEN 4 copies THEN a one-copy validation component and a rolling update of 2 batches of 2, no new instances', () => {
    const plan = componentPlan(chat);
    expect(plan).toMatchObject({ strategy: 'component', extraInstanceMinutes: 0, billing: 'shared-instances' });
    expect(plan.provisions).toEqual([
      expect.objectContaining({ fleet: 'validation-component', copies: 1, instances: 0 }),
      expect.objectContaining({ fleet: 'component-copies', copies: 4, instances: 0 }),
    ]);
    expect(plan.lines[1]).toBe('UpdateInferenceComponent chat: rolling update of 4 copies, 2 per batch (2 batches), 300 s baked each, SageMaker rolling back on the guardrail alarms');
    expect(plan.lines.join('\n')).toContain("no new fleet: the copies run on the endpoint's instances (ml.g5.12xlarge ×2)");
    expect(plan.costUnknown).toContain('the plan cannot tell');
  });

  test('GIVEN --batch-copies 1, --batch-wait 0 and a rollback batch THEN 4 batches, restored one at a time', () => {
    const plan = componentPlan({ ...chat, rollingUpdate: { maximumBatchCopies: 1, waitSeconds: 0, rollbackMaximumBatchCopies: 1 } });
    expect(plan.lines[1]).toContain('1 per batch (4 batches)');
    expect(plan.lines[2]).toBe("a rollback during the update is SageMaker's auto-rollback: blue's copies come back 1 at a time");
  });

  test('GIVEN one copy and no validation THEN replaced at once, the workflow watching', () => {
    const plan = componentPlan({ ...chat, copies: 1, validationMode: 'off' });
    expect(plan.provisions).toEqual([expect.objectContaining({ fleet: 'component-copies', copies: 1, detail: 'replaced at once' })]);
    expect(plan.lines[0]).toContain('no whole batch is within SageMaker');
    expect(plan.lines[0]).toContain("the workflow's bake alone watches green");
  });
});

describe('--traffic specs', () => {
  test.each([
    ['all-at-once', { type: 'ALL_AT_ONCE' }],
    ['canary:10%:5m', { type: 'CANARY', percent: 10, waitSeconds: 300 }],
    ['linear:25%:2m', { type: 'LINEAR', percent: 25, waitSeconds: 120 }],
    ['CANARY', { type: 'CANARY' }],
    ['canary:90s', { type: 'CANARY', waitSeconds: 90 }],
    ['linear:0:20%', { type: 'LINEAR', percent: 20, waitSeconds: 0 }],
  ])('%s', (text, traffic) => {
    expect(parseTraffic(text)).toEqual(traffic);
  });

  test.each(['sideways', 'canary:10', 'canary:10%:10%', 'canary:5m:5m', 'linear:', 'all_at_once', 'canary:10%:5'])('%j is not a spec', (text) => {
    expect(parseTraffic(text)).toBeUndefined();
  });

  test('described with their defaults', () => {
    expect(describeTraffic({ type: 'LINEAR' })).toBe("linear: 4 steps of 25% of green's instances, 5m00s watched by SageMaker after each but the last");
    expect(describeTraffic({ type: 'ALL_AT_ONCE' })).toBe('all at once');
  });
});
