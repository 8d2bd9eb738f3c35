import { UpdateEndpointWeightsAndCapacitiesCommand } from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import { causeMessage } from '../../lambdas/shared/errors';
import { describeEndpoint, ended, waitInService, eventually, historyRow, lockItem, promotionInput, settle, startPromotion, startWorld, type World } from './world';

/**
 * A multi-variant endpoint (an A/B test: ModelA 70 %, ModelB 30 %) on the local AWS: a promotion
 * names the variant it replaces (variantName) and the guardrails strategy changes only that
 * variant's model, through one UpdateEndpoint with deployment guardrails (blue/green supports
 * multi-variant endpoints; only rolling deployments exclude them: deployment-guardrails-exclusions).
 * ModelA keeps its model and both keep their weights; SageMaker's blue/green still provisions a new
 * fleet of every variant's instances (both fleets billed while it bakes).
 */
let world: World;

const AB = [
  { name: 'ModelA', weight: 0.7, instances: 2 },
  { name: 'ModelB', weight: 0.3, instances: 1 },
];
const ENDPOINTS = ['demo-ab-promote', 'demo-ab-invalid', 'demo-ab-alarm', 'demo-ab-deadline', 'demo-ab-refused', 'demo-ab-split'];

beforeAll(async () => {
  world = await startWorld([]);
  await Promise.all(ENDPOINTS.map((name) => world.seed.multiVariantEndpoint(name, world.v1, AB)));
}, 60000);
afterEach(async () => settle(world));
afterAll(async () => world?.aws.close());

/** The input of a scenario: no strategy named (the kind chooses guardrails), ModelB promoted. */
const abInput = (endpointName: string, extra: Record<string, unknown> = {}) => {
  const { strategy: _strategy, ...rest } = promotionInput(endpointName, world.v2);
  return { ...rest, variantName: 'ModelB', ...extra };
};
const meterOf = (endpointName: string) => world.aws.emulator.meter().endpoints[endpointName]!;
const handMadeConfig = (endpointName: string) => `${endpointName}-handmade-config`;
const modelsOf = async (endpointName: string) => {
  const endpoint = await describeEndpoint(world, endpointName);
  const config = world.aws.emulator.inspect().endpointConfigs[endpoint.EndpointConfigName!] as { ProductionVariants: Array<{ VariantName: string; ModelName: string }> };
  return Object.fromEntries(config.ProductionVariants.map((v) => [v.VariantName, v.ModelName]));
};
const weightsOf = async (endpointName: string) =>
  Object.fromEntries(((await describeEndpoint(world, endpointName)).ProductionVariants ?? []).map((v) => [v.VariantName, v.CurrentWeight]));

/** Which variant and model version answered each untargeted request. */
async function answers(endpointName: string, count: number): Promise<Record<string, number>> {
  const seen: Record<string, number> = {};
  for (let i = 0; i < count; i++) {
    const out = await world.runtime.send(new InvokeEndpointCommand({ EndpointName: endpointName, ContentType: 'application/json', Body: new TextEncoder().encode('{"x": 1}') }));
    const body = JSON.parse(new TextDecoder().decode(out.Body)) as { variant: string; modelPackageVersion: number };
    const key = `${body.variant}@v${body.modelPackageVersion}`;
    seen[key] = (seen[key] ?? 0) + 1;
  }
  return seen;
}

