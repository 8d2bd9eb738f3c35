/**
 * Fleets, the cost meter and deployment guardrails in the emulator, each test naming the page it follows.
 * The meter's instance-seconds are simulated time (timeScale), so only cycles, fleets and
 * orderings are asserted exactly; amounts are checked against the real time that passed.
 */
import { PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  CreateModelPackageCommand,
  CreateModelPackageGroupCommand,
  DeleteEndpointCommand,
  DescribeModelPackageCommand,
  DescribeEndpointCommand,
  UpdateEndpointCommand,
  UpdateEndpointWeightsAndCapacitiesCommand,
  type DeploymentConfig,
} from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import type { ProductionVariantInstanceType } from '@aws-sdk/client-sagemaker';
import { RegisterScalableTargetCommand } from '@aws-sdk/client-application-auto-scaling';
import type { BridgeEvent } from '../../local/emulator';
import { createModel, errorOf, publishedDatapoints, startTestAws, type TestAws, total, waitFor, waitForStatus } from './helpers';

let aws: TestAws;
const events: BridgeEvent[] = [];
beforeEach(async () => {
  aws = await startTestAws({ provisioningMs: 60, trafficShiftMs: 10, timeScale: 60 });
  events.length = 0;
  aws.emu.events.on('event', (e: BridgeEvent) => events.push(e));
});
afterEach(async () => {
  await aws.close();
});

async function config(name: string, model: string, o: { count?: number; type?: string; variants?: string[] } = {}): Promise<void> {
  await aws.sm.send(
    new CreateEndpointConfigCommand({
      EndpointConfigName: name,
      ProductionVariants: (o.variants ?? ['AllTraffic']).map((v) => ({
        VariantName: v,
        ModelName: model,
        InstanceType: (o.type ?? 'ml.m5.large') as ProductionVariantInstanceType,
        InitialInstanceCount: o.count ?? 2,
      })),
    }),
  );
}

async function blue(o: { count?: number; variants?: string[] } = {}): Promise<void> {
  await createModel(aws.sm, 'blue-model');
  await createModel(aws.sm, 'green-model');
  await config('blue-config', 'blue-model', o);
  await config('green-config', 'green-model', o);
  await aws.sm.send(new CreateEndpointCommand({ EndpointName: 'ep', EndpointConfigName: 'blue-config' }));
  await waitForStatus(aws.sm, 'ep', 'InService');
}

async function servedBy(): Promise<string> {
  const out = await aws.rt.send(new InvokeEndpointCommand({ EndpointName: 'ep', Body: Buffer.from('{}'), ContentType: 'application/json' }));
  return (JSON.parse(Buffer.from(out.Body as Uint8Array).toString('utf8')) as { model: string }).model;
}

const meterOf = (name = 'ep') => {
  const m = aws.emu.meter().endpoints[name];
  if (!m) throw new Error(`no meter for ${name}`);
  return m;
};

async function alarm(name: string, treatMissingData = 'missing'): Promise<void> {
  await aws.cw.send(
    new PutMetricAlarmCommand({
      AlarmName: name,
      Namespace: 'AWS/SageMaker',
      MetricName: 'Invocation5XXErrors',
      Dimensions: [
        { Name: 'EndpointName', Value: 'ep' },
        { Name: 'VariantName', Value: 'AllTraffic' },
      ],
      Statistic: 'Sum',
      Period: 60,
      EvaluationPeriods: 1,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: treatMissingData,
    }),
  );
}

type Pending = { EndpointConfigName: string; ProductionVariants: Array<{ CurrentInstanceCount?: number; DesiredInstanceCount?: number; VariantStatus: Array<{ Status: string; StatusMessage: string }> }> };
const pendingOf = (e: BridgeEvent) => e.detail.PendingDeploymentSummary as Pending | undefined;
const statusOf = (e: BridgeEvent) => pendingOf(e)?.ProductionVariants[0]?.VariantStatus[0]?.Status;
const deploymentEvents = () => events.filter((e) => e['detail-type'] === 'SageMaker Endpoint Deployment State Change');

const rolling = (batch: number, waitSeconds: number, alarms: string[] = []): DeploymentConfig => ({
  RollingUpdatePolicy: { MaximumBatchSize: { Type: 'INSTANCE_COUNT', Value: batch }, WaitIntervalInSeconds: waitSeconds },
  ...(alarms.length > 0 ? { AutoRollbackConfiguration: { Alarms: alarms.map((AlarmName) => ({ AlarmName })) } } : {}),
});

