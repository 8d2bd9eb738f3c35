import { DescribeEndpointConfigCommand } from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import { publishedDatapoints, total } from '../emulator/helpers';
import {
  describeEndpoint,
  ended,
  entered,
  eventually,
  expectBackOnBlue,
  handMade,
  historyRow,
  lockItem,
  promotionInput,
  resourcesOf,
  settle,
  startPromotion,
  startWorld,
  Traffic,
  type World,
} from './world';

/**
 * Serverless endpoints on the local AWS, the real state machine: the `replace` strategy. Green's config
 * is blue's with the model changed (ServerlessConfig copied), a short-lived serverless validation endpoint
 * answers the samples, then ONE UpdateEndpoint WITHOUT DeploymentConfig ("deployment guardrails only apply
 * to Asynchronous inference and Real-time inference endpoint types", deployment-guardrails.html), the whole
 * bake watched by the workflow, a rollback an UpdateEndpoint back to blue's config (a new container: a cold
 * start, serverless-endpoints-update.html). Blue: Seed.serverlessBlueEndpoint; the local clock runs 600×.
 */
let world: World;

const BLUE_SERVERLESS = { memorySizeInMB: 3072, maxConcurrency: 8, provisionedConcurrency: 2 };
const BLUES = ['demo-s-promote', 'demo-s-invalid', 'demo-s-failed', 'demo-s-alarm', 'demo-s-cold', 'demo-s-deadline', 'demo-s-refused'];

beforeAll(async () => {
  world = await startWorld([]);
  await Promise.all(BLUES.map((name) => world.seed.serverlessBlueEndpoint(name, world.v1, name === 'demo-s-promote' ? BLUE_SERVERLESS : undefined)));
}, 60000);
afterEach(async () => settle(world));
afterAll(async () => world?.aws.close());

/** No strategy: the endpoint's kind chooses `replace`. */
const serverless = (endpointName: string, extra: Record<string, unknown> = {}) => {
  const { strategy: _variant, ...input } = promotionInput(endpointName, world.v2);
  return { ...input, ...extra };
};
const meterOf = (endpointName: string) => world.aws.emulator.meter().endpoints[endpointName];
const updatesOf = (endpointName: string, from: number) =>
  world.aws.emulator.callLog.slice(from).filter((c) => c.operation === 'UpdateEndpoint' && (c.input as { EndpointName?: string }).EndpointName === endpointName);
/** The promotion document the execution carried (ShiftTraffic's input). */
const carried = (executionArn: string) =>
  (world.aws.stepFunctions.list().find((e) => e.arn === executionArn)?.events.find((e) => e.type === 'StateEntered' && e.state === 'ShiftTraffic')?.input as { promotion?: Record<string, unknown> } | undefined)?.promotion;
const createdConfig = (configName: string) =>
  world.aws.emulator.callLog.find((c) => c.operation === 'CreateEndpointConfig' && (c.input as { EndpointConfigName?: string }).EndpointConfigName === configName)?.input as
    | { ProductionVariants: Array<Record<string, unknown>>; DataCaptureConfig?: unknown }
    | undefined;

