import {
  ApplicationAutoScalingClient,
  ApplicationAutoScalingServiceException,
  ConcurrentUpdateException,
  DeregisterScalableTargetCommand,
  DescribeScalableTargetsCommand,
  DescribeScalingPoliciesCommand,
  InternalServiceException,
  ObjectNotFoundException,
  PutScalingPolicyCommand,
  RegisterScalableTargetCommand,
  type ScalingPolicy,
  ValidationException,
} from '@aws-sdk/client-application-auto-scaling';
import { mockClient } from 'aws-sdk-client-mock';
import { isRetryable } from '../../lambdas/shared/errors';
import { applyScaling, readScaling, removeScaling } from '../../lambdas/shared/scaling';
import { capacityWithin, scalingForVariant, scalingOf, scalingSummary, type VariantScaling } from '../../lambdas/shared/scaling-decisions';
import { BLUE_VARIANT, ENDPOINT } from '../support/fixtures';

const aas = mockClient(ApplicationAutoScalingClient);

const GREEN_VARIANT = 'green-v2';
const DIM = 'sagemaker:variant:DesiredInstanceCount';
const blueId = `endpoint/${ENDPOINT}/variant/${BLUE_VARIANT}`;
const greenId = `endpoint/${ENDPOINT}/variant/${GREEN_VARIANT}`;
const $metadata = {};

const tracking = { TargetValue: 1000, PredefinedMetricSpecification: { PredefinedMetricType: 'SageMakerVariantInvocationsPerInstance' as const }, ScaleInCooldown: 300 };
const stepConfig = { AdjustmentType: 'ChangeInCapacity' as const, StepAdjustments: [{ MetricIntervalLowerBound: 0, ScalingAdjustment: 1 }], Cooldown: 60 };
/** As DescribeScalingPolicies answers: ARNs, alarms and a creation time beside what PutScalingPolicy takes. */
const described = (name: string, extra: Partial<ScalingPolicy>): ScalingPolicy => ({
  PolicyARN: `arn:aws:autoscaling:us-east-1:111122223333:scalingPolicy:uuid:resource/sagemaker/${blueId}:policyName/${name}`,
  PolicyName: name,
  ServiceNamespace: 'sagemaker',
  ResourceId: blueId,
  ScalableDimension: DIM,
  PolicyType: 'TargetTrackingScaling',
  Alarms: [{ AlarmName: `TargetTracking-${blueId}-AlarmHigh-1`, AlarmARN: 'arn:aws:cloudwatch:us-east-1:111122223333:alarm:x' }],
  CreationTime: new Date('2025-01-01T00:00:00Z'),
  ...extra,
});

const blueScaling: VariantScaling = {
  minCapacity: 2,
  maxCapacity: 4,
  policies: [{ PolicyName: 'invocations', PolicyType: 'TargetTrackingScaling', TargetTrackingScalingPolicyConfiguration: tracking }],
};

beforeEach(() => {
  aas.reset();
});

describe('readScaling', () => {
  test('GIVEN blue is a scalable target with two policies over two pages WHEN read THEN its range and both policies come back as plain JSON', async () => {
    aas.on(DescribeScalableTargetsCommand).resolves({
      ScalableTargets: [{ ServiceNamespace: 'sagemaker', ResourceId: blueId, ScalableDimension: DIM, MinCapacity: 2, MaxCapacity: 4, RoleARN: 'arn:role', CreationTime: new Date() }],
    });
    aas
      .on(DescribeScalingPoliciesCommand)
      .resolvesOnce({ ScalingPolicies: [described('invocations', { TargetTrackingScalingPolicyConfiguration: tracking })], NextToken: 'page-2' })
      .resolvesOnce({ ScalingPolicies: [described('steps', { PolicyType: 'StepScaling', StepScalingPolicyConfiguration: stepConfig })] });

    const scaling = await readScaling(ENDPOINT, BLUE_VARIANT);

    expect(scaling).toEqual({
      minCapacity: 2,
      maxCapacity: 4,
      policies: [
        { PolicyName: 'invocations', PolicyType: 'TargetTrackingScaling', TargetTrackingScalingPolicyConfiguration: tracking },
        { PolicyName: 'steps', PolicyType: 'StepScaling', StepScalingPolicyConfiguration: stepConfig },
      ],
    });
    expect(JSON.parse(JSON.stringify(scaling))).toEqual(scaling);
    expect(aas).toHaveReceivedCommandWith(DescribeScalableTargetsCommand, { ServiceNamespace: 'sagemaker', ResourceIds: [blueId], ScalableDimension: DIM });
    expect(aas).toHaveReceivedNthCommandWith(2, DescribeScalingPoliciesCommand, { ServiceNamespace: 'sagemaker', ResourceId: blueId, ScalableDimension: DIM });
    expect(aas).toHaveReceivedNthCommandWith(3, DescribeScalingPoliciesCommand, { ResourceId: blueId, NextToken: 'page-2' });
  });

  test('GIVEN blue is not registered WHEN read THEN undefined, and no policy is asked for', async () => {
    aas.on(DescribeScalableTargetsCommand).resolves({ ScalableTargets: [] });

    await expect(readScaling(ENDPOINT, BLUE_VARIANT)).resolves.toBeUndefined();
    expect(aas).not.toHaveReceivedCommand(DescribeScalingPoliciesCommand);
  });

  test('GIVEN Application Auto Scaling throttles WHEN read THEN ThrottlingException propagates (retried by the state machine)', async () => {
    aas.on(DescribeScalableTargetsCommand).rejects(new ApplicationAutoScalingServiceException({ name: 'ThrottlingException', $fault: 'client', message: 'Rate exceeded', $metadata }));

    await expect(readScaling(ENDPOINT, BLUE_VARIANT)).rejects.toMatchObject({ name: 'ThrottlingException' });
  });
});