const canary = (alarms: string[], waitSeconds = 600): DeploymentConfig => ({
  BlueGreenUpdatePolicy: {
    TrafficRoutingConfiguration: { Type: 'CANARY', CanarySize: { Type: 'INSTANCE_COUNT', Value: 1 }, WaitIntervalInSeconds: waitSeconds },
    TerminationWaitInSeconds: 600,
  },
  ...(alarms.length > 0 ? { AutoRollbackConfiguration: { Alarms: alarms.map((AlarmName) => ({ AlarmName })) } } : {}),
});

describe('fleets and the meter (API_UpdateEndpoint: "Deploys the EndpointConfig specified in the request to a new fleet of instances")', () => {
  it('CreateEndpoint provisions one fleet: one cycle, instance-seconds for its instance type from launch', async () => {
    const started = Date.now();
    await blue();
    const m = meterOf();
    expect(m.provisioningCycles).toBe(1);
    expect(m.fleets).toHaveLength(1);
    expect(m.fleets[0]).toMatchObject({ endpointConfigName: 'blue-config', status: 'InService', trafficShare: 1 });
    // 2 instances × (real ms elapsed × 60 / 1000) simulated seconds, at most.
    const upper = 2 * ((Date.now() - started) / 1000) * 60;
    expect(m.instanceSeconds['ml.m5.large']).toBeGreaterThan(0);
    expect(m.instanceSeconds['ml.m5.large']).toBeLessThanOrEqual(upper + 1e-6);
  });

  it('an UpdateEndpoint that keeps a variant unchanged still provisions a whole new fleet; the old one serves until the switch', async () => {
    await blue({ variants: ['A'] });
    await aws.sm.send(
      new CreateEndpointConfigCommand({
        EndpointConfigName: 'pair-config',
        ProductionVariants: [
          { VariantName: 'A', ModelName: 'blue-model', InstanceType: 'ml.m5.large', InitialInstanceCount: 2, InitialVariantWeight: 1 },
          { VariantName: 'B', ModelName: 'green-model', InstanceType: 'ml.m5.large', InitialInstanceCount: 2, InitialVariantWeight: 0 },
        ],
      }),
    );
    await aws.sm.send(new UpdateEndpointCommand({ EndpointName: 'ep', EndpointConfigName: 'pair-config' }));
    expect(meterOf().fleets.map((f) => f.status)).toEqual(['InService', 'Provisioning']);
    await servedBy();
    await waitForStatus(aws.sm, 'ep', 'InService');
    const m = meterOf();
    expect(m.provisioningCycles).toBe(2);
    expect(m.fleets.map((f) => f.status)).toEqual(['Terminated', 'InService']);
    expect(m.fleets[1]?.variants.map((v) => [v.variantName, v.instances])).toEqual([['A', 2], ['B', 2]]);
    // The invocation during the update was served by the old fleet.
    expect(m.fleets[0]?.invocations).toBe(1);
    expect(m.fleets[1]?.invocations).toBe(0);
  });

  it('UpdateEndpointWeightsAndCapacities changes the current fleet: no new fleet, no cycle; added instances are metered', async () => {
    await blue({ variants: ['A'] });
    await aws.sm.send(new UpdateEndpointWeightsAndCapacitiesCommand({ EndpointName: 'ep', DesiredWeightsAndCapacities: [{ VariantName: 'A', DesiredInstanceCount: 3 }] }));
    expect(meterOf().fleets[0]?.variants[0]?.instances).toBe(3);
    await waitForStatus(aws.sm, 'ep', 'InService');
    const m = meterOf();
    expect(m.provisioningCycles).toBe(1);
    expect(m.fleets).toHaveLength(1);
    const d = await aws.sm.send(new DescribeEndpointCommand({ EndpointName: 'ep' }));
    expect(d.ProductionVariants?.[0]?.CurrentInstanceCount).toBe(3);
  });

  it('GET /_emulator/meter serves the same document over HTTP', async () => {
    await blue();
    const res = await fetch(`${aws.emu.url}/_emulator/meter`);
    const body = (await res.json()) as { endpoints: Record<string, { provisioningCycles: number }> };
    expect(body.endpoints.ep?.provisioningCycles).toBe(1);
  });

  it('a deleted endpoint keeps its meter (a short-lived endpoint still cost a fleet)', async () => {
    await blue();
    await aws.sm.send(new DeleteEndpointCommand({ EndpointName: 'ep' }));
    await waitFor(() => meterOf().fleets[0]?.status === 'Terminated', 3000, 'fleet terminated');
    expect(meterOf().provisioningCycles).toBe(1);
  });
});