test('GIVEN a serverless blue WHEN v2 is promoted THEN replace is chosen, a serverless validation endpoint answers the samples and is deleted, ONE UpdateEndpoint without DeploymentConfig switches, green copies memory, max and provisioned concurrency, and blue\'s config and model are cleaned', async () => {
  const endpointName = 'demo-s-promote';
  const from = world.aws.emulator.callLog.length;
  const cyclesBefore = meterOf(endpointName)!.provisioningCycles;
  const traffic = new Traffic(world, endpointName);
  const promotion = await startPromotion(world, 's-promote-1', serverless(endpointName));
  const execution = await ended(world, promotion.executionArn);
  const outcomes = await traffic.stop();

  expect(execution).toMatchObject({ status: 'SUCCEEDED' });
  const endpoint = await describeEndpoint(world, endpointName);
  expect(endpoint).toMatchObject({ EndpointStatus: 'InService', EndpointConfigName: promotion.green.greenConfig });
  expect(endpoint.ProductionVariants?.[0]).toMatchObject({ VariantName: 'AllTraffic', CurrentServerlessConfig: { MemorySizeInMB: 3072, MaxConcurrency: 8, ProvisionedConcurrency: 2 } });
  const green = await world.sagemaker.send(new DescribeEndpointConfigCommand({ EndpointConfigName: promotion.green.greenConfig }));
  expect(green.ProductionVariants).toEqual([
    expect.objectContaining({ VariantName: 'AllTraffic', ModelName: promotion.green.model, ServerlessConfig: { MemorySizeInMB: 3072, MaxConcurrency: 8, ProvisionedConcurrency: 2 } }),
  ]);
  expect(green.ProductionVariants?.[0]?.InitialInstanceCount).toBeUndefined();
  // ONE UpdateEndpoint on the promoted endpoint, with no DeploymentConfig.
  const updates = updatesOf(endpointName, from);
  expect(updates).toHaveLength(1);
  expect(updates[0]!.input).toEqual({ EndpointName: endpointName, EndpointConfigName: promotion.green.greenConfig });
  // The validation endpoint: blue's memory, one warm container (lambdas/shared/serverless.ts), no data capture; created, used, gone.
  const validationConfig = createdConfig(promotion.green.validationConfig);
  expect(validationConfig?.ProductionVariants).toEqual([expect.objectContaining({ ServerlessConfig: { MemorySizeInMB: 3072, MaxConcurrency: 1, ProvisionedConcurrency: 1 } })]);
  expect(validationConfig?.DataCaptureConfig).toBeUndefined();
  const validation = meterOf(promotion.green.validationEndpoint)!;
  expect(validation.provisioningCycles).toBe(1);
  expect(validation.fleets[0]).toMatchObject({ status: 'Terminated', targetedInvocations: 2 });
  expect(validation.fleets[0]!.variants[0]).toMatchObject({ serverless: true, instances: 0, modelPackageVersion: 2 });
  expect(Object.keys(world.aws.emulator.inspect().endpoints)).not.toContain(promotion.green.validationEndpoint);
  // The cost: one provisioning cycle on the endpoint (green's), one for the validation endpoint; no instance-seconds (serverless bills per use).
  expect(meterOf(endpointName)!.provisioningCycles - cyclesBefore).toBe(1);
  expect(meterOf(endpointName)!.instanceSeconds).toEqual({});
  expect(outcomes).toEqual({ ok: expect.any(Number), modelErrors: 0, other: [] });
  // Blue's hand-made model and config predate the tool: kept and recorded (cleanup never deletes what it did not create); green's validation config is gone.
  const blue = handMade(endpointName);
  expect(resourcesOf(world, endpointName)).toEqual({ models: [blue.model, promotion.green.model].sort(), endpointConfigs: [blue.config, promotion.green.greenConfig].sort(), alarms: [] });
  expect(await lockItem(world, endpointName)).toBeUndefined();
  const row = await historyRow(world, promotion);
  expect(row).toMatchObject({ outcome: 'promoted' });
  // The promotion the workflow carried: the kind chose the strategy, and says why.
  expect(carried(promotion.executionArn)).toMatchObject({ kind: 'serverless', strategy: 'replace', strategyReason: expect.stringMatching(/^chosen for a serverless endpoint: .*deployment guardrails do not apply/) });
  expect(execution.statesEntered).toEqual(expect.arrayContaining(['StandUpGreen', 'ValidateGreen', 'ArmGuardrails', 'ShiftTraffic', 'Bake', 'RevalidateGreen', 'CleanupBlue', 'Promoted']));
}, 30000);

test('GIVEN green answers 500 WHEN it is validated on the serverless validation endpoint THEN blue is untouched, nothing is left and the promotion ends PromotionFailed', async () => {
  const endpointName = 'demo-s-invalid';
  const from = world.aws.emulator.callLog.length;
  const promotion = await startPromotion(world, 's-invalid-1', serverless(endpointName));
  world.aws.emulator.faults.variantErrors({ endpointName: promotion.green.validationEndpoint, modelPackageVersion: 2, statusCode: 500 });
  const execution = await ended(world, promotion.executionArn);

  expect(execution).toMatchObject({ status: 'FAILED', error: 'PromotionFailed' });
  expect(execution.cause).toMatch(new RegExp(`^GreenValidationFailed: green \\(validation endpoint ${promotion.green.validationEndpoint}\\) failed 2 of 2`));
  expect(updatesOf(endpointName, from)).toHaveLength(0);
  await expectBackOnBlue(world, { endpointName });
  await eventually(() => !Object.keys(world.aws.emulator.inspect().endpoints).includes(promotion.green.validationEndpoint), 'the validation endpoint to be deleted');
  expect(await historyRow(world, promotion)).toMatchObject({ outcome: 'failed' });
}, 30000);