test('GIVEN an A/B test WHEN v2 is promoted onto ModelB THEN guardrails (the stack default, which fits the kind) is used and recorded, ModelB serves v2 validated first on its own, ModelA keeps v1, both keep their 70/30 weights, and only ModelB\'s old model is cleaned', async () => {
  const endpointName = 'demo-ab-promote';
  const cycles = meterOf(endpointName).provisioningCycles;
  const promotion = await startPromotion(world, 'ab-promote-1', abInput(endpointName));
  const execution = await ended(world, promotion.executionArn);

  expect(execution).toMatchObject({ status: 'SUCCEEDED' });
  expect(await weightsOf(endpointName)).toEqual({ ModelA: 0.7, ModelB: 0.3 });
  expect(await modelsOf(endpointName)).toEqual({ ModelA: `${endpointName}-ModelA-model`, ModelB: promotion.green.model });
  const served = await answers(endpointName, 40);
  expect(Object.keys(served).sort()).toEqual(['ModelA@v1', 'ModelB@v2']);
  // The validation endpoint held ModelB's green alone (one instance) and answered both samples.
  const validation = meterOf(promotion.green.validationEndpoint);
  expect(validation.fleets[0]!.variants).toEqual([expect.objectContaining({ variantName: 'ModelB', modelPackageVersion: 2 })]);
  expect(validation.fleets[0]!.targetedInvocations).toBe(2);
  // SageMaker's blue/green provisions one new fleet holding every variant's instances (2 + 1).
  expect(meterOf(endpointName).provisioningCycles - cycles).toBe(1);
  const serving = meterOf(endpointName).fleets.filter((f) => f.status === 'InService');
  expect(serving).toHaveLength(1);
  expect(serving[0]!.variants.map((v) => [v.variantName, v.instances])).toEqual([
    ['ModelA', 2],
    ['ModelB', 1],
  ]);
  // The hand-made models predate the tool: ModelA's still serves; ModelB's old one is kept only because the tool did not create it.
  const row = await historyRow(world, promotion);
  expect(row).toMatchObject({ outcome: 'promoted', strategy: 'guardrails', kind: 'multi-variant', targetVariant: 'ModelB', strategyReason: expect.stringMatching(/^the stack's default strategy guardrails; several production variants: only the named variant's model changes/) });
  expect(JSON.stringify(row?.leftovers ?? [])).not.toContain(`${endpointName}-ModelA-model`);
  expect(await lockItem(world, endpointName)).toBeUndefined();
}, 30000);

test('GIVEN an A/B test WHEN ModelB\'s green fails validation THEN no user request reached it and both variants serve v1 at their weights, untouched', async () => {
  const endpointName = 'demo-ab-invalid';
  const promotion = await startPromotion(world, 'ab-invalid-1', abInput(endpointName));
  world.aws.emulator.faults.variantErrors({ endpointName: promotion.green.validationEndpoint, modelPackageVersion: 2, statusCode: 500 });
  const execution = await ended(world, promotion.executionArn);

  expect(execution).toMatchObject({ status: 'FAILED', error: 'PromotionFailed' });
  expect(execution.cause).toMatch(/^GreenValidationFailed: green \(validation endpoint .*-val\) failed 2 of 2/);
  expect((await describeEndpoint(world, endpointName)).EndpointConfigName).toBe(handMadeConfig(endpointName));
  expect(await weightsOf(endpointName)).toEqual({ ModelA: 0.7, ModelB: 0.3 });
  expect(meterOf(endpointName).fleets.flatMap((f) => f.variants.map((v) => v.modelPackageVersion))).not.toContain(2);
  await eventually(() => !Object.keys(world.aws.emulator.inspect().endpoints).includes(promotion.green.validationEndpoint), 'the validation endpoint to be deleted');
}, 30000);

