import {
  AddTagsCommand,
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  CreateModelPackageCommand,
  CreateModelPackageGroupCommand,
  DeleteEndpointCommand,
  DeleteEndpointConfigCommand,
  DeleteModelCommand,
  DeleteTagsCommand,
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  DescribeModelCommand,
  DescribeModelPackageCommand,
  DescribeModelPackageGroupCommand,
  ListEndpointsCommand,
  ListModelPackagesCommand,
  ListTagsCommand,
  UpdateEndpointCommand,
  UpdateEndpointWeightsAndCapacitiesCommand,
  UpdateModelPackageCommand,
} from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import type { BridgeEvent } from '../../local/emulator';
import { blueEndpoint, createConfig, createModel, errorOf, IMAGE, ROLE, startTestAws, type TestAws, waitFor, waitForStatus } from './helpers';

let aws: TestAws;
beforeEach(async () => {
  aws = await startTestAws();
});
afterEach(async () => {
  await aws.close();
});
/** For tests that look at an intermediate state (Creating/Updating): provisioning long enough to observe it under load. */
async function slowProvisioning(): Promise<void> {
  await aws.close();
  aws = await startTestAws({ provisioningMs: 400 });
}

describe('request validation from the API models', () => {
  it('GIVEN a name that breaks the pattern WHEN DescribeEndpoint THEN ValidationException names member and pattern', async () => {
    const err = await errorOf(aws.sm.send(new DescribeEndpointCommand({ EndpointName: 'bad_name' })));
    expect(err.name).toBe('ValidationException');
    expect(err.message).toBe(
      "1 validation error detected: Value 'bad_name' at 'endpointName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}",
    );
  });

  it('GIVEN nested violations WHEN CreateEndpointConfig THEN every issue is reported with its AWS path', async () => {
    const err = await errorOf(
      aws.sm.send(
        new CreateEndpointConfigCommand({
          EndpointConfigName: 'cfg',
          ProductionVariants: [{ VariantName: undefined as unknown as string, ModelName: 'm', InitialVariantWeight: -1, InstanceType: 'ml.m5.large', InitialInstanceCount: 1 }],
        }),
      ),
    );
    expect(err.name).toBe('ValidationException');
    expect(err.message).toMatch(/^2 validation errors detected: /);
    expect(err.message).toContain("Value null at 'productionVariants.1.member.variantName' failed to satisfy constraint: Member must not be null");
    expect(err.message).toContain("Value -1.0 at 'productionVariants.1.member.initialVariantWeight' failed to satisfy constraint: Member must have value greater than or equal to 0.0");
  });
});

describe('models and endpoint configs', () => {
  it('GIVEN a created model WHEN described, duplicated and deleted THEN AWS responses and errors follow', async () => {
    await createModel(aws.sm, 'm1');
    const d = await aws.sm.send(new DescribeModelCommand({ ModelName: 'm1' }));
    expect(d).toMatchObject({ ModelName: 'm1', ModelArn: 'arn:aws:sagemaker:us-east-1:111122223333:model/m1', PrimaryContainer: { Image: IMAGE } });
    expect(d.CreationTime).toBeInstanceOf(Date);

    const dup = await errorOf(createModel(aws.sm, 'M1'));
    expect(dup.name).toBe('ValidationException');
    expect(dup.message).toBe('Cannot create already existing model "arn:aws:sagemaker:us-east-1:111122223333:model/m1".');

    await aws.sm.send(new DeleteModelCommand({ ModelName: 'm1' }));
    const gone = await errorOf(aws.sm.send(new DescribeModelCommand({ ModelName: 'm1' })));
    expect(gone.name).toBe('ValidationException');
    expect(gone.message).toBe('Could not find model "arn:aws:sagemaker:us-east-1:111122223333:model/m1".');
  });

  it('GIVEN a config naming a missing model WHEN created THEN ValidationException; WHEN created right THEN weight defaults to 1', async () => {
    const err = await errorOf(createConfig(aws.sm, 'c1', [{ name: 'v', model: 'ghost' }]));
    expect(err.message).toBe('Could not find model "arn:aws:sagemaker:us-east-1:111122223333:model/ghost".');

    await createModel(aws.sm, 'm1');
    await createConfig(aws.sm, 'c1', [{ name: 'v', model: 'm1' }]);
    const d = await aws.sm.send(new DescribeEndpointConfigCommand({ EndpointConfigName: 'c1' }));
    expect(d.ProductionVariants?.[0]).toMatchObject({ VariantName: 'v', ModelName: 'm1', InitialVariantWeight: 1, InstanceType: 'ml.m5.large' });
  });

  it('GIVEN a container referencing a model package ARN WHEN the package does not exist THEN CreateModel fails', async () => {
    const err = await errorOf(
      aws.sm.send(
        new CreateModelCommand({
          ModelName: 'from-pkg',
          ExecutionRoleArn: ROLE,
          PrimaryContainer: { ModelPackageName: 'arn:aws:sagemaker:us-east-1:111122223333:model-package/grp/7' },
        }),
      ),
    );
    expect(err.name).toBe('ValidationException');
    expect(err.message).toContain('model-package/grp/7');
  });
});

