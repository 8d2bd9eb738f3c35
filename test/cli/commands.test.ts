import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  SageMakerClient,
  waitUntilEndpointInService,
} from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { greenNames } from '../../lambdas/shared/naming';
import { startLocalAws, type LocalAws } from '../../local/aws';
import { MODEL_ROLE, Seed } from '../../local/seed';
import { bluegreen, cliEnv, parseJson, sleep } from './helpers';

/**
 * Every command against one local AWS (one synthesized stack for the whole file keeps it
 * fast). Each command works on its own endpoint, each a hand-made blue serving version 1.
 */
let aws: LocalAws;
let env: Record<string, string>;
let v1: string;
let v2: string;
let v3: string;
const PROMOTE = 'demo-promote';
const ROLLBACK = 'demo-rollback';
const PLAN = 'demo-plan';
const FAST = ['--interval', '20ms'];

beforeAll(async () => {
  // Fleets that provision in a simulated minute keep the file fast; the workflow is the same.
  aws = await startLocalAws({ provisioningSeconds: 60 });
  env = cliEnv(aws);
  const seed = new Seed();
  await seed.group('churn-models');
  v1 = await seed.register('churn-models');
  await Promise.all([PROMOTE, ROLLBACK, PLAN].map((endpoint) => seed.blueEndpoint(endpoint, v1)));
  v2 = await seed.register('churn-models');
  v3 = await seed.register('churn-models');
  // The group is routed to churn-prediction in cdk.json: this approval starts its first deployment too.
  await seed.setApproval(v2, 'Approved');

  // An A/B test: two production variants (guardrails promotes one named variant; the variant strategy does not fit).
  const sagemaker = new SageMakerClient({});
  await sagemaker.send(new CreateModelCommand({ ModelName: 'demo-two-model', ExecutionRoleArn: MODEL_ROLE, PrimaryContainer: { ModelPackageName: v1 } }));
  await sagemaker.send(
    new CreateEndpointConfigCommand({
      EndpointConfigName: 'demo-two-config',
      ProductionVariants: ['A', 'B'].map((VariantName) => ({ VariantName, ModelName: 'demo-two-model', InstanceType: 'ml.m5.large', InitialInstanceCount: 1, InitialVariantWeight: 1 })),
    }),
  );
  await sagemaker.send(new CreateEndpointCommand({ EndpointName: 'demo-two', EndpointConfigName: 'demo-two-config' }));
  await waitUntilEndpointInService({ client: sagemaker, maxWaitTime: 60, minDelay: 0.05, maxDelay: 0.2 } as never, { EndpointName: 'demo-two' });
}, 60_000);
afterAll(async () => aws?.close());

