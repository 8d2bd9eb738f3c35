/**
 * Application Auto Scaling in the local emulator, through the real SDK v3 client.
 * Each test names the API reference page it follows
 * (https://docs.aws.amazon.com/autoscaling/application/APIReference/API_<Operation>.html).
 *
 * The first part runs the service behind the emulator's HTTP front end with a fake SageMaker
 * (the ScalableEndpoints port), so behaviour is checked independently of the SageMaker emulator;
 * target tracking is driven tick by tick through evaluate(now). The second part runs the whole
 * emulator: real endpoints, real invocations, the evaluation timer.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as aas from '@aws-sdk/client-application-auto-scaling';
import { AutoScalingService } from '../../local/emulator/autoscaling';
import { Faults } from '../../local/emulator/faults';
import { MetricsStore } from '../../local/emulator/metrics';
import type { ScalableEndpoints, ScalableVariant } from '../../local/emulator/ports';
import { createEmulatorServer } from '../../local/emulator/server';
import { Timers } from '../../local/emulator/timers';
import { DeleteEndpointCommand, DescribeEndpointCommand } from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import { blueEndpoint, errorOf, startTestAws, type TestAws, waitFor } from './helpers';

const NS = 'sagemaker';
const DIM = 'sagemaker:variant:DesiredInstanceCount';
const RID = 'endpoint/ep/variant/blue';
const target = (resourceId = RID): { ServiceNamespace: 'sagemaker'; ResourceId: string; ScalableDimension: 'sagemaker:variant:DesiredInstanceCount' } => ({
  ServiceNamespace: NS,
  ResourceId: resourceId,
  ScalableDimension: DIM,
});
const tracking = (targetValue: number, extra: Partial<aas.TargetTrackingScalingPolicyConfiguration> = {}): aas.TargetTrackingScalingPolicyConfiguration => ({
  TargetValue: targetValue,
  PredefinedMetricSpecification: { PredefinedMetricType: 'SageMakerVariantInvocationsPerInstance' },
  ...extra,
});

/** SageMaker as Application Auto Scaling sees it: variants by endpoint (case-insensitive) and name. */
class FakeEndpoints implements ScalableEndpoints {
  readonly variants = new Map<string, ScalableVariant>();
  readonly sets: Array<{ endpointName: string; variantName: string; count: number }> = [];

  add(v: Partial<ScalableVariant> & { endpointName: string; variantName: string }): ScalableVariant {
    const full: ScalableVariant = { endpointStatus: 'InService', instanceType: 'ml.m5.large', currentInstanceCount: 1, desiredInstanceCount: 1, serverless: false, ...v };
    this.variants.set(`${v.endpointName.toLowerCase()}/${v.variantName}`, full);
    return full;
  }
  variant(endpointName: string, variantName: string): ScalableVariant | undefined {
    const v = this.variants.get(`${endpointName.toLowerCase()}/${variantName}`);
    return v ? { ...v } : undefined;
  }
  setDesiredInstanceCount(endpointName: string, variantName: string, count: number): boolean {
    const v = this.variants.get(`${endpointName.toLowerCase()}/${variantName}`);
    if (!v || v.endpointStatus !== 'InService') return false;
    v.desiredInstanceCount = count;
    v.currentInstanceCount = count;
    this.sets.push({ endpointName, variantName, count });
    return true;
  }
}

interface Rig {
  client: aas.ApplicationAutoScalingClient;
  service: AutoScalingService;
  endpoints: FakeEndpoints;
  metrics: MetricsStore;
  faults: Faults;
  close(): Promise<void>;
}

