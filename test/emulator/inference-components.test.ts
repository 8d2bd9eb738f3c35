import { PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateInferenceComponentCommand,
  DeleteEndpointCommand,
  DeleteInferenceComponentCommand,
  DeleteModelCommand,
  DescribeEndpointCommand,
  DescribeInferenceComponentCommand,
  type DescribeInferenceComponentCommandOutput,
  ListInferenceComponentsCommand,
  ListTagsCommand,
  UpdateInferenceComponentCommand,
  UpdateInferenceComponentRuntimeConfigCommand,
} from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import { blueEndpoint, createModel, errorOf, publishedDatapoints, startTestAws, type TestAws, total, waitFor, waitForStatus } from './helpers';

let aws: TestAws;
beforeEach(async () => {
  // 60 simulated seconds per real second: a 12 s WaitIntervalInSeconds bakes for 200 ms.
  aws = await startTestAws({ timeScale: 60 });
});
afterEach(async () => {
  await aws.close();
});

const ARN = 'arn:aws:sagemaker:us-east-1:111122223333';
// A quarter core and 1 GB a copy: 8 copies fit one ml.g5.xlarge (2 cores, 16 GiB: placement.ts), so these tests never wait for room.
const SPEC = (model: string) => ({ ModelName: model, ComputeResourceRequirements: { NumberOfCpuCoresRequired: 0.25, MinMemoryRequiredInMb: 1024 } });

/**
 * An inference component endpoint: a production variant with an instance type and count, no model. The default:
 * one ml.g5.xlarge with ManagedInstanceScaling 0–2 and least-outstanding-requests routing.
 */
async function icEndpoint(name = 'ic-ep', o: { instanceType?: string; instances?: number; managed?: { min: number; max: number }; routing?: boolean } = { instanceType: 'ml.g5.xlarge', instances: 1, managed: { min: 0, max: 2 }, routing: true }): Promise<void> {
  await aws.sm.send(
    new CreateEndpointConfigCommand({
      EndpointConfigName: `${name}-config`,
      ExecutionRoleArn: 'arn:aws:iam::111122223333:role/SageMakerRole',
      ProductionVariants: [
        {
          VariantName: 'AllTraffic',
          InstanceType: (o.instanceType ?? 'ml.g5.xlarge') as never,
          InitialInstanceCount: o.instances ?? 1,
          ...(o.managed ? { ManagedInstanceScaling: { Status: 'ENABLED', MinInstanceCount: o.managed.min, MaxInstanceCount: o.managed.max } } : {}),
          ...(o.routing ? { RoutingConfig: { RoutingStrategy: 'LEAST_OUTSTANDING_REQUESTS' } } : {}),
        },
      ],
    }),
  );
  await aws.sm.send(new CreateEndpointCommand({ EndpointName: name, EndpointConfigName: `${name}-config` }));
  await waitForStatus(aws.sm, name, 'InService');
}

async function component(name: string, model: string, copies: number, endpoint = 'ic-ep'): Promise<void> {
  await aws.sm.send(
    new CreateInferenceComponentCommand({
      InferenceComponentName: name,
      EndpointName: endpoint,
      VariantName: 'AllTraffic',
      Specification: SPEC(model),
      RuntimeConfig: { CopyCount: copies },
      Tags: [{ Key: 'team', Value: 'ml' }],
    }),
  );
}

const describe_ = (name: string): Promise<DescribeInferenceComponentCommandOutput> =>
  aws.sm.send(new DescribeInferenceComponentCommand({ InferenceComponentName: name }));

async function waitForComponent(name: string, status: string, timeoutMs = 5000): Promise<DescribeInferenceComponentCommandOutput> {
  return waitFor(
    async () => {
      const d = await describe_(name);
      return d.InferenceComponentStatus === status ? d : undefined;
    },
    timeoutMs,
    `${name} to be ${status}`,
  );
}

/** The model that answered one invocation of the component. */
async function invoke(component?: string, endpoint = 'ic-ep'): Promise<string> {
  const out = await aws.rt.send(new InvokeEndpointCommand({ EndpointName: endpoint, InferenceComponentName: component, Body: Buffer.from('{}') }));
  return (JSON.parse(Buffer.from(out.Body).toString('utf8')) as { model: string }).model;
}