describe('endpoint lifecycle', () => {
  it('GIVEN a new endpoint WHEN created THEN Creating without variants, then InService with full variant summary', async () => {
    await slowProvisioning();
    await createModel(aws.sm, 'm1');
    await createConfig(aws.sm, 'c1', [{ name: 'blue', model: 'm1' }]);
    await aws.sm.send(new CreateEndpointCommand({ EndpointName: 'ep', EndpointConfigName: 'c1' }));
    const creating = await aws.sm.send(new DescribeEndpointCommand({ EndpointName: 'ep' }));
    expect(creating.EndpointStatus).toBe('Creating');
    expect(creating.ProductionVariants).toBeUndefined();

    const live = await waitForStatus(aws.sm, 'ep', 'InService');
    expect(live.EndpointConfigName).toBe('c1');
    expect(live.FailureReason).toBeUndefined();
    expect(live.ProductionVariants).toEqual([
      expect.objectContaining({
        VariantName: 'blue',
        CurrentWeight: 1,
        DesiredWeight: 1,
        CurrentInstanceCount: 1,
        DesiredInstanceCount: 1,
        DeployedImages: [expect.objectContaining({ SpecifiedImage: IMAGE })],
      }),
    ]);
  });

  it('GIVEN no endpoint WHEN DescribeEndpoint THEN ValidationException with the real message shape', async () => {
    const err = await errorOf(aws.sm.send(new DescribeEndpointCommand({ EndpointName: 'missing' })));
    expect(err.name).toBe('ValidationException');
    expect(err.message).toBe('Could not find endpoint "arn:aws:sagemaker:us-east-1:111122223333:endpoint/missing".');
    expect((err.$metadata as { httpStatusCode: number }).httpStatusCode).toBe(400);
  });

  it('GIVEN a failFleet fault WHEN the endpoint is created THEN it ends Failed with the reason', async () => {
    aws.emu.faults.failFleet({ modelName: 'm1', reason: 'image pull failed' });
    await createModel(aws.sm, 'm1');
    await createConfig(aws.sm, 'c1', [{ name: 'blue', model: 'm1' }]);
    await aws.sm.send(new CreateEndpointCommand({ EndpointName: 'ep', EndpointConfigName: 'c1' }));
    const d = await waitForStatus(aws.sm, 'ep', 'Failed');
    expect(d.FailureReason).toBe('image pull failed');
    expect(d.ProductionVariants).toBeUndefined();
  });

  it('GIVEN an InService endpoint WHEN UpdateEndpoint THEN Updating keeps serving the old config until the new one is InService', async () => {
    await slowProvisioning();
    await blueEndpoint(aws.sm);
    await createModel(aws.sm, 'green-model');
    await createConfig(aws.sm, 'bg-config', [
      { name: 'blue', model: 'blue-model', weight: 1 },
      { name: 'green', model: 'green-model', weight: 0 },
    ]);
    await aws.sm.send(new UpdateEndpointCommand({ EndpointName: 'ep', EndpointConfigName: 'bg-config' }));
    const updating = await aws.sm.send(new DescribeEndpointCommand({ EndpointName: 'ep' }));
    expect(updating.EndpointStatus).toBe('Updating');
    expect(updating.EndpointConfigName).toBe('blue-config');
    expect(updating.PendingDeploymentSummary?.EndpointConfigName).toBe('bg-config');

    const second = await errorOf(aws.sm.send(new UpdateEndpointCommand({ EndpointName: 'ep', EndpointConfigName: 'bg-config' })));
    expect(second.name).toBe('ValidationException');

    const done = await waitForStatus(aws.sm, 'ep', 'InService');
    expect(done.EndpointConfigName).toBe('bg-config');
    expect(done.ProductionVariants?.map((v) => [v.VariantName, v.CurrentWeight])).toEqual([
      ['blue', 1],
      ['green', 0],
    ]);
  });

  it('GIVEN a failFleet fault on the green model WHEN UpdateEndpoint THEN back InService on the OLD config with FailureReason', async () => {
    await blueEndpoint(aws.sm);
    await createModel(aws.sm, 'green-model');
    await createConfig(aws.sm, 'green-config', [{ name: 'green', model: 'green-model' }]);
    aws.emu.faults.failFleet({ modelNamePrefix: 'green' });
    await aws.sm.send(new UpdateEndpointCommand({ EndpointName: 'ep', EndpointConfigName: 'green-config' }));
    const d = await waitForStatus(aws.sm, 'ep', 'InService');
    expect(d.EndpointConfigName).toBe('blue-config');
    expect(d.FailureReason).toMatch(/production variant green did not pass the ping health check/);
    expect(d.ProductionVariants?.map((v) => v.VariantName)).toEqual(['blue']);
  });

  it('GIVEN a silentRollback fault WHEN UpdateEndpoint THEN InService on the OLD config with NO FailureReason', async () => {
    await blueEndpoint(aws.sm);
    await createModel(aws.sm, 'green-model');
    await createConfig(aws.sm, 'green-config', [{ name: 'green', model: 'green-model' }]);
    aws.emu.faults.silentRollback({ endpointName: 'ep' });
    await aws.sm.send(new UpdateEndpointCommand({ EndpointName: 'ep', EndpointConfigName: 'green-config' }));
    const d = await waitForStatus(aws.sm, 'ep', 'InService');
    expect(d.EndpointConfigName).toBe('blue-config');
    expect(d.FailureReason).toBeUndefined();
  });

  it('GIVEN a slowFleet fault with a huge time WHEN the endpoint is created THEN it stays Creating', async () => {
    aws.emu.faults.slowFleet({ modelName: 'm1', provisioningMs: 1e12 });
    await createModel(aws.sm, 'm1');
    await createConfig(aws.sm, 'c1', [{ name: 'blue', model: 'm1' }]);
    await aws.sm.send(new CreateEndpointCommand({ EndpointName: 'ep', EndpointConfigName: 'c1' }));
    await new Promise((r) => setTimeout(r, 150)); // several provisioningMs
    expect(aws.emu.inspect().endpoints.ep?.EndpointStatus).toBe('Creating');
  });

  it('GIVEN blue+green WHEN UpdateEndpointWeightsAndCapacities THEN Desired at once, Current after provisioning', async () => {
    await slowProvisioning();
    await createModel(aws.sm, 'a');
    await createModel(aws.sm, 'b');
    await createConfig(aws.sm, 'c', [
      { name: 'blue', model: 'a', weight: 1 },
      { name: 'green', model: 'b', weight: 0 },
    ]);
    await aws.sm.send(new CreateEndpointCommand({ EndpointName: 'ep', EndpointConfigName: 'c' }));
    await waitForStatus(aws.sm, 'ep', 'InService');
    await aws.sm.send(
      new UpdateEndpointWeightsAndCapacitiesCommand({
        EndpointName: 'ep',
        DesiredWeightsAndCapacities: [
          { VariantName: 'blue', DesiredWeight: 0 },
          { VariantName: 'green', DesiredWeight: 1 },
        ],
      }),
    );
    const mid = await aws.sm.send(new DescribeEndpointCommand({ EndpointName: 'ep' }));
    expect(mid.EndpointStatus).toBe('Updating');
    expect(mid.ProductionVariants?.find((v) => v.VariantName === 'green')).toMatchObject({ CurrentWeight: 0, DesiredWeight: 1 });
    const done = await waitForStatus(aws.sm, 'ep', 'InService');
    expect(done.ProductionVariants?.find((v) => v.VariantName === 'green')).toMatchObject({ CurrentWeight: 1, DesiredWeight: 1 });

    const bad = await errorOf(
      aws.sm.send(new UpdateEndpointWeightsAndCapacitiesCommand({ EndpointName: 'ep', DesiredWeightsAndCapacities: [{ VariantName: 'nope', DesiredWeight: 1 }] })),
    );
    expect(bad.name).toBe('ValidationException');
    expect(bad.message).toContain('nope');
  });

  it('GIVEN UpdateEndpoint with RetainAllVariantProperties WHEN done THEN existing variant weights are kept', async () => {
    await blueEndpoint(aws.sm);
    await aws.sm.send(
      new UpdateEndpointWeightsAndCapacitiesCommand({ EndpointName: 'ep', DesiredWeightsAndCapacities: [{ VariantName: 'blue', DesiredWeight: 3 }] }),
    );
    await waitForStatus(aws.sm, 'ep', 'InService');
    await createConfig(aws.sm, 'next', [{ name: 'blue', model: 'blue-model', weight: 1 }]);
    await aws.sm.send(new UpdateEndpointCommand({ EndpointName: 'ep', EndpointConfigName: 'next', RetainAllVariantProperties: true }));
    const d = await waitForStatus(aws.sm, 'ep', 'InService');
    expect(d.EndpointConfigName).toBe('next');
    expect(d.ProductionVariants?.[0]?.CurrentWeight).toBe(3);
  });

  it('GIVEN a config in use WHEN DeleteEndpointConfig THEN deleted, not refused (API_DeleteEndpointConfig only says "You must not delete an EndpointConfig in use by an endpoint that is live"), recorded as a hazard; the endpoint serves until DeleteEndpoint', async () => {
    await blueEndpoint(aws.sm);
    await aws.sm.send(new DeleteEndpointConfigCommand({ EndpointConfigName: 'blue-config' }));
    expect(aws.emu.inspect().endpointConfigs['blue-config']).toBeUndefined();
    expect(aws.emu.hazards()).toEqual([expect.objectContaining({ operation: 'DeleteEndpointConfig', resourceName: 'blue-config', endpointName: 'ep', usage: ['current config'] })]);
    const invoked = await aws.rt.send(new InvokeEndpointCommand({ EndpointName: 'ep', Body: Buffer.from('{}'), ContentType: 'application/json' }));
    expect(invoked.$metadata.httpStatusCode).toBe(200);

    await aws.sm.send(new DeleteEndpointCommand({ EndpointName: 'ep' }));
    expect((await aws.sm.send(new DescribeEndpointCommand({ EndpointName: 'ep' }))).EndpointStatus).toBe('Deleting');
    await waitFor(() => aws.emu.inspect().endpoints.ep === undefined, 3000, 'endpoint deletion');
    expect((await errorOf(aws.sm.send(new DescribeEndpointCommand({ EndpointName: 'ep' })))).name).toBe('ValidationException');
  });

  it('GIVEN several endpoints WHEN ListEndpoints with filters and MaxResults THEN filtered pages with NextToken', async () => {
    // They must still be Creating when listed, however loaded the machine is.
    aws.emu.faults.slowFleet({ modelName: 'm', provisioningMs: 60_000 });
    await createModel(aws.sm, 'm');
    await createConfig(aws.sm, 'c', [{ name: 'v', model: 'm' }]);
    for (const n of ['prod-a', 'prod-b', 'prod-c', 'dev-a']) {
      await aws.sm.send(new CreateEndpointCommand({ EndpointName: n, EndpointConfigName: 'c' }));
    }
    const first = await aws.sm.send(new ListEndpointsCommand({ NameContains: 'prod', MaxResults: 2, SortBy: 'Name', SortOrder: 'Ascending' }));
    expect(first.Endpoints?.map((e) => e.EndpointName)).toEqual(['prod-a', 'prod-b']);
    expect(first.NextToken).toBeDefined();
    const second = await aws.sm.send(
      new ListEndpointsCommand({ NameContains: 'prod', MaxResults: 2, SortBy: 'Name', SortOrder: 'Ascending', NextToken: first.NextToken }),
    );
    expect(second.Endpoints?.map((e) => e.EndpointName)).toEqual(['prod-c']);
    expect(second.NextToken).toBeUndefined();
    const creating = await aws.sm.send(new ListEndpointsCommand({ StatusEquals: 'Creating' }));
    expect(creating.Endpoints).toHaveLength(4);
  });
});