describe('applyScaling', () => {
  test('GIVEN blue’s scaling WHEN applied to green THEN green is registered with blue’s range and gets each policy under its own name', async () => {
    aas.on(RegisterScalableTargetCommand).resolves({ ScalableTargetARN: 'arn:aws:application-autoscaling:us-east-1:111122223333:scalable-target/abc' });
    aas.on(PutScalingPolicyCommand).resolves({ PolicyARN: 'arn:policy', Alarms: [] });
    const scaling: VariantScaling = { ...blueScaling, policies: [...blueScaling.policies, { PolicyName: 'steps', PolicyType: 'StepScaling', StepScalingPolicyConfiguration: stepConfig }] };

    await applyScaling(ENDPOINT, GREEN_VARIANT, scaling);

    expect(aas).toHaveReceivedCommandTimes(RegisterScalableTargetCommand, 1);
    expect(aas).toHaveReceivedNthCommandWith(1, RegisterScalableTargetCommand, { ServiceNamespace: 'sagemaker', ResourceId: greenId, ScalableDimension: DIM, MinCapacity: 2, MaxCapacity: 4 });
    expect(aas.commandCalls(RegisterScalableTargetCommand)[0]!.args[0].input).not.toHaveProperty('SuspendedState');
    expect(aas).toHaveReceivedNthCommandWith(2, PutScalingPolicyCommand, {
      ServiceNamespace: 'sagemaker',
      ResourceId: greenId,
      ScalableDimension: DIM,
      PolicyName: 'invocations',
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: tracking,
    });
    expect(aas).toHaveReceivedNthCommandWith(3, PutScalingPolicyCommand, { ResourceId: greenId, PolicyName: 'steps', PolicyType: 'StepScaling', StepScalingPolicyConfiguration: stepConfig });
  });

  test('GIVEN blue’s scale-in is suspended WHEN applied THEN green is registered with the same suspension', async () => {
    aas.on(RegisterScalableTargetCommand).resolves({});
    aas.on(PutScalingPolicyCommand).resolves({});

    await applyScaling(ENDPOINT, GREEN_VARIANT, { ...blueScaling, suspendedState: { DynamicScalingInSuspended: true } });

    expect(aas).toHaveReceivedCommandWith(RegisterScalableTargetCommand, { SuspendedState: { DynamicScalingInSuspended: true } });
  });

  test('GIVEN a concurrent update of the target WHEN applied THEN ConcurrentUpdateException propagates, and it is retryable', async () => {
    aas.on(RegisterScalableTargetCommand).rejects(new ConcurrentUpdateException({ message: 'pending update', $metadata }));

    const error = await applyScaling(ENDPOINT, GREEN_VARIANT, blueScaling).catch((e: unknown) => e);

    expect(error).toMatchObject({ name: 'ConcurrentUpdateException' });
    expect(isRetryable(error)).toBe(true);
    expect(aas).not.toHaveReceivedCommand(PutScalingPolicyCommand);
  });

  test('GIVEN green does not exist on the endpoint WHEN applied THEN ValidationException propagates, and it is not retryable', async () => {
    aas.on(RegisterScalableTargetCommand).rejects(new ValidationException({ message: `Could not find endpoint "${ENDPOINT}" with production variant "${GREEN_VARIANT}"`, $metadata }));

    const error = await applyScaling(ENDPOINT, GREEN_VARIANT, blueScaling).catch((e: unknown) => e);

    expect(error).toMatchObject({ name: 'ValidationException' });
    expect(isRetryable(error)).toBe(false);
  });
});

describe('removeScaling', () => {
  test('GIVEN blue is registered WHEN removed THEN it is deregistered: true', async () => {
    aas.on(DeregisterScalableTargetCommand).resolves({});

    await expect(removeScaling(ENDPOINT, BLUE_VARIANT)).resolves.toBe(true);
    expect(aas).toHaveReceivedCommandWith(DeregisterScalableTargetCommand, { ServiceNamespace: 'sagemaker', ResourceId: blueId, ScalableDimension: DIM });
  });

  test('GIVEN it was already deregistered (ObjectNotFoundException) WHEN removed THEN false, so a retried step succeeds', async () => {
    aas.on(DeregisterScalableTargetCommand).rejects(new ObjectNotFoundException({ message: `No scalable target found for service namespace: sagemaker, resource ID: ${blueId}`, $metadata }));

    await expect(removeScaling(ENDPOINT, BLUE_VARIANT)).resolves.toBe(false);
  });

  test('GIVEN a service fault WHEN removed THEN InternalServiceException propagates, and it is retryable', async () => {
    aas.on(DeregisterScalableTargetCommand).rejects(new InternalServiceException({ message: 'internal', $metadata }));

    const error = await removeScaling(ENDPOINT, BLUE_VARIANT).catch((e: unknown) => e);

    expect(error).toMatchObject({ name: 'InternalServiceException' });
    expect(isRetryable(error)).toBe(true);
  });
});

