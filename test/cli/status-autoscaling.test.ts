import { startLocalAws, type LocalAws } from '../../local/aws';
import { Seed } from '../../local/seed';
import { bluegreen, cliEnv, parseJson } from './helpers';

/**
 * `bluegreen status` shows the serving variant's Application Auto Scaling, read through the
 * CLI's own client (AWS_ENDPOINT_URL_APPLICATION_AUTO_SCALING from `npm run local-aws`'s exports).
 */
let aws: LocalAws;
let env: Record<string, string>;
const SCALED = 'demo-scaled';
const PLAIN = 'demo-plain';

beforeAll(async () => {
  aws = await startLocalAws({ provisioningSeconds: 60 });
  env = cliEnv(aws);
  const seed = new Seed();
  await seed.group('churn-models');
  const v1 = await seed.register('churn-models');
  // One instance, registered with a 2–4 range: registration scales it to 2 first.
  await Promise.all([seed.blueEndpoint(SCALED, v1, 1, { autoscaling: true }), seed.blueEndpoint(PLAIN, v1)]);
}, 60_000);
afterAll(async () => aws?.close());

test('GIVEN an autoscaled blue WHEN status THEN one line names its range and target-tracking policy', async () => {
  const run = await bluegreen(env, 'status', SCALED);

  expect(run.code).toBe(0);
  const lines = run.stdout.split('\n');
  expect(lines).toContain('Autoscaling: AllTraffic 2–4 instances, target tracking SageMakerVariantInvocationsPerInstance = 1000');
  // Registered at min 2 while it ran 1: Application Auto Scaling moved it into the range.
  expect(run.stdout).toMatch(/\* AllTraffic\s+1\s+1\s+2\/2 ml\.m5\.large/);
});

test('GIVEN an autoscaled blue WHEN status --json THEN the document carries the serving variant’s target and policies', async () => {
  const doc = parseJson<{ autoscaling: unknown }>(await bluegreen(env, 'status', SCALED, '--json'));

  expect(doc.autoscaling).toEqual({
    variantName: 'AllTraffic',
    minCapacity: 2,
    maxCapacity: 4,
    policies: [
      {
        PolicyName: 'invocations-per-instance',
        PolicyType: 'TargetTrackingScaling',
        TargetTrackingScalingPolicyConfiguration: { TargetValue: 1000, PredefinedMetricSpecification: { PredefinedMetricType: 'SageMakerVariantInvocationsPerInstance' } },
      },
    ],
  });
});

test('GIVEN a blue without autoscaling WHEN status THEN no Autoscaling line, and null in the document', async () => {
  const human = await bluegreen(env, 'status', PLAIN);
  const json = parseJson<{ autoscaling: unknown }>(await bluegreen(env, 'status', PLAIN, '--json'));

  expect(human.code).toBe(0);
  expect(human.stdout).not.toContain('Autoscaling:');
  expect(json.autoscaling).toBeNull();
});

test('GIVEN the caller may not read Application Auto Scaling WHEN status THEN the rest is shown and the line says why', async () => {
  aws.emulator.faults.throttle({ operation: 'DescribeScalableTargets', times: 2, errorName: 'AccessDeniedException' });

  const human = await bluegreen(env, 'status', SCALED);
  const json = parseJson<{ activeEnvironment: string; autoscaling: unknown }>(await bluegreen(env, 'status', SCALED, '--json'));

  expect(human.code).toBe(0);
  expect(human.stdout.split('\n')).toContainEqual(expect.stringMatching(/^Autoscaling: AllTraffic unknown \(AccessDeniedException: /));
  expect(json).toMatchObject({ activeEnvironment: 'blue', autoscaling: { variantName: 'AllTraffic', error: expect.stringMatching(/^AccessDeniedException/) } });
});
