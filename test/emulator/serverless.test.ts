import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  type ProductionVariant,
  type ProductionVariantServerlessConfig,
  UpdateEndpointCommand,
} from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import { createModel, errorOf, publishedDatapoints, startTestAws, type TestAws, total, waitForStatus } from './helpers';

let aws: TestAws;
beforeEach(async () => {
  // 60×: SageMaker's 60-second metric publish interval is one real second.
  aws = await startTestAws({ serverlessColdStartMs: 5, timeScale: 60 });
  await createModel(aws.sm, 'model-a');
});
afterEach(async () => {
  await aws.close();
});

const serverlessVariant = (config: Partial<ProductionVariantServerlessConfig> = {}, name = 'AllTraffic'): ProductionVariant => ({
  VariantName: name,
  ModelName: 'model-a',
  ServerlessConfig: { MemorySizeInMB: 2048, MaxConcurrency: 5, ...config },
});

const createConfig = (name: string, variants: ProductionVariant[], extra: Record<string, unknown> = {}) =>
  aws.sm.send(new CreateEndpointConfigCommand({ EndpointConfigName: name, ProductionVariants: variants, ...extra }));

/**
 * Once `invocations` invocations are published (an interval's data point appears when it ends), the
 * SampleCount of ModelSetupTime and of Invocations: how many of them waited for a cold start.
 */
async function setupTimeOnce(invocations: number): Promise<{ samples: number; invocations: number }> {
  const query = (MetricName: string) => ({
    Namespace: 'AWS/SageMaker',
    MetricName,
    Dimensions: [
      { Name: 'EndpointName', Value: 'ep' },
      { Name: 'VariantName', Value: 'AllTraffic' },
    ],
    Period: 60,
    Statistics: ['SampleCount' as const],
  });
  const invoked = await publishedDatapoints(aws.cw, query('Invocations'), (points) => total(points, 'SampleCount') >= invocations);
  const setup = await publishedDatapoints(aws.cw, query('ModelSetupTime'), () => true);
  return { samples: total(setup, 'SampleCount'), invocations: total(invoked, 'SampleCount') };
}

const invoke = () => aws.rt.send(new InvokeEndpointCommand({ EndpointName: 'ep', Body: Buffer.from('{}'), ContentType: 'application/json' }));

describe('serverless endpoint configs (serverless-endpoints.html, API_ProductionVariantServerlessConfig)', () => {
  it('serverless-endpoints feature exclusions: GIVEN a second production variant THEN ValidationException', async () => {
    const err = await errorOf(createConfig('cfg', [serverlessVariant(), serverlessVariant({}, 'second')]));
    expect(err.name).toBe('ValidationException');
    expect(err.message).toMatch(/only one production variant/);
  });

  it('API_ProductionVariantServerlessConfig MemorySizeInMB: GIVEN 1500 MB (not a 1 GB step) or 512 MB (below the minimum) THEN ValidationException', async () => {
    const step = await errorOf(createConfig('cfg', [serverlessVariant({ MemorySizeInMB: 1500 })]));
    expect(step.name).toBe('ValidationException');
    expect(step.message).toBe('Invalid MemorySizeInMB 1500 for production variant "AllTraffic": valid values are 1024, 2048, 3072, 4096, 5120 and 6144.');
    const low = await errorOf(createConfig('cfg', [serverlessVariant({ MemorySizeInMB: 512 })]));
    expect(low.message).toMatch(/Member must have value greater than or equal to 1024/);
    for (const mb of [1024, 3072, 6144]) await createConfig(`cfg-${mb}`, [serverlessVariant({ MemorySizeInMB: mb })]);
  });

  it('API_ProductionVariantServerlessConfig ProvisionedConcurrency: GIVEN more than MaxConcurrency THEN ValidationException', async () => {
    const err = await errorOf(createConfig('cfg', [serverlessVariant({ MaxConcurrency: 2, ProvisionedConcurrency: 3 })]));
    expect(err.name).toBe('ValidationException');
    expect(err.message).toMatch(/ProvisionedConcurrency 3 .* must be less than or equal to MaxConcurrency 2/);
    await createConfig('ok', [serverlessVariant({ MaxConcurrency: 2, ProvisionedConcurrency: 2 })]);
  });

  it('serverless-endpoints feature exclusions ("data capture"): GIVEN a DataCaptureConfig THEN ValidationException', async () => {
    const err = await errorOf(
      createConfig('cfg', [serverlessVariant()], {
        DataCaptureConfig: { InitialSamplingPercentage: 100, DestinationS3Uri: 's3://capture/ep', CaptureOptions: [{ CaptureMode: 'Input' }] },
      }),
    );
    expect(err.name).toBe('ValidationException');
    expect(err.message).toMatch(/DataCaptureConfig is not supported for serverless/);
  });
});

describe('serverless cold starts (serverless-endpoints-update.html)', () => {
  it('GIVEN a new serverless endpoint THEN the first invocation records ModelSetupTime and the second does not; after UpdateEndpoint the cold start happens again', async () => {
    await createConfig('cfg-a', [serverlessVariant()]);
    await aws.sm.send(new CreateEndpointCommand({ EndpointName: 'ep', EndpointConfigName: 'cfg-a' }));
    await waitForStatus(aws.sm, 'ep', 'InService');
    await invoke();
    expect(await setupTimeOnce(1)).toEqual({ samples: 1, invocations: 1 });
    await invoke();
    expect(await setupTimeOnce(2)).toEqual({ samples: 1, invocations: 2 });

    // "when updating your endpoint, you can experience cold starts ... because SageMaker AI must re-initialize your container and model"
    await createConfig('cfg-b', [serverlessVariant({ MemorySizeInMB: 4096 })]);
    await aws.sm.send(new UpdateEndpointCommand({ EndpointName: 'ep', EndpointConfigName: 'cfg-b' }));
    await waitForStatus(aws.sm, 'ep', 'InService');
    await invoke();
    await invoke();
    expect(await setupTimeOnce(4)).toEqual({ samples: 2, invocations: 4 });
  });
});
