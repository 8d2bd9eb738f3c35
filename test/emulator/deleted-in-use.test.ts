/**
 * Deleting an endpoint config or a model that an endpoint uses. SageMaker does not refuse it:
 * API_DeleteEndpointConfig only says "You must not delete an EndpointConfig in use by an endpoint
 * that is live or while the UpdateEndpoint or CreateEndpoint operations are being performed on the
 * endpoint. If you delete the EndpointConfig of an endpoint that is active or being created or
 * updated you may lose visibility into the instance type the endpoint is using."
 * (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DeleteEndpointConfig.html), and
 * API_DeleteModel has no in-use check at all. So the emulator deletes, records a hazard
 * (`emulator.hazards()`, `GET /_emulator/hazards`), keeps the endpoint serving from its fleet, and
 * fails whatever would have to launch instances from what is gone (see Endpoints.cannotLaunch).
 */
import { RegisterScalableTargetCommand } from '@aws-sdk/client-application-auto-scaling';
import { PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  DeleteEndpointCommand,
  DeleteEndpointConfigCommand,
  DeleteModelCommand,
  DescribeEndpointConfigCommand,
  UpdateEndpointCommand,
  UpdateEndpointWeightsAndCapacitiesCommand,
} from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import type { Hazard } from '../../local/emulator';
import { createModel, errorOf, startTestAws, type TestAws, waitFor, waitForStatus } from './helpers';

let aws: TestAws;
beforeEach(async () => {
  aws = await startTestAws({ provisioningMs: 60, trafficShiftMs: 10, timeScale: 60 });
});
afterEach(async () => {
  await aws.close();
});

const ARN = 'arn:aws:sagemaker:us-east-1:111122223333';
const configNotFound = (name: string) => `Could not find endpoint configuration "${ARN}:endpoint-config/${name}".`;
const modelNotFound = (name: string) => `Could not find model "${ARN}:model/${name}".`;

async function config(name: string, model: string, count = 2): Promise<void> {
  await aws.sm.send(
    new CreateEndpointConfigCommand({
      EndpointConfigName: name,
      ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: model, InstanceType: 'ml.m5.large', InitialInstanceCount: count }],
    }),
  );
}

/** blue (serving) and green (not deployed) models and configs; the endpoint `ep` InService on blue. */
async function blue(count = 2): Promise<void> {
  await createModel(aws.sm, 'blue-model');
  await createModel(aws.sm, 'green-model');
  await config('blue-config', 'blue-model', count);
  await config('green-config', 'green-model', count);
  await aws.sm.send(new CreateEndpointCommand({ EndpointName: 'ep', EndpointConfigName: 'blue-config' }));
  await waitForStatus(aws.sm, 'ep', 'InService');
}

async function servedBy(): Promise<string> {
  const out = await aws.rt.send(new InvokeEndpointCommand({ EndpointName: 'ep', Body: Buffer.from('{}'), ContentType: 'application/json' }));
  return (JSON.parse(Buffer.from(out.Body as Uint8Array).toString('utf8')) as { model: string }).model;
}

const deleteConfig = (name: string) => aws.sm.send(new DeleteEndpointConfigCommand({ EndpointConfigName: name }));
const deleteModel = (name: string) => aws.sm.send(new DeleteModelCommand({ ModelName: name }));

function hazard(h: Partial<Hazard>): Hazard {
  return { endpointName: 'ep', endpointStatus: 'InService', at: expect.any(Number) as unknown as number, ...h } as Hazard;
}

