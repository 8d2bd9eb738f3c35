import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import {
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  DescribeInferenceComponentCommand,
  DescribeModelPackageCommand,
  ListInferenceComponentsCommand,
  SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import type { ValidateInputEvent } from '../../../lambdas/shared/contracts';
import { DEFAULT_ASYNC_OUTPUT_SECONDS } from '../../../lambdas/shared/input';
import { inputBytes, MAX_INPUT_BYTES } from '../../../lambdas/shared/limits';
import { greenNames } from '../../../lambdas/shared/naming';
import { handler } from '../../../lambdas/validate-input';
import { cloudWatchError, ENDPOINT, packageArn, ROLE, sageMakerError, setStepEnvironment, changeStepSettings, throttled } from '../../support/fixtures';

const sagemaker = mockClient(SageMakerClient);
const cloudwatch = mockClient(CloudWatchClient);
const dynamo = mockClient(DynamoDBDocumentClient);
const TABLE = 'bluegreen-promotions';

const event = (input: unknown): ValidateInputEvent => ({
  input,
  executionName: 'promotion-1',
  executionArn: 'arn:aws:states:us-east-1:111122223333:execution:bluegreen-promotion:promotion-1',
  startTime: '2025-01-01T00:00:00.000Z',
});
const minimal = { endpointName: ENDPOINT, modelPackageArn: packageArn(2) };

beforeEach(() => {
  sagemaker.reset();
  cloudwatch.reset();
  dynamo.reset();
  setStepEnvironment();
  dynamo.on(GetCommand).resolves({});
  sagemaker.on(DescribeModelPackageCommand).resolves({ ModelPackageArn: packageArn(2), ModelApprovalStatus: 'Approved' });
  cloudwatch.on(DescribeAlarmsCommand).callsFake((input: { AlarmNames?: string[] }) => ({
    MetricAlarms: (input.AlarmNames ?? []).map((AlarmName) => ({ AlarmName, StateValue: 'OK' })),
  }));
});

describe('validate-input', () => {
  test('GIVEN a minimal valid input WHEN validated THEN the promotion carries the stack defaults, polls and deterministic names', async () => {
    const promotion = await handler(event(minimal));

    expect(promotion).toEqual({
      id: 'promotion-1',
      executionArn: 'arn:aws:states:us-east-1:111122223333:execution:bluegreen-promotion:promotion-1',
      endpointName: ENDPOINT,
      modelPackageArn: packageArn(2),
      modelPackageGroup: 'churn-models',
      modelPackageVersion: 2,
      startedAt: '2025-01-01T00:00:00.000Z',
      requestedBy: 'unknown',
      strategy: 'guardrails',
      kind: 'real-time',
      strategyReason: 'a first deployment: CreateEndpoint of a single-variant real-time endpoint (strategy guardrails for the promotions after it)',
      traffic: { type: 'ALL_AT_ONCE' },
      bakeSeconds: 600,
      pollSeconds: 30,
      inServicePolls: 60,
      endpointEvents: false,
      executionRoleArn: undefined,
      instanceType: undefined,
      initialInstanceCount: undefined,
      validation: { mode: 'endpoint', contentType: 'application/json', accept: undefined, maxLatencyMs: 2000, samples: [] },
      guardrailAlarmNames: [],
      greenAlarms: { enabled: true, max5xxErrors: 0, maxModelLatencyMs: 1000 },
      names: greenNames(ENDPOINT, 2, 'promotion-1'),
    });
    expect(sagemaker).toHaveReceivedCommandWith(DescribeModelPackageCommand, { ModelPackageName: packageArn(2) });
    expect(cloudwatch).not.toHaveReceivedCommand(DescribeAlarmsCommand);
  });

  test('GIVEN input overrides WHEN validated THEN they win over the defaults and the polls follow them', async () => {
    const promotion = await handler(
      event({
        ...minimal,
        bakeSeconds: 0,
        deadlines: { inServiceSeconds: 90 },
        greenAlarms: { maxModelLatencyMs: 250 },
        validation: { contentType: 'text/csv', maxLatencyMs: 300, samples: [{ body: '1,2' }] },
        requestedBy: 'alice',
      }),
    );

    expect(promotion).toMatchObject({
      bakeSeconds: 0,
      inServicePolls: 3,
      requestedBy: 'alice',
      greenAlarms: { enabled: true, max5xxErrors: 0, maxModelLatencyMs: 250 },
      validation: { contentType: 'text/csv', maxLatencyMs: 300, samples: [{ body: '1,2' }] },
    });
  });

  test('GIVEN the stack\'s endpoint trigger WHEN validated THEN the promotion waits on endpoint events', async () => {
    changeStepSettings({ endpointEvents: true });
    await expect(handler(event(minimal))).resolves.toMatchObject({ endpointEvents: true });
  });

  test('GIVEN a bake and deadlines that cannot fit the state machine\'s timeout WHEN validated THEN it is refused before anything is read, naming both fields', async () => {
    changeStepSettings({ executionTimeoutSeconds: 7200 });
    await expect(handler(event({ ...minimal, bakeSeconds: 3600, deadlines: { inServiceSeconds: 600 } }))).rejects.toMatchObject({
      name: 'InvalidPromotionInput',
      message: expect.stringMatching(/^bakeSeconds, deadlines\.inServiceSeconds: a bake of 3600 s with 600 s in-service deadlines needs up to 10200 s .*more than the execution timeout of 7200 s/),
    });
    expect(sagemaker).not.toHaveReceivedCommand(DescribeModelPackageCommand);
  });

  test('GIVEN stack and input guardrail alarms that exist WHEN validated THEN they are checked once each and merged', async () => {
    changeStepSettings({ defaultAlarmNames: ['churn-5xx'] });

    const promotion = await handler(event({ ...minimal, guardrailAlarmNames: ['churn-latency', 'churn-5xx'] }));

    expect(promotion.guardrailAlarmNames).toEqual(['churn-5xx', 'churn-latency']);
    expect(cloudwatch).toHaveReceivedCommandTimes(DescribeAlarmsCommand, 1);
    expect(cloudwatch).toHaveReceivedCommandWith(DescribeAlarmsCommand, { AlarmNames: ['churn-5xx', 'churn-latency'], AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] });
  });

  test('GIVEN a guardrail alarm that does not exist WHEN validated THEN InvalidPromotionInput names it', async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [{ AlarmName: 'churn-5xx' }], CompositeAlarms: [] });

    await expect(handler(event({ ...minimal, guardrailAlarmNames: ['churn-5xx', 'churn-typo'] }))).rejects.toMatchObject({
      name: 'InvalidPromotionInput',
      message: expect.stringMatching(/^guardrailAlarmNames: no CloudWatch alarm named churn-typo;/),
    });
  });

  test('GIVEN an input the schema refuses WHEN validated THEN InvalidPromotionInput names the field and nothing is called', async () => {
    await expect(handler(event({ ...minimal, endpointName: 'churn_prediction' }))).rejects.toMatchObject({
      name: 'InvalidPromotionInput',
      message: expect.stringMatching(/^endpointName: /),
    });
    expect(sagemaker).not.toHaveReceivedCommand(DescribeModelPackageCommand);
  });

  test('GIVEN no input at all WHEN validated THEN InvalidPromotionInput is thrown', async () => {
    await expect(handler(event(null))).rejects.toMatchObject({ name: 'InvalidPromotionInput' });
  });

  test('GIVEN an endpoint, group and role the stack does not manage WHEN validated THEN every problem is reported at once and nothing is called', async () => {
    const input = {
      endpointName: 'fraud-detection',
      modelPackageArn: packageArn(2, 'fraud-models'),
      executionRoleArn: 'arn:aws:iam::111122223333:role/Other',
    };

    const error = await handler(event(input)).catch((e: unknown) => e);

    expect(error).toMatchObject({ name: 'InvalidPromotionInput' });
    const message = (error as Error).message;
    expect(message).toMatch(/endpointName: fraud-detection is not managed by this stack \(allowed: churn-prediction\)/);
    expect(message).toMatch(/modelPackageArn: group fraud-models is not one of this stack's model package groups \(churn-models\)/);
    expect(message).toMatch(new RegExp(`executionRoleArn: arn:aws:iam::111122223333:role/Other is not one of the model execution roles this stack may pass \\(${ROLE}\\)`));
    expect(sagemaker).not.toHaveReceivedCommand(DescribeModelPackageCommand);
  });

  test('GIVEN an endpoint allowed by prefix WHEN validated THEN it passes', async () => {
    changeStepSettings({ allowedEndpointNames: [], allowedEndpointPrefix: 'churn-' });

    await expect(handler(event(minimal))).resolves.toMatchObject({ endpointName: ENDPOINT });
  });

  test('GIVEN a model package that does not exist WHEN validated THEN InvalidPromotionInput names modelPackageArn and SageMaker’s message', async () => {
    sagemaker.on(DescribeModelPackageCommand).rejects(sageMakerError('ValidationException', `ModelPackage ${packageArn(2)} does not exist.`));

    await expect(handler(event(minimal))).rejects.toMatchObject({
      name: 'InvalidPromotionInput',
      message: expect.stringMatching(/^modelPackageArn: .* cannot be described: ModelPackage .* does not exist\./),
    });
  });

  test('GIVEN a model package pending approval WHEN validated THEN ModelPackageNotDeployable says only Approved ones are deployed', async () => {
    sagemaker.on(DescribeModelPackageCommand).resolves({ ModelApprovalStatus: 'PendingManualApproval' });

    await expect(handler(event(minimal))).rejects.toMatchObject({
      name: 'ModelPackageNotDeployable',
      message: expect.stringMatching(/is PendingManualApproval; only Approved model packages are deployed/),
    });
  });

  test('GIVEN SageMaker throttles WHEN validated THEN ThrottlingException propagates for the state machine to retry', async () => {
    sagemaker.on(DescribeModelPackageCommand).rejects(throttled());

    await expect(handler(event(minimal))).rejects.toMatchObject({ name: 'ThrottlingException' });
  });

  test('GIVEN CloudWatch throttles WHEN alarms are checked THEN the throttling error propagates', async () => {
    cloudwatch.on(DescribeAlarmsCommand).rejects(cloudWatchError('Throttling', 'Rate exceeded'));

    await expect(handler(event({ ...minimal, guardrailAlarmNames: ['churn-5xx'] }))).rejects.toMatchObject({ name: 'Throttling' });
  });
});

