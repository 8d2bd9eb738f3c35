import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { CloudWatchClient, type Datapoint, GetMetricStatisticsCommand, type GetMetricStatisticsCommandInput } from '@aws-sdk/client-cloudwatch';
import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  DescribeEndpointCommand,
  type DescribeEndpointCommandOutput,
  SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { type Emulator, type EmulatorOptions, startEmulator } from '../../local/emulator';

export interface TestAws {
  emu: Emulator;
  sm: SageMakerClient;
  rt: SageMakerRuntimeClient;
  cw: CloudWatchClient;
  aas: ApplicationAutoScalingClient;
  close(): Promise<void>;
}

export const ROLE = 'arn:aws:iam::111122223333:role/SageMakerRole';
export const IMAGE = '111122223333.dkr.ecr.us-east-1.amazonaws.com/model:1';

/** An emulator plus real SDK clients pointed at it (no retries unless asked, to keep failures immediate). */
export async function startTestAws(options: EmulatorOptions = {}, maxAttempts = 1): Promise<TestAws> {
  const emu = await startEmulator({ provisioningMs: 40, alarmEvaluationMs: 20, ...options });
  const cfg = { endpoint: emu.url, region: 'us-east-1', maxAttempts };
  const sm = new SageMakerClient(cfg);
  const rt = new SageMakerRuntimeClient(cfg);
  const cw = new CloudWatchClient(cfg);
  const aas = new ApplicationAutoScalingClient(cfg);
  return {
    emu,
    sm,
    rt,
    cw,
    aas,
    async close() {
      sm.destroy();
      rt.destroy();
      cw.destroy();
      aas.destroy();
      await emu.close();
    },
  };
}

/** Polls until `check` returns a value that is not undefined/false, or fails after `timeoutMs`. */
export async function waitFor<T>(check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 3000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * A metric's data points over the last simulated hour, polled until `ready` accepts them. SageMaker
 * publishes an interval's invocations as one data point once the interval has ended (60 s, or the
 * config's MetricsConfig frequency with enhanced metrics: local/emulator/metrics.ts), so a test runs
 * the emulator on a compressed clock (timeScale 60: a minute is one real second) and waits here
 * instead of querying right after invoking.
 */
export async function publishedDatapoints(
  cw: CloudWatchClient,
  query: Omit<GetMetricStatisticsCommandInput, 'StartTime' | 'EndTime'>,
  ready: (datapoints: Datapoint[]) => boolean,
  timeoutMs = 10_000,
): Promise<Datapoint[]> {
  return waitFor(
    async () => {
      const end = Date.now();
      const out = await cw.send(new GetMetricStatisticsCommand({ ...query, StartTime: new Date(end - 3_600_000), EndTime: new Date(end) }));
      const datapoints = out.Datapoints ?? [];
      return ready(datapoints) && datapoints;
    },
    timeoutMs,
    `published ${String(query.MetricName)} data points`,
  );
}

/** A statistic added up over data points (an interval's invocations may land in two periods). */
export const total = (datapoints: Datapoint[], stat: 'Sum' | 'SampleCount'): number => datapoints.reduce((a, d) => a + (d[stat] ?? 0), 0);

export async function waitForStatus(sm: SageMakerClient, endpointName: string, status: string, timeoutMs = 3000): Promise<DescribeEndpointCommandOutput> {
  return waitFor(
    async () => {
      const d = await sm.send(new DescribeEndpointCommand({ EndpointName: endpointName }));
      return d.EndpointStatus === status ? d : undefined;
    },
    timeoutMs,
    `${endpointName} to be ${status}`,
  );
}

/** The error a promise rejects with (fails the test if it resolves). */
export async function errorOf(p: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await p;
  } catch (e) {
    return e as Error & Record<string, unknown>;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

export async function createModel(sm: SageMakerClient, name: string, image = IMAGE): Promise<void> {
  await sm.send(new CreateModelCommand({ ModelName: name, ExecutionRoleArn: ROLE, PrimaryContainer: { Image: image } }));
}

export async function createConfig(
  sm: SageMakerClient,
  name: string,
  variants: Array<{ name: string; model: string; weight?: number }>,
): Promise<void> {
  await sm.send(
    new CreateEndpointConfigCommand({
      EndpointConfigName: name,
      ProductionVariants: variants.map((v) => ({
        VariantName: v.name,
        ModelName: v.model,
        InstanceType: 'ml.m5.large',
        InitialInstanceCount: 1,
        InitialVariantWeight: v.weight,
      })),
    }),
  );
}

/** blue model + config + endpoint, InService. */
export async function blueEndpoint(sm: SageMakerClient, endpoint = 'ep', model = 'blue-model', config = 'blue-config'): Promise<void> {
  await createModel(sm, model);
  await createConfig(sm, config, [{ name: 'blue', model }]);
  await sm.send(new CreateEndpointCommand({ EndpointName: endpoint, EndpointConfigName: config }));
  await waitForStatus(sm, endpoint, 'InService');
}