async function twoModels(): Promise<void> {
  await createModel(aws.sm, 'model-v1');
  await createModel(aws.sm, 'model-v2');
}

describe('inference component lifecycle', () => {
  it('GIVEN an inference component endpoint WHEN CreateInferenceComponent (API_CreateInferenceComponent) THEN Creating, then InService and invocable by name (API_runtime_InvokeEndpoint)', async () => {
    await icEndpoint();
    await twoModels();
    aws.emu.faults.slowFleet({ modelName: 'model-v1', provisioningMs: 300 }); // long enough to see Creating
    await component('ic', 'model-v1', 2);
    const creating = await describe_('ic');
    expect(creating.InferenceComponentStatus).toBe('Creating');
    expect(creating.RuntimeConfig).toEqual({ DesiredCopyCount: 2, CurrentCopyCount: 0 });

    const live = await waitForComponent('ic', 'InService');
    expect(live).toMatchObject({
      InferenceComponentName: 'ic',
      InferenceComponentArn: `${ARN}:inference-component/ic`,
      EndpointName: 'ic-ep',
      EndpointArn: `${ARN}:endpoint/ic-ep`,
      VariantName: 'AllTraffic',
      Specification: SPEC('model-v1'),
      RuntimeConfig: { DesiredCopyCount: 2, CurrentCopyCount: 2 },
    });
    expect(live.CreationTime).toBeInstanceOf(Date);
    expect(live.FailureReason).toBeUndefined();

    expect(await invoke('ic')).toBe('model-v1');
    const unnamed = await errorOf(invoke(undefined));
    expect(unnamed.name).toBe('ValidationError');
    expect(unnamed.message).toMatch(/hosts inference components: specify the one to invoke with InferenceComponentName/);
    const unknown = await errorOf(invoke('nope'));
    expect(unknown.message).toBe('Inference component nope not found on endpoint ic-ep of account 111122223333.');

    const dup = await errorOf(component('IC', 'model-v1', 1));
    expect(dup.message).toBe(`Cannot create already existing inference component "${ARN}:inference-component/ic".`);
    const tags = await aws.sm.send(new ListTagsCommand({ ResourceArn: `${ARN}:inference-component/ic` }));
    expect(tags.Tags).toEqual([{ Key: 'team', Value: 'ml' }]);
    expect(aws.emu.inspect().inferenceComponents.ic).toMatchObject({ InferenceComponentStatus: 'InService', Tags: [{ Key: 'team', Value: 'ml' }] });
  });

  it('GIVEN invocations of a component WHEN its metrics are read (assumed: dimension InferenceComponentName alone) THEN they count the component', async () => {
    await icEndpoint();
    await twoModels();
    await component('ic', 'model-v1', 1);
    await waitForComponent('ic', 'InService');
    for (let i = 0; i < 3; i++) await invoke('ic');
    for (const Namespace of ['/aws/sagemaker/InferenceComponents', 'AWS/SageMaker']) {
      const query = { Namespace, MetricName: 'Invocations', Dimensions: [{ Name: 'InferenceComponentName', Value: 'ic' }], Period: 60, Statistics: ['Sum' as const] };
      // Published when their interval ends (timeScale 60: within a real second or two).
      const datapoints = await publishedDatapoints(aws.cw, query, (points) => total(points, 'Sum') >= 3);
      expect(total(datapoints, 'Sum')).toBe(3);
    }
  });

  it('GIVEN components on endpoints WHEN ListInferenceComponents (API_ListInferenceComponents) THEN filters, sorts and pages', async () => {
    await icEndpoint('ep-a');
    await icEndpoint('ep-b');
    await twoModels();
    await component('alpha', 'model-v1', 1, 'ep-a');
    await component('beta', 'model-v1', 1, 'ep-a');
    await component('gamma', 'model-v2', 1, 'ep-b');
    await waitForComponent('gamma', 'InService');

    const onA = await aws.sm.send(new ListInferenceComponentsCommand({ EndpointNameEquals: 'ep-a', SortBy: 'Name', SortOrder: 'Ascending' }));
    expect(onA.InferenceComponents?.map((x) => x.InferenceComponentName)).toEqual(['alpha', 'beta']);
    expect(onA.InferenceComponents?.[0]).toMatchObject({ EndpointName: 'ep-a', VariantName: 'AllTraffic', InferenceComponentArn: `${ARN}:inference-component/alpha` });
    const named = await aws.sm.send(new ListInferenceComponentsCommand({ NameContains: 'AMM', StatusEquals: 'InService' }));
    expect(named.InferenceComponents?.map((x) => x.InferenceComponentName)).toEqual(['gamma']);

    const first = await aws.sm.send(new ListInferenceComponentsCommand({ MaxResults: 2, SortBy: 'Name', SortOrder: 'Descending' }));
    expect(first.InferenceComponents?.map((x) => x.InferenceComponentName)).toEqual(['gamma', 'beta']);
    const rest = await aws.sm.send(new ListInferenceComponentsCommand({ MaxResults: 2, SortBy: 'Name', SortOrder: 'Descending', NextToken: first.NextToken }));
    expect(rest.InferenceComponents?.map((x) => x.InferenceComponentName)).toEqual(['alpha']);
    expect(rest.NextToken).toBeUndefined();
  });

  it('GIVEN an endpoint hosting a component WHEN DeleteEndpoint THEN refused until DeleteInferenceComponent (API_DeleteInferenceComponent) has removed it', async () => {
    await icEndpoint();
    await twoModels();
    await component('ic', 'model-v1', 1);
    await waitForComponent('ic', 'InService');

    const refused = await errorOf(aws.sm.send(new DeleteEndpointCommand({ EndpointName: 'ic-ep' })));
    expect(refused.name).toBe('ValidationException');
    expect(refused.message).toMatch(/hosts inference component\(s\) ic\. Delete the inference components first\./);

    await aws.sm.send(new DeleteInferenceComponentCommand({ InferenceComponentName: 'ic' }));
    expect((await describe_('ic')).InferenceComponentStatus).toBe('Deleting');
    const gone = await waitFor(() => describe_('ic').then(() => undefined, (e: Error) => e), 3000, 'ic to be gone');
    expect(gone.message).toBe(`Could not find inference component "${ARN}:inference-component/ic".`);
    await aws.sm.send(new DeleteEndpointCommand({ EndpointName: 'ic-ep' }));
  });

  it('GIVEN a component in service WHEN its model is deleted THEN deleted (API_DeleteModel has no in-use check), recorded as a hazard, and the copies keep serving', async () => {
    await icEndpoint();
    await twoModels();
    await component('ic', 'model-v1', 1);
    await waitForComponent('ic', 'InService');
    await aws.sm.send(new DeleteModelCommand({ ModelName: 'model-v1' }));
    expect(aws.emu.hazards()).toEqual([
      expect.objectContaining({ operation: 'DeleteModel', resourceName: 'model-v1', endpointName: 'ic-ep', endpointStatus: 'InService', usage: ['model of inference component ic'] }),
    ]);
    expect(await invoke('ic')).toBe('model-v1');
  });

  it('GIVEN an endpoint whose variant hosts a model WHEN CreateInferenceComponent (API_CreateInferenceComponent) THEN ValidationException', async () => {
    await blueEndpoint(aws.sm);
    await createModel(aws.sm, 'model-v1');
    const err = await errorOf(component('ic', 'model-v1', 1, 'ep'));
    expect(err.name).toBe('ValidationException');
    expect(err.message).toBe(
      `Endpoint "${ARN}:endpoint/ep" is not an inference component endpoint: its production variant(s) blue host a model. ` +
        'Create the endpoint from a config whose production variants have no ModelName.',
    );
  });

  it('GIVEN a variant with a ModelName WHEN CreateEndpointConfig with ManagedInstanceScaling (API_ProductionVariantManagedInstanceScaling) THEN the real service message', async () => {
    await createModel(aws.sm, 'model-v1');
    const err = await errorOf(
      aws.sm.send(
        new CreateEndpointConfigCommand({
          EndpointConfigName: 'cfg',
          ProductionVariants: [
            { VariantName: 'v', ModelName: 'model-v1', InstanceType: 'ml.m5.large', InitialInstanceCount: 1, ManagedInstanceScaling: { Status: 'ENABLED', MinInstanceCount: 1, MaxInstanceCount: 2 } },
          ],
        }),
      ),
    );
    expect(err.name).toBe('ValidationException');
    expect(err.message).toBe('ManagedInstanceScaling is only supported for inference component endpoints.');
  });

  it('GIVEN a failFleet fault for the model WHEN CreateInferenceComponent THEN Failed with the FailureReason (API_DescribeInferenceComponent)', async () => {
    await icEndpoint();
    await twoModels();
    aws.emu.faults.failFleet({ modelName: 'model-v1', reason: 'CUDA out of memory' });
    await component('ic', 'model-v1', 1);
    const failed = await waitForComponent('ic', 'Failed');
    expect(failed.FailureReason).toBe('CUDA out of memory');
    const err = await errorOf(aws.sm.send(new UpdateInferenceComponentRuntimeConfigCommand({ InferenceComponentName: 'ic', DesiredRuntimeConfig: { CopyCount: 2 } })));
    expect(err.message).toBe(`Cannot update failed inference component "${ARN}:inference-component/ic".`);
  });
});