describe('validate-input: a busy endpoint answers PromotionInProgress first', () => {
  const holder = {
    endpointName: ENDPOINT,
    endpointDisplayName: ENDPOINT,
    sk: 'LOCK',
    promotionId: 'promotion-0',
    executionArn: 'arn:aws:states:us-east-1:111122223333:execution:bluegreen-promotion:promotion-0',
    modelPackageArn: packageArn(1),
    acquiredAt: '2024-12-31T23:00:00.000Z',
    inFlight: 'yes',
  };

  test('GIVEN another promotion holds the lock WHEN a start spelled in other case is validated THEN PromotionInProgress names it (id, version, since, the fix), the refused start is recorded, and nothing about the endpoint is read', async () => {
    dynamo.on(GetCommand, { Key: { endpointName: ENDPOINT, sk: 'LOCK' } }).resolves({ Item: holder });
    const spelled = 'Churn-Prediction';

    await expect(handler(event({ ...minimal, endpointName: spelled, requestedBy: 'alice' }))).rejects.toMatchObject({
      name: 'PromotionInProgress',
      message:
        `endpoint ${spelled} (spelled ${ENDPOINT} by that promotion) is being promoted by promotion-0 (version 1, model package ${packageArn(1)}, since 2024-12-31T23:00:00.000Z); ` +
        `wait for it to end or abort it with "bluegreen rollback ${spelled}"`,
    });
    expect(dynamo).toHaveReceivedCommandWith(GetCommand, { TableName: TABLE, Key: { endpointName: ENDPOINT, sk: 'LOCK' }, ConsistentRead: true });
    expect(dynamo).toHaveReceivedCommandTimes(PutCommand, 1);
    expect(dynamo).toHaveReceivedCommandWith(PutCommand, {
      TableName: TABLE,
      Item: {
        endpointName: ENDPOINT,
        endpointDisplayName: spelled,
        sk: 'PROMOTION#2025-01-01T00:00:00.000Z#promotion-1',
        promotionId: 'promotion-1',
        executionArn: 'arn:aws:states:us-east-1:111122223333:execution:bluegreen-promotion:promotion-1',
        modelPackageArn: packageArn(2),
        modelPackageVersion: 2,
        requestedBy: 'alice',
        startedAt: '2025-01-01T00:00:00.000Z',
        finishedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        outcome: 'refused',
        reason: expect.stringMatching(/^endpoint Churn-Prediction .* is being promoted by promotion-0/),
        failedWith: 'PromotionInProgress',
        refusedFor: 'promotion-0',
      },
    });
    expect(sagemaker).not.toHaveReceivedCommand(DescribeEndpointCommand);
    expect(sagemaker).not.toHaveReceivedCommand(DescribeEndpointConfigCommand);
    expect(sagemaker).not.toHaveReceivedCommand(DescribeModelPackageCommand);
  });

  test('GIVEN another promotion holds the lock and the input has other problems too WHEN validated THEN PromotionInProgress still comes first', async () => {
    dynamo.on(GetCommand).resolves({ Item: holder });

    await expect(handler(event({ ...minimal, executionRoleArn: 'arn:aws:iam::111122223333:role/Other', bakeSeconds: 64_800, deadlines: { inServiceSeconds: 7200 } }))).rejects.toMatchObject({
      name: 'PromotionInProgress',
    });
  });

  test('GIVEN the lock is held by this same execution (a retried first state) WHEN validated THEN it is not refused by itself', async () => {
    dynamo.on(GetCommand).resolves({ Item: { ...holder, promotionId: 'promotion-1' } });

    await expect(handler(event(minimal))).resolves.toMatchObject({ id: 'promotion-1' });
    expect(dynamo).not.toHaveReceivedCommand(PutCommand);
  });

  test('GIVEN a free endpoint WHEN validated THEN the lock is read and nothing is written', async () => {
    await handler(event(minimal));

    expect(dynamo).toHaveReceivedCommandTimes(GetCommand, 1);
    expect(dynamo).not.toHaveReceivedCommand(PutCommand);
  });
});

