import { DescribeEndpointConfigCommand } from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import { greenNames } from '../../lambdas/shared/naming';
import type { CallLogEntry } from '../../local/emulator';
import {
  describeEndpoint,
  ended,
  entered,
  handMade,
  historyRow,
  lockItem,
  promotionInput,
  resourcesOf,
  settle,
  startPromotion,
  startWorld,
  variantsOf,
  type Ended,
  type World,
} from './world';

/** Whole promotions that end `promoted` on the local AWS: started by a Model Registry approval or with StartExecution. */
let world: World;
let happyPath: Ended | undefined;

beforeAll(async () => {
  world = await startWorld(['demo-happy', 'demo-concurrent', 'demo-throttled']);
}, 60000);
afterEach(async () => settle(world));
afterAll(async () => {
  // For the README: what one promotion costs in Step Functions state transitions.
  if (happyPath) {
    const counts = happyPath.statesEntered.reduce<Record<string, number>>((acc, s) => ({ ...acc, [s]: (acc[s] ?? 0) + 1 }), {});
    console.log(`happy-path promotion (bakeSeconds 300, poll 30 s): ${happyPath.statesEntered.length} state transitions ${JSON.stringify(counts)}`);
  }
  await world?.aws.close();
});

test('GIVEN churn-prediction does not exist WHEN version 2 of churn-models is approved in the Model Registry THEN the approval trigger promotes it as a first deployment: endpoint created from green, validated with the configured samples, no bake', async () => {
  // The approval happened when the world was set up (startWorld): one approval, one promotion.
  expect(world.approvalExecutions).toHaveLength(1);
  const executionArn = world.approvalExecutions[0]!;
  const id = executionArn.split(':').at(-1)!;
  const promotion = { id, endpointName: 'churn-prediction', green: greenNames('churn-prediction', 2, id) };
  const execution = await ended(world, executionArn);

  expect(execution).toMatchObject({ status: 'SUCCEEDED' });
  expect(id).toMatch(/^churn-prediction-v2-approved-[0-9a-f]{10}$/);
  const endpoint = await describeEndpoint(world, 'churn-prediction');
  expect(endpoint).toMatchObject({ EndpointStatus: 'InService', EndpointConfigName: promotion.green.greenConfig });
  // A first deployment's variant has SageMaker's conventional name, which guardrails promotions keep.
  expect(variantsOf(endpoint)).toEqual([{ VariantName: 'AllTraffic', CurrentWeight: 1 }]);
  // Sized from the model package: its first supported realtime instance type, one instance.
  const config = await world.sagemaker.send(new DescribeEndpointConfigCommand({ EndpointConfigName: promotion.green.greenConfig }));
  expect(config.ProductionVariants).toEqual([expect.objectContaining({ ModelName: promotion.green.model, InstanceType: 'ml.m5.large', InitialInstanceCount: 1 })]);
  expect(resourcesOf(world, 'churn-prediction')).toEqual({ models: [promotion.green.model], endpointConfigs: [promotion.green.greenConfig], alarms: [] });
  expect(await historyRow(world, promotion)).toMatchObject({
    outcome: 'promoted',
    reason: 'first deployment of version 2',
    firstDeployment: true,
    requestedBy: 'model-registry:approved:churn-models/2',
    validation: [expect.objectContaining({ name: 'typical-customer', ok: true }), expect.objectContaining({ name: 'new-customer', ok: true })],
  });
  expect(await lockItem(world, 'churn-prediction')).toBeUndefined();
  expect(execution.statesEntered).toEqual(expect.arrayContaining(['StandUpGreen', 'ValidateGreen', 'RecordPromotion', 'Promoted']));
  expect(execution.statesEntered).not.toContain('ShiftTraffic');
  expect(execution.statesEntered).not.toContain('ArmGuardrails');
});

