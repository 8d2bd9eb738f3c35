import { CreateEndpointCommand, CreateEndpointConfigCommand, DeleteEndpointCommand, UpdateEndpointCommand } from '@aws-sdk/client-sagemaker';
import { createModel, startTestAws, type TestAws, waitForStatus } from './helpers';

/**
 * The meter of serverless provisioned concurrency (local/emulator/sagemaker/fleets.ts): "you also pay for
 * Provisioned Concurrency usage, based on the memory configured, duration provisioned, and the amount of
 * concurrency enabled" (serverless-endpoints.html). Unit-seconds per memory size, each fleet's from its
 * launch to its termination; serverless variants bill no instance-seconds.
 */
let aws: TestAws;
const SCALE = 60;
beforeEach(async () => {
  aws = await startTestAws({ timeScale: SCALE });
  await createModel(aws.sm, 'model-a');
});
afterEach(async () => aws.close());

const serverlessConfig = (name: string, ServerlessConfig: { MemorySizeInMB: number; MaxConcurrency: number; ProvisionedConcurrency?: number }) =>
  aws.sm.send(new CreateEndpointConfigCommand({ EndpointConfigName: name, ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: 'model-a', ServerlessConfig }] }));
const meterOf = (name: string) => aws.emu.meter().endpoints[name]!;
/** Simulated seconds of a real-time span. */
const sim = (ms: number) => (ms * SCALE) / 1000;

test('GIVEN a serverless endpoint with 2 units of provisioned concurrency at 3072 MB WHEN it runs and is deleted THEN the meter counts 2 unit-seconds per simulated second it lived, under 3072MB, no instance-seconds, and nothing after the deletion', async () => {
  await serverlessConfig('cfg', { MemorySizeInMB: 3072, MaxConcurrency: 8, ProvisionedConcurrency: 2 });
  const beforeCreate = Date.now();
  await aws.sm.send(new CreateEndpointCommand({ EndpointName: 'ep', EndpointConfigName: 'cfg' }));
  const afterCreate = Date.now();
  await waitForStatus(aws.sm, 'ep', 'InService');
  await new Promise((r) => setTimeout(r, 200));
  const beforeDelete = Date.now();
  await aws.sm.send(new DeleteEndpointCommand({ EndpointName: 'ep' }));
  // Its resources go when the deletion ends (the endpoint is no longer described).
  while (aws.emu.inspect().endpoints.ep) await new Promise((r) => setTimeout(r, 5));
  const afterDelete = Date.now();

  const metered = meterOf('ep');
  expect(metered.instanceSeconds).toEqual({});
  expect(Object.keys(metered.provisionedConcurrencySeconds)).toEqual(['3072MB']);
  const seconds = metered.provisionedConcurrencySeconds['3072MB']!;
  // Launched between the create call's start and its answer, terminated between the delete call and the end of the deletion.
  expect(seconds).toBeGreaterThanOrEqual(2 * sim(beforeDelete - afterCreate) - 0.01);
  expect(seconds).toBeLessThanOrEqual(2 * sim(afterDelete - beforeCreate) + 0.01);
  await new Promise((r) => setTimeout(r, 100));
  expect(meterOf('ep').provisionedConcurrencySeconds['3072MB']).toBe(seconds);
});

test('GIVEN an UpdateEndpoint from 2 units at 3072 MB to 1 unit at 2048 MB THEN each fleet is metered under its own memory size with its own units, the old one only until the switch ends it', async () => {
  await serverlessConfig('cfg-a', { MemorySizeInMB: 3072, MaxConcurrency: 8, ProvisionedConcurrency: 2 });
  await serverlessConfig('cfg-b', { MemorySizeInMB: 2048, MaxConcurrency: 4, ProvisionedConcurrency: 1 });
  await aws.sm.send(new CreateEndpointCommand({ EndpointName: 'ep', EndpointConfigName: 'cfg-a' }));
  await waitForStatus(aws.sm, 'ep', 'InService');
  await aws.sm.send(new UpdateEndpointCommand({ EndpointName: 'ep', EndpointConfigName: 'cfg-b' }));
  await waitForStatus(aws.sm, 'ep', 'InService');
  const old = meterOf('ep').provisionedConcurrencySeconds['3072MB']!;
  await new Promise((r) => setTimeout(r, 100));

  const after = meterOf('ep');
  expect(after.fleets.map((f) => f.status)).toEqual(['Terminated', 'InService']);
  expect(after.provisionedConcurrencySeconds['3072MB']).toBe(old);
  expect(after.provisionedConcurrencySeconds['2048MB']).toBeGreaterThan(0);
  expect(after.instanceSeconds).toEqual({});
});

test('GIVEN a serverless endpoint without provisioned concurrency THEN nothing is metered for it (on-demand serverless bills per request)', async () => {
  await serverlessConfig('cfg', { MemorySizeInMB: 2048, MaxConcurrency: 5 });
  await aws.sm.send(new CreateEndpointCommand({ EndpointName: 'ep', EndpointConfigName: 'cfg' }));
  await waitForStatus(aws.sm, 'ep', 'InService');

  expect(meterOf('ep')).toMatchObject({ provisioningCycles: 1, instanceSeconds: {}, provisionedConcurrencySeconds: {} });
});