test('GIVEN green passed validation WHEN the UpdateEndpoint to green fails THEN SageMaker leaves the endpoint on blue\'s config (FailureReason) and the promotion rolls back without another update', async () => {
  const endpointName = 'demo-s-failed';
  const from = world.aws.emulator.callLog.length;
  const promotion = await startPromotion(world, 's-failed-1', serverless(endpointName));
  // The validation endpoint's container is already up: only the switch's deployment of green fails.
  await entered(world, promotion.executionArn, 'ValidateGreen');
  world.aws.emulator.faults.failFleet({ modelName: promotion.green.model, reason: 'container exited with code 1' });
  const execution = await ended(world, promotion.executionArn);

  expect(execution).toMatchObject({ status: 'FAILED', error: 'PromotionRolledBack' });
  expect(execution.cause).toMatch(/^GreenNotInService: shift: .*container exited with code 1/);
  expect(updatesOf(endpointName, from).map((c) => (c.input as { EndpointConfigName?: string }).EndpointConfigName)).toEqual([promotion.green.greenConfig]);
  await expectBackOnBlue(world, { endpointName });
  expect(await historyRow(world, promotion)).toMatchObject({ outcome: 'rolled_back' });
}, 30000);

test('GIVEN green serves WHEN its 5xx alarm fires during the bake THEN the workflow updates the endpoint back to blue\'s config (a new container: a cold start, seen as ModelSetupTime)', async () => {
  const endpointName = 'demo-s-alarm';
  const blueConfig = handMade(endpointName).config;
  const setupTimes = { Namespace: 'AWS/SageMaker', MetricName: 'ModelSetupTime', Statistics: ['SampleCount' as const], Period: 60, Dimensions: [{ Name: 'EndpointName', Value: endpointName }, { Name: 'EndpointConfigName', Value: blueConfig }, { Name: 'VariantName', Value: 'AllTraffic' }] };
  // Blue's container started once (its first invocation waited for it).
  await world.runtime.send(new InvokeEndpointCommand({ EndpointName: endpointName, ContentType: 'application/json', Body: new TextEncoder().encode('{}') }));
  await publishedDatapoints(world.cloudwatch, setupTimes, (d) => total(d, 'SampleCount') === 1);
  const traffic = new Traffic(world, endpointName);
  const from = world.aws.emulator.callLog.length;
  const promotion = await startPromotion(world, 's-alarm-1', serverless(endpointName, { bakeSeconds: 1800 }));
  await entered(world, promotion.executionArn, 'Bake');
  const cycles = meterOf(endpointName)!.provisioningCycles;
  world.aws.emulator.faults.variantErrors({ endpointName, modelPackageVersion: 2, statusCode: 500 });
  const execution = await ended(world, promotion.executionArn);
  await traffic.stop();

  expect(execution).toMatchObject({ status: 'FAILED', error: 'PromotionRolledBack' });
  expect(execution.cause).toMatch(new RegExp(`^GuardrailAlarm: guardrail alarm ${promotion.green.alarmPrefix}-5xx is in ALARM`));
  // The switch to green, then the one back: plain UpdateEndpoint calls, the second a new provisioning cycle.
  expect(updatesOf(endpointName, from).map((c) => c.input)).toEqual([
    { EndpointName: endpointName, EndpointConfigName: promotion.green.greenConfig },
    { EndpointName: endpointName, EndpointConfigName: blueConfig },
  ]);
  expect(meterOf(endpointName)!.provisioningCycles).toBe(cycles + 1);
  await expectBackOnBlue(world, { endpointName });
  expect(JSON.stringify(await historyRow(world, promotion))).toContain(`endpoint back to blue config ${blueConfig}`);
  // Blue's config came back on a new container: its next request waits for a cold start again.
  await world.runtime.send(new InvokeEndpointCommand({ EndpointName: endpointName, ContentType: 'application/json', Body: new TextEncoder().encode('{}') }));
  await publishedDatapoints(world.cloudwatch, setupTimes, (d) => total(d, 'SampleCount') === 2);
}, 30000);

test('GIVEN greenAlarms.maxModelSetupTimeMs WHEN green\'s first cold start after the switch takes longer THEN its -setup alarm (ModelSetupTime) rolls the promotion back', async () => {
  const endpointName = 'demo-s-cold';
  const traffic = new Traffic(world, endpointName);
  const promotion = await startPromotion(world, 's-cold-1', serverless(endpointName, { bakeSeconds: 1800, greenAlarms: { maxModelSetupTimeMs: 1 } }));
  const execution = await ended(world, promotion.executionArn);
  await traffic.stop();

  expect(execution).toMatchObject({ status: 'FAILED', error: 'PromotionRolledBack' });
  expect(execution.cause).toMatch(new RegExp(`^GuardrailAlarm: guardrail alarm ${promotion.green.alarmPrefix}-setup is in ALARM`));
  const created = world.aws.emulator.callLog.find((c) => c.operation === 'PutMetricAlarm' && (c.input as { AlarmName?: string }).AlarmName === `${promotion.green.alarmPrefix}-setup`);
  expect(created?.input).toMatchObject({ MetricName: 'ModelSetupTime', Statistic: 'Maximum', Threshold: 1000 });
  await expectBackOnBlue(world, { endpointName });
}, 30000);