describe('promote, watch, status, history', () => {
  test('status before any promotion: blue serves version 1, nothing in flight', async () => {
    const run = await bluegreen(env, 'status', PROMOTE);
    expect(run.code).toBe(0);
    expect(run.stdout.split('\n')[0]).toBe('Active environment: blue, Model version: 1');
    expect(run.stdout).toContain('AllTraffic');
    expect(run.stdout).toContain(`${PROMOTE}-handmade-model`);
    expect(run.stdout).toContain('No promotion in flight.');
  });

  test('promote --watch follows the promotion to the end and exits 0', async () => {
    // GIVEN validation requests in a file
    const samples = join(tmpdir(), `bluegreen-samples-${process.pid}.json`);
    writeFileSync(samples, JSON.stringify({ samples: [{ name: 'typical', body: '{"tenure": 3}', expectContains: 'modelPackageVersion' }] }));
    // WHEN
    const run = await bluegreen(env, 'promote', PROMOTE, '--model-package', v2, '--bake', '2m', '--validation-file', samples, '--name', 'cli-promote-1', '--watch', ...FAST);
    // THEN
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toBe(`${aws.stateMachineArn.replace(':stateMachine:', ':execution:')}:cli-promote-1`);
    for (const state of ['ValidateInput', 'AcquireLock', 'ValidateGreen', 'ShiftTraffic', 'Finalize', 'CleanupBlue', 'RecordPromotion', 'Promoted']) {
      expect(lines.some((l) => l.trim().replace(/^\+\S+\s+/, '') === state)).toBe(true);
    }
    // Poll loops are collapsed (which loops depends on the strategy: CheckGuardrails, CheckTrafficOnGreen...).
    expect(run.stdout).toMatch(/ ×\d+ {2}\(loop: /);
    expect(lines.filter((l) => l.trim()).at(-1)).toMatch(/^Promoted after .*: version 2 promoted$/);
  });

  test('status after the promotion: green serves version 2, with invocations per variant', async () => {
    const runtime = new SageMakerRuntimeClient({});
    for (let i = 0; i < 3; i++) await runtime.send(new InvokeEndpointCommand({ EndpointName: PROMOTE, Body: '{"tenure": 3}', ContentType: 'application/json' }));
    type Status = { activeEnvironment: string; modelVersion: string; variants: Array<{ variantName: string; currentWeight: number; invocations: number; modelPackageVersion: string }>; promotion: unknown };
    // SageMaker publishes a minute's invocations once the minute ends (100 ms at this local AWS's 600× clock): ask until they are in.
    let run = await bluegreen(env, 'status', PROMOTE, '--minutes', '60', '--json');
    for (let tries = 0; tries < 50 && (parseJson<Status>(run).variants[0]?.invocations ?? 0) < 3; tries++) {
      await new Promise((r) => setTimeout(r, 100));
      run = await bluegreen(env, 'status', PROMOTE, '--minutes', '60', '--json');
    }
    expect(run.code).toBe(0);
    const doc = parseJson<Status>(run);
    expect(doc).toMatchObject({ activeEnvironment: 'green', modelVersion: '2', promotion: null });
    expect(doc.variants).toHaveLength(1);
    expect(doc.variants[0]).toMatchObject({ currentWeight: 1, modelPackageVersion: '2' });
    // 3 calls now, plus the validation request the workflow sent to green
    expect(doc.variants[0]?.invocations).toBeGreaterThanOrEqual(3);
    const human = await bluegreen(env, 'status', PROMOTE);
    expect(human.stdout.split('\n')[0]).toBe('Active environment: green, Model version: 2');
  });

  test('history lists the promotion, newest first, with versions and outcome', async () => {
    const run = await bluegreen(env, 'history', PROMOTE);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/bluegreen-cli:tester\s+1 → 2\s+promoted\s+\S+\s+version 2 promoted/);
    const doc = parseJson<{ promotions: Array<Record<string, unknown>> }>(await bluegreen(env, 'history', PROMOTE, '--json', '--limit', '5'));
    expect(doc.promotions[0]).toMatchObject({ promotionId: 'cli-promote-1', blueModelPackageVersion: 1, modelPackageVersion: 2, outcome: 'promoted', requestedBy: 'bluegreen-cli:tester' });
    expect(typeof doc.promotions[0]?.durationSeconds).toBe('number');
  });

  test('promote without --watch prints the ARN; a version that is not Approved is rejected by the workflow, and watch by name exits 3', async () => {
    const started = await bluegreen(env, 'promote', PROMOTE, '--model-package', v3, '--bake', '0', '--json');
    expect(started.code).toBe(0);
    const doc = parseJson<{ executionArn: string; executionName: string }>(started);
    expect(doc.executionName).toMatch(new RegExp(`^${PROMOTE}-v3-\\d{14}-[0-9a-f]{6}$`));
    const human = await bluegreen(env, 'watch', doc.executionName, ...FAST);
    expect(human.code).toBe(3);
    expect(human.stdout).toContain('Rejected');
    expect(human.stdout).toMatch(/Failed after .*: ModelPackageNotDeployable: .*PendingManualApproval/);
    const json = await bluegreen(env, 'watch', doc.executionArn, '--json', ...FAST);
    expect(json.code).toBe(3);
    expect(parseJson(json)).toMatchObject({ executionArn: doc.executionArn, status: 'FAILED', error: 'ModelPackageNotDeployable', exitCode: 3 });
  });

  test('unknown endpoint: status exits 4 naming it', async () => {
    const run = await bluegreen(env, 'status', 'demo-nope');
    expect(run.code).toBe(4);
    expect(run.stderr).toContain('endpoint demo-nope does not exist');
  });

  test('unknown execution: watch exits 4; a malformed ARN exits 2', async () => {
    const unknown = await bluegreen(env, 'watch', 'no-such-execution');
    expect(unknown.code).toBe(4);
    expect(unknown.stderr).toContain(`${aws.stateMachineArn.replace(':stateMachine:', ':execution:')}:no-such-execution does not exist`);
    const malformed = await bluegreen(env, 'watch', 'arn:aws:states:us-east-1:111122223333:stateMachine:Promotion');
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toContain('<execution>: arn:aws:states:us-east-1:111122223333:stateMachine:Promotion is not an execution ARN');
  });

  test('the same --name twice with another input: exit 2 naming --name', async () => {
    const run = await bluegreen(env, 'promote', PROMOTE, '--model-package', v1, '--name', 'cli-promote-1');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--name: an execution named cli-promote-1 already exists');
  });

  test('history of an endpoint never promoted, and a table that does not exist', async () => {
    const none = await bluegreen(env, 'history', 'demo-never');
    expect(none.code).toBe(0);
    expect(none.stdout).toContain('No promotions recorded for demo-never');
    const noTable = await bluegreen({ ...env, BLUEGREEN_TABLE: 'NoSuchTable' }, 'history', PROMOTE);
    expect(noTable.code).toBe(4);
    expect(noTable.stderr).toContain('table NoSuchTable does not exist');
  });
});

