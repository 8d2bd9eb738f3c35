import { GetObjectCommand, NoSuchKey, S3Client, type GetObjectCommandOutput } from '@aws-sdk/client-s3';
import { InvokeEndpointCommand, SageMakerRuntimeClient, ServiceUnavailable, ValidationError, type InvokeEndpointCommandOutput } from '@aws-sdk/client-sagemaker-runtime';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DescribeEndpointCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import type { ValidationSample } from '../../../lambdas/shared/input';
import { logger } from '../../../lambdas/shared/powertools';
import { handler } from '../../../lambdas/validate-green';
import { anEndpoint, BLUE_CONFIG, conditionalCheckFailed, BLUE_VARIANT, ENDPOINT, modelError, sageMakerError, setStepEnvironment, stateAt, lockHeldBy } from '../../support/fixtures';

const runtime = mockClient(SageMakerRuntimeClient);
const s3 = mockClient(S3Client);
/** A failed sample looks at the endpoint: was green failing, or did someone else change the endpoint? */
const sagemaker = mockClient(SageMakerClient);
/** The lock: every step reads it first, and acts only while its promotion holds it. */
const dynamo = mockClient(DynamoDBDocumentClient);

/** InvokeEndpoint's Body is a Uint8Array with helpers; the handler only decodes the bytes. */
const body = (text: string) => new TextEncoder().encode(text) as InvokeEndpointCommandOutput['Body'];
/** GetObject's Body is an SDK stream; the handler only calls transformToString. */
const s3Body = (text: string) => ({ transformToString: () => Promise.resolve(text) }) as unknown as GetObjectCommandOutput['Body'];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const withSamples = (samples: ValidationSample[], validation: { maxLatencyMs?: number; accept?: string } = {}) =>
  stateAt('stoodUp', { promotion: { validation: { mode: 'endpoint', contentType: 'application/json', maxLatencyMs: 1000, samples, ...validation } } });
const GREEN = stateAt('stoodUp').promotion.names.variant;
const PAIR = stateAt('stoodUp').promotion.names.pairConfig;

beforeEach(() => {
  runtime.reset();
  s3.reset();
  dynamo.reset();
  dynamo.on(GetCommand).resolves(lockHeldBy());
  sagemaker.reset();
  // As green stood up: the pair serving, blue's weights as they were, green at 0.
  sagemaker.on(DescribeEndpointCommand).resolves(anEndpoint(PAIR, [{ name: BLUE_VARIANT, weight: 1 }, { name: GREEN, weight: 0 }]));
  setStepEnvironment();
  runtime.on(InvokeEndpointCommand).resolves({ Body: body('{"churn":0.12,"label":"stay"}'), ContentType: 'application/json' });
});