describe('API_DeleteEndpointConfig / API_DeleteModel of what a live endpoint uses: deleted, recorded as a hazard', () => {
  it('GIVEN an InService endpoint WHEN its config and model are deleted THEN both calls succeed, the endpoint keeps serving and still names the config, and each deletion is a hazard (also GET /_emulator/hazards)', async () => {
    await blue();
    await deleteConfig('blue-config');
    await deleteModel('blue-model');

    expect(await servedBy()).toBe('blue-model');
    const d = await waitForStatus(aws.sm, 'ep', 'InService');
    expect(d).toMatchObject({ EndpointConfigName: 'blue-config', ProductionVariants: [expect.objectContaining({ VariantName: 'AllTraffic', CurrentInstanceCount: 2 })] });
    const described = await errorOf(aws.sm.send(new DescribeEndpointConfigCommand({ EndpointConfigName: 'blue-config' })));
    expect(described).toMatchObject({ name: 'ValidationException', message: configNotFound('blue-config') });

    const expected = [
      hazard({ operation: 'DeleteEndpointConfig', resourceType: 'EndpointConfig', resourceName: 'blue-config', resourceArn: `${ARN}:endpoint-config/blue-config`, usage: ['current config'] }),
      hazard({ operation: 'DeleteModel', resourceType: 'Model', resourceName: 'blue-model', resourceArn: `${ARN}:model/blue-model`, usage: ['model of variant AllTraffic on the current fleet'] }),
    ];
    expect(aws.emu.hazards()).toEqual(expected);
    const served = (await (await fetch(`${aws.emu.url}/_emulator/hazards`)).json()) as { hazards: Hazard[] };
    expect(served).toEqual({ hazards: expected });
  });

  it('GIVEN configs and models no endpoint uses (never deployed, or their endpoint deleted) WHEN deleted THEN no hazard', async () => {
    await blue();
    await deleteConfig('green-config');
    await deleteModel('green-model');
    await aws.sm.send(new DeleteEndpointCommand({ EndpointName: 'ep' }));
    await waitFor(() => aws.emu.inspect().endpoints.ep === undefined, 3000, 'endpoint deletion');
    await deleteConfig('blue-config');
    await deleteModel('blue-model');
    expect(aws.emu.inspect()).toMatchObject({ endpointConfigs: {}, models: {} });
    expect(aws.emu.hazards()).toEqual([]);
  });

  it('GIVEN blue’s config deleted once green serves WHEN UpdateEndpoint back to it THEN ValidationException "Could not find endpoint configuration" and green keeps serving', async () => {
    await blue();
    await aws.sm.send(new UpdateEndpointCommand({ EndpointName: 'ep', EndpointConfigName: 'green-config' }));
    await waitFor(async () => (await waitForStatus(aws.sm, 'ep', 'InService')).EndpointConfigName === 'green-config', 3000, 'green to serve');
    await deleteConfig('blue-config');

    const err = await errorOf(aws.sm.send(new UpdateEndpointCommand({ EndpointName: 'ep', EndpointConfigName: 'blue-config' })));
    expect(err).toMatchObject({ name: 'ValidationException', message: configNotFound('blue-config') });
    expect(await waitForStatus(aws.sm, 'ep', 'InService')).toMatchObject({ EndpointConfigName: 'green-config' });
    expect(await servedBy()).toBe('green-model');
    expect(aws.emu.hazards()).toEqual([]);
  });
});

