import {
  ApplicationAutoScalingClient,
  DescribeScalableTargetsCommand,
  DescribeScalingPoliciesCommand,
  PutScalingPolicyCommand,
  RegisterScalableTargetCommand,
} from '@aws-sdk/client-application-auto-scaling';
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
  settle,
  startPromotion,
  startWorld,
  Traffic,
  variantsOf,
  type World,
} from './world';

/**
 * The variant strategy on an autoscaled blue, on the local AWS: blue's variant is a scalable
 * target (2–4 instances, target tracking on invocations per instance) registered through the real
 * Application Auto Scaling client. SageMaker refuses an UpdateEndpoint that removes a variant still
 * registered as a scalable target, so the promotion hands the scaling over to green's variant, and
 * a rollback hands it back to blue's, whichever side the endpoint was on when it failed.
 */
let world: World;
const aas = new ApplicationAutoScalingClient({});

beforeAll(async () => {
  world = await startWorld(['demo-vs-promote', 'demo-vs-bake', 'demo-vs-finalize']);
}, 60000);
afterEach(async () => settle(world));
afterAll(async () => {
  aas.destroy();
  await world?.aws.close();
});

const DIMENSION = 'sagemaker:variant:DesiredInstanceCount';
const POLICY = {
  PolicyName: 'invocations-per-instance',
  PolicyType: 'TargetTrackingScaling',
  TargetTrackingScalingPolicyConfiguration: { TargetValue: 1000, PredefinedMetricSpecification: { PredefinedMetricType: 'SageMakerVariantInvocationsPerInstance' } },
} as const;
const target = (endpointName: string, variantName: string) => ({ ServiceNamespace: 'sagemaker', ResourceId: `endpoint/${endpointName}/variant/${variantName}`, ScalableDimension: DIMENSION }) as const;

/** Blue's variant (AllTraffic, 2 instances) autoscaled 2–4 with a target-tracking policy, as a team sets it up by hand. */
async function autoscaleBlue(endpointName: string): Promise<void> {
  await aas.send(new RegisterScalableTargetCommand({ ...target(endpointName, 'AllTraffic'), MinCapacity: 2, MaxCapacity: 4 }));
  await aas.send(new PutScalingPolicyCommand({ ...target(endpointName, 'AllTraffic'), ...POLICY }));
}

/** A variant's scalable target and policies as Application Auto Scaling describes them (undefined target: not registered). */
async function scalingOf(endpointName: string, variantName: string) {
  const { ResourceId } = target(endpointName, variantName);
  const targets = await aas.send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'sagemaker', ResourceIds: [ResourceId], ScalableDimension: DIMENSION }));
  const policies = await aas.send(new DescribeScalingPoliciesCommand({ ServiceNamespace: 'sagemaker', ResourceId, ScalableDimension: DIMENSION }));
  return { target: targets.ScalableTargets?.[0], policies: policies.ScalingPolicies ?? [] };
}

/** Blue's scaling exactly as registered before the promotion. */
async function expectBlueScaling(endpointName: string): Promise<void> {
  const blue = await scalingOf(endpointName, 'AllTraffic');
  expect(blue.target).toMatchObject({ MinCapacity: 2, MaxCapacity: 4 });
  expect(blue.policies).toEqual([expect.objectContaining(POLICY)]);
}

/** No variant but blue's is a scalable target on the endpoint. */
async function expectOnlyBlueScaled(endpointName: string): Promise<void> {
  const all = await aas.send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'sagemaker' }));
  expect((all.ScalableTargets ?? []).map((t) => t.ResourceId).filter((id) => id?.startsWith(`endpoint/${endpointName}/`))).toEqual([`endpoint/${endpointName}/variant/AllTraffic`]);
}