/** The service behind the real HTTP front end, no timer (ticks are explicit), timeScale 60 (1 simulated minute = 1 real s). */
async function startRig(): Promise<Rig> {
  const endpoints = new FakeEndpoints();
  const metrics = new MetricsStore();
  const timers = new Timers();
  const faults = new Faults(() => undefined);
  const service = new AutoScalingService({ accountId: '111122223333', region: 'us-east-1', timeScale: 60, metrics, endpoints, timers, evaluationMs: 0 });
  const server: Server = createEmulatorServer({
    autoscaling: service,
    sagemaker: undefined as never,
    runtime: undefined as never,
    cloudwatch: undefined as never,
    faults,
    callLog: [],
    state: () => service.snapshot(),
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new aas.ApplicationAutoScalingClient({ endpoint: url, region: 'us-east-1', maxAttempts: 1 });
  return {
    client,
    service,
    endpoints,
    metrics,
    faults,
    async close() {
      client.destroy();
      timers.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

describe('Application Auto Scaling (fake SageMaker behind the real wire protocol)', () => {
  let rig: Rig;
  beforeEach(async () => {
    rig = await startRig();
    rig.endpoints.add({ endpointName: 'ep', variantName: 'blue' });
  });
  afterEach(async () => rig.close());

  const register = (min: number, max: number, resourceId = RID) =>
    rig.client.send(new aas.RegisterScalableTargetCommand({ ...target(resourceId), MinCapacity: min, MaxCapacity: max }));
  const describeTargets = async (input: Partial<aas.DescribeScalableTargetsRequest> = {}) =>
    rig.client.send(new aas.DescribeScalableTargetsCommand({ ServiceNamespace: NS, ...input }));
  const putPolicy = (name: string, cfg = tracking(10), resourceId = RID) =>
    rig.client.send(new aas.PutScalingPolicyCommand({ ...target(resourceId), PolicyName: name, PolicyType: 'TargetTrackingScaling', TargetTrackingScalingPolicyConfiguration: cfg }));

  describe('RegisterScalableTarget (API_RegisterScalableTarget.html) and DescribeScalableTargets (API_DescribeScalableTargets.html)', () => {
    it('registers a variant and describes it with the service-linked role, SuspendedState and an epoch CreationTime', async () => {
      // GIVEN an InService variant WHEN it is registered
      const out = await register(1, 4);
      // THEN the ARN is a scalable-target ARN and DescribeScalableTargets returns the target
      expect(out.ScalableTargetARN).toMatch(/^arn:aws:application-autoscaling:us-east-1:111122223333:scalable-target\/[0-9a-f]{36}$/);
      const { ScalableTargets } = await describeTargets();
      expect(ScalableTargets).toEqual([
        {
          ServiceNamespace: NS,
          ResourceId: RID,
          ScalableDimension: DIM,
          MinCapacity: 1,
          MaxCapacity: 4,
          RoleARN:
            'arn:aws:iam::111122223333:role/aws-service-role/sagemaker.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint',
          CreationTime: expect.any(Date),
          SuspendedState: { DynamicScalingInSuspended: false, DynamicScalingOutSuspended: false, ScheduledScalingSuspended: false },
          ScalableTargetARN: out.ScalableTargetARN,
        },
      ]);
      expect(Math.abs((ScalableTargets?.[0]?.CreationTime?.getTime() ?? 0) - Date.now())).toBeLessThan(5000);
    });

    it('updates an existing target: only the parameters given change, the ARN stays', async () => {
      const first = await register(1, 4);
      // WHEN registered again with only MaxCapacity (the reference: "Any parameters that you don't specify are not changed")
      const again = await rig.client.send(new aas.RegisterScalableTargetCommand({ ...target(), MaxCapacity: 6 }));
      const [t] = (await describeTargets()).ScalableTargets ?? [];
      expect(again.ScalableTargetARN).toBe(first.ScalableTargetARN);
      expect([t?.MinCapacity, t?.MaxCapacity]).toEqual([1, 6]);
      expect((await describeTargets()).ScalableTargets).toHaveLength(1);
    });

    it('treats endpoint names case-insensitively (one target for endpoint/EP and endpoint/ep)', async () => {
      await register(1, 4);
      await register(2, 4, 'endpoint/EP/variant/blue');
      const { ScalableTargets } = await describeTargets({ ResourceIds: ['endpoint/Ep/variant/blue'] });
      expect(ScalableTargets?.map((t) => [t.ResourceId, t.MinCapacity])).toEqual([[RID, 2]]);
    });

    it('requires MinCapacity and MaxCapacity for a new target ("required when registering a new scalable target")', async () => {
      const err = await errorOf(rig.client.send(new aas.RegisterScalableTargetCommand({ ...target(), MaxCapacity: 3 })));
      expect(err.name).toBe('ValidationException');
    });

    it('refuses MinCapacity greater than MaxCapacity, also when an update would cross them', async () => {
      expect((await errorOf(register(5, 2))).name).toBe('ValidationException');
      await register(1, 3);
      const err = await errorOf(rig.client.send(new aas.RegisterScalableTargetCommand({ ...target(), MinCapacity: 4 })));
      expect(err.name).toBe('ValidationException');
      expect(err.message).toMatch(/cannot be greater than maximum/);
    });

    it('validates the request against the API model (required members, enums) before anything else', async () => {
      const missing = await errorOf(rig.client.send(new aas.RegisterScalableTargetCommand({ ServiceNamespace: NS, ScalableDimension: DIM } as aas.RegisterScalableTargetRequest)));
      expect(missing.name).toBe('ValidationException');
      expect(missing.message).toMatch(/'resourceId' failed to satisfy constraint: Member must not be null/);
      const badEnum = await errorOf(rig.client.send(new aas.RegisterScalableTargetCommand({ ...target(), ServiceNamespace: 'nope' as aas.ServiceNamespace, MinCapacity: 1, MaxCapacity: 2 })));
      expect(badEnum.message).toMatch(/Member must satisfy enum value set/);
    });

    it('refuses a missing endpoint or variant with ValidationException', async () => {
      expect((await errorOf(register(1, 2, 'endpoint/ghost/variant/blue'))).name).toBe('ValidationException');
      expect((await errorOf(register(1, 2, 'endpoint/ep/variant/green'))).name).toBe('ValidationException');
    });

    it('refuses a serverless variant on DesiredInstanceCount (serverless scales DesiredProvisionedConcurrency)', async () => {
      rig.endpoints.add({ endpointName: 'sl', variantName: 'blue', serverless: true, currentInstanceCount: undefined, desiredInstanceCount: undefined });
      const err = await errorOf(register(1, 2, 'endpoint/sl/variant/blue'));
      expect(err.name).toBe('ValidationException');
      expect(err.message).toMatch(/serverless/);
    });

    it('refuses an inconsistent namespace/dimension/resource, and names what the local emulator does not support', async () => {
      const mismatch = await errorOf(rig.client.send(new aas.RegisterScalableTargetCommand({ ...target(), ScalableDimension: 'ecs:service:DesiredCount', MinCapacity: 1, MaxCapacity: 2 })));
      expect(mismatch.message).toBe('Unsupported service namespace, resource type or scalable dimension');
      const ecs = await errorOf(
        rig.client.send(new aas.RegisterScalableTargetCommand({ ServiceNamespace: 'ecs', ResourceId: 'service/default/web', ScalableDimension: 'ecs:service:DesiredCount', MinCapacity: 1, MaxCapacity: 2 })),
      );
      expect(ecs.name).toBe('ValidationException');
      expect(ecs.message).toMatch(/local emulator supports only ServiceNamespace sagemaker/);
    });

    it('scales the current capacity into the new range when the endpoint is InService ("changes the resource\'s current capacity to a value that is inside of this range")', async () => {
      rig.endpoints.add({ endpointName: 'ep', variantName: 'blue', currentInstanceCount: 1, desiredInstanceCount: 1 });
      await register(2, 4);
      expect(rig.endpoints.sets).toEqual([{ endpointName: 'ep', variantName: 'blue', count: 2 }]);
      await rig.client.send(new aas.RegisterScalableTargetCommand({ ...target(), MaxCapacity: 2 }));
      expect(rig.endpoints.sets).toHaveLength(1); // already inside: unchanged
    });

    it('leaves the capacity alone when the endpoint is not active ("does not change the resource\'s current capacity")', async () => {
      rig.endpoints.add({ endpointName: 'ep', variantName: 'blue', endpointStatus: 'Updating', currentInstanceCount: 1, desiredInstanceCount: 1 });
      await register(3, 4);
      expect(rig.endpoints.sets).toEqual([]);
    });

    it('filters by ResourceIds and ScalableDimension, and paginates with MaxResults/NextToken (1..50)', async () => {
      for (const name of ['a', 'b', 'c']) {
        rig.endpoints.add({ endpointName: name, variantName: 'v' });
        await register(1, 2, `endpoint/${name}/variant/v`);
      }
      const first = await describeTargets({ MaxResults: 2 });
      expect(first.ScalableTargets?.map((t) => t.ResourceId)).toEqual(['endpoint/a/variant/v', 'endpoint/b/variant/v']);
      const second = await describeTargets({ MaxResults: 2, NextToken: first.NextToken });
      expect(second.ScalableTargets?.map((t) => t.ResourceId)).toEqual(['endpoint/c/variant/v']);
      expect(second.NextToken).toBeUndefined();
      expect((await describeTargets({ ResourceIds: ['endpoint/b/variant/v'] })).ScalableTargets).toHaveLength(1);
      expect((await describeTargets({ ScalableDimension: 'sagemaker:variant:DesiredProvisionedConcurrency' })).ScalableTargets).toEqual([]);
      expect((await describeTargets({ ServiceNamespace: 'ecs' })).ScalableTargets).toEqual([]);
      expect((await errorOf(describeTargets({ NextToken: 'garbage' }))).name).toBe('InvalidNextTokenException');
      expect((await errorOf(describeTargets({ MaxResults: 51 }))).name).toBe('ValidationException');
    });
  });

  describe('DeregisterScalableTarget (API_DeregisterScalableTarget.html)', () => {
    it('answers ObjectNotFoundException for a target that is not registered', async () => {
      const err = await errorOf(rig.client.send(new aas.DeregisterScalableTargetCommand(target())));
      expect(err.name).toBe('ObjectNotFoundException');
    });

    it('deregisters the target and deletes its scaling policies ("deletes the scaling policies ... associated with it")', async () => {
      await register(1, 3);
      await putPolicy('p1');
      await rig.client.send(new aas.DeregisterScalableTargetCommand(target()));
      expect((await describeTargets()).ScalableTargets).toEqual([]);
      expect((await rig.client.send(new aas.DescribeScalingPoliciesCommand({ ServiceNamespace: NS }))).ScalingPolicies).toEqual([]);
      // Registering again does not bring the policy back.
      await register(1, 3);
      expect((await rig.client.send(new aas.DescribeScalingPoliciesCommand({ ServiceNamespace: NS }))).ScalingPolicies).toEqual([]);
    });
  });

  describe('PutScalingPolicy (API_PutScalingPolicy.html), DescribeScalingPolicies (API_DescribeScalingPolicies.html), DeleteScalingPolicy (API_DeleteScalingPolicy.html)', () => {
    it('requires a registered scalable target (ObjectNotFoundException)', async () => {
      const err = await errorOf(putPolicy('p1'));
      expect(err.name).toBe('ObjectNotFoundException');
    });

    it('creates a target-tracking policy: PolicyARN in the documented format, Alarms in the output, described back', async () => {
      await register(1, 3);
      const out = await putPolicy('p1', tracking(70, { ScaleInCooldown: 600 }));
      expect(out.PolicyARN).toMatch(/^arn:aws:autoscaling:us-east-1:111122223333:scalingPolicy:[0-9a-f-]{36}:resource\/sagemaker\/endpoint\/ep\/variant\/blue:policyName\/p1$/);
      expect(out.Alarms).toEqual([]);
      const { ScalingPolicies } = await rig.client.send(new aas.DescribeScalingPoliciesCommand({ ServiceNamespace: NS, ResourceId: RID, ScalableDimension: DIM }));
      expect(ScalingPolicies).toEqual([
        {
          PolicyARN: out.PolicyARN,
          PolicyName: 'p1',
          ServiceNamespace: NS,
          ResourceId: RID,
          ScalableDimension: DIM,
          PolicyType: 'TargetTrackingScaling',
          TargetTrackingScalingPolicyConfiguration: tracking(70, { ScaleInCooldown: 600 }),
          Alarms: [],
          CreationTime: expect.any(Date),
        },
      ]);
    });

    it('updates a policy of the same name in place (same ARN, PolicyType may be omitted on update)', async () => {
      await register(1, 3);
      const first = await putPolicy('p1', tracking(70));
      const again = await rig.client.send(
        new aas.PutScalingPolicyCommand({ ...target(), PolicyName: 'p1', TargetTrackingScalingPolicyConfiguration: tracking(35) }),
      );
      expect(again.PolicyARN).toBe(first.PolicyARN);
      const { ScalingPolicies } = await rig.client.send(new aas.DescribeScalingPoliciesCommand({ ServiceNamespace: NS }));
      expect(ScalingPolicies?.map((p) => p.TargetTrackingScalingPolicyConfiguration?.TargetValue)).toEqual([35]);
    });

    it('refuses a new policy without PolicyType, PredictiveScaling (ECS only), and metrics not emulated locally', async () => {
      await register(1, 3);
      const noType = await errorOf(rig.client.send(new aas.PutScalingPolicyCommand({ ...target(), PolicyName: 'p', TargetTrackingScalingPolicyConfiguration: tracking(5) })));
      expect(noType.name).toBe('ValidationException');
      const predictive = await errorOf(rig.client.send(new aas.PutScalingPolicyCommand({ ...target(), PolicyName: 'p', PolicyType: 'PredictiveScaling' })));
      expect(predictive.name).toBe('ValidationException');
      const custom = await errorOf(
        putPolicy('p', { TargetValue: 5, CustomizedMetricSpecification: { MetricName: 'CPUUtilization', Namespace: '/aws/sagemaker/Endpoints', Statistic: 'Average' } }),
      );
      expect(custom.message).toMatch(/not supported by the local emulator/);
      const wrongMetric = await errorOf(putPolicy('p', { TargetValue: 5, PredefinedMetricSpecification: { PredefinedMetricType: 'DynamoDBReadCapacityUtilization' } }));
      expect(wrongMetric.name).toBe('ValidationException');
      const zero = await errorOf(putPolicy('p', tracking(0)));
      expect(zero.name).toBe('ValidationException');
      const modelError = await errorOf(putPolicy('p', { PredefinedMetricSpecification: { PredefinedMetricType: 'SageMakerVariantInvocationsPerInstance' } } as aas.TargetTrackingScalingPolicyConfiguration));
      expect(modelError.message).toMatch(/targetValue' failed to satisfy constraint: Member must not be null/);
    });

    it('stores a StepScaling policy (inert locally: it acts only from an alarm action)', async () => {
      await register(1, 3);
      const step = { AdjustmentType: 'ChangeInCapacity' as const, StepAdjustments: [{ MetricIntervalLowerBound: 0, ScalingAdjustment: 1 }], Cooldown: 60 };
      await rig.client.send(new aas.PutScalingPolicyCommand({ ...target(), PolicyName: 'step', PolicyType: 'StepScaling', StepScalingPolicyConfiguration: step }));
      const { ScalingPolicies } = await rig.client.send(new aas.DescribeScalingPoliciesCommand({ ServiceNamespace: NS }));
      expect(ScalingPolicies?.[0]?.StepScalingPolicyConfiguration).toEqual(step);
    });

    it('filters DescribeScalingPolicies by PolicyNames and pages by 10 at most', async () => {
      await register(1, 3);
      for (let i = 0; i < 12; i++) await putPolicy(`p${i}`);
      const byName = await rig.client.send(new aas.DescribeScalingPoliciesCommand({ ServiceNamespace: NS, PolicyNames: ['p3', 'p11', 'none'] }));
      expect(byName.ScalingPolicies?.map((p) => p.PolicyName)).toEqual(['p3', 'p11']);
      const page1 = await rig.client.send(new aas.DescribeScalingPoliciesCommand({ ServiceNamespace: NS }));
      expect(page1.ScalingPolicies).toHaveLength(10);
      const page2 = await rig.client.send(new aas.DescribeScalingPoliciesCommand({ ServiceNamespace: NS, NextToken: page1.NextToken }));
      expect(page2.ScalingPolicies?.map((p) => p.PolicyName)).toEqual(['p10', 'p11']);
      expect((await errorOf(rig.client.send(new aas.DescribeScalingPoliciesCommand({ ServiceNamespace: NS, MaxResults: 11 })))).name).toBe('ValidationException');
    });

    it('deletes a policy, and answers ObjectNotFoundException for one that does not exist', async () => {
      await register(1, 3);
      await putPolicy('p1');
      await rig.client.send(new aas.DeleteScalingPolicyCommand({ ...target(), PolicyName: 'p1' }));
      expect((await rig.client.send(new aas.DescribeScalingPoliciesCommand({ ServiceNamespace: NS }))).ScalingPolicies).toEqual([]);
      const err = await errorOf(rig.client.send(new aas.DeleteScalingPolicyCommand({ ...target(), PolicyName: 'p1' })));
      expect(err.name).toBe('ObjectNotFoundException');
    });

    it('returns FailedResourceAccessException by name when injected (AWS: the role may not call CloudWatch DescribeAlarms)', async () => {
      await register(1, 3);
      rig.faults.throttle({ operation: 'PutScalingPolicy', times: 1, errorName: 'FailedResourceAccessException' });
      const err = await errorOf(putPolicy('p1'));
      expect(err.name).toBe('FailedResourceAccessException');
      expect(err).toBeInstanceOf(aas.FailedResourceAccessException);
    });
  });

  describe('ScalingRegistry (what SageMaker sees)', () => {
    it('lists an endpoint\'s scalable variants and deregisters them (with their policies) when the endpoint is deleted', async () => {
      rig.endpoints.add({ endpointName: 'ep', variantName: 'green' });
      await register(1, 3);
      await register(1, 3, 'endpoint/ep/variant/green');
      await putPolicy('p1');
      expect(rig.service.scalableVariants('EP').sort()).toEqual(['blue', 'green']);
      rig.service.deregisterEndpoint('Ep');
      expect(rig.service.scalableVariants('ep')).toEqual([]);
      expect(rig.service.snapshot()).toEqual({ scalableTargets: [], scalingPolicies: [] });
    });
  });

  describe('target tracking on SageMakerVariantInvocationsPerInstance (model: header of local/emulator/autoscaling.ts)', () => {
    /** `n` invocations of ep/blue spread over the real-ms window [from, to). */
    const load = (n: number, from: number, to: number) => {
      for (let i = 0; i < n; i++) rig.metrics.record({ endpointName: 'ep', variantName: 'blue', at: from + ((to - from) * i) / n, status: 200, latencyUs: 1000 });
    };
    const count = () => rig.endpoints.variant('ep', 'blue')?.desiredInstanceCount;

    it('scales out at once to ceil(invocations per minute / TargetValue), never beyond MaxCapacity', async () => {
      await register(1, 4);
      await putPolicy('p1', tracking(10));
      const now = Date.now() + 10;
      // 25 invocations in the last simulated minute (1 real s at timeScale 60) → ceil(25/10) = 3
      load(25, now - 1000, now);
      rig.service.evaluate(now);
      expect(count()).toBe(3);
      // 100 per minute would need 10 instances: capped at MaxCapacity 4
      load(75, now - 500, now + 500);
      rig.service.evaluate(now + 500);
      expect(count()).toBe(4);
      expect(rig.endpoints.sets.map((s) => s.count)).toEqual([3, 4]);
      // Unchanged load → no further UpdateEndpointWeightsAndCapacities
      rig.service.evaluate(now + 500);
      expect(rig.endpoints.sets).toHaveLength(2);
    });

    it('scales in only after ScaleInCooldown (default 300 simulated s = 5 real s here), down to MinCapacity', async () => {
      await register(1, 4);
      await putPolicy('p1', tracking(10));
      const t0 = Date.now() + 10;
      load(40, t0 - 1000, t0);
      rig.service.evaluate(t0);
      expect(count()).toBe(4);
      // Load gone: within the cooldown nothing changes
      rig.service.evaluate(t0 + 2000);
      rig.service.evaluate(t0 + 4999);
      expect(count()).toBe(4);
      // After 300 simulated seconds since the scale-out: in to MinCapacity (0 invocations → 0, clamped to 1)
      rig.service.evaluate(t0 + 5000);
      expect(count()).toBe(1);
    });

    it('honours a shorter ScaleInCooldown, and never scales in with DisableScaleIn', async () => {
      rig.endpoints.add({ endpointName: 'ep2', variantName: 'blue' });
      await register(1, 4);
      await register(1, 4, 'endpoint/ep2/variant/blue');
      await putPolicy('fast', tracking(10, { ScaleInCooldown: 60 }));
      await putPolicy('never', tracking(10, { DisableScaleIn: true }), 'endpoint/ep2/variant/blue');
      const t0 = Date.now() + 10;
      load(30, t0 - 1000, t0);
      for (let i = 0; i < 30; i++) rig.metrics.record({ endpointName: 'ep2', variantName: 'blue', at: t0 - 1000 + i * 30, status: 200, latencyUs: 1000 });
      rig.service.evaluate(t0);
      expect([count(), rig.endpoints.variant('ep2', 'blue')?.desiredInstanceCount]).toEqual([3, 3]);
      rig.service.evaluate(t0 + 1000); // 60 simulated s later, no load
      expect([count(), rig.endpoints.variant('ep2', 'blue')?.desiredInstanceCount]).toEqual([1, 3]);
      rig.service.evaluate(t0 + 60_000);
      expect(rig.endpoints.variant('ep2', 'blue')?.desiredInstanceCount).toBe(3);
    });

    it('with several policies the largest capacity wins', async () => {
      await register(1, 10);
      await putPolicy('fine', tracking(5));
      await putPolicy('coarse', tracking(20));
      const now = Date.now() + 10;
      load(20, now - 1000, now);
      rig.service.evaluate(now);
      expect(count()).toBe(4); // max(ceil(20/5), ceil(20/20))
    });

    it('does nothing while the endpoint is not InService, or while dynamic scale-out is suspended', async () => {
      await register(1, 4);
      await putPolicy('p1', tracking(10));
      const now = Date.now() + 10;
      load(40, now - 1000, now);
      rig.endpoints.add({ endpointName: 'ep', variantName: 'blue', endpointStatus: 'Updating' });
      rig.service.evaluate(now);
      expect(rig.endpoints.sets).toEqual([]);
      rig.endpoints.add({ endpointName: 'ep', variantName: 'blue' });
      await rig.client.send(new aas.RegisterScalableTargetCommand({ ...target(), SuspendedState: { DynamicScalingOutSuspended: true } }));
      rig.service.evaluate(now);
      expect(rig.endpoints.sets).toEqual([]);
      await rig.client.send(new aas.RegisterScalableTargetCommand({ ...target(), SuspendedState: { DynamicScalingOutSuspended: false } }));
      rig.service.evaluate(now);
      expect(count()).toBe(4);
    });
  });
});

describe('Application Auto Scaling wired to the SageMaker emulator (startEmulator, real SDK clients)', () => {
  let t: TestAws;
  // 120 simulated s per real s: one simulated minute of invocations is 0.5 real s, the default 300 s ScaleInCooldown 2.5 s.
  beforeEach(async () => {
    t = await startTestAws({ timeScale: 120, scalingEvaluationMs: 20 });
    await blueEndpoint(t.sm);
  });
  afterEach(async () => t.close());

  const desiredCount = async (): Promise<number | undefined> =>
    (await t.sm.send(new DescribeEndpointCommand({ EndpointName: 'ep' }))).ProductionVariants?.[0]?.DesiredInstanceCount;

  it('RegisterScalableTarget checks the endpoint, and the snapshot (inspect) shows targets and policies', async () => {
    expect((await errorOf(t.aas.send(new aas.RegisterScalableTargetCommand({ ...target('endpoint/ghost/variant/blue'), MinCapacity: 1, MaxCapacity: 2 })))).name).toBe(
      'ValidationException',
    );
    await t.aas.send(new aas.RegisterScalableTargetCommand({ ...target('endpoint/EP/variant/blue'), MinCapacity: 2, MaxCapacity: 3 }));
    await t.aas.send(new aas.PutScalingPolicyCommand({ ...target(), PolicyName: 'p1', PolicyType: 'TargetTrackingScaling', TargetTrackingScalingPolicyConfiguration: tracking(10) }));
    const snap = t.emu.inspect().autoscaling;
    expect(snap.scalableTargets.map((x) => [x.ResourceId, x.MinCapacity, x.MaxCapacity, typeof x.CreationTime])).toEqual([['endpoint/EP/variant/blue', 2, 3, 'number']]);
    expect(snap.scalingPolicies.map((p) => p.PolicyName)).toEqual(['p1']);
    // Registered at MinCapacity 2 while the variant had 1 instance: scaled into the range (API_RegisterScalableTarget.html).
    await waitFor(async () => (await desiredCount()) === 2, 3000, 'DesiredInstanceCount 2');
  });

  it('the SDK client finds the emulator through AWS_ENDPOINT_URL_APPLICATION_AUTO_SCALING (serviceId "Application Auto Scaling")', async () => {
    const saved = process.env.AWS_ENDPOINT_URL_APPLICATION_AUTO_SCALING;
    process.env.AWS_ENDPOINT_URL_APPLICATION_AUTO_SCALING = t.emu.url;
    const client = new aas.ApplicationAutoScalingClient({ maxAttempts: 1 });
    try {
      expect((await client.send(new aas.DescribeScalableTargetsCommand({ ServiceNamespace: NS }))).ScalableTargets).toEqual([]);
    } finally {
      client.destroy();
      if (saved === undefined) delete process.env.AWS_ENDPOINT_URL_APPLICATION_AUTO_SCALING;
      else process.env.AWS_ENDPOINT_URL_APPLICATION_AUTO_SCALING = saved;
    }
  });

  it('DeleteEndpoint deregisters the endpoint\'s scalable targets and their policies', async () => {
    await t.aas.send(new aas.RegisterScalableTargetCommand({ ...target(), MinCapacity: 1, MaxCapacity: 3 }));
    await t.aas.send(new aas.PutScalingPolicyCommand({ ...target(), PolicyName: 'p1', PolicyType: 'TargetTrackingScaling', TargetTrackingScalingPolicyConfiguration: tracking(10) }));
    await t.sm.send(new DeleteEndpointCommand({ EndpointName: 'ep' }));
    expect((await t.aas.send(new aas.DescribeScalableTargetsCommand({ ServiceNamespace: NS }))).ScalableTargets).toEqual([]);
    expect((await t.aas.send(new aas.DescribeScalingPoliciesCommand({ ServiceNamespace: NS }))).ScalingPolicies).toEqual([]);
  });

  it('target tracking scales out under load, never beyond MaxCapacity, and scales in only after the ScaleInCooldown', async () => {
    // GIVEN blue (1 instance) registered with [1, 3] and a policy of 10 invocations per instance per minute
    await t.aas.send(new aas.RegisterScalableTargetCommand({ ...target(), MinCapacity: 1, MaxCapacity: 3 }));
    await t.aas.send(new aas.PutScalingPolicyCommand({ ...target(), PolicyName: 'p1', PolicyType: 'TargetTrackingScaling', TargetTrackingScalingPolicyConfiguration: tracking(10) }));
    const seen: number[] = [];
    const watch = setInterval(() => {
      const v = t.emu.inspect().endpoints.ep?.ProductionVariants?.[0]?.DesiredInstanceCount;
      if (v !== undefined) seen.push(v);
    }, 10);
    try {
      // WHEN the endpoint is invoked continuously for 1 real s (2 simulated minutes)
      const until = Date.now() + 1000;
      await Promise.all(
        Array.from({ length: 4 }, async () => {
          while (Date.now() < until) await t.rt.send(new InvokeEndpointCommand({ EndpointName: 'ep', Body: '{}', ContentType: 'application/json' }));
        }),
      );
      const loadEnded = Date.now();
      // THEN it has scaled out, capped at MaxCapacity 3
      await waitFor(async () => (await desiredCount()) === 3, 2000, 'scale-out to 3');
      // AND with the last simulated minute empty but the 300 s cooldown not over, it stays at 3
      await new Promise((r) => setTimeout(r, Math.max(0, loadEnded + 800 - Date.now())));
      expect(await desiredCount()).toBe(3);
      // AND after the cooldown it scales in to MinCapacity
      await waitFor(async () => (await desiredCount()) === 1, 5000, 'scale-in to 1');
      expect(Math.max(...seen)).toBe(3);
    } finally {
      clearInterval(watch);
    }
  }, 15_000);
});