describe('copies', () => {
  it('GIVEN a component WHEN UpdateInferenceComponentRuntimeConfig (API_UpdateInferenceComponentRuntimeConfig) scales it to zero and back THEN it cannot serve at zero and serves again after', async () => {
    await icEndpoint();
    await twoModels();
    await component('ic', 'model-v1', 2);
    await waitForComponent('ic', 'InService');

    await aws.sm.send(new UpdateInferenceComponentRuntimeConfigCommand({ InferenceComponentName: 'ic', DesiredRuntimeConfig: { CopyCount: 0 } }));
    const zero = await waitForComponent('ic', 'InService');
    expect(zero.RuntimeConfig).toEqual({ DesiredCopyCount: 0, CurrentCopyCount: 0 });
    const err = await errorOf(invoke('ic'));
    expect(err.name).toBe('ValidationError');
    expect(err.message).toBe('Inference component ic of endpoint ic-ep has no copies in service (status InService, CurrentCopyCount 0).');

    await aws.sm.send(new UpdateInferenceComponentRuntimeConfigCommand({ InferenceComponentName: 'ic', DesiredRuntimeConfig: { CopyCount: 2 } }));
    const back = await waitForComponent('ic', 'InService');
    expect(back.RuntimeConfig).toEqual({ DesiredCopyCount: 2, CurrentCopyCount: 2 });
    expect(await invoke('ic')).toBe('model-v1');
  });
});