describe('deployment guardrails (deployment-guardrails-blue-green-canary / -linear, deployment-guardrails-configuration)', () => {
  it('a canary deployment that an alarm rolls back: traffic on the old fleet again, no new provisioning cycle, FailureReason names the alarm, Updating throughout (API_DescribeEndpoint)', async () => {
    await blue();
    await alarm('green-5xx');
    await aws.sm.send(new UpdateEndpointCommand({ EndpointName: 'ep', EndpointConfigName: 'green-config', DeploymentConfig: canary(['green-5xx']) }));
    // The canary step: traffic split between the fleets (1 of 2 instances).
    await waitFor(() => meterOf().fleets[1]?.trafficShare === 0.5, 3000, 'canary traffic');
    const served = new Set<string>();
    for (let i = 0; i < 4; i++) served.add(await servedBy());
    expect([...served].sort()).toEqual(['blue-model', 'green-model']);
    const pending = await aws.sm.send(new DescribeEndpointCommand({ EndpointName: 'ep' }));
    expect(pending.PendingDeploymentSummary?.ProductionVariants?.[0]?.VariantStatus?.[0]?.Status).toBe('Baking');

    aws.emu.faults.setAlarmState({ alarmName: 'green-5xx', state: 'ALARM', reason: 'test' });
    const d = await waitForStatus(aws.sm, 'ep', 'InService');
    expect(d.EndpointConfigName).toBe('blue-config');
    expect(d.FailureReason).toMatch(/green-5xx/);
    // API_DescribeEndpoint documents RollingBack only for UpdateEndpointWeightsAndCapacities: the
    // guardrails rollback shows Updating, its PendingDeploymentSummary variant Deleting.
    expect(events.some((e) => e['detail-type'] === 'SageMaker Endpoint State Change' && e.detail.EndpointStatus === 'ROLLING_BACK')).toBe(false);
    const deleting = events.find((e) => e['detail-type'] === 'SageMaker Endpoint Deployment State Change' && statusOf(e) === 'Deleting');
    expect(deleting?.detail).toMatchObject({ EndpointStatus: 'UPDATING', PendingDeploymentSummary: { EndpointConfigName: 'green-config' } });
    const m = meterOf();
    expect(m.provisioningCycles).toBe(2);
    expect(m.fleets.map((f) => f.status)).toEqual(['InService', 'Terminated']);
    for (let i = 0; i < 3; i++) expect(await servedBy()).toBe('blue-model');
  });

  it('during a canary step the EndpointConfigName dimension scopes metrics to one fleet (deployment-guardrails-configuration)', async () => {
    await blue();
    await aws.sm.send(new UpdateEndpointCommand({ EndpointName: 'ep', EndpointConfigName: 'green-config', DeploymentConfig: canary([]) }));
    await waitFor(() => meterOf().fleets[1]?.trafficShare === 0.5, 3000, 'canary traffic');
    const models: string[] = [];
    for (let i = 0; i < 6; i++) models.push(await servedBy());
    const invocations = (configName?: string) => ({
      Namespace: 'AWS/SageMaker',
      MetricName: 'Invocations',
      Dimensions: [
        { Name: 'EndpointName', Value: 'ep' },
        ...(configName ? [{ Name: 'EndpointConfigName', Value: configName }] : []),
        { Name: 'VariantName', Value: 'AllTraffic' },
      ],
      Period: 60,
      Statistics: ['Sum' as const],
    });
    // Once all six are published (each interval's data point appears when the interval ends), split by fleet.
    expect(total(await publishedDatapoints(aws.cw, invocations(), (points) => total(points, 'Sum') >= 6), 'Sum')).toBe(6);
    const count = async (configName: string) => total(await publishedDatapoints(aws.cw, invocations(configName), () => true), 'Sum');
    expect(await count('green-config')).toBe(models.filter((m) => m === 'green-model').length);
    expect(await count('blue-config')).toBe(models.filter((m) => m === 'blue-model').length);
    expect(await count('green-config')).toBe(3);
  });

  it('a linear deployment completes: traffic moves step by step, the old fleet is terminated, deployment events sent', async () => {
    await blue({ count: 4 });
    await aws.sm.send(
      new UpdateEndpointCommand({
        EndpointName: 'ep',
        EndpointConfigName: 'green-config',
        DeploymentConfig: {
          BlueGreenUpdatePolicy: {
            TrafficRoutingConfiguration: { Type: 'LINEAR', LinearStepSize: { Type: 'CAPACITY_PERCENT', Value: 50 }, WaitIntervalInSeconds: 6 },
            TerminationWaitInSeconds: 6,
          },
        },
      }),
    );
    await waitFor(() => meterOf().fleets[1]?.trafficShare === 0.5, 3000, 'first linear step');
    const d = await waitForStatus(aws.sm, 'ep', 'InService');
    expect(d.EndpointConfigName).toBe('green-config');
    expect(meterOf().fleets.map((f) => f.status)).toEqual(['Terminated', 'InService']);
    const messages = events
      .filter((e) => e['detail-type'] === 'SageMaker Endpoint Deployment State Change')
      .map((e) => ((e.detail.PendingDeploymentSummary as { ProductionVariants: Array<{ VariantStatus: Array<{ Status: string }> }> }).ProductionVariants[0]?.VariantStatus[0]?.Status));
    expect(messages).toEqual(['Creating', 'ActivatingTraffic', 'Baking', 'ActivatingTraffic', 'Baking']);
    expect(await servedBy()).toBe('green-model');
  });

  it('an alarm already in ALARM when traffic reaches the new fleet rolls back at the first bake', async () => {
    await blue();
    // 'ignore' keeps the state SetAlarmState gave (no data arrives to re-evaluate it).
    await alarm('already', 'ignore');
    aws.emu.faults.setAlarmState({ alarmName: 'already', state: 'ALARM', reason: 'test' });
    await aws.sm.send(new UpdateEndpointCommand({ EndpointName: 'ep', EndpointConfigName: 'green-config', DeploymentConfig: canary(['already']) }));
    const d = await waitForStatus(aws.sm, 'ep', 'InService');
    expect(d.EndpointConfigName).toBe('blue-config');
  });

  it('MaximumExecutionTimeoutInSeconds exceeded rolls back', async () => {
    await aws.close();
    aws = await startTestAws({ provisioningMs: 60, trafficShiftMs: 10, timeScale: 1200 });
    await blue();
    const dc = canary([], 3600);
    (dc.BlueGreenUpdatePolicy as { MaximumExecutionTimeoutInSeconds?: number }).MaximumExecutionTimeoutInSeconds = 600;
    await aws.sm.send(new UpdateEndpointCommand({ EndpointName: 'ep', EndpointConfigName: 'green-config', DeploymentConfig: dc }));
    const d = await waitForStatus(aws.sm, 'ep', 'InService', 5000);
    expect(d.EndpointConfigName).toBe('blue-config');
    expect(d.FailureReason).toMatch(/MaximumExecutionTimeoutInSeconds/);
  });

  it('a failed rollback leaves UpdateRollbackFailed (API_DescribeEndpoint EndpointStatus)', async () => {
    await blue();
    await alarm('green-5xx');
    aws.emu.faults.failRollback({ endpointName: 'ep' });
    await aws.sm.send(new UpdateEndpointCommand({ EndpointName: 'ep', EndpointConfigName: 'green-config', DeploymentConfig: canary(['green-5xx']) }));
    await waitFor(() => meterOf().fleets[1]?.trafficShare === 0.5, 3000, 'canary traffic');
    aws.emu.faults.setAlarmState({ alarmName: 'green-5xx', state: 'ALARM', reason: 'test' });
    const d = await waitForStatus(aws.sm, 'ep', 'UpdateRollbackFailed');
    expect(d.FailureReason).toMatch(/green-5xx.*rollback failed/);
  });

  it('the new config must keep the variant names (deployment-guardrails-exclusions)', async () => {
    await blue();
    await config('renamed-config', 'green-model', { variants: ['Other'] });
    const err = await errorOf(aws.sm.send(new UpdateEndpointCommand({ EndpointName: 'ep', EndpointConfigName: 'renamed-config', DeploymentConfig: canary([]) })));
    expect(err.name).toBe('ValidationException');
    expect(err.message).toMatch(/variant names/);
    expect((await aws.sm.send(new DescribeEndpointCommand({ EndpointName: 'ep' }))).EndpointStatus).toBe('InService');
  });

  it('a canary above 50% of the instances is refused (deployment-guardrails-blue-green-canary)', async () => {
    await blue();
    const dc = canary([]);
    dc.BlueGreenUpdatePolicy!.TrafficRoutingConfiguration!.CanarySize = { Type: 'INSTANCE_COUNT', Value: 2 };
    const err = await errorOf(aws.sm.send(new UpdateEndpointCommand({ EndpointName: 'ep', EndpointConfigName: 'green-config', DeploymentConfig: dc })));
    expect(err.message).toMatch(/CanarySize must be at most 50%/);
  });

  it('Inf1 instances fall back to all at once without baking (deployment-guardrails-exclusions)', async () => {
    await createModel(aws.sm, 'blue-model');
    await createModel(aws.sm, 'green-model');
    await config('blue-config', 'blue-model', { type: 'ml.inf1.xlarge' });
    await config('green-config', 'green-model', { type: 'ml.inf1.xlarge' });
    await aws.sm.send(new CreateEndpointCommand({ EndpointName: 'ep', EndpointConfigName: 'blue-config' }));
    await waitForStatus(aws.sm, 'ep', 'InService');
    await aws.sm.send(new UpdateEndpointCommand({ EndpointName: 'ep', EndpointConfigName: 'green-config', DeploymentConfig: canary([], 3600) }));
    // A 3600 s canary wait would take 60 s of real time here; the fallback has no wait at all.
    const d = await waitForStatus(aws.sm, 'ep', 'InService', 3000);
    expect(d.EndpointConfigName).toBe('green-config');
    expect(events.some((e) => e['detail-type'] === 'SageMaker Endpoint Deployment State Change')).toBe(false);
  });

  it('a rolling update replaces instances batch by batch with at most one extra batch, and its rollback re-provisions old instances (a new cycle)', async () => {
    await blue({ count: 4 });
    await alarm('green-5xx');
    await aws.sm.send(
      new UpdateEndpointCommand({
        EndpointName: 'ep',
        EndpointConfigName: 'green-config',
        DeploymentConfig: {
          RollingUpdatePolicy: { MaximumBatchSize: { Type: 'INSTANCE_COUNT', Value: 2 }, WaitIntervalInSeconds: 600 },
          AutoRollbackConfiguration: { Alarms: [{ AlarmName: 'green-5xx' }] },
        },
      }),
    );
    await waitFor(() => meterOf().fleets[1]?.trafficShare === 0.5, 3000, 'first batch');
    const [old, next] = meterOf().fleets;
    expect([old?.variants[0]?.instances, next?.variants[0]?.instances]).toEqual([2, 2]);
    aws.emu.faults.setAlarmState({ alarmName: 'green-5xx', state: 'ALARM', reason: 'test' });
    const d = await waitForStatus(aws.sm, 'ep', 'InService');
    expect(d.EndpointConfigName).toBe('blue-config');
    expect(d.ProductionVariants?.[0]?.CurrentInstanceCount).toBe(4);
    expect(meterOf().provisioningCycles).toBe(3);
    expect(await servedBy()).toBe('blue-model');
  });

  it('rolling updates are refused for multi-variant endpoints (deployment-guardrails-exclusions)', async () => {
    await blue({ variants: ['A', 'B'] });
    const err = await errorOf(
      aws.sm.send(
        new UpdateEndpointCommand({
          EndpointName: 'ep',
          EndpointConfigName: 'green-config',
          DeploymentConfig: { RollingUpdatePolicy: { MaximumBatchSize: { Type: 'INSTANCE_COUNT', Value: 1 }, WaitIntervalInSeconds: 0 } },
        }),
      ),
    );
    expect(err.message).toMatch(/multiple production variants/);
  });
});

