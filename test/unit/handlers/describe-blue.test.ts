import { ApplicationAutoScalingClient, DescribeScalableTargetsCommand, DescribeScalingPoliciesCommand } from '@aws-sdk/client-application-auto-scaling';
import { DescribeEndpointCommand, DescribeEndpointConfigCommand, DescribeModelCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { handler } from '../../../lambdas/describe-blue';
import {
  anEndpoint,
  BLUE_CONFIG,
  BLUE_MODEL,
  BLUE_VARIANT,
  ENDPOINT,
  notFound,
  packageArn,
  sageMakerError,
  ROLE,
  setStepEnvironment,
  stateAt,
  throttled,
  lockHeldBy,
} from '../../support/fixtures';

const sagemaker = mockClient(SageMakerClient);
const autoscaling = mockClient(ApplicationAutoScalingClient);
/** The lock: every step reads it first, and acts only while its promotion holds it. */
const dynamo = mockClient(DynamoDBDocumentClient);

const state = stateAt('validated');
const blueVariant = { VariantName: BLUE_VARIANT, ModelName: BLUE_MODEL, InstanceType: 'ml.m5.large' as const, InitialInstanceCount: 1, InitialVariantWeight: 1 };

beforeEach(() => {
  sagemaker.reset();
  autoscaling.reset();
  dynamo.reset();
  dynamo.on(GetCommand).resolves(lockHeldBy());
  autoscaling.on(DescribeScalableTargetsCommand).resolves({ ScalableTargets: [] });
  setStepEnvironment();
  sagemaker.on(DescribeEndpointCommand).resolves(anEndpoint(BLUE_CONFIG, [{ name: BLUE_VARIANT, weight: 1, instances: 3 }]));
  sagemaker.on(DescribeEndpointConfigCommand).resolves({ EndpointConfigName: BLUE_CONFIG, ProductionVariants: [blueVariant] });
  sagemaker.on(DescribeModelCommand).resolves({ ModelName: BLUE_MODEL, ExecutionRoleArn: ROLE, PrimaryContainer: { ModelPackageName: packageArn(1) } });
});

describe('describe-blue', () => {
  test('GIVEN an InService endpoint with one variant WHEN described THEN blue is its config, running weight and count, model, role and package version', async () => {
    await expect(handler(state)).resolves.toEqual({
      exists: true,
      endpointConfigName: BLUE_CONFIG,
      variants: [{ variantName: BLUE_VARIANT, modelName: BLUE_MODEL, currentWeight: 1, currentInstanceCount: 3 }],
      modelNames: [BLUE_MODEL],
      executionRoleArn: ROLE,
      modelPackageArn: packageArn(1),
      modelPackageVersion: 1,
    });
    expect(sagemaker).toHaveReceivedCommandWith(DescribeEndpointConfigCommand, { EndpointConfigName: BLUE_CONFIG });
    expect(sagemaker).toHaveReceivedCommandWith(DescribeModelCommand, { ModelName: BLUE_MODEL });
  });

  test('GIVEN blue’s variant is an autoscaled scalable target WHEN described THEN blue carries its range and policies', async () => {
    const resourceId = `endpoint/${ENDPOINT}/variant/${BLUE_VARIANT}`;
    const tracking = { TargetValue: 1000, PredefinedMetricSpecification: { PredefinedMetricType: 'SageMakerVariantInvocationsPerInstance' as const } };
    autoscaling.on(DescribeScalableTargetsCommand).resolves({
      ScalableTargets: [{ ServiceNamespace: 'sagemaker', ResourceId: resourceId, ScalableDimension: 'sagemaker:variant:DesiredInstanceCount', MinCapacity: 2, MaxCapacity: 4, RoleARN: 'arn:role', CreationTime: new Date() }],
    });
    autoscaling.on(DescribeScalingPoliciesCommand).resolves({
      ScalingPolicies: [
        {
          PolicyARN: 'arn:policy',
          PolicyName: 'invocations',
          ServiceNamespace: 'sagemaker',
          ResourceId: resourceId,
          ScalableDimension: 'sagemaker:variant:DesiredInstanceCount',
          PolicyType: 'TargetTrackingScaling',
          TargetTrackingScalingPolicyConfiguration: tracking,
          CreationTime: new Date(),
        },
      ],
    });

    await expect(handler(state)).resolves.toMatchObject({
      exists: true,
      scaling: { minCapacity: 2, maxCapacity: 4, policies: [{ PolicyName: 'invocations', PolicyType: 'TargetTrackingScaling', TargetTrackingScalingPolicyConfiguration: tracking }] },
    });
    expect(autoscaling).toHaveReceivedCommandWith(DescribeScalableTargetsCommand, { ServiceNamespace: 'sagemaker', ResourceIds: [resourceId] });
  });

  test('GIVEN no endpoint (SageMaker’s ValidationException "Could not find endpoint") WHEN described THEN it is a first deployment', async () => {
    sagemaker.on(DescribeEndpointCommand).rejects(notFound('endpoint', ENDPOINT));

    await expect(handler(state)).resolves.toEqual({ exists: false, variants: [], modelNames: [] });
    expect(sagemaker).not.toHaveReceivedCommand(DescribeEndpointConfigCommand);
    expect(autoscaling).not.toHaveReceivedAnyCommand();
  });

  test('GIVEN SageMaker throttles DescribeEndpoint WHEN described THEN ThrottlingException propagates (not a first deployment)', async () => {
    sagemaker.on(DescribeEndpointCommand).rejects(throttled());

    await expect(handler(state)).rejects.toMatchObject({ name: 'ThrottlingException' });
  });

  test('GIVEN a ValidationException that is not "could not find" WHEN described THEN it propagates', async () => {
    sagemaker.on(DescribeEndpointCommand).rejects(sageMakerError('ValidationException', `1 validation error detected: Value '${ENDPOINT}' at 'endpointName' failed to satisfy constraint: Member must have length less than or equal to 63`));

    await expect(handler(state)).rejects.toMatchObject({ name: 'ValidationException' });
  });

  test.each(['Updating', 'Creating', 'Failed'] as const)('GIVEN the endpoint is %s WHEN described THEN EndpointNotReady names the status', async (status) => {
    sagemaker.on(DescribeEndpointCommand).resolves(anEndpoint(BLUE_CONFIG, [], { EndpointStatus: status }));

    await expect(handler(state)).rejects.toMatchObject({
      name: 'EndpointNotReady',
      message: expect.stringMatching(new RegExp(`endpoint ${ENDPOINT} is ${status}; a promotion starts only from InService`)),
    });
    expect(sagemaker).not.toHaveReceivedCommand(DescribeEndpointConfigCommand);
  });

  test('GIVEN blue has two variants and the promotion targets Canary WHEN described THEN both are described, Canary\'s model comes first (green takes its role) and Canary\'s scaling is read', async () => {
    sagemaker.on(DescribeEndpointCommand).resolves(anEndpoint(BLUE_CONFIG, [{ name: BLUE_VARIANT, weight: 0.8, instances: 3 }, { name: 'Canary', weight: 0.2, instances: 1 }]));
    sagemaker.on(DescribeEndpointConfigCommand).resolves({ EndpointConfigName: BLUE_CONFIG, ProductionVariants: [blueVariant, { ...blueVariant, VariantName: 'Canary', ModelName: 'churn-canary' }] });
    const targeting = { ...state, promotion: { ...state.promotion, strategy: 'guardrails' as const, kind: 'multi-variant' as const, variantName: 'Canary' } };

    const blue = await handler(targeting);

    expect(blue.variants).toEqual([
      { variantName: BLUE_VARIANT, modelName: BLUE_MODEL, currentWeight: 0.8, currentInstanceCount: 3 },
      { variantName: 'Canary', modelName: 'churn-canary', currentWeight: 0.2, currentInstanceCount: 1 },
    ]);
    expect(blue.modelNames).toEqual(['churn-canary', BLUE_MODEL]);
    expect(sagemaker).toHaveReceivedCommandWith(DescribeModelCommand, { ModelName: 'churn-canary' });
    expect(autoscaling).toHaveReceivedCommandWith(DescribeScalableTargetsCommand, { ResourceIds: [`endpoint/${ENDPOINT}/variant/Canary`] });
  });

  test('GIVEN blue has shadow variants WHEN described THEN UnsupportedEndpoint asks to stop the shadow test, before any model is read', async () => {
    sagemaker.on(DescribeEndpointConfigCommand).resolves({ EndpointConfigName: BLUE_CONFIG, ProductionVariants: [blueVariant], ShadowProductionVariants: [{ ...blueVariant, VariantName: 'Shadow' }] });

    await expect(handler(state)).rejects.toMatchObject({ name: 'UnsupportedEndpoint', message: expect.stringMatching(new RegExp(`^endpoint ${ENDPOINT}: blue has shadow variants; stop the shadow test`)) });
    expect(sagemaker).not.toHaveReceivedCommand(DescribeModelCommand);
  });

  test('GIVEN blue’s model was not built from a model package WHEN described THEN no package is reported', async () => {
    sagemaker.on(DescribeModelCommand).resolves({ ModelName: BLUE_MODEL, ExecutionRoleArn: ROLE, PrimaryContainer: { Image: '123.dkr.ecr.us-east-1.amazonaws.com/churn:1' } });

    await expect(handler(state)).resolves.toMatchObject({ exists: true, modelPackageArn: undefined, modelPackageVersion: undefined });
  });

  test('GIVEN blue’s model comes from an unversioned (marketplace) package WHEN described THEN the ARN is kept and no version reported', async () => {
    const marketplace = 'arn:aws:sagemaker:us-east-1:865070037744:model-package/churn-marketplace-abc';
    sagemaker.on(DescribeModelCommand).resolves({ ModelName: BLUE_MODEL, ExecutionRoleArn: ROLE, Containers: [{ ModelPackageName: marketplace }] });

    await expect(handler(state)).resolves.toMatchObject({ modelPackageArn: marketplace, modelPackageVersion: undefined });
  });
});