describe('pure helpers', () => {
  test('scalingOf: no target → undefined; ARNs, alarms and times dropped; PredictiveScaling (ECS only) dropped; suspension kept only when set', () => {
    expect(scalingOf(undefined, [])).toBeUndefined();
    const target = { ServiceNamespace: 'sagemaker' as const, ResourceId: blueId, ScalableDimension: DIM as 'sagemaker:variant:DesiredInstanceCount', MinCapacity: 1, MaxCapacity: 3, RoleARN: 'r', CreationTime: new Date() };
    const policies = [
      described('invocations', { TargetTrackingScalingPolicyConfiguration: { ...tracking, DisableScaleIn: undefined } }),
      described('predictive', { PolicyType: 'PredictiveScaling' }),
    ];
    expect(scalingOf({ ...target, SuspendedState: { DynamicScalingInSuspended: false, DynamicScalingOutSuspended: false, ScheduledScalingSuspended: false } }, policies)).toEqual({
      minCapacity: 1,
      maxCapacity: 3,
      policies: [{ PolicyName: 'invocations', PolicyType: 'TargetTrackingScaling', TargetTrackingScalingPolicyConfiguration: tracking }],
    });
    expect(scalingOf({ ...target, SuspendedState: { DynamicScalingInSuspended: false, DynamicScalingOutSuspended: true } }, [])).toMatchObject({
      suspendedState: { DynamicScalingInSuspended: false, DynamicScalingOutSuspended: true },
    });
  });

  test('scalingForVariant: a customized metric on blue’s VariantName now tracks green; predefined metrics and other dimensions are untouched; blue’s copy unchanged', () => {
    const dims = () => [
      { Name: 'EndpointName', Value: ENDPOINT },
      { Name: 'VariantName', Value: BLUE_VARIANT },
    ];
    const custom: VariantScaling = {
      ...blueScaling,
      policies: [
        ...blueScaling.policies,
        { PolicyName: 'cpu', PolicyType: 'TargetTrackingScaling', TargetTrackingScalingPolicyConfiguration: { TargetValue: 70, CustomizedMetricSpecification: { MetricName: 'CPUUtilization', Namespace: '/aws/sagemaker/Endpoints', Statistic: 'Average', Dimensions: dims() } } },
        {
          PolicyName: 'math',
          PolicyType: 'TargetTrackingScaling',
          TargetTrackingScalingPolicyConfiguration: { TargetValue: 5, CustomizedMetricSpecification: { Metrics: [{ Id: 'm1', MetricStat: { Metric: { MetricName: 'Invocations', Namespace: 'AWS/SageMaker', Dimensions: dims() }, Stat: 'Sum' } }] } },
        },
      ],
    };

    const green = scalingForVariant(custom, BLUE_VARIANT, GREEN_VARIANT);

    expect(green.policies[0]).toEqual(blueScaling.policies[0]);
    expect(green.policies[1]!.TargetTrackingScalingPolicyConfiguration!.CustomizedMetricSpecification!.Dimensions).toEqual([
      { Name: 'EndpointName', Value: ENDPOINT },
      { Name: 'VariantName', Value: GREEN_VARIANT },
    ]);
    expect(green.policies[2]!.TargetTrackingScalingPolicyConfiguration!.CustomizedMetricSpecification!.Metrics![0]!.MetricStat!.Metric!.Dimensions).toContainEqual({ Name: 'VariantName', Value: GREEN_VARIANT });
    expect(custom.policies[1]!.TargetTrackingScalingPolicyConfiguration!.CustomizedMetricSpecification!.Dimensions).toEqual(dims());
  });

  test('capacityWithin clamps a count into [min, max]', () => {
    expect([1, 2, 3, 4, 9].map((n) => capacityWithin(n, blueScaling))).toEqual([2, 2, 3, 4, 4]);
  });

  test('scalingSummary reads as one line', () => {
    expect(scalingSummary('AllTraffic', blueScaling)).toBe('AllTraffic 2–4 instances, target tracking SageMakerVariantInvocationsPerInstance = 1000');
    expect(
      scalingSummary('AllTraffic', {
        minCapacity: 3,
        maxCapacity: 3,
        policies: [{ PolicyName: 'steps', PolicyType: 'StepScaling', StepScalingPolicyConfiguration: stepConfig }],
        suspendedState: { DynamicScalingInSuspended: true },
      }),
    ).toBe('AllTraffic 3 instances, step scaling steps (suspended: scale-in)');
    expect(scalingSummary('v', { minCapacity: 1, maxCapacity: 2, policies: [] })).toBe('v 1–2 instances, no scaling policy');
  });
});
