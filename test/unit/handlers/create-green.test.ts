import {
  CreateEndpointConfigCommand,
  CreateModelCommand,
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  DescribeModelCommand,
  DescribeModelPackageCommand,
  SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { handler } from '../../../lambdas/create-green';
import { ENVIRONMENT_TAG, MANAGED_TAG, PACKAGE_TAG, VERSION_TAG } from '../../../lambdas/shared/sagemaker';
import {
  alreadyExists,
  anEndpoint,
  BLUE_CONFIG,
  BLUE_MODEL,
  BLUE_VARIANT,
  ENDPOINT,
  notFound,
  packageArn,
  PROMOTION_ID,
  sageMakerError,
  ROLE,
  setStepEnvironment,
  changeStepSettings,
  stateAt,
  throttled,
  lockHeldBy,
} from '../../support/fixtures';

const sagemaker = mockClient(SageMakerClient);
/** The lock: every step reads it first, and acts only while its promotion holds it. */
const dynamo = mockClient(DynamoDBDocumentClient);

const state = stateAt('described');
const { names } = state.promotion;
/** Green over a blue serves as the green environment; a first deployment starts as blue. */
const tagsAs = (environment: 'blue' | 'green') => [
  { Key: MANAGED_TAG, Value: PROMOTION_ID },
  { Key: VERSION_TAG, Value: '2' },
  { Key: PACKAGE_TAG, Value: packageArn(2) },
  { Key: ENVIRONMENT_TAG, Value: environment },
];
const tags = tagsAs('green');
const vpc = { SecurityGroupIds: ['sg-0123456789abcdef0'], Subnets: ['subnet-0123456789abcdef0'] };
const blueVariant = { VariantName: BLUE_VARIANT, ModelName: BLUE_MODEL, InstanceType: 'ml.m5.large' as const, InitialInstanceCount: 1, InitialVariantWeight: 1, VolumeSizeInGB: 64 };

/** Nothing of green exists yet: every Describe of a green name is SageMaker's "Could not find". */
function givenNothingOfGreen() {
  sagemaker.on(DescribeModelCommand, { ModelName: names.model }).rejects(notFound('model', names.model));
  sagemaker.on(DescribeEndpointConfigCommand, { EndpointConfigName: names.greenConfig }).rejects(notFound('endpoint configuration', names.greenConfig));
  sagemaker.on(DescribeEndpointConfigCommand, { EndpointConfigName: names.pairConfig }).rejects(notFound('endpoint configuration', names.pairConfig));
}

beforeEach(() => {
  sagemaker.reset();
  dynamo.reset();
  dynamo.on(GetCommand).resolves(lockHeldBy());
  setStepEnvironment();
  sagemaker.on(DescribeModelPackageCommand).resolves({
    ModelPackageArn: packageArn(2),
    ModelApprovalStatus: 'Approved',
    InferenceSpecification: { Containers: [{ Image: 'img' }], SupportedRealtimeInferenceInstanceTypes: ['ml.m5.xlarge', 'ml.c5.large'] },
  });
  sagemaker.on(DescribeModelCommand, { ModelName: BLUE_MODEL }).resolves({ ModelName: BLUE_MODEL, ExecutionRoleArn: ROLE, VpcConfig: vpc, EnableNetworkIsolation: true });
  sagemaker.on(DescribeEndpointConfigCommand, { EndpointConfigName: BLUE_CONFIG }).resolves({
    EndpointConfigName: BLUE_CONFIG,
    ProductionVariants: [blueVariant],
    KmsKeyId: 'alias/blue',
  });
  sagemaker.on(DescribeEndpointCommand).resolves(anEndpoint(BLUE_CONFIG, [{ name: BLUE_VARIANT, weight: 1, instances: 2 }]));
  sagemaker.on(CreateModelCommand).resolves({});
  sagemaker.on(CreateEndpointConfigCommand).resolves({});
  givenNothingOfGreen();
});

describe('create-green', () => {
  test('GIVEN blue and nothing of green WHEN created THEN green’s model comes from the package with blue’s role and network, and both configs are copied from blue', async () => {
    const green = await handler(state);

    expect(green).toEqual({
      modelName: names.model,
      variantName: names.variant,
      greenConfigName: names.greenConfig,
      pairConfigName: names.pairConfig,
      created: [`model ${names.model}`, `endpoint config ${names.greenConfig}`, `endpoint config ${names.pairConfig}`],
      // Blue's config has no MetricsConfig: SageMaker's standard 60 s invocation metrics, copied to green.
      metricPublishSeconds: 60,
    });
    expect(sagemaker).toHaveReceivedCommandWith(CreateModelCommand, {
      ModelName: names.model,
      ExecutionRoleArn: ROLE,
      PrimaryContainer: { ModelPackageName: packageArn(2) },
      VpcConfig: vpc,
      EnableNetworkIsolation: true,
      Tags: tags,
    });
    expect(sagemaker).toHaveReceivedCommandWith(CreateEndpointConfigCommand, {
      EndpointConfigName: names.greenConfig,
      KmsKeyId: 'alias/blue',
      ProductionVariants: [{ ...blueVariant, VariantName: names.variant, ModelName: names.model, InitialVariantWeight: 1, InitialInstanceCount: 2 }],
      Tags: tags,
    });
    expect(sagemaker).toHaveReceivedCommandWith(CreateEndpointConfigCommand, {
      EndpointConfigName: names.pairConfig,
      ProductionVariants: [
        { ...blueVariant, InitialVariantWeight: 1, InitialInstanceCount: 2 },
        { ...blueVariant, VariantName: names.variant, ModelName: names.model, InitialVariantWeight: 0, InitialInstanceCount: 2 },
      ],
    });
    expect(sagemaker).toHaveReceivedCommandTimes(CreateEndpointConfigCommand, 2);
  });

  test('GIVEN an earlier try created the model and both configs (a retry) WHEN created again THEN nothing new is created and the record says so', async () => {
    sagemaker.on(DescribeModelCommand, { ModelName: names.model }).resolves({ ModelName: names.model });
    sagemaker.on(DescribeEndpointConfigCommand, { EndpointConfigName: names.greenConfig }).resolves({ EndpointConfigName: names.greenConfig });
    sagemaker.on(DescribeEndpointConfigCommand, { EndpointConfigName: names.pairConfig }).resolves({ EndpointConfigName: names.pairConfig });

    const green = await handler(state);

    expect(sagemaker).not.toHaveReceivedCommand(CreateModelCommand);
    expect(sagemaker).not.toHaveReceivedCommand(CreateEndpointConfigCommand);
    expect(green.created).toEqual([
      `model ${names.model} (found from an earlier try)`,
      `endpoint config ${names.greenConfig} (found from an earlier try)`,
      `endpoint config ${names.pairConfig} (found from an earlier try)`,
    ]);
  });

  test('GIVEN a concurrent try created the model between the check and the create WHEN created THEN "already existing" counts as found', async () => {
    sagemaker
      .on(DescribeModelCommand, { ModelName: names.model })
      .rejectsOnce(notFound('model', names.model))
      .resolves({ ModelName: names.model });
    sagemaker.on(CreateModelCommand).rejects(alreadyExists('model', names.model));

    const green = await handler(state);

    expect(green.created[0]).toBe(`model ${names.model} (found from an earlier try)`);
    expect(sagemaker).toHaveReceivedCommandTimes(CreateEndpointConfigCommand, 2);
  });

  test('GIVEN approval was revoked since validation WHEN created THEN ModelPackageNotDeployable and nothing is created', async () => {
    sagemaker.on(DescribeModelPackageCommand).resolves({ ModelApprovalStatus: 'Rejected' });

    await expect(handler(state)).rejects.toMatchObject({ name: 'ModelPackageNotDeployable', message: expect.stringMatching(/is Rejected; only Approved packages are deployed/) });
    expect(sagemaker).not.toHaveReceivedCommand(CreateModelCommand);
    expect(sagemaker).not.toHaveReceivedCommand(CreateEndpointConfigCommand);
  });

  test('GIVEN an execution role in the input WHEN created THEN it is used rather than blue’s', async () => {
    const other = 'arn:aws:iam::111122223333:role/ChurnV2';
    changeStepSettings({ allowedRoleArns: [ROLE, other] });

    await handler(stateAt('described', { promotion: { executionRoleArn: other } }));

    expect(sagemaker).toHaveReceivedCommandWith(CreateModelCommand, { ExecutionRoleArn: other });
  });

  test('GIVEN blue’s role is not one the stack may pass WHEN created THEN InvalidPromotionInput names the role and nothing is created', async () => {
    sagemaker.on(DescribeModelCommand, { ModelName: BLUE_MODEL }).resolves({ ModelName: BLUE_MODEL, ExecutionRoleArn: 'arn:aws:iam::111122223333:role/Legacy' });

    await expect(handler(state)).rejects.toMatchObject({
      name: 'InvalidPromotionInput',
      message: expect.stringMatching(/^executionRoleArn: arn:aws:iam::111122223333:role\/Legacy .* is not one this stack may pass/),
    });
    expect(sagemaker).not.toHaveReceivedCommand(CreateModelCommand);
  });

  test('GIVEN a first deployment and no role anywhere WHEN created THEN InvalidPromotionInput asks for executionRoleArn', async () => {
    changeStepSettings({ allowedRoleArns: [] });

    await expect(handler(stateAt('described', { firstDeployment: true }))).rejects.toMatchObject({ name: 'InvalidPromotionInput', message: expect.stringMatching(/^executionRoleArn: no model execution role known/) });
  });

  test('GIVEN a first deployment WHEN created THEN one config with the package’s first realtime instance type, one instance, and no pair config', async () => {
    const green = await handler(stateAt('described', { firstDeployment: true }));

    expect(green.pairConfigName).toBeUndefined();
    expect(sagemaker).toHaveReceivedCommandWith(CreateModelCommand, { ExecutionRoleArn: ROLE, VpcConfig: undefined });
    expect(sagemaker).toHaveReceivedCommandTimes(CreateEndpointConfigCommand, 1);
    expect(sagemaker).toHaveReceivedCommandWith(CreateEndpointConfigCommand, {
      EndpointConfigName: names.greenConfig,
      // SageMaker's conventional variant name: guardrails promotions keep it from then on.
      ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: names.model, InstanceType: 'ml.m5.xlarge', InitialInstanceCount: 1, InitialVariantWeight: 1 }],
      Tags: tagsAs('blue'),
    });
    expect(sagemaker).not.toHaveReceivedCommand(DescribeEndpointCommand);
  });

  test('GIVEN a first deployment with instanceType and count in the input WHEN created THEN they are used', async () => {
    await handler(stateAt('described', { firstDeployment: true, promotion: { instanceType: 'ml.g5.xlarge', initialInstanceCount: 3 } }));

    expect(sagemaker).toHaveReceivedCommandWith(CreateEndpointConfigCommand, {
      ProductionVariants: [expect.objectContaining({ InstanceType: 'ml.g5.xlarge', InitialInstanceCount: 3 })],
    });
  });

  test('GIVEN a first deployment and a package without realtime instance types WHEN created THEN InvalidPromotionInput asks for instanceType', async () => {
    sagemaker.on(DescribeModelPackageCommand).resolves({ ModelApprovalStatus: 'Approved', InferenceSpecification: { Containers: [{ Image: 'img' }] } });

    await expect(handler(stateAt('described', { firstDeployment: true }))).rejects.toMatchObject({
      name: 'InvalidPromotionInput',
      message: expect.stringMatching(new RegExp(`^instanceType: endpoint ${ENDPOINT} does not exist yet`)),
    });
    expect(sagemaker).not.toHaveReceivedCommand(CreateEndpointConfigCommand);
  });

  test('GIVEN SageMaker throttles CreateEndpointConfig WHEN created THEN ThrottlingException propagates', async () => {
    sagemaker.on(CreateEndpointConfigCommand).rejects(throttled());

    await expect(handler(state)).rejects.toMatchObject({ name: 'ThrottlingException' });
  });

  test('GIVEN CreateModel fails with a ValidationException that is not "already existing" WHEN created THEN it propagates', async () => {
    sagemaker.on(CreateModelCommand).rejects(sageMakerError('ValidationException', 'Could not access model data at s3://models/churn/v2/model.tar.gz.'));

    await expect(handler(state)).rejects.toMatchObject({ name: 'ValidationException', message: expect.stringMatching(/Could not access model data/) });
    expect(sagemaker).not.toHaveReceivedCommand(CreateEndpointConfigCommand);
  });
});