describe('validate-input: limits checked before anything starts', () => {
  test(`GIVEN an input over ${MAX_INPUT_BYTES} bytes (Step Functions service quotas: 256 KiB per state, which carries the input and the results) WHEN validated THEN it is refused naming the limit and the fix, before the lock is read`, async () => {
    const samples = Array.from({ length: 3 }, (_, i) => ({ name: `big-${i}`, body: 'x'.repeat(30 * 1024) }));

    await expect(handler(event({ ...minimal, validation: { samples } }))).rejects.toMatchObject({
      name: 'InvalidPromotionInput',
      message: expect.stringMatching(/^\(input\): the promotion input is \d+ bytes, over the 65536-byte \(64 KiB\) limit: .*move the large validation\.samples bodies to S3 \(s3Uri\)/),
    });
    expect(dynamo).not.toHaveReceivedCommand(GetCommand);
  });

  test('GIVEN an input of exactly the limit WHEN validated THEN it is accepted, and one byte more is refused', async () => {
    const sized = (bytes: number) => {
      const input = { ...minimal, validation: { samples: [{ body: 'x'.repeat(32 * 1024) }, { body: '' }] } };
      input.validation.samples[1]!.body = 'y'.repeat(bytes - inputBytes(input));
      return input;
    };
    expect(inputBytes(sized(MAX_INPUT_BYTES))).toBe(MAX_INPUT_BYTES);

    await expect(handler(event(sized(MAX_INPUT_BYTES)))).resolves.toMatchObject({ id: 'promotion-1' });
    await expect(handler(event(sized(MAX_INPUT_BYTES + 1)))).rejects.toMatchObject({ name: 'InvalidPromotionInput', message: expect.stringMatching(/is 65537 bytes, over the 65536-byte/) });
  });

  test('GIVEN a model package of another region than the execution\'s WHEN validated THEN it is refused naming both regions, before SageMaker is asked', async () => {
    const other = packageArn(2).replace(':us-east-1:', ':eu-west-1:');

    await expect(handler(event({ ...minimal, modelPackageArn: other }))).rejects.toMatchObject({
      name: 'InvalidPromotionInput',
      message: expect.stringMatching(/^modelPackageArn: .* is a model package of region eu-west-1, and this stack runs in us-east-1: SageMaker deploys a package only in its own region/),
    });
    expect(sagemaker).not.toHaveReceivedCommand(DescribeModelPackageCommand);
  });

  test('GIVEN a model package of another account WHEN validated THEN it is refused naming both accounts and the resource policy it would need', async () => {
    const other = packageArn(2).replace(':111122223333:', ':444455556666:');

    await expect(handler(event({ ...minimal, modelPackageArn: other }))).rejects.toMatchObject({
      name: 'InvalidPromotionInput',
      message: expect.stringMatching(/^modelPackageArn: .* belongs to account 444455556666, not this stack's account 111122223333: .*PutModelPackageGroupPolicy/),
    });
    expect(sagemaker).not.toHaveReceivedCommand(DescribeModelPackageCommand);
  });
});

describe('validate-input: the endpoint\'s kind chooses the strategy, before the lock', () => {
  const EP_CONFIG = 'churn-blue-config';
  const endpointOf = (variants: Array<{ VariantName: string; CurrentInstanceCount?: number }>) => ({
    EndpointName: ENDPOINT,
    EndpointConfigName: EP_CONFIG,
    EndpointStatus: 'InService' as const,
    ProductionVariants: variants.map((v) => ({ ...v, CurrentWeight: 1 })),
  });
  const given = (config: Record<string, unknown>, running = endpointOf([{ VariantName: 'AllTraffic', CurrentInstanceCount: 2 }])) => {
    sagemaker.on(DescribeEndpointCommand).resolves(running);
    sagemaker.on(DescribeEndpointConfigCommand).resolves({ EndpointConfigName: EP_CONFIG, ...config });
  };
  const serverless = { ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: 'm', ServerlessConfig: { MemorySizeInMB: 2048, MaxConcurrency: 5 } }] };
  const realtime = { ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: 'm', InstanceType: 'ml.m5.large', InitialInstanceCount: 2 }] };
  const asynchronous = { ...realtime, AsyncInferenceConfig: { OutputConfig: { S3OutputPath: 's3://out/churn' } } };
  const components = { ProductionVariants: [{ VariantName: 'AllTraffic', InstanceType: 'ml.g5.2xlarge', InitialInstanceCount: 2 }] };
  const component = (name: string, copies: number) => ({
    InferenceComponentName: name,
    EndpointName: ENDPOINT,
    VariantName: 'AllTraffic',
    InferenceComponentStatus: 'InService' as const,
    Specification: { ModelName: `${name}-model`, ComputeResourceRequirements: { MinMemoryRequiredInMb: 1024 } },
    RuntimeConfig: { DesiredCopyCount: copies, CurrentCopyCount: copies },
  });
  const givenComponents = (...list: Array<ReturnType<typeof component>>) => {
    given(components);
    sagemaker.on(ListInferenceComponentsCommand).resolves({ InferenceComponents: list.map((c) => ({ ...c, CreationTime: new Date(0), LastModifiedTime: new Date(0), InferenceComponentArn: `arn:${c.InferenceComponentName}`, EndpointArn: 'arn:e' })) });
    for (const c of list) sagemaker.on(DescribeInferenceComponentCommand, { InferenceComponentName: c.InferenceComponentName }).resolves(c);
  };
  const expectRefused = async (input: Record<string, unknown>, message: RegExp) => {
    await expect(handler(event({ ...minimal, ...input }))).rejects.toMatchObject({ name: 'InvalidPromotionInput', message: expect.stringMatching(message) });
    expect(dynamo).not.toHaveReceivedCommand(PutCommand);
    expect(sagemaker).not.toHaveReceivedCommand(DescribeModelPackageCommand);
  };

  test('GIVEN a serverless endpoint and no strategy WHEN validated THEN replace is chosen, saying why, and its variant is the target', async () => {
    given(serverless);
    await expect(handler(event(minimal))).resolves.toMatchObject({ kind: 'serverless', strategy: 'replace', variantName: 'AllTraffic', strategyReason: expect.stringMatching(/^chosen for a serverless endpoint: .*deployment guardrails do not apply/) });
  });

  test('GIVEN a serverless endpoint and strategy guardrails WHEN validated THEN it is refused naming the fix, nothing locked', async () => {
    given(serverless);
    await expectRefused({ strategy: 'guardrails' }, /^strategy: guardrails does not fit a serverless endpoint .*; use strategy replace, or leave strategy out/);
  });

  test('GIVEN a serverless endpoint, no strategy and traffic routing WHEN validated THEN traffic is refused once the kind chose replace', async () => {
    given(serverless);
    await expectRefused({ traffic: { type: 'CANARY', percent: 10 } }, /^traffic: SageMaker's traffic routing applies to the guardrails strategy, not replace; .*\(strategy replace: chosen for a serverless endpoint/);
  });

  test('GIVEN a multi-variant endpoint, a stack defaulting to variant and a variantName WHEN validated THEN guardrails is chosen for it', async () => {
    changeStepSettings({ defaultStrategy: 'variant' });
    given({ ProductionVariants: [...realtime.ProductionVariants, { ...realtime.ProductionVariants[0], VariantName: 'B' }] }, endpointOf([{ VariantName: 'AllTraffic' }, { VariantName: 'B' }]));
    await expect(handler(event({ ...minimal, variantName: 'B' }))).resolves.toMatchObject({ kind: 'multi-variant', strategy: 'guardrails', variantName: 'B' });
  });

  test('GIVEN an asynchronous endpoint WHEN validated THEN guardrails is chosen and the output deadline defaults; on a real-time endpoint asyncOutputSeconds is refused', async () => {
    given(asynchronous);
    await expect(handler(event(minimal))).resolves.toMatchObject({ kind: 'asynchronous', strategy: 'guardrails', validation: { asyncOutputSeconds: DEFAULT_ASYNC_OUTPUT_SECONDS } });
    sagemaker.resetHistory();
    given(realtime);
    await expectRefused({ validation: { asyncOutputSeconds: 30 } }, /^validation\.asyncOutputSeconds: churn-prediction is a real-time endpoint, which answers synchronously; remove asyncOutputSeconds/);
  });

  test('GIVEN an asynchronous endpoint answering into a bucket the stack was not given WHEN samples are to be validated THEN it is refused naming asyncOutputBucketNames; without samples it passes', async () => {
    given({ ...realtime, AsyncInferenceConfig: { OutputConfig: { S3OutputPath: 's3://team-outputs/churn' } } });
    await expectRefused({ validation: { samples: [{ body: '{}' }] } }, /^validation\.samples: churn-prediction is asynchronous and answers into s3:\/\/team-outputs\/churn; the stack may not write or read bucket team-outputs \(asyncOutputBucketNames: async-inference\); add it/);
    await expect(handler(event(minimal))).resolves.toMatchObject({ kind: 'asynchronous' });
  });

  test('GIVEN an asynchronous endpoint whose answers go to a stack bucket but whose failures go to another WHEN samples are to be validated THEN the failure bucket is refused too', async () => {
    given({ ...realtime, AsyncInferenceConfig: { OutputConfig: { S3OutputPath: 's3://async-inference/churn', S3FailurePath: 's3://team-failures/churn' } } });
    await expectRefused({ validation: { samples: [{ body: '{}' }] } }, /^validation\.samples: churn-prediction is asynchronous and answers into s3:\/\/team-failures\/churn; the stack may not write or read bucket team-failures /);
  });

  test('GIVEN no endpoint yet WHEN variantName or inferenceComponentName is given THEN it is refused: a first deployment has nothing to target', async () => {
    sagemaker.on(DescribeEndpointCommand).rejects(sageMakerError('ValidationException', `Could not find endpoint "${ENDPOINT}".`));
    await expectRefused({ variantName: 'B', inferenceComponentName: 'c' }, /^variantName, inferenceComponentName: endpoint churn-prediction does not exist yet/);
  });

  test('GIVEN no endpoint yet (a first deployment creates a real-time one) WHEN the input names strategy replace or component THEN it is refused before the lock, naming the fix', async () => {
    sagemaker.on(DescribeEndpointCommand).rejects(sageMakerError('ValidationException', `Could not find endpoint "${ENDPOINT}".`));
    await expectRefused({ strategy: 'component' }, /^strategy: component does not fit a real-time endpoint .*use strategy guardrails or variant.* \(churn-prediction does not exist yet: a first deployment creates one\)$/);
    await expectRefused({ strategy: 'replace' }, /^strategy: replace does not fit a real-time endpoint/);
  });

  test('GIVEN a real-time endpoint WHEN inferenceComponentName or rollingUpdate is given THEN each is refused naming the field', async () => {
    given(realtime);
    await expectRefused({ inferenceComponentName: 'c' }, /^inferenceComponentName: churn-prediction is a real-time endpoint with no inference components; remove inferenceComponentName/);
    await expectRefused({ rollingUpdate: { maximumBatchCopies: 1 } }, /^rollingUpdate: a rolling update of copies applies to the component strategy/);
  });

  test('GIVEN an endpoint with one inference component of 4 copies WHEN validated THEN component is chosen and the component is the target', async () => {
    givenComponents(component('llm', 4));
    await expect(handler(event({ ...minimal, rollingUpdate: { maximumBatchCopies: 2 } }))).resolves.toMatchObject({
      kind: 'inference-component',
      strategy: 'component',
      inferenceComponentName: 'llm',
      rollingUpdate: { maximumBatchCopies: 2 },
    });
  });

  test('GIVEN two components and no inferenceComponentName, or a name not there WHEN validated THEN each is refused listing the components', async () => {
    givenComponents(component('llm-a', 2), component('llm-b', 2));
    await expectRefused({}, /^inferenceComponentName: churn-prediction hosts 2 inference components \(llm-a, llm-b\); name the one to promote/);
    await expectRefused({ inferenceComponentName: 'llm-c' }, /^inferenceComponentName: churn-prediction hosts no inference component llm-c \(it hosts llm-a, llm-b\)/);
  });

  test('GIVEN a component scaled to zero copies WHEN validated THEN it is refused saying why and how to scale it up', async () => {
    givenComponents(component('llm', 0));
    await expectRefused({}, /^inferenceComponentName: llm runs 0 copies \(scaled to zero\).*scale it up \(UpdateInferenceComponentRuntimeConfig CopyCount ≥ 1/);
  });

  test('GIVEN 40 copies WHEN batches of 2 each baked an hour are asked THEN it is refused: 20 h of baking is beyond SageMaker\'s 28800 s rolling timeout, which would always roll back', async () => {
    givenComponents(component('llm', 40));
    await expectRefused({ rollingUpdate: { maximumBatchCopies: 2, waitSeconds: 3600 } }, /^rollingUpdate: 40 copies in batches of 2, each baked 3600 s, take 72000 s plus up to \d+ s of provisioning, beyond SageMaker's 28800 s MaximumExecutionTimeoutInSeconds .*; raise rollingUpdate\.maximumBatchCopies or shorten rollingUpdate\.waitSeconds/);
  });

  test('GIVEN a component of one copy (it cannot roll) WHEN rollingUpdate.waitSeconds is given THEN it is refused as ignored, naming the field', async () => {
    givenComponents(component('llm', 1));
    await expectRefused({ rollingUpdate: { waitSeconds: 60 } }, /^rollingUpdate\.waitSeconds: llm runs 1 copy, which cannot roll .*; remove waitSeconds/);
  });

  test('GIVEN 4 copies WHEN maximumBatchCopies is 3 (more than 50%) THEN it is refused naming SageMaker\'s 5–50% and the range that fits', async () => {
    givenComponents(component('llm', 4));
    await expectRefused({ rollingUpdate: { maximumBatchCopies: 3 } }, /^rollingUpdate\.maximumBatchCopies: 3 of llm's 4 copies is outside SageMaker's 5–50% of the copy count .*; use 1–2/);
  });
});