describe('rolling updates', () => {
  const rolling = (batch: { Type: 'COPY_COUNT' | 'CAPACITY_PERCENT'; Value: number }, alarms: string[] = []) => ({
    RollingUpdatePolicy: { MaximumBatchSize: batch, WaitIntervalInSeconds: 12 },
    AutoRollbackConfiguration: alarms.length > 0 ? { Alarms: alarms.map((AlarmName) => ({ AlarmName })) } : undefined,
  });

  async function fourCopies(): Promise<void> {
    await icEndpoint();
    await twoModels();
    await component('ic', 'model-v1', 4);
    await waitForComponent('ic', 'InService');
  }

  it('GIVEN 4 copies WHEN UpdateInferenceComponent (API_InferenceComponentRollingUpdatePolicy) rolls one copy per batch THEN traffic moves to the new model batch by batch', async () => {
    await fourCopies();
    await aws.sm.send(
      new UpdateInferenceComponentCommand({ InferenceComponentName: 'ic', Specification: SPEC('model-v2'), DeploymentConfig: rolling({ Type: 'COPY_COUNT', Value: 1 }) }),
    );
    const updating = await describe_('ic');
    expect(updating.InferenceComponentStatus).toBe('Updating');
    expect(updating.Specification?.ModelName).toBe('model-v2');

    // New-model answers out of every 4 (copies are picked round-robin by weight, so 4 in a row follow the split).
    const shares: number[] = [];
    await waitFor(
      async () => {
        let v2 = 0;
        for (let i = 0; i < 4; i++) if ((await invoke('ic')) === 'model-v2') v2 += 1;
        shares.push(v2);
        return (await describe_('ic')).InferenceComponentStatus === 'InService';
      },
      8000,
      'the rolling update to finish',
    );
    expect(new Set(shares.filter((n) => n > 0 && n < 4)).size).toBeGreaterThanOrEqual(2);
    const done = await describe_('ic');
    expect(done).toMatchObject({ Specification: SPEC('model-v2'), RuntimeConfig: { DesiredCopyCount: 4, CurrentCopyCount: 4 } });
    expect(done.FailureReason).toBeUndefined();
    expect(done.LastDeploymentConfig?.RollingUpdatePolicy?.MaximumBatchSize).toEqual({ Type: 'COPY_COUNT', Value: 1 });
    for (let i = 0; i < 4; i++) expect(await invoke('ic')).toBe('model-v2');
  });

  it('GIVEN a rolling update with an auto-rollback alarm WHEN the alarm goes into ALARM mid-update (API_AutoRollbackConfig) THEN old copies are restored and FailureReason names the alarm', async () => {
    await fourCopies();
    await aws.cw.send(
      new PutMetricAlarmCommand({
        AlarmName: 'ic-5xx',
        Namespace: 'AWS/SageMaker',
        MetricName: 'Invocation5XXErrors',
        Dimensions: [{ Name: 'InferenceComponentName', Value: 'ic' }],
        Statistic: 'Sum',
        Period: 60,
        EvaluationPeriods: 1,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      }),
    );
    await aws.sm.send(
      new UpdateInferenceComponentCommand({
        InferenceComponentName: 'ic',
        Specification: SPEC('model-v2'),
        DeploymentConfig: rolling({ Type: 'COPY_COUNT', Value: 1 }, ['ic-5xx']),
      }),
    );
    await waitFor(async () => (await invoke('ic')) === 'model-v2', 3000, 'the first batch to take traffic');
    aws.emu.faults.setAlarmState({ alarmName: 'ic-5xx', state: 'ALARM', reason: 'errors on the new model' });

    const rolledBack = await waitForComponent('ic', 'InService');
    expect(rolledBack.FailureReason).toBe('Deployment was rolled back because alarm ic-5xx went into ALARM state.');
    expect(rolledBack).toMatchObject({ Specification: SPEC('model-v1'), RuntimeConfig: { DesiredCopyCount: 4, CurrentCopyCount: 4 } });
    for (let i = 0; i < 8; i++) expect(await invoke('ic')).toBe('model-v1');
  });

  it('GIVEN 4 copies WHEN MaximumBatchSize is over 50% of the copy count (API_InferenceComponentRollingUpdatePolicy) THEN ValidationException and nothing changes', async () => {
    await fourCopies();
    for (const batch of [{ Type: 'COPY_COUNT' as const, Value: 3 }, { Type: 'CAPACITY_PERCENT' as const, Value: 75 }]) {
      const err = await errorOf(
        aws.sm.send(new UpdateInferenceComponentCommand({ InferenceComponentName: 'ic', Specification: SPEC('model-v2'), DeploymentConfig: rolling(batch) })),
      );
      expect(err.name).toBe('ValidationException');
      expect(err.message).toBe('MaximumBatchSize must be between 5% and 50% of the copy count of the inference component (4); it is 3 copies.');
    }
    expect(await describe_('ic')).toMatchObject({ InferenceComponentStatus: 'InService', Specification: SPEC('model-v1') });
  });

  it('GIVEN no DeploymentConfig WHEN UpdateInferenceComponent (API_UpdateInferenceComponent) changes the model THEN all copies are replaced at once', async () => {
    await fourCopies();
    aws.emu.faults.slowFleet({ modelName: 'model-v2', provisioningMs: 300 }); // long enough to see the old model serve meanwhile
    await aws.sm.send(new UpdateInferenceComponentCommand({ InferenceComponentName: 'ic', Specification: SPEC('model-v2'), RuntimeConfig: { CopyCount: 2 } }));
    expect(await invoke('ic')).toBe('model-v1');
    const done = await waitForComponent('ic', 'InService');
    expect(done).toMatchObject({ Specification: SPEC('model-v2'), RuntimeConfig: { DesiredCopyCount: 2, CurrentCopyCount: 2 } });
    expect(await invoke('ic')).toBe('model-v2');
  });
});