test('GIVEN a hand-made blue serving v1 WHEN v2 is promoted THEN green serves all traffic, the tool\'s own resources are gone, blue\'s hand-made ones are kept and recorded, the lock is released', async () => {
  const endpointName = 'demo-happy'; // a hand-made blue serving v1 (world setup)

  const promotion = await startPromotion(world, 'happy-1', promotionInput(endpointName, world.v2));
  const execution = await ended(world, promotion.executionArn);
  happyPath = execution;

  expect(execution).toMatchObject({ status: 'SUCCEEDED' });
  const endpoint = await describeEndpoint(world, endpointName);
  expect(endpoint).toMatchObject({ EndpointStatus: 'InService', EndpointConfigName: promotion.green.greenConfig });
  expect(variantsOf(endpoint)).toEqual([{ VariantName: promotion.green.variant, CurrentWeight: 1 }]);
  // Traffic really reaches v2 now.
  const answer = await world.runtime.send(new InvokeEndpointCommand({ EndpointName: endpointName, ContentType: 'application/json', Body: new TextEncoder().encode('{}') }));
  expect(JSON.parse(new TextDecoder().decode(answer.Body))).toMatchObject({ modelPackageVersion: 2, variant: promotion.green.variant });

  const { model, config } = handMade(endpointName);
  expect(resourcesOf(world, endpointName)).toEqual({
    models: [model, promotion.green.model].sort(),
    endpointConfigs: [config, promotion.green.greenConfig].sort(),
    alarms: [],
  });
  expect(await historyRow(world, promotion)).toMatchObject({
    outcome: 'promoted',
    reason: 'version 2 promoted',
    firstDeployment: false,
    blueConfig: config,
    greenConfig: promotion.green.greenConfig,
    cleanedUp: expect.arrayContaining([`config ${promotion.green.pairConfig}`, expect.stringMatching(/^alarms bluegreen-demo-happy-v2-/)]),
    leftovers: expect.arrayContaining([
      expect.objectContaining({ resource: `config ${config}`, reason: expect.stringMatching(/not created by sagemaker-bluegreen/) }),
      expect.objectContaining({ resource: `model ${model}`, reason: expect.stringMatching(/not created by sagemaker-bluegreen/) }),
    ]),
    validation: [expect.objectContaining({ name: 'typical-customer', ok: true }), expect.objectContaining({ name: 'new-customer', ok: true })],
  });
  expect(await lockItem(world, endpointName)).toBeUndefined();
  expect(execution.statesEntered).toEqual(expect.arrayContaining(['StandUpGreen', 'ValidateGreen', 'ArmGuardrails', 'ShiftTraffic', 'CheckGuardrails', 'Finalize', 'RevalidateGreen', 'CleanupBlue', 'Promoted']));
  expect(execution.statesEntered).not.toContain('RollBack');
}, 30000);

