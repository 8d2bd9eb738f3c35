/**
 * lambdas/shared/scaling.ts through the functions' own module-scope client, pointed at the
 * emulator by AWS_ENDPOINT_URL_APPLICATION_AUTO_SCALING as local/aws.ts does: the variant
 * strategy's scaling hand-over, blue → green, against the emulator's checkScaling (UpdateEndpoint
 * refuses to remove a variant that is still a scalable target).
 */
import {
  DescribeScalableTargetsCommand,
  DescribeScalingPoliciesCommand,
  PutScalingPolicyCommand,
  RegisterScalableTargetCommand,
} from '@aws-sdk/client-application-auto-scaling';
import { DescribeEndpointCommand, UpdateEndpointCommand } from '@aws-sdk/client-sagemaker';
import { blueEndpoint, createConfig, createModel, errorOf, startTestAws, type TestAws, waitForStatus } from './helpers';

type Scaling = typeof import('../../lambdas/shared/scaling');

const ENV = 'AWS_ENDPOINT_URL_APPLICATION_AUTO_SCALING';
const DIM = 'sagemaker:variant:DesiredInstanceCount';
const tracking = { TargetValue: 1000, PredefinedMetricSpecification: { PredefinedMetricType: 'SageMakerVariantInvocationsPerInstance' as const } };

let t: TestAws;
let scaling: Scaling;
const saved = process.env[ENV];

beforeAll(async () => {
  t = await startTestAws();
  process.env[ENV] = t.emu.url;
  // Loaded after the variable is set, as the local executor loads the handlers.
  scaling = await import('../../lambdas/shared/scaling');
});
afterAll(async () => {
  if (saved === undefined) delete process.env[ENV];
  else process.env[ENV] = saved;
  await t.close();
});

/** blue (autoscaled 1–3 with a target-tracking policy) beside a zero-weight green: the variant strategy's pair config. */
async function pairWithAutoscaledBlue(endpoint: string): Promise<void> {
  await blueEndpoint(t.sm, endpoint, `${endpoint}-blue-model`, `${endpoint}-blue-config`);
  const target = { ServiceNamespace: 'sagemaker' as const, ResourceId: `endpoint/${endpoint}/variant/blue`, ScalableDimension: DIM as typeof DIM };
  await t.aas.send(new RegisterScalableTargetCommand({ ...target, MinCapacity: 1, MaxCapacity: 3 }));
  await t.aas.send(new PutScalingPolicyCommand({ ...target, PolicyName: 'invocations', PolicyType: 'TargetTrackingScaling', TargetTrackingScalingPolicyConfiguration: tracking }));
  await createModel(t.sm, `${endpoint}-green-model`);
  await createConfig(t.sm, `${endpoint}-pair-config`, [
    { name: 'blue', model: `${endpoint}-blue-model`, weight: 1 },
    { name: 'green', model: `${endpoint}-green-model`, weight: 0 },
  ]);
  await createConfig(t.sm, `${endpoint}-green-config`, [{ name: 'green', model: `${endpoint}-green-model` }]);
  await t.sm.send(new UpdateEndpointCommand({ EndpointName: endpoint, EndpointConfigName: `${endpoint}-pair-config` }));
  await waitForStatus(t.sm, endpoint, 'InService');
}

test('read blue, apply to green, remove blue: the green-only UpdateEndpoint is refused before and accepted after', async () => {
  // GIVEN an autoscaled blue beside green
  await pairWithAutoscaledBlue('ep');
  const blue = await scaling.readScaling('ep', 'blue');
  expect(blue).toEqual({ minCapacity: 1, maxCapacity: 3, policies: [{ PolicyName: 'invocations', PolicyType: 'TargetTrackingScaling', TargetTrackingScalingPolicyConfiguration: tracking }] });
  await expect(scaling.readScaling('ep', 'green')).resolves.toBeUndefined();

  // WHEN blue's scaling is applied to green (twice: a retried step)
  await scaling.applyScaling('ep', 'green', blue!);
  await scaling.applyScaling('ep', 'green', blue!);

  // THEN green is a scalable target with blue's range and policy
  await expect(scaling.readScaling('ep', 'green')).resolves.toEqual(blue);
  const policies = await t.aas.send(new DescribeScalingPoliciesCommand({ ServiceNamespace: 'sagemaker', ResourceId: 'endpoint/ep/variant/green' }));
  expect(policies.ScalingPolicies?.map((p) => p.PolicyName)).toEqual(['invocations']);

  // AND the update that removes blue is refused while blue is still registered (as on AWS)
  const refused = await errorOf(t.sm.send(new UpdateEndpointCommand({ EndpointName: 'ep', EndpointConfigName: 'ep-green-config' })));
  expect(refused.name).toBe('ValidationException');
  expect(refused.message).toMatch(/must be deregistered as scalable targets/);

  // WHEN blue is removed (twice: the second finds nothing)
  await expect(scaling.removeScaling('ep', 'blue')).resolves.toBe(true);
  await expect(scaling.removeScaling('ep', 'blue')).resolves.toBe(false);

  // THEN the update goes through and green keeps its scaling
  await t.sm.send(new UpdateEndpointCommand({ EndpointName: 'ep', EndpointConfigName: 'ep-green-config' }));
  await waitForStatus(t.sm, 'ep', 'InService');
  expect((await t.sm.send(new DescribeEndpointCommand({ EndpointName: 'ep' }))).ProductionVariants?.map((v) => v.VariantName)).toEqual(['green']);
  const targets = await t.aas.send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'sagemaker' }));
  expect(targets.ScalableTargets?.map((x) => [x.ResourceId, x.MinCapacity, x.MaxCapacity])).toEqual([['endpoint/ep/variant/green', 1, 3]]);
});

test('rollback: green removed before going back to blue, blue re-applied after', async () => {
  // GIVEN the shift happened: green carries blue's scaling beside blue
  await pairWithAutoscaledBlue('rb');
  const blue = (await scaling.readScaling('rb', 'blue'))!;
  await scaling.applyScaling('rb', 'green', blue);
  // AND blue's target is gone too (the rollback of a failed finalize)
  await scaling.removeScaling('rb', 'blue');

  // WHEN green's target is removed and the endpoint goes back to blue's config
  await expect(scaling.removeScaling('rb', 'green')).resolves.toBe(true);
  await t.sm.send(new UpdateEndpointCommand({ EndpointName: 'rb', EndpointConfigName: 'rb-blue-config' }));
  await waitForStatus(t.sm, 'rb', 'InService');
  // AND blue's scaling is applied again
  await scaling.applyScaling('rb', 'blue', blue);

  // THEN blue autoscales as before, and nothing is left on green
  await expect(scaling.readScaling('rb', 'blue')).resolves.toEqual(blue);
  await expect(scaling.readScaling('rb', 'green')).resolves.toBeUndefined();
});