describe('validate-green', () => {
  test('GIVEN no samples WHEN validated THEN green passes without a request', async () => {
    await expect(handler(withSamples([]))).resolves.toEqual({ passed: true, samples: [] });
    expect(runtime).not.toHaveReceivedCommand(InvokeEndpointCommand);
  });

  test('GIVEN good answers WHEN validated THEN each sample went to green only, with its content type, and passed, with when', async () => {
    const state = withSamples(
      [
        { name: 'typical-customer', body: '{"tenure":12}', expectContains: 'churn', expectJson: { label: 'stay' } },
        { body: '12,1', contentType: 'text/csv' },
      ],
      { accept: 'application/json' },
    );

    const result = await handler(state);

    expect(result).toEqual({
      passed: true,
      samples: [
        { name: 'typical-customer', ok: true, status: 200, latencyMs: expect.any(Number), problem: undefined },
        { name: 'sample-2', ok: true, status: 200, latencyMs: expect.any(Number), problem: undefined },
      ],
      // When green passed: the TimeToValidate metric (lambdas/shared/outcome-metrics.ts).
      at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    expect(runtime).toHaveReceivedNthCommandWith(1, InvokeEndpointCommand, {
      EndpointName: ENDPOINT,
      TargetVariant: GREEN,
      ContentType: 'application/json',
      Accept: 'application/json',
      Body: new TextEncoder().encode('{"tenure":12}'),
    });
    expect(runtime).toHaveReceivedNthCommandWith(2, InvokeEndpointCommand, { TargetVariant: GREEN, ContentType: 'text/csv', Body: new TextEncoder().encode('12,1') });
  });

  test('GIVEN green’s container answers 500 (ModelError) WHEN validated THEN GreenValidationFailed names the sample and the original status', async () => {
    runtime.on(InvokeEndpointCommand).rejects(modelError(500));

    await expect(handler(withSamples([{ name: 'typical-customer', body: '{}' }]))).rejects.toMatchObject({
      name: 'GreenValidationFailed',
      message: expect.stringMatching(new RegExp(`^green \\(variant ${GREEN}\\) failed 1 of 1 validation requests: typical-customer: status 500, expected 200 \\(ModelError: Received server error \\(500\\)`)),
    });
  });

  test('GIVEN samples fail WHEN validated THEN before GreenValidationFailed the failing samples are left on the lock, structured and bounded, for the rollback\'s event', async () => {
    runtime.on(InvokeEndpointCommand, { Body: new TextEncoder().encode('{"tenure":12}') }).rejects(modelError(500, 'model weights not found'));
    runtime.on(InvokeEndpointCommand, { Body: new TextEncoder().encode('{"tenure":0}') }).resolves({ Body: body(`{"label":"leave","pad":"${'x'.repeat(5000)}"}`) });
    const state = withSamples([
      { name: 'typical-customer', body: '{"tenure":12}', expectContains: 'churn' },
      { name: 'new-customer', body: '{"tenure":0}', expectJson: { label: 'stay' } },
      { name: 'fine', body: '{"tenure":3}' },
    ]);

    await expect(handler(state)).rejects.toMatchObject({ name: 'GreenValidationFailed' });

    expect(dynamo).toHaveReceivedCommandTimes(UpdateCommand, 1);
    const update = dynamo.commandCalls(UpdateCommand)[0]!.args[0].input;
    expect(update).toMatchObject({ UpdateExpression: 'SET validationEvidence = :evidence', ConditionExpression: 'promotionId = :me AND attribute_not_exists(recoveredBy)' });
    expect(update.ExpressionAttributeValues?.[':evidence']).toEqual({
      target: `variant ${GREEN}`,
      failed: 2,
      total: 3,
      at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      samples: [
        {
          name: 'typical-customer',
          status: 500,
          latencyMs: expect.any(Number),
          problem: expect.stringMatching(/^status 500, expected 200 \(ModelError/),
          bodyExcerpt: 'model weights not found',
          logStreamArn: expect.stringMatching(/^arn:aws:logs:.*:log-group:\/aws\/sagemaker\/Endpoints\//),
          expected: { status: 200, maxLatencyMs: 1000, contains: 'churn', json: null },
        },
        {
          name: 'new-customer',
          status: 200,
          latencyMs: expect.any(Number),
          problem: 'response.label is "leave", expected "stay"',
          bodyExcerpt: expect.stringMatching(/^\{"label":"leave","pad":"xxx.*…$/),
          logStreamArn: null,
          expected: { status: 200, maxLatencyMs: 1000, contains: null, json: '{"label":"stay"}' },
        },
      ],
    });
    expect((update.ExpressionAttributeValues?.[':evidence'] as { samples: Array<{ bodyExcerpt: string }> }).samples[1]!.bodyExcerpt).toHaveLength(256);
  });

  test('GIVEN the promotion no longer holds the lock WHEN its samples fail THEN PromotionEnded: nothing is written for a promotion that is over', async () => {
    runtime.on(InvokeEndpointCommand).rejects(modelError(500));
    dynamo.on(UpdateCommand).rejects(conditionalCheckFailed());

    await expect(handler(withSamples([{ name: 'typical', body: '{}' }]))).rejects.toMatchObject({ name: 'PromotionEnded' });
  });

  test('GIVEN an operator updated the endpoint back to blue\'s config after green stood up WHEN green\'s variant no longer answers THEN OutsideChange (the interrupted path), not GreenValidationFailed', async () => {
    runtime.on(InvokeEndpointCommand).rejects(new ValidationError({ message: `The variant ${GREEN} does not exist`, $metadata: { httpStatusCode: 400 } }));
    sagemaker.on(DescribeEndpointCommand).resolves(anEndpoint(BLUE_CONFIG, [{ name: BLUE_VARIANT, weight: 1 }]));
    const state = withSamples([{ name: 'typical', body: '{}' }]);

    await expect(handler({ ...state, wait: { phase: 'standUp', attempt: 2, ready: true, status: 'InService', elapsedSeconds: 60, waitSeconds: 60 } })).rejects.toMatchObject({
      name: 'OutsideChange',
      message: expect.stringMatching(/back on blue's config .* \(detected by validate-green at /),
    });
    // Not green's fault: no failing samples are left for a rollback that will not happen.
    expect(dynamo).not.toHaveReceivedCommand(UpdateCommand);
  });

  test('GIVEN the endpoint as green stood up WHEN a sample fails THEN GreenValidationFailed: green is at fault', async () => {
    runtime.on(InvokeEndpointCommand).rejects(modelError(500));
    await expect(handler(withSamples([{ name: 'typical', body: '{}' }]))).rejects.toMatchObject({ name: 'GreenValidationFailed' });
    expect(sagemaker).toHaveReceivedCommandWith(DescribeEndpointCommand, { EndpointName: ENDPOINT });
  });

  test('GIVEN a sample that expects a 400 WHEN green’s container answers 400 THEN it passes with that status', async () => {
    runtime.on(InvokeEndpointCommand).rejects(modelError(400, 'bad input'));

    const result = await handler(withSamples([{ name: 'bad-input', body: 'nonsense', expectedStatus: 400 }]));

    expect(result.samples).toEqual([expect.objectContaining({ name: 'bad-input', ok: true, status: 400 })]);
  });

  test('GIVEN an error without OriginalStatusCode WHEN validated THEN the HTTP status of the response is judged', async () => {
    runtime.on(InvokeEndpointCommand).rejects(new ValidationError({ $metadata: { httpStatusCode: 400 }, message: `Variant ${GREEN} not found for endpoint ${ENDPOINT}` }));

    await expect(handler(withSamples([{ body: '{}' }]))).rejects.toMatchObject({ name: 'GreenValidationFailed', message: expect.stringMatching(/sample-1: status 400, expected 200 \(ValidationError: Variant /) });
  });

  test('GIVEN InvokeEndpoint is throttled WHEN validated THEN ThrottlingException propagates for a retry, not a validation failure', async () => {
    runtime.on(InvokeEndpointCommand).rejects(sageMakerError('ThrottlingException', 'Rate exceeded'));

    await expect(handler(withSamples([{ body: '{}' }]))).rejects.toMatchObject({ name: 'ThrottlingException' });
  });

  test('GIVEN SageMaker Runtime is unavailable WHEN validated THEN ServiceUnavailable propagates for a retry', async () => {
    runtime.on(InvokeEndpointCommand).rejects(new ServiceUnavailable({ $metadata: { httpStatusCode: 503 }, message: 'Service unavailable' }));

    await expect(handler(withSamples([{ body: '{}' }]))).rejects.toMatchObject({ name: 'ServiceUnavailable' });
  });

  test('GIVEN green answers slower than the ceiling WHEN validated THEN GreenValidationFailed names the latency', async () => {
    runtime.on(InvokeEndpointCommand).callsFake(async () => {
      await sleep(25);
      return { Body: body('{"churn":0.12}') };
    });

    await expect(handler(withSamples([{ name: 'slow', body: '{}' }], { maxLatencyMs: 5 }))).rejects.toMatchObject({
      name: 'GreenValidationFailed',
      message: expect.stringMatching(/slow: latency \d+ ms over the 5 ms ceiling/),
    });
  });

  test('GIVEN several samples and two bad answers WHEN validated THEN every sample is sent and both problems are named', async () => {
    runtime
      .on(InvokeEndpointCommand)
      .resolvesOnce({ Body: body('{"label":"leave"}') })
      .resolvesOnce({ Body: body('{"label":"stay"}') })
      .resolvesOnce({ Body: body('not json') });

    const samples = [
      { name: 'a', body: '1', expectJson: { label: 'stay' } },
      { name: 'b', body: '2', expectJson: { label: 'stay' } },
      { name: 'c', body: '3', expectJson: { label: 'stay' } },
    ];

    await expect(handler(withSamples(samples))).rejects.toMatchObject({
      name: 'GreenValidationFailed',
      message: expect.stringMatching(/failed 2 of 3 validation requests: a: response\.label is "leave", expected "stay"; c: response is not JSON but expectJson was given$/),
    });
    expect(runtime).toHaveReceivedCommandTimes(InvokeEndpointCommand, 3);
  });

  test('GIVEN a sample stored in S3 WHEN validated THEN its body is read from the bucket and sent', async () => {
    s3.on(GetObjectCommand).resolves({ Body: s3Body('{"tenure":48}') });

    await handler(withSamples([{ s3Uri: 's3://validation-bucket/churn/long-tenure.json' }]));

    expect(s3).toHaveReceivedCommandWith(GetObjectCommand, { Bucket: 'validation-bucket', Key: 'churn/long-tenure.json' });
    expect(runtime).toHaveReceivedCommandWith(InvokeEndpointCommand, { Body: new TextEncoder().encode('{"tenure":48}') });
  });

  test('GIVEN the S3 sample does not exist WHEN validated THEN NoSuchKey propagates and green is not called', async () => {
    s3.on(GetObjectCommand).rejects(new NoSuchKey({ $metadata: {}, message: 'The specified key does not exist.' }));

    await expect(handler(withSamples([{ s3Uri: 's3://validation-bucket/missing.json' }]))).rejects.toMatchObject({ name: 'NoSuchKey' });
    expect(runtime).not.toHaveReceivedCommand(InvokeEndpointCommand);
  });
  test('GIVEN INFO logging WHEN green is validated THEN neither the payload nor the model answer is written (they may be customer data)', async () => {
    runtime.on(InvokeEndpointCommand).resolves({ Body: body('{"churn":0.99,"secret":"answer-7f3a"}'), ContentType: 'application/json' });
    const written: string[] = [];
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (written.push(String(chunk)), true));
    logger.setLogLevel('INFO');
    try {
      await handler(withSamples([{ name: 'vip', body: '{"ssn":"123-45-6789"}' }]));
    } finally {
      logger.setLogLevel('SILENT');
      spy.mockRestore();
    }
    const logs = written.join('');
    expect(logs).toContain('validate-green done');
    expect(logs).not.toContain('123-45-6789');
    expect(logs).not.toContain('answer-7f3a');
  });
});