test('GIVEN a promotion holds the endpoint WHEN a second one starts THEN the second is rejected with PromotionInProgress naming the first, touches nothing, and the first still completes', async () => {
  const endpointName = 'demo-concurrent'; // a hand-made blue serving v1 (world setup)
  const first = await startPromotion(world, 'concurrent-1', promotionInput(endpointName, world.v2));
  await entered(world, first.executionArn, 'DescribeBlue');

  const second = await startPromotion(world, 'concurrent-2', promotionInput(endpointName, world.v2));
  const rejected = await ended(world, second.executionArn);

  expect(rejected).toMatchObject({ status: 'FAILED', error: 'PromotionInProgress' });
  expect(rejected.cause).toMatch(/endpoint demo-concurrent is being promoted by concurrent-1 \(version 2, model package .*churn-models\/2/);
  // Refused in the first state, before any check of the endpoint, and recorded (test/scenarios/busy-endpoint.test.ts)
  expect(rejected.statesEntered).toEqual(['Recovery?', 'ValidateInput', 'Rejected']);
  expect(await historyRow(world, second)).toMatchObject({ outcome: 'refused', refusedFor: 'concurrent-1', requestedBy: 'scenario-test' });

  const completed = await ended(world, first.executionArn);
  expect(completed).toMatchObject({ status: 'SUCCEEDED' });
  const endpoint = await describeEndpoint(world, endpointName);
  expect(endpoint).toMatchObject({ EndpointStatus: 'InService', EndpointConfigName: first.green.greenConfig });
  expect(variantsOf(endpoint)).toEqual([{ VariantName: first.green.variant, CurrentWeight: 1 }]);
  // Nothing of the rejected promotion was ever created.
  const resources = resourcesOf(world, endpointName);
  expect([...resources.models, ...resources.endpointConfigs].filter((n) => n.includes(second.green.variant))).toEqual([]);
  expect(await historyRow(world, first)).toMatchObject({ outcome: 'promoted' });
  expect(await lockItem(world, endpointName)).toBeUndefined();
}, 30000);

test('GIVEN SageMaker and CloudWatch throttle several calls WHEN v2 is promoted THEN the SDK and Step Functions retries carry the promotion through to promoted', async () => {
  const endpointName = 'demo-throttled'; // a hand-made blue serving v1 (world setup)
  const faults = world.aws.emulator.faults;
  const throttled = [
    { operation: 'CreateModel', times: 2 },
    { operation: 'CreateEndpointConfig', times: 3, errorName: 'InternalFailure' },
    { operation: 'UpdateEndpoint', times: 3, errorName: 'ServiceUnavailable' },
    // More failures than the SDK's 4 attempts: the state's Retry (by error name) takes over.
    { operation: 'UpdateEndpointWeightsAndCapacities', times: 5, errorName: 'InternalFailure' },
    { operation: 'PutMetricAlarm', times: 2 },
    { operation: 'DeleteEndpointConfig', times: 3, errorName: 'InternalFailure' },
  ];
  for (const t of throttled) faults.throttle(t);
  const logFrom = world.aws.emulator.callLog.length;

  const promotion = await startPromotion(world, 'throttled-1', promotionInput(endpointName, world.v2));
  const execution = await ended(world, promotion.executionArn);

  expect(execution).toMatchObject({ status: 'SUCCEEDED' });
  const endpoint = await describeEndpoint(world, endpointName);
  expect(endpoint).toMatchObject({ EndpointStatus: 'InService', EndpointConfigName: promotion.green.greenConfig });
  expect(variantsOf(endpoint)).toEqual([{ VariantName: promotion.green.variant, CurrentWeight: 1 }]);
  expect(resourcesOf(world, endpointName)).toEqual({
    models: [handMade(endpointName).model, promotion.green.model].sort(),
    endpointConfigs: [handMade(endpointName).config, promotion.green.greenConfig].sort(),
    alarms: [],
  });
  expect(await historyRow(world, promotion)).toMatchObject({ outcome: 'promoted', leftovers: expect.not.arrayContaining([expect.objectContaining({ resource: 'cleanup' })]) });
  expect(await lockItem(world, endpointName)).toBeUndefined();

  // Every throttled call was retried with the same request until it went through.
  const calls = world.aws.emulator.callLog.slice(logFrom);
  for (const t of throttled) {
    const ofOperation = calls.filter((c) => c.operation === t.operation);
    const failed = ofOperation.filter((c) => c.error !== undefined);
    expect({ operation: t.operation, failed: failed.map((c) => c.error) }).toEqual({ operation: t.operation, failed: Array(t.times).fill(t.errorName ?? 'ThrottlingException') });
    const retried = ofOperation[t.times];
    expect(retried).toMatchObject<Partial<CallLogEntry>>({ operation: t.operation, input: failed[0]!.input });
    expect(retried?.error).toBeUndefined();
  }
  expect(world.aws.emulator.inspect().faults.throttles).toEqual([]);
}, 45000);

test('GIVEN SageMaker Runtime throttles the validation requests WHEN the SDK\'s retries get them through THEN green\'s latency is judged without the client\'s back-off, and the first deployment goes through', async () => {
  const endpointName = 'demo-first-throttled'; // no endpoint yet: a first deployment
  world.aws.emulator.faults.throttle({ operation: 'InvokeEndpoint', times: 2 });
  const logFrom = world.aws.emulator.callLog.length;

  const promotion = await startPromotion(world, 'first-throttled-1', promotionInput(endpointName, world.v2, { maxLatencyMs: 100 }));
  const execution = await ended(world, promotion.executionArn);

  expect({ status: execution.status, cause: execution.cause }).toEqual({ status: 'SUCCEEDED', cause: undefined });
  const endpoint = await describeEndpoint(world, endpointName);
  expect(endpoint).toMatchObject({ EndpointStatus: 'InService', EndpointConfigName: promotion.green.greenConfig });
  expect(await historyRow(world, promotion)).toMatchObject({ outcome: 'promoted', firstDeployment: true });
  const invocations = world.aws.emulator.callLog.slice(logFrom).filter((c) => c.operation === 'InvokeEndpoint');
  expect(invocations.map((c) => c.error)).toEqual(['ThrottlingException', 'ThrottlingException', undefined, undefined]);
}, 30000);