describe('UpdateEndpoint on an autoscaled endpoint (endpoint-auto-scaling-delete: deregister before removing a variant or changing its instance type)', () => {
  async function scaled(): Promise<void> {
    await blue();
    await aws.aas.send(
      new RegisterScalableTargetCommand({
        ServiceNamespace: 'sagemaker',
        ResourceId: 'endpoint/ep/variant/AllTraffic',
        ScalableDimension: 'sagemaker:variant:DesiredInstanceCount',
        MinCapacity: 2,
        MaxCapacity: 4,
      }),
    );
  }

  it('refuses a config that removes the autoscaled variant, changing nothing', async () => {
    await scaled();
    await config('other-config', 'green-model', { variants: ['Green'] });
    const err = await errorOf(aws.sm.send(new UpdateEndpointCommand({ EndpointName: 'ep', EndpointConfigName: 'other-config' })));
    expect(err.name).toBe('ValidationException');
    expect(err.message).toMatch(/AllTraffic.*deregistered as scalable targets/);
    expect(meterOf().provisioningCycles).toBe(1);
  });

  it('refuses a config that changes the autoscaled variant\'s instance type', async () => {
    await scaled();
    await config('bigger-config', 'green-model', { type: 'ml.m5.xlarge' });
    const err = await errorOf(aws.sm.send(new UpdateEndpointCommand({ EndpointName: 'ep', EndpointConfigName: 'bigger-config' })));
    expect(err.message).toMatch(/instance type/);
  });

  it('allows a config that changes only the model of the autoscaled variant', async () => {
    await scaled();
    await aws.sm.send(new UpdateEndpointCommand({ EndpointName: 'ep', EndpointConfigName: 'green-config' }));
    const d = await waitForStatus(aws.sm, 'ep', 'InService');
    expect(d.EndpointConfigName).toBe('green-config');
  });
});