describe('capacity: copies need room on the instances (placement.ts)', () => {
  /** One accelerator a copy: an ml.g5.xlarge holds one copy (1 A10G), an ml.g5.12xlarge four. */
  const GPU_SPEC = (model: string) => ({ ModelName: model, ComputeResourceRequirements: { NumberOfAcceleratorDevicesRequired: 1, MinMemoryRequiredInMb: 1024 } });

  const endpointOf = (name: string, instanceType: string, instances: number, managed?: { min: number; max: number }) => icEndpoint(name, { instanceType, instances, managed });

  const gpuComponent = (name: string, model: string, copies: number, endpoint: string) =>
    aws.sm.send(new CreateInferenceComponentCommand({ InferenceComponentName: name, EndpointName: endpoint, VariantName: 'AllTraffic', Specification: GPU_SPEC(model), RuntimeConfig: { CopyCount: copies } }));
  const scaleTo = (name: string, CopyCount: number) => aws.sm.send(new UpdateInferenceComponentRuntimeConfigCommand({ InferenceComponentName: name, DesiredRuntimeConfig: { CopyCount } }));
  const fleetInstances = (endpoint: string) => aws.emu.meter().endpoints[endpoint]!.fleets.at(-1)!.variants[0]!.instances;

  it('GIVEN 2 × ml.g5.xlarge (1 GPU each) without ManagedInstanceScaling WHEN copies needing a GPU each are created and scaled THEN 2 fit, a third is refused asynchronously: Failed create, scale-out back at its count, both with a FailureReason naming capacity and the fix', async () => {
    await endpointOf('tight', 'ml.g5.xlarge', 2);
    await twoModels();
    await gpuComponent('one', 'model-v1', 1, 'tight');
    await gpuComponent('two', 'model-v2', 1, 'tight');
    await waitForComponent('two', 'InService');
    expect(await describe_('one')).toMatchObject({ InferenceComponentStatus: 'InService', RuntimeConfig: { CurrentCopyCount: 1 } });

    // A third copy: accepted, Creating, then Failed (AWS is silent: the strict reading, see inference-components.ts).
    await gpuComponent('three', 'model-v1', 1, 'tight');
    expect((await describe_('three')).InferenceComponentStatus).toBe('Creating');
    const failed = await waitForComponent('three', 'Failed');
    expect(failed.FailureReason).toBe(
      'Insufficient capacity: 1 copy of inference component three (each needs 1 accelerator(s), 1024 MB) do not fit on the 2 × ml.g5.xlarge ' +
        '(1 accelerator(s), 2 CPU cores, 16384 MB each) of variant AllTraffic of endpoint tight, which already hold 2 copies of inference components; 3 instances would be needed. ' +
        'To place them, add instances (at least 3), enable ManagedInstanceScaling with a MaxInstanceCount of at least 3, or free room.',
    );

    // A scale-out that does not fit: nothing added, the old count kept, the reason given.
    await scaleTo('one', 2);
    expect((await describe_('one')).InferenceComponentStatus).toBe('Updating');
    const kept = await waitForComponent('one', 'InService');
    expect(kept.RuntimeConfig).toEqual({ DesiredCopyCount: 1, CurrentCopyCount: 1 });
    expect(kept.FailureReason).toMatch(/^Insufficient capacity: 1 copy of inference component one .* 3 instances would be needed/);
    expect(await invoke('one', 'tight')).toBe('model-v1');

    // Room freed by a deletion is room again, once the deletion completes (a Deleting component still holds it: the strict choice).
    await aws.sm.send(new DeleteInferenceComponentCommand({ InferenceComponentName: 'two' }));
    await waitFor(async () => !(await aws.sm.send(new ListInferenceComponentsCommand({}))).InferenceComponents?.some((c) => c.InferenceComponentName === 'two'), 5000, 'component two to be gone');
    await scaleTo('one', 2);
    const grown = await waitForComponent('one', 'InService');
    expect(grown.RuntimeConfig).toEqual({ DesiredCopyCount: 2, CurrentCopyCount: 2 });
    expect(grown.FailureReason).toBeUndefined();
  });

  it('GIVEN 2 copies filling 2 × ml.g5.xlarge WHEN a rolling update needs room for a batch of 1 beside them THEN SageMaker rolls back: old copies serving, FailureReason naming capacity (API_InferenceComponentRollingUpdatePolicy: a batch is provisioned before the old copies go)', async () => {
    await endpointOf('full', 'ml.g5.xlarge', 2);
    await twoModels();
    await gpuComponent('ic', 'model-v1', 2, 'full');
    await waitForComponent('ic', 'InService');
    await aws.sm.send(
      new UpdateInferenceComponentCommand({
        InferenceComponentName: 'ic',
        Specification: GPU_SPEC('model-v2'),
        DeploymentConfig: { RollingUpdatePolicy: { MaximumBatchSize: { Type: 'COPY_COUNT', Value: 1 }, WaitIntervalInSeconds: 12 } },
      }),
    );
    expect((await describe_('ic')).InferenceComponentStatus).toBe('Updating');
    const rolledBack = await waitForComponent('ic', 'InService');
    expect(rolledBack).toMatchObject({ Specification: GPU_SPEC('model-v1'), RuntimeConfig: { DesiredCopyCount: 2, CurrentCopyCount: 2 } });
    expect(rolledBack.FailureReason).toMatch(/^Insufficient capacity: 1 copy of inference component ic .* already hold 2 copies of inference components; 3 instances would be needed/);
    for (let i = 0; i < 4; i++) expect(await invoke('ic', 'full')).toBe('model-v1');
  });

  it('GIVEN ManagedInstanceScaling (min 1, max 2) on 1 × ml.g5.xlarge WHEN a second GPU copy is asked THEN an instance is added (metered from its launch, no new fleet), up to MaxInstanceCount only, and released once no copy needs it', async () => {
    await endpointOf('managed', 'ml.g5.xlarge', 1, { min: 1, max: 2 });
    await twoModels();
    await gpuComponent('ic', 'model-v1', 1, 'managed');
    await waitForComponent('ic', 'InService');
    const cycles = aws.emu.meter().endpoints.managed!.provisioningCycles;
    expect(fleetInstances('managed')).toBe(1);

    await scaleTo('ic', 2);
    expect(fleetInstances('managed')).toBe(2); // launched, and billed, at once
    expect((await aws.sm.send(new DescribeEndpointCommand({ EndpointName: 'managed' }))).ProductionVariants?.[0]).toMatchObject({ DesiredInstanceCount: 2 });
    const grown = await waitForComponent('ic', 'InService');
    expect(grown.RuntimeConfig).toEqual({ DesiredCopyCount: 2, CurrentCopyCount: 2 });
    expect((await aws.sm.send(new DescribeEndpointCommand({ EndpointName: 'managed' }))).ProductionVariants?.[0]).toMatchObject({ CurrentInstanceCount: 2, DesiredInstanceCount: 2 });
    expect(aws.emu.meter().endpoints.managed!.provisioningCycles).toBe(cycles);

    await scaleTo('ic', 3);
    const capped = await waitForComponent('ic', 'InService');
    expect(capped.RuntimeConfig).toEqual({ DesiredCopyCount: 2, CurrentCopyCount: 2 });
    expect(capped.FailureReason).toMatch(/ManagedInstanceScaling stops at MaxInstanceCount 2; raise it to at least 3/);
    expect(fleetInstances('managed')).toBe(2);

    await scaleTo('ic', 1);
    await waitForComponent('ic', 'InService');
    expect(fleetInstances('managed')).toBe(1);
    expect((await aws.sm.send(new DescribeEndpointCommand({ EndpointName: 'managed' }))).ProductionVariants?.[0]).toMatchObject({ CurrentInstanceCount: 1, DesiredInstanceCount: 1 });
  });

  it('GIVEN an endpoint on an instance type the emulator has no resources for WHEN CreateInferenceComponent THEN ValidationException naming the table to extend', async () => {
    await endpointOf('odd', 'ml.c7i.large', 1);
    await twoModels();
    const unknown = await errorOf(gpuComponent('ic', 'model-v1', 1, 'odd'));
    expect(unknown.name).toBe('ValidationException');
    expect(unknown.message).toMatch(/does not know the resources of instance type ml\.c7i\.large.*add its vCPUs, accelerators and memory to INSTANCE_RESOURCES in local\/emulator\/sagemaker\/placement\.ts/);

  });
});