test('GIVEN green\'s serverless container is slow to come up WHEN the shift\'s deadline passes THEN the workflow waits out the UpdateEndpoint it cannot cancel and updates back to blue', async () => {
  const endpointName = 'demo-s-deadline';
  const from = world.aws.emulator.callLog.length;
  const promotion = await startPromotion(world, 's-deadline-1', serverless(endpointName, { deadlines: { inServiceSeconds: 600 }, validation: { mode: 'off', samples: [{ body: '{}' }] } }));
  // Green's update is held until the shift's deadline (20 polls) has passed and the rollback waits, then it finishes:
  // SageMaker has no call that cancels an update. Held rather than timed: a wall-clock slow fleet raced the polls
  // (a loaded machine stretched them past it, an idle one finished the 43-poll rollback budget first).
  world.aws.emulator.faults.slowFleet({ modelName: promotion.green.model, provisioningMs: -1 });
  await entered(world, promotion.executionArn, 'WaitForRollback');
  world.aws.emulator.faults.clear();
  const execution = await ended(world, promotion.executionArn);

  expect(execution).toMatchObject({ status: 'FAILED', error: 'PromotionRolledBack' });
  expect(execution.cause).toMatch(/^DeadlineExceeded: shift/);
  // The update to green ran to its end (nothing cancels it), then one back to blue's config.
  expect(updatesOf(endpointName, from).map((c) => (c.input as { EndpointConfigName?: string }).EndpointConfigName)).toEqual([promotion.green.greenConfig, handMade(endpointName).config]);
  await expectBackOnBlue(world, { endpointName });
  expect(await historyRow(world, promotion)).toMatchObject({ outcome: 'rolled_back' });
}, 30000);

test('GIVEN an endpoint that is not serverless WHEN the input sets greenAlarms.maxModelSetupTimeMs THEN it is refused before the lock, naming the field', async () => {
  const promotion = await startPromotion(world, 's-refused-setup', serverless('demo-s-not-there', { instanceType: 'ml.m5.large', greenAlarms: { maxModelSetupTimeMs: 5000 } }));
  const execution = await ended(world, promotion.executionArn);

  expect(execution).toMatchObject({ status: 'FAILED', error: 'InvalidPromotionInput' });
  expect(execution.cause).toMatch(/^greenAlarms.maxModelSetupTimeMs: demo-s-not-there is not serverless \(kind real-time\), and only serverless endpoints publish ModelSetupTime.*remove maxModelSetupTimeMs/);
  expect(execution.statesEntered).not.toContain('AcquireLock');
}, 30000);

test.each([
  [{ strategy: 'guardrails' }, /^strategy: guardrails does not fit a serverless endpoint .*use strategy replace, or leave strategy out/],
  [{ strategy: 'variant' }, /^strategy: variant does not fit a serverless endpoint .*use strategy replace/],
  [{ traffic: { type: 'CANARY', percent: 10 } }, /traffic: SageMaker's traffic routing applies to the guardrails strategy, not replace; remove traffic/],
])('GIVEN a serverless endpoint WHEN the input asks for %j THEN it is refused before the lock, naming the fix, and nothing is created', async (extra, message) => {
  const endpointName = 'demo-s-refused';
  const from = world.aws.emulator.callLog.length;
  const promotion = await startPromotion(world, `s-refused-${Object.keys(extra)[0]}-${String((extra as { strategy?: string }).strategy ?? 'x')}`, serverless(endpointName, extra));
  const execution = await ended(world, promotion.executionArn);

  expect(execution).toMatchObject({ status: 'FAILED', error: 'InvalidPromotionInput' });
  expect(execution.cause).toMatch(message);
  expect(execution.statesEntered).not.toContain('AcquireLock');
  expect(world.aws.emulator.callLog.slice(from).filter((c) => /^(Create|Update|Delete)/.test(c.operation))).toEqual([]);
  expect(await lockItem(world, endpointName)).toBeUndefined();
}, 30000);