describe('rollback', () => {
  interface StatusDoc {
    activeEnvironment: string;
    modelVersion: string;
    promotion: { promotionId: string; executionStatus: string } | null;
  }

  async function statusDoc(): Promise<StatusDoc> {
    return parseJson<StatusDoc>(await bluegreen(env, 'status', ROLLBACK, '--json'));
  }

  /** Polls status until `done` holds (the local clock runs a bake of 2 h in 12 s). */
  async function until(done: (s: StatusDoc) => boolean): Promise<StatusDoc> {
    for (let i = 0; i < 400; i++) {
      const s = await statusDoc();
      if (done(s)) return s;
      await sleep(20);
    }
    throw new Error('status never reached the expected state');
  }

  test('during the bake, status shows green active and the promotion in flight; rollback puts blue back', async () => {
    // GIVEN a promotion baking for 2 h (variant: its rollback is a weights call, which the output names)
    const started = await bluegreen(env, 'promote', ROLLBACK, '--model-package', v2, '--bake', '2h', '--name', 'rb-1', '--strategy', 'variant');
    expect(started.code).toBe(0);
    await until((s) => s.activeEnvironment === 'green');
    const during = await bluegreen(env, 'status', ROLLBACK);
    expect(during.stdout.split('\n')[0]).toBe('Active environment: green, Model version: 2');
    expect(during.stdout).toContain('Promotion in flight: rb-1 (version 2');
    // WHEN
    const run = await bluegreen(env, 'rollback', ROLLBACK, '--reason', 'latency up on the dashboard', ...FAST);
    // THEN
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Abort requested for promotion rb-1 of ${ROLLBACK} to version 2`);
    expect(run.stdout).toMatch(/Outcome: rolled_back after \S+: PromotionAborted: latency up on the dashboard \(bluegreen rollback by tester\)/);
    expect(run.stdout).toMatch(/traffic back to blue \(AllTraffic=1, v2-[0-9a-f]{6}=0\)/);
    expect(run.stdout).toContain('Now: Active environment: blue, Model version: 1');
    expect(await statusDoc()).toMatchObject({ activeEnvironment: 'blue', modelVersion: '1', promotion: null });
    const history = await bluegreen(env, 'history', ROLLBACK);
    expect(history.stdout).toMatch(/1 → 2\s+rolled_back\s+\S+\s+PromotionAborted: latency up/);
  }, 30_000);

  test('rollback with nothing in flight says so and what the endpoint serves: exit 0', async () => {
    const run = await bluegreen(env, 'rollback', ROLLBACK);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`No promotion in flight for ${ROLLBACK}: nothing to roll back.`);
    expect(run.stdout).toContain('It serves: Active environment: blue, Model version: 1');
  });

  test('rollback --no-wait returns once the abort is requested; the promotion then ends rolled back (watch exits 3)', async () => {
    const started = await bluegreen(env, 'promote', ROLLBACK, '--model-package', v2, '--bake', '2h', '--name', 'rb-2');
    expect(started.code).toBe(0);
    await until((s) => s.promotion?.promotionId === 'rb-2');
    const run = await bluegreen(env, 'rollback', ROLLBACK, '--no-wait', '--json');
    expect(run.code).toBe(0);
    expect(parseJson(run)).toMatchObject({ action: 'abort-requested', promotionId: 'rb-2', abort: expect.stringMatching(/^(flagged|signalled)$/) });
    const watched = await bluegreen(env, 'watch', 'rb-2', ...FAST);
    expect(watched.code).toBe(3);
    expect(watched.stdout).toMatch(/(Rolled back|Failed) after .*PromotionAborted/);
  }, 30_000);

  test('rollback of an endpoint that does not exist: exit 4', async () => {
    const run = await bluegreen(env, 'rollback', 'demo-missing');
    expect(run.code).toBe(4);
    expect(run.stderr).toContain('endpoint demo-missing does not exist');
  });
});

describe('plan (read-only)', () => {
  /** plan's call log must be its own: let every execution (the approval-triggered one too) end first. */
  beforeAll(async () => {
    for (let i = 0; i < 500 && aws.stepFunctions.list().some((e) => e.status === 'RUNNING'); i++) await sleep(20);
  });

  /** Runs plan and returns its result with the emulator calls it made. */
  async function planWithCalls(...args: string[]) {
    const from = aws.emulator.callLog.length;
    const executions = aws.stepFunctions.list().length;
    const run = await bluegreen(env, 'plan', ...args);
    const calls = aws.emulator.callLog.slice(from).map((c) => c.operation);
    expect(aws.stepFunctions.list()).toHaveLength(executions);
    return { run, calls };
  }

  function expectReadOnly(calls: string[]) {
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.filter((op) => !/^(Describe|List)/.test(op))).toEqual([]);
  }

  test('an accepted promotion (variant): what would be created, changed and deleted, with no mutating call', async () => {
    const { run, calls } = await planWithCalls(PLAN, '--model-package', v2, '--name', 'release-1', '--bake', '2m', '--strategy', 'variant');
    expect(run.code).toBe(0);
    expectReadOnly(calls);
    const names = greenNames(PLAN, 2, 'release-1');
    expect(run.stdout).toContain('Read-only: nothing was created, changed or deleted.');
    expect(run.stdout).toContain(`names end in a hash of the execution name "release-1"`);
    expect(run.stdout).toContain(`CreateModel ${names.model}: from ${v2}`);
    expect(run.stdout).toContain(`CreateEndpointConfig ${names.pairConfig}: blue as it is (AllTraffic) + green ${names.variant} at weight 0`);
    expect(run.stdout).toContain(`UpdateEndpoint ${PLAN}: to ${names.pairConfig}`);
    expect(run.stdout).toContain(`UpdateEndpointWeightsAndCapacities ${PLAN}: AllTraffic 1 → 0, ${names.variant} 0 → 1`);
    expect(run.stdout).toContain(`DeleteEndpointConfig ${names.pairConfig}`);
    // blue was made by hand: cleanup keeps what the tool did not create
    expect(run.stdout).toContain(`config ${PLAN}-handmade-config: not created by sagemaker-bluegreen`);
    expect(run.stdout).toContain('Accepted: the promotion would start.');
    // THEN nothing changed
    expect(aws.emulator.inspect().endpoints[PLAN]?.EndpointConfigName).toBe(`${PLAN}-handmade-config`);
    expect(aws.emulator.inspect().models[names.model]).toBeUndefined();
  });

  /** Samples to validate with: guardrails stands a validation endpoint up only when there are some. */
  const planSamples = (): string => {
    const file = join(tmpdir(), `bluegreen-plan-samples-${process.pid}.json`);
    writeFileSync(file, JSON.stringify({ samples: [{ name: 'typical', body: '{"tenure": 3}' }] }));
    return file;
  };

  test('GIVEN no samples WHEN planning guardrails THEN no validation endpoint is planned, as the workflow decides', async () => {
    const { run } = await planWithCalls(PLAN, '--model-package', v2, '--name', 'release-2', '--bake', '30m');
    expect(run.code).toBe(0);
    const names = greenNames(PLAN, 2, 'release-2');
    expect(run.stdout).not.toContain(names.validationEndpoint);
    expect(run.stdout).not.toContain(names.validationConfig);
    expect(run.stdout).toContain("  - 1 provisioning cycle; cost above blue's steady fleet ≈ 2 × (8 + 30) = 76 instance-minutes");
  });

  test('guardrails (the assumed default): a validation endpoint, one UpdateEndpoint with deployment guardrails, and what it costs for blue = 2 × ml.m5.large', async () => {
    const { run, calls } = await planWithCalls(PLAN, '--model-package', v2, '--name', 'release-1', '--bake', '30m', '--validation-file', planSamples());
    expect(run.code).toBe(0);
    expectReadOnly(calls);
    const names = greenNames(PLAN, 2, 'release-1');
    expect(run.stdout).toContain("Strategy: guardrails (the stack's default, assumed guardrails unless configured: pass --strategy to be sure)");
    expect(run.stdout).toContain('Provisions (provisioning assumed 8 min per fleet):');
    expect(run.stdout).toContain('  - a 1-instance validation endpoint (ml.m5.large): ~8 min provisioning + validation, then deleted');
    expect(run.stdout).toContain("  - green's fleet of 2 × ml.m5.large, provisioned once (one UpdateEndpoint with deployment guardrails; traffic all at once)");
    expect(run.stdout).toContain("  - blue's fleet is kept for the termination wait (30m00s), so an alarm rolls back without re-provisioning");
    expect(run.stdout).toContain("  - 2 provisioning cycles; cost above blue's steady fleet ≈ 1 × 8 + 2 × (8 + 30) = 84 instance-minutes");
    expect(run.stdout).toContain(`CreateEndpointConfig ${names.greenConfig}: blue's config with only the model changed: variant AllTraffic kept`);
    expect(run.stdout).toContain(`CreateEndpoint ${names.validationEndpoint}: the short-lived validation endpoint, 1 × ml.m5.large`);
    expect(run.stdout).toMatch(new RegExp(`UpdateEndpoint ${PLAN}: to ${names.greenConfig} with deployment guardrails: blue/green, traffic all at once, TerminationWaitInSeconds 1800`));
    expect(run.stdout).not.toContain(names.pairConfig);
    expect(run.stdout).toContain(`DeleteEndpointConfig ${names.validationConfig}`);
    expect(run.stdout).toContain('Accepted: the promotion would start.');
  });

  test('guardrails with a canary and a 2-h bake: the shift is counted, and the bake beyond 1 h is the workflow watch', async () => {
    const { run } = await planWithCalls(PLAN, '--model-package', v2, '--strategy', 'guardrails', '--traffic', 'canary:10%:5m', '--bake', '2h', '--json', '--validation-file', planSamples());
    expect(run.code).toBe(0);
    const plan = parseJson<{ strategy: string; strategySource: string; cycles: number; extraInstanceMinutes: number; provisions: Array<{ fleet: string; instances: number }>; strategyLines: string[] }>(run);
    expect(plan).toMatchObject({ strategy: 'guardrails', strategySource: 'input', cycles: 2, extraInstanceMinutes: 8 + 2 * (8 + 5 + 60) });
    expect(plan.strategyLines.join('\n')).toContain("the rest of the bake (1h00m) runs under the workflow's watch once blue's fleet is gone");
    expect(plan.strategyLines.join('\n')).toContain("a rollback then provisions blue's fleet again (2 × ml.m5.large, ~8 min)");
  });

  test('--strategy variant --json: the strategy, what it provisions, cycles and extra instance-minutes', async () => {
    const { run, calls } = await planWithCalls(PLAN, '--model-package', v2, '--strategy', 'variant', '--bake', '30m', '--json');
    expect(run.code).toBe(0);
    expectReadOnly(calls);
    const plan = parseJson<{ strategy: string; provisions: Array<{ fleet: string; instances: number; instanceType: string }>; cycles: number; extraInstanceMinutes: number; notes: string[] }>(run);
    expect(plan).toMatchObject({ strategy: 'variant', cycles: 2, extraInstanceMinutes: 76 });
    expect(plan.provisions).toEqual([
      expect.objectContaining({ fleet: 'pair-fleet', instances: 4, instanceType: 'ml.m5.large' }),
      expect.objectContaining({ fleet: 'green-only-fleet', instances: 2, instanceType: 'ml.m5.large' }),
    ]);
    expect(plan.notes.join('\n')).toContain('provisioning assumed 8 min per fleet');
  });

  test('--no-pre-validation: no validation endpoint, one provisioning cycle', async () => {
    const { run } = await planWithCalls(PLAN, '--model-package', v2, '--no-pre-validation', '--bake', '30m', '--json');
    expect(run.code).toBe(0);
    expect(parseJson(run)).toMatchObject({ strategy: 'guardrails', cycles: 1, extraInstanceMinutes: 76 });
  });

  test('--json: one document with the names, steps and verdict', async () => {
    const { run, calls } = await planWithCalls(PLAN, '--model-package', v2, '--name', 'release-1', '--json');
    expect(run.code).toBe(0);
    expectReadOnly(calls);
    const plan = parseJson<{ accepted: boolean; names: { model: string }; delete: Array<{ action: string; resource: string }>; keep: unknown[]; refusals: string[] }>(run);
    expect(plan).toMatchObject({ accepted: true, refusals: [], names: { model: greenNames(PLAN, 2, 'release-1').model } });
    // No samples, so no validation endpoint (nor its config) to delete; blue's hand-made resources are kept.
    expect(plan.delete.map((d) => d.action)).toEqual(['DeleteAlarms']);
    expect(plan.keep).toHaveLength(2);
  });

  test('a version that is not Approved is refused: exit 2, still read-only', async () => {
    const { run, calls } = await planWithCalls(PLAN, '--model-package', v3);
    expect(run.code).toBe(2);
    expectReadOnly(calls);
    expect(run.stdout).toContain(`--model-package: ${v3} is PendingManualApproval; only Approved model packages are deployed`);
  });

  test('an endpoint with two variants: the variant to promote must be named, and the variant strategy does not fit it', async () => {
    const { run, calls } = await planWithCalls('demo-two', '--model-package', v2, '--strategy', 'guardrails');
    expect(run.code).toBe(2);
    expectReadOnly(calls);
    expect(run.stdout).toContain('Kind: multi-variant');
    expect(run.stdout).toContain('--variant: demo-two serves 2 production variants (A, B); name the one to promote in --variant');
    const named = await bluegreen(env, 'plan', 'demo-two', '--model-package', v2, '--strategy', 'guardrails', '--variant', 'B');
    expect(named.code).toBe(0);
    expect(named.stdout).toContain('Target: variant B (the other variants keep their models and weights)');
    const variant = await bluegreen(env, 'plan', 'demo-two', '--model-package', v2, '--strategy', 'variant', '--variant', 'B');
    expect(variant.code).toBe(2);
    expect(variant.stdout).toContain('--strategy: variant does not fit a multi-variant endpoint');
  });

  test('a first deployment is accepted and says there is nothing to roll back to', async () => {
    const { run, calls } = await planWithCalls('demo-fresh', '--model-package', v2, '--name', 'first');
    expect(run.code).toBe(0);
    expectReadOnly(calls);
    expect(run.stdout).toContain('first deployment: endpoint demo-fresh does not exist');
    expect(run.stdout).toContain(`CreateEndpointConfig ${greenNames('demo-fresh', 2, 'first').greenConfig}: variant ${greenNames('demo-fresh', 2, 'first').variant}, ml.m5.large ×1`);
    expect(run.stdout).toContain('CreateEndpoint demo-fresh');
  });

  test('an unknown model package version and a missing alarm are refusals', async () => {
    const unknown = v2.replace(/\/2$/, '/99');
    const { run, calls } = await planWithCalls(PLAN, '--model-package', unknown, '--alarm', 'no-such-alarm');
    expect(run.code).toBe(2);
    expectReadOnly(calls);
    expect(run.stdout).toContain(`--model-package: ${unknown} cannot be described`);
    expect(run.stdout).toContain('--alarm: no CloudWatch alarm named no-such-alarm');
  });

  test('a bad --bake never reaches AWS', async () => {
    const { run, calls } = await planWithCalls(PLAN, '--model-package', v2, '--bake', 'soon');
    expect(run.code).toBe(2);
    expect(calls).toEqual([]);
    expect(run.stderr).toContain("option '--bake <duration>' argument 'soon' is invalid");
  });
});