test('GIVEN blue autoscales 2–4 WHEN v2 is promoted with the variant strategy THEN it succeeds and green\'s variant is the scalable target, with blue\'s range and policy, and blue\'s target is gone', async () => {
  const endpointName = 'demo-vs-promote';
  await autoscaleBlue(endpointName);

  const promotion = await startPromotion(world, 'vs-promote-1', promotionInput(endpointName, world.v2));
  const execution = await ended(world, promotion.executionArn);

  expect(execution).toMatchObject({ status: 'SUCCEEDED' });
  const endpoint = await describeEndpoint(world, endpointName);
  expect(endpoint).toMatchObject({ EndpointStatus: 'InService', EndpointConfigName: promotion.green.greenConfig });
  expect(variantsOf(endpoint)).toEqual([{ VariantName: promotion.green.variant, CurrentWeight: 1 }]);
  const green = await scalingOf(endpointName, promotion.green.variant);
  expect(green.target).toMatchObject({ MinCapacity: 2, MaxCapacity: 4 });
  expect(green.policies).toEqual([expect.objectContaining(POLICY)]);
  expect(await scalingOf(endpointName, 'AllTraffic')).toEqual({ target: undefined, policies: [] });
  expect(await historyRow(world, promotion)).toMatchObject({ outcome: 'promoted' });
}, 30000);

test('GIVEN blue autoscales WHEN green\'s 5xx alarm fires during the bake THEN the rollback leaves blue serving with its scalable target and policy as before, and no target on green\'s variant', async () => {
  const endpointName = 'demo-vs-bake';
  await autoscaleBlue(endpointName);
  const traffic = new Traffic(world, endpointName);

  const promotion = await startPromotion(world, 'vs-bake-1', promotionInput(endpointName, world.v2));
  await entered(world, promotion.executionArn, 'BakeDone?');
  await eventually(async () => (await lockItem(world, endpointName))?.bakeTaskToken !== undefined, 'the bake to park its task token');
  // Green carries the traffic with blue's scaling copied onto it.
  expect((await scalingOf(endpointName, promotion.green.variant)).target).toMatchObject({ MinCapacity: 2, MaxCapacity: 4 });
  world.aws.emulator.faults.variantErrors({ endpointName, modelPackageVersion: 2, statusCode: 503 });
  const execution = await ended(world, promotion.executionArn);
  const outcomes = await traffic.stop();

  expect(execution).toMatchObject({ status: 'FAILED', error: 'PromotionRolledBack' });
  expect(execution.cause).toMatch(new RegExp(`^GuardrailAlarm: guardrail alarm ${promotion.green.alarmPrefix}-5xx is in ALARM`));
  await expectBackOnBlue(world, promotion);
  await expectBlueScaling(endpointName);
  expect(await scalingOf(endpointName, promotion.green.variant)).toEqual({ target: undefined, policies: [] });
  await expectOnlyBlueScaled(endpointName);
  expect(outcomes.other).toEqual([]);
  expect(await historyRow(world, promotion)).toMatchObject({
    outcome: 'rolled_back',
    rollbackActions: expect.arrayContaining([`endpoint back to blue config ${handMade(endpointName).config}`, 'autoscaling restored on blue']),
  });
}, 30000);

test('GIVEN blue autoscales WHEN green fails its revalidation after finalize THEN the rollback goes back to blue\'s config with blue\'s scaling restored and none left on green', async () => {
  const endpointName = 'demo-vs-finalize';
  await autoscaleBlue(endpointName);

  const promotion = await startPromotion(world, 'vs-finalize-1', promotionInput(endpointName, world.v2));
  // Finalize has deregistered blue's target and moved the endpoint to green alone: only now does green answer 500.
  await entered(world, promotion.executionArn, 'CheckGreenAlone');
  world.aws.emulator.faults.variantErrors({ endpointName, modelPackageVersion: 2, statusCode: 500 });
  const execution = await ended(world, promotion.executionArn);

  expect(execution).toMatchObject({ status: 'FAILED', error: 'PromotionRolledBack' });
  expect(execution.cause).toMatch(/^GreenValidationFailed: .*typical-customer: status 500/);
  expect(execution.statesEntered).toContain('Finalize');
  await expectBackOnBlue(world, promotion);
  await expectBlueScaling(endpointName);
  expect(await scalingOf(endpointName, promotion.green.variant)).toEqual({ target: undefined, policies: [] });
  await expectOnlyBlueScaled(endpointName);
  expect(await historyRow(world, promotion)).toMatchObject({
    outcome: 'rolled_back',
    rollbackActions: expect.arrayContaining([`endpoint back to blue config ${handMade(endpointName).config}`, 'autoscaling restored on blue']),
  });
}, 30000);