describe('model packages of another account or region (a registry holds only its own account\'s packages)', () => {
  it('another region is refused and another account is not found, however the name matches a local package', async () => {
    await aws.sm.send(new CreateModelPackageGroupCommand({ ModelPackageGroupName: 'g' }));
    const { ModelPackageArn } = await aws.sm.send(
      new CreateModelPackageCommand({
        ModelPackageGroupName: 'g',
        InferenceSpecification: { Containers: [{ Image: 'img:1' }], SupportedContentTypes: ['application/json'], SupportedResponseMIMETypes: ['application/json'] },
      }),
    );
    expect((await aws.sm.send(new DescribeModelPackageCommand({ ModelPackageName: ModelPackageArn }))).ModelPackageArn).toBe(ModelPackageArn);
    const otherAccount = ModelPackageArn!.replace(':111122223333:', ':444455556666:');
    expect((await errorOf(aws.sm.send(new DescribeModelPackageCommand({ ModelPackageName: otherAccount })))).message).toMatch(/does not exist/);
    const otherRegion = ModelPackageArn!.replace(':us-east-1:', ':eu-west-1:');
    expect((await errorOf(aws.sm.send(new DescribeModelPackageCommand({ ModelPackageName: otherRegion })))).message).toMatch(/scoped to correct region/);
    const err = await errorOf(
      aws.sm.send(new CreateModelCommand({ ModelName: 'm', ExecutionRoleArn: 'arn:aws:iam::111122223333:role/r', PrimaryContainer: { ModelPackageName: otherAccount } })),
    );
    expect(err.name).toBe('ValidationException');
  });
});