test('GIVEN an A/B test WHEN ModelB\'s green returns 5xx during the bake THEN SageMaker rolls the whole endpoint back to blue\'s fleet: ModelB serves v1 again, ModelA never stopped, weights as before', async () => {
  const endpointName = 'demo-ab-alarm';
  const promotion = await startPromotion(world, 'ab-alarm-1', abInput(endpointName));
  await eventually(() => meterOf(endpointName).fleets.some((f) => f.trafficShare > 0.99 && f.variants.some((v) => v.modelPackageVersion === 2)), 'green\'s fleet serving');
  world.aws.emulator.faults.variantErrors({ endpointName, modelPackageVersion: 2, statusCode: 500 });
  // Requests keep coming (they land on ModelB's green 30 % of the time) until the alarm rolls back.
  const load = (async () => {
    while ((world.aws.stepFunctions.list().find((e) => e.arn === promotion.executionArn)?.status ?? 'RUNNING') === 'RUNNING') {
      await world.runtime.send(new InvokeEndpointCommand({ EndpointName: endpointName, ContentType: 'application/json', Body: new TextEncoder().encode('{}') })).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  const execution = await ended(world, promotion.executionArn);
  await load;

  expect(execution).toMatchObject({ status: 'FAILED', error: 'PromotionRolledBack' });
  expect(execution.cause).toMatch(new RegExp(`${promotion.green.alarmPrefix}-5xx`));
  expect((await describeEndpoint(world, endpointName)).EndpointConfigName).toBe(handMadeConfig(endpointName));
  expect(await weightsOf(endpointName)).toEqual({ ModelA: 0.7, ModelB: 0.3 });
  world.aws.emulator.faults.clear();
  expect(Object.keys(await answers(endpointName, 30)).sort()).toEqual(['ModelA@v1', 'ModelB@v1']);
  expect(await historyRow(world, promotion)).toMatchObject({ outcome: 'rolled_back' });
}, 30000);

test('GIVEN an A/B test WHEN green never reaches InService within the deadline THEN the promotion rolls back and the endpoint stays on blue', async () => {
  const endpointName = 'demo-ab-deadline';
  const promotion = await startPromotion(world, 'ab-deadline-1', abInput(endpointName, { deadlines: { inServiceSeconds: 600 }, validation: { mode: 'off', samples: [{ body: '{}' }] } }));
  world.aws.emulator.faults.slowFleet({ modelName: promotion.green.model, provisioningMs: world.aws.ms(3600) });
  const execution = await ended(world, promotion.executionArn);

  expect(execution).toMatchObject({ status: 'FAILED', error: 'PromotionRolledBack' });
  expect(execution.cause).toMatch(/^DeadlineExceeded: shift/);
  expect((await describeEndpoint(world, endpointName)).EndpointConfigName).toBe(handMadeConfig(endpointName));
  expect(await weightsOf(endpointName)).toEqual({ ModelA: 0.7, ModelB: 0.3 });
}, 30000);

test('GIVEN an A/B test WHEN a promotion names no variant, a variant it does not have, or the variant strategy THEN each is refused before the lock, naming the field and the fix, and nothing is created', async () => {
  const endpointName = 'demo-ab-refused';
  const calls = world.aws.emulator.callLog.length;
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [abInput(endpointName, { variantName: undefined }), /^variantName: demo-ab-refused serves 2 production variants \(ModelA, ModelB\); name the one to promote/],
    [abInput(endpointName, { variantName: 'ModelC' }), /^variantName: demo-ab-refused has no production variant ModelC \(it serves ModelA, ModelB\)/],
    [abInput(endpointName, { strategy: 'variant' }), /^strategy: variant does not fit a multi-variant endpoint .*; use strategy guardrails/],
  ];
  for (const [i, [input, message]] of cases.entries()) {
    const promotion = await startPromotion(world, `ab-refused-${i}`, JSON.parse(JSON.stringify(input)) as Record<string, unknown>);
    const execution = await ended(world, promotion.executionArn);
    expect({ status: execution.status, error: execution.error }).toEqual({ status: 'FAILED', error: 'InvalidPromotionInput' });
    expect(causeMessage(execution.cause)).toMatch(message);
  }
  expect(world.aws.emulator.callLog.slice(calls).filter((c) => !/^(Describe|List|Get)/.test(c.operation))).toEqual([]);
  expect(await lockItem(world, endpointName)).toBeUndefined();
}, 30000);

test('GIVEN an operator moved the A/B split to 50/50 before the promotion WHEN green fails on the serving fleet after SageMaker\'s deployment (an UpdateEndpoint back to blue) THEN the split is still 50/50, not blue config\'s initial 70/30', async () => {
  const endpointName = 'demo-ab-split';
  await world.sagemaker.send(
    new UpdateEndpointWeightsAndCapacitiesCommand({ EndpointName: endpointName, DesiredWeightsAndCapacities: [{ VariantName: 'ModelA', DesiredWeight: 0.5 }, { VariantName: 'ModelB', DesiredWeight: 0.5 }] }),
  );
  await waitInService(world, endpointName);
  expect(await weightsOf(endpointName)).toEqual({ ModelA: 0.5, ModelB: 0.5 });
  // v2 answers 500 on the promoted endpoint only: it passes on the validation endpoint, fails once it serves.
  world.aws.emulator.faults.variantErrors({ endpointName, modelPackageVersion: 2, statusCode: 500 });
  const promotion = await startPromotion(world, 'ab-split-1', abInput(endpointName));
  const execution = await ended(world, promotion.executionArn);

  expect(execution).toMatchObject({ status: 'FAILED' });
  expect(execution.statesEntered).toEqual(expect.arrayContaining(['RevalidateGreen', 'RollBack']));
  const rollbackUpdates = world.aws.emulator.callLog.filter((c) => c.operation === 'UpdateEndpoint' && (c.input as { EndpointConfigName?: string }).EndpointConfigName === handMadeConfig(endpointName));
  expect(rollbackUpdates.map((c) => c.input)).toEqual([expect.objectContaining({ RetainAllVariantProperties: true })]);
  expect((await describeEndpoint(world, endpointName)).EndpointConfigName).toBe(handMadeConfig(endpointName));
  expect(await weightsOf(endpointName)).toEqual({ ModelA: 0.5, ModelB: 0.5 });
  expect(await modelsOf(endpointName)).toEqual({ ModelA: `${endpointName}-ModelA-model`, ModelB: `${endpointName}-ModelB-model` });
}, 30000);