describe('instances launched from a deleted config or model do not come up (undocumented: see Endpoints.cannotLaunch)', () => {
  it('GIVEN an UpdateEndpoint provisioning green WHEN green’s config is deleted meanwhile THEN a hazard, and the update fails back onto blue with FailureReason naming the config', async () => {
    await blue();
    aws.emu.faults.slowFleet({ modelName: 'green-model', provisioningMs: 800 });
    await aws.sm.send(new UpdateEndpointCommand({ EndpointName: 'ep', EndpointConfigName: 'green-config' }));
    await deleteConfig('green-config');

    expect(aws.emu.hazards()).toEqual([
      hazard({
        operation: 'DeleteEndpointConfig',
        resourceType: 'EndpointConfig',
        resourceName: 'green-config',
        resourceArn: `${ARN}:endpoint-config/green-config`,
        endpointStatus: 'Updating',
        usage: ['config of the UpdateEndpoint in progress'],
      }),
    ]);
    const d = await waitFor(async () => {
      const e = await waitForStatus(aws.sm, 'ep', 'InService');
      return e.FailureReason !== undefined && e;
    }, 3000, 'the update to fail');
    expect(d).toMatchObject({ EndpointConfigName: 'blue-config', FailureReason: configNotFound('green-config') });
    expect(await servedBy()).toBe('blue-model');
    expect(aws.emu.meter().endpoints.ep?.fleets.map((f) => f.status)).toEqual(['InService', 'Failed']);
  });

  it('GIVEN a CreateEndpoint provisioning WHEN its model is deleted meanwhile THEN a hazard, and the endpoint ends Failed with FailureReason naming the model', async () => {
    await createModel(aws.sm, 'm');
    await config('c', 'm');
    aws.emu.faults.slowFleet({ modelName: 'm', provisioningMs: 800 });
    await aws.sm.send(new CreateEndpointCommand({ EndpointName: 'ep', EndpointConfigName: 'c' }));
    await deleteModel('m');

    expect(aws.emu.hazards()).toEqual([
      hazard({ operation: 'DeleteModel', resourceType: 'Model', resourceName: 'm', resourceArn: `${ARN}:model/m`, endpointStatus: 'Creating', usage: ['model of variant AllTraffic on the fleet being deployed'] }),
    ]);
    expect(await waitForStatus(aws.sm, 'ep', 'Failed')).toMatchObject({ EndpointConfigName: 'c', FailureReason: modelNotFound('m') });
  });

  it('GIVEN blue’s config deleted WHEN UpdateEndpointWeightsAndCapacities adds instances THEN they never come up: InService with the old count and FailureReason; a weights-only change and an UpdateEndpoint to an existing config still work', async () => {
    await blue();
    await deleteConfig('blue-config');
    await aws.sm.send(new UpdateEndpointWeightsAndCapacitiesCommand({ EndpointName: 'ep', DesiredWeightsAndCapacities: [{ VariantName: 'AllTraffic', DesiredInstanceCount: 4 }] }));
    const failed = await waitFor(async () => {
      const e = await waitForStatus(aws.sm, 'ep', 'InService');
      return e.FailureReason !== undefined && e;
    }, 3000, 'the scale-out to fail');
    expect(failed.FailureReason).toBe(configNotFound('blue-config'));
    expect(failed.ProductionVariants?.[0]).toMatchObject({ CurrentInstanceCount: 2, DesiredInstanceCount: 2 });
    expect(aws.emu.meter().endpoints.ep?.fleets[0]?.variants[0]?.instances).toBe(2);

    await aws.sm.send(new UpdateEndpointWeightsAndCapacitiesCommand({ EndpointName: 'ep', DesiredWeightsAndCapacities: [{ VariantName: 'AllTraffic', DesiredWeight: 2 }] }));
    const weighted = await waitFor(async () => {
      const e = await waitForStatus(aws.sm, 'ep', 'InService');
      return e.ProductionVariants?.[0]?.CurrentWeight === 2 && e;
    }, 3000, 'the weight change');
    expect(weighted.FailureReason).toBeUndefined();

    await aws.sm.send(new UpdateEndpointCommand({ EndpointName: 'ep', EndpointConfigName: 'green-config' }));
    await waitFor(async () => (await waitForStatus(aws.sm, 'ep', 'InService')).EndpointConfigName === 'green-config', 3000, 'green to serve');
    expect(await servedBy()).toBe('green-model');
  });

  it('GIVEN blue’s model deleted WHEN Application Auto Scaling raises the instance count (RegisterScalableTarget above the current count) THEN the added instances never come up and FailureReason names the model', async () => {
    await blue();
    await deleteModel('blue-model');
    await aws.aas.send(
      new RegisterScalableTargetCommand({
        ServiceNamespace: 'sagemaker',
        ResourceId: 'endpoint/ep/variant/AllTraffic',
        ScalableDimension: 'sagemaker:variant:DesiredInstanceCount',
        MinCapacity: 3,
        MaxCapacity: 4,
      }),
    );
    const failed = await waitFor(async () => {
      const e = await waitForStatus(aws.sm, 'ep', 'InService');
      return e.FailureReason !== undefined && e;
    }, 3000, 'the scale-out to fail');
    expect(failed).toMatchObject({ FailureReason: modelNotFound('blue-model'), ProductionVariants: [expect.objectContaining({ CurrentInstanceCount: 2, DesiredInstanceCount: 2 })] });
    expect(await servedBy()).toBe('blue-model');
  });

  it('GIVEN a rolling update whose old config is deleted mid-way WHEN an alarm rolls it back THEN the old instances cannot be re-provisioned: UpdateRollbackFailed, both fleets still serving', async () => {
    await blue(4);
    await aws.cw.send(
      new PutMetricAlarmCommand({
        AlarmName: 'green-5xx',
        Namespace: 'AWS/SageMaker',
        MetricName: 'Invocation5XXErrors',
        Dimensions: [{ Name: 'EndpointName', Value: 'ep' }],
        Statistic: 'Sum',
        Period: 60,
        EvaluationPeriods: 1,
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
      }),
    );
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
    await waitFor(() => aws.emu.meter().endpoints.ep?.fleets[1]?.trafficShare === 0.5, 3000, 'the first batch');
    await deleteConfig('blue-config');
    aws.emu.faults.setAlarmState({ alarmName: 'green-5xx', state: 'ALARM', reason: 'test' });

    const d = await waitForStatus(aws.sm, 'ep', 'UpdateRollbackFailed');
    expect(d.EndpointConfigName).toBe('blue-config');
    expect(d.FailureReason).toBe(`Deployment was rolled back because alarm green-5xx went into ALARM state. The rollback failed: ${configNotFound('blue-config')}`);
    expect(aws.emu.meter().endpoints.ep?.fleets.map((f) => [f.endpointConfigName, f.variants[0]?.instances, f.trafficShare])).toEqual([
      ['blue-config', 2, 0.5],
      ['green-config', 2, 0.5],
    ]);
    expect(aws.emu.hazards()).toEqual([expect.objectContaining({ resourceName: 'blue-config', endpointStatus: 'Updating', usage: ['current config'] })]);
  });
});
