import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeModelPackageCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import type { ValidateInputEvent } from '../../../lambdas/shared/contracts';
import { greenNames } from '../../../lambdas/shared/naming';
import { ENV } from '../../../lambdas/shared/settings';
import { handler } from '../../../lambdas/validate-input';
import { cloudWatchError, ENDPOINT, packageArn, quietMetrics, ROLE, sageMakerError, setStepEnvironment, throttled } from '../../support/fixtures';

const sagemaker = mockClient(SageMakerClient);
const cloudwatch = mockClient(CloudWatchClient);
quietMetrics();

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
  setStepEnvironment();
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
    process.env[ENV.endpointEvents] = 'true';
    try {
      await expect(handler(event(minimal))).resolves.toMatchObject({ endpointEvents: true });
    } finally {
      delete process.env[ENV.endpointEvents];
    }
  });

  test('GIVEN a bake and deadlines that cannot fit the state machine\'s timeout WHEN validated THEN it is refused before anything is read, naming both fields', async () => {
    process.env[ENV.executionTimeoutSeconds] = '7200';
    try {
      await expect(handler(event({ ...minimal, bakeSeconds: 3600, deadlines: { inServiceSeconds: 600 } }))).rejects.toMatchObject({
        name: 'InvalidPromotionInput',
        message: expect.stringMatching(/^bakeSeconds, deadlines\.inServiceSeconds: a bake of 3600 s with 600 s in-service deadlines needs up to 10200 s .*more than the execution timeout of 7200 s/),
      });
      expect(sagemaker).not.toHaveReceivedCommand(DescribeModelPackageCommand);
    } finally {
      delete process.env[ENV.executionTimeoutSeconds];
    }
  });

  test('GIVEN stack and input guardrail alarms that exist WHEN validated THEN they are checked once each and merged', async () => {
    process.env[ENV.defaultAlarmNames] = JSON.stringify(['churn-5xx']);

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
    process.env[ENV.allowedEndpointNames] = '[]';
    process.env[ENV.allowedEndpointPrefix] = 'churn-';

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