describe('reviewer findings on fleets, guardrails and the meter', () => {
  it('deployment-guardrails-rolling ("The length of the baking period, during which SageMaker monitors alarms for each batch on the new fleet"): the last batch is baked too, and an alarm then rolls back', async () => {
    await blue({ count: 4 });
    await alarm('green-5xx');
    // WaitIntervalInSeconds 60 = 1 s real at 60×.
    await aws.sm.send(new UpdateEndpointCommand({ EndpointName: 'ep', EndpointConfigName: 'green-config', DeploymentConfig: rolling(2, 60, ['green-5xx']) }));
    await waitFor(() => meterOf().fleets[1]?.trafficShare === 1, 5000, 'last batch');
    const d = await aws.sm.send(new DescribeEndpointCommand({ EndpointName: 'ep' }));
    expect(d.EndpointStatus).toBe('Updating');
    expect(d.PendingDeploymentSummary?.ProductionVariants?.[0]?.VariantStatus?.[0]).toMatchObject({
      Status: 'Baking',
      StatusMessage: 'Baking for 60 seconds (WaitIntervalInSeconds) with traffic enabled on full capacity of 4 instance(s).',
    });
    aws.emu.faults.setAlarmState({ alarmName: 'green-5xx', state: 'ALARM', reason: 'test' });
    const back = await waitForStatus(aws.sm, 'ep', 'InService');
    expect(back.EndpointConfigName).toBe('blue-config');
    expect(back.FailureReason).toMatch(/green-5xx/);
    expect(back.ProductionVariants?.[0]?.CurrentInstanceCount).toBe(4);
    expect(await servedBy()).toBe('blue-model');
  });

  it('automating-sagemaker-with-eventbridge (deployment state change sample: CurrentInstanceCount 1, DesiredInstanceCount 3 while the canary bakes): the pending variant\'s CurrentInstanceCount follows the new fleet, with StatusMessage', async () => {
    await blue({ count: 3 });
    aws.emu.faults.slowFleet({ modelName: 'green-model', provisioningMs: 300 });
    await aws.sm.send(new UpdateEndpointCommand({ EndpointName: 'ep', EndpointConfigName: 'green-config', DeploymentConfig: canary([]) }));
    const provisioning = await aws.sm.send(new DescribeEndpointCommand({ EndpointName: 'ep' }));
    expect(provisioning.PendingDeploymentSummary?.ProductionVariants?.[0]).toMatchObject({
      CurrentInstanceCount: 0,
      DesiredInstanceCount: 3,
      VariantStatus: [{ Status: 'Creating', StatusMessage: 'Launching 3 instance(s).' }],
    });
    await waitFor(() => deploymentEvents().some((e) => statusOf(e) === 'Baking'), 3000, 'canary bake');
    const bake = await aws.sm.send(new DescribeEndpointCommand({ EndpointName: 'ep' }));
    expect(bake.PendingDeploymentSummary?.ProductionVariants?.[0]).toMatchObject({ CurrentInstanceCount: 1, DesiredInstanceCount: 3 });
    expect(bake.ProductionVariants?.[0]).toMatchObject({ CurrentInstanceCount: 3, DesiredInstanceCount: 3 });
    const sample = deploymentEvents().find((e) => statusOf(e) === 'Baking');
    expect(pendingOf(sample!)?.ProductionVariants[0]).toMatchObject({
      CurrentInstanceCount: 1,
      DesiredInstanceCount: 3,
      VariantStatus: [{ Status: 'Baking', StatusMessage: 'Baking for 600 seconds (WaitIntervalInSeconds) with traffic enabled on canary capacity of 1 instance(s).' }],
    });
    const first = deploymentEvents()[0];
    expect(pendingOf(first!)?.ProductionVariants[0]).toMatchObject({ CurrentInstanceCount: 0, VariantStatus: [{ Status: 'Creating', StatusMessage: 'Launching 3 instance(s).' }] });
  });

  it('deployment-guardrails-blue-green ("blue/green deployments with all at once traffic shifting and no baking periods, where you are only billed for one fleet during the course of the update"): the new fleet is billed from the switch', async () => {
    await blue({ count: 2 });
    aws.emu.faults.slowFleet({ modelName: 'green-model', provisioningMs: 500 });
    const started = Date.now();
    const before = meterOf().instanceSeconds['ml.m5.large'] ?? 0;
    await aws.sm.send(new UpdateEndpointCommand({ EndpointName: 'ep', EndpointConfigName: 'green-config' }));
    expect(meterOf().fleets[1]?.variants[0]?.instances).toBe(0);
    await waitForStatus(aws.sm, 'ep', 'InService');
    const added = (meterOf().instanceSeconds['ml.m5.large'] ?? 0) - before;
    const simulated = ((Date.now() - started) / 1000) * 60;
    // One fleet of 2 instances for the whole update, at most (two fleets would add ~60 s more); 1 simulated second for
    // the timers' lag on a loaded machine (a few real ms at 60×).
    expect(added).toBeLessThanOrEqual(2 * simulated + 1);
    expect(meterOf().fleets.map((f) => [f.status, f.variants[0]?.instances])).toEqual([['Terminated', 0], ['InService', 2]]);
    // With stages or baking (a canary) both fleets are billed while the new one provisions.
    await aws.sm.send(new UpdateEndpointCommand({ EndpointName: 'ep', EndpointConfigName: 'blue-config', DeploymentConfig: canary([]) }));
    expect(meterOf().fleets[2]?.variants[0]?.instances).toBe(2);
  });

  it('API_DescribeEndpoint UpdateRollbackFailed ("Your endpoint is in service with a mix of the old and new endpoint configurations"): no pending deployment, both fleets serve, and UpdateEndpoint can start from it', async () => {
    await blue({ count: 4 });
    await alarm('green-5xx');
    aws.emu.faults.failRollback({ endpointName: 'ep' });
    await aws.sm.send(new UpdateEndpointCommand({ EndpointName: 'ep', EndpointConfigName: 'green-config', DeploymentConfig: rolling(2, 600, ['green-5xx']) }));
    await waitFor(() => meterOf().fleets[1]?.trafficShare === 0.5, 3000, 'first batch');
    aws.emu.faults.setAlarmState({ alarmName: 'green-5xx', state: 'ALARM', reason: 'test' });
    const d = await waitForStatus(aws.sm, 'ep', 'UpdateRollbackFailed');
    expect(d.PendingDeploymentSummary).toBeUndefined();
    expect(d.FailureReason).toMatch(/green-5xx.*rollback failed/);
    // 2 old + 2 new instances serve the variant.
    expect(d.ProductionVariants?.[0]).toMatchObject({ CurrentInstanceCount: 4, DesiredInstanceCount: 4 });
    expect(d.ProductionVariants?.[0]?.DeployedImages).toHaveLength(2);
    const served = new Set<string>();
    for (let i = 0; i < 4; i++) served.add(await servedBy());
    expect([...served].sort()).toEqual(['blue-model', 'green-model']);
    // Recovery: a new UpdateEndpoint (here back to the old config) replaces the whole mix.
    await aws.sm.send(new UpdateEndpointCommand({ EndpointName: 'ep', EndpointConfigName: 'blue-config' }));
    const fixed = await waitForStatus(aws.sm, 'ep', 'InService');
    expect(fixed.EndpointConfigName).toBe('blue-config');
    expect(fixed.FailureReason).toBeUndefined();
    expect(fixed.ProductionVariants?.[0]).toMatchObject({ CurrentInstanceCount: 4 });
    expect(meterOf().fleets.map((f) => f.status)).toEqual(['Terminated', 'Terminated', 'InService']);
    for (let i = 0; i < 3; i++) expect(await servedBy()).toBe('blue-model');
  });

  it('deployment-guardrails-exclusions ("fall back to using a blue/green deployment with all at once traffic shifting and no final baking period"): an Inf1 fallback watches no alarms and has no MaximumExecutionTimeoutInSeconds', async () => {
    await aws.close();
    aws = await startTestAws({ provisioningMs: 60, trafficShiftMs: 10, timeScale: 1200 });
    await createModel(aws.sm, 'blue-model');
    await createModel(aws.sm, 'green-model');
    await config('blue-config', 'blue-model', { type: 'ml.inf1.xlarge' });
    await config('green-config', 'green-model', { type: 'ml.inf1.xlarge' });
    await aws.sm.send(new CreateEndpointCommand({ EndpointName: 'ep', EndpointConfigName: 'blue-config' }));
    await waitForStatus(aws.sm, 'ep', 'InService');
    await alarm('already', 'ignore');
    aws.emu.faults.setAlarmState({ alarmName: 'already', state: 'ALARM', reason: 'test' });
    // 600 simulated seconds = 500 ms real at 1200×; the new fleet takes 800 ms.
    aws.emu.faults.slowFleet({ modelName: 'green-model', provisioningMs: 800 });
    const dc = canary(['already']);
    (dc.BlueGreenUpdatePolicy as { MaximumExecutionTimeoutInSeconds?: number }).MaximumExecutionTimeoutInSeconds = 600;
    await aws.sm.send(new UpdateEndpointCommand({ EndpointName: 'ep', EndpointConfigName: 'green-config', DeploymentConfig: dc }));
    const d = await waitForStatus(aws.sm, 'ep', 'InService', 5000);
    expect(d.EndpointConfigName).toBe('green-config');
    expect(d.FailureReason).toBeUndefined();
  });

  it('deployment-guardrails-rolling with a new instance count: traffic follows the live instances of both fleets (a fleet with none gets no traffic)', async () => {
    await blue({ count: 2 });
    await config('green4-config', 'green-model', { count: 4 });
    await aws.sm.send(new UpdateEndpointCommand({ EndpointName: 'ep', EndpointConfigName: 'green4-config', DeploymentConfig: rolling(2, 600) }));
    await waitFor(() => (meterOf().fleets[1]?.trafficShare ?? 0) > 0, 3000, 'first batch');
    // The first batch (2 new instances) retired both old ones.
    const [old, next] = meterOf().fleets;
    expect([old?.variants[0]?.instances, next?.variants[0]?.instances]).toEqual([0, 2]);
    expect([old?.trafficShare, next?.trafficShare]).toEqual([0, 1]);
    for (let i = 0; i < 3; i++) expect(await servedBy()).toBe('green-model');
  });

  it('slowFleet provisioningMs -1 (test control, not SageMaker behaviour): the update stays Updating, blue serving, until the faults are cleared, then finishes', async () => {
    await blue({ count: 1 });
    aws.emu.faults.slowFleet({ modelName: 'green-model', provisioningMs: -1 });
    await aws.sm.send(new UpdateEndpointCommand({ EndpointName: 'ep', EndpointConfigName: 'green-config' }));
    // Ten times the usual provisioning (60 ms) later, still held.
    await new Promise((r) => setTimeout(r, 600));
    const held = await aws.sm.send(new DescribeEndpointCommand({ EndpointName: 'ep' }));
    expect([held.EndpointStatus, held.EndpointConfigName]).toEqual(['Updating', 'blue-config']);
    expect(await servedBy()).toBe('blue-model');
    aws.emu.faults.clear();
    const done = await waitForStatus(aws.sm, 'ep', 'InService', 3000);
    expect(done.EndpointConfigName).toBe('green-config');
    expect(await servedBy()).toBe('green-model');
  });

  it('slowFleet refuses a negative provisioningMs other than -1, naming -1', () => {
    expect(() => aws.emu.faults.slowFleet({ modelName: 'green-model', provisioningMs: -2 })).toThrow(/provisioningMs must be a non-negative number, or -1 \(held until cleared\)/);
  });
});