describe('model registry', () => {
  it('GIVEN a group WHEN packages are created and approved THEN versions, filters and EventBridge events follow the docs', async () => {
    const events: BridgeEvent[] = [];
    aws.emu.events.on('event', (e: BridgeEvent) => events.push(e));
    await aws.sm.send(new CreateModelPackageGroupCommand({ ModelPackageGroupName: 'grp', ModelPackageGroupDescription: 'models' }));
    expect((await aws.sm.send(new DescribeModelPackageGroupCommand({ ModelPackageGroupName: 'grp' }))).ModelPackageGroupStatus).toBe('Completed');
    const spec = { Containers: [{ Image: IMAGE, ModelDataUrl: 's3://bucket/model.tar.gz' }], SupportedContentTypes: ['application/json'], SupportedResponseMIMETypes: ['application/json'] };
    const v1 = await aws.sm.send(new CreateModelPackageCommand({ ModelPackageGroupName: 'grp', InferenceSpecification: spec }));
    const v2 = await aws.sm.send(new CreateModelPackageCommand({ ModelPackageGroupName: 'grp', InferenceSpecification: spec, ModelApprovalStatus: 'Approved' }));
    expect(v1.ModelPackageArn).toBe('arn:aws:sagemaker:us-east-1:111122223333:model-package/grp/1');
    expect(v2.ModelPackageArn).toBe('arn:aws:sagemaker:us-east-1:111122223333:model-package/grp/2');

    const d1 = await aws.sm.send(new DescribeModelPackageCommand({ ModelPackageName: v1.ModelPackageArn }));
    expect(d1).toMatchObject({ ModelPackageGroupName: 'grp', ModelPackageVersion: 1, ModelApprovalStatus: 'PendingManualApproval', InferenceSpecification: spec });

    await aws.sm.send(new UpdateModelPackageCommand({ ModelPackageArn: v1.ModelPackageArn, ModelApprovalStatus: 'Approved', ApprovalDescription: 'ok' }));
    const approved = await aws.sm.send(new ListModelPackagesCommand({ ModelPackageGroupName: 'grp', ModelApprovalStatus: 'Approved', SortOrder: 'Descending' }));
    expect(approved.ModelPackageSummaryList?.map((p) => p.ModelPackageVersion)).toEqual([2, 1]);

    expect(events.map((e) => [e['detail-type'], e.detail.ModelPackageVersion, e.detail.ModelApprovalStatus])).toEqual([
      ['SageMaker Model Package State Change', 1, 'PendingManualApproval'],
      ['SageMaker Model Package State Change', 2, 'Approved'],
      ['SageMaker Model Package State Change', 1, 'Approved'],
    ]);
    const last = events[2] as BridgeEvent;
    expect(last).toMatchObject({ version: '0', source: 'aws.sagemaker', account: '111122223333', region: 'us-east-1', resources: [v1.ModelPackageArn] });
    expect(Object.keys(last.detail)).toEqual(
      expect.arrayContaining(['ModelPackageGroupName', 'ModelPackageVersion', 'ModelPackageArn', 'CreationTime', 'InferenceSpecification', 'ModelPackageStatus', 'ModelApprovalStatus', 'LastModifiedTime']),
    );
  });

  it('GIVEN a model from an approved package WHEN deployed and invoked THEN the response names the package version', async () => {
    await aws.sm.send(new CreateModelPackageGroupCommand({ ModelPackageGroupName: 'grp' }));
    const { ModelPackageArn } = await aws.sm.send(
      new CreateModelPackageCommand({ ModelPackageGroupName: 'grp', ModelApprovalStatus: 'Approved', InferenceSpecification: { Containers: [{ Image: IMAGE }], SupportedContentTypes: [], SupportedResponseMIMETypes: [] } }),
    );
    await aws.sm.send(new CreateModelCommand({ ModelName: 'pkg-model', ExecutionRoleArn: ROLE, PrimaryContainer: { ModelPackageName: ModelPackageArn } }));
    await createConfig(aws.sm, 'c', [{ name: 'v', model: 'pkg-model' }]);
    await aws.sm.send(new CreateEndpointCommand({ EndpointName: 'ep', EndpointConfigName: 'c' }));
    const d = await waitForStatus(aws.sm, 'ep', 'InService');
    expect(d.ProductionVariants?.[0]?.DeployedImages?.[0]?.SpecifiedImage).toBe(IMAGE);
    const out = await aws.rt.send(new InvokeEndpointCommand({ EndpointName: 'ep', Body: Buffer.from('{"x":1}'), ContentType: 'application/json' }));
    expect(JSON.parse(Buffer.from(out.Body).toString('utf8'))).toEqual({ model: 'pkg-model', modelPackageVersion: 1, variant: 'v', input: { x: 1 } });
  });
});

describe('tags', () => {
  it('GIVEN an endpoint WHEN tags are added, listed and deleted THEN ListTags reflects each step', async () => {
    await blueEndpoint(aws.sm);
    const arn = 'arn:aws:sagemaker:us-east-1:111122223333:endpoint/ep';
    await aws.sm.send(new AddTagsCommand({ ResourceArn: arn, Tags: [{ Key: 'team', Value: 'ml' }, { Key: 'env', Value: 'dev' }] }));
    await aws.sm.send(new DeleteTagsCommand({ ResourceArn: arn, TagKeys: ['env'] }));
    expect((await aws.sm.send(new ListTagsCommand({ ResourceArn: arn }))).Tags).toEqual([{ Key: 'team', Value: 'ml' }]);
  });
});
