import { DeleteObjectCommand, HeadObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { DescribeEndpointConfigCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import type { AsyncLeftover } from '../../../lambdas/shared/async-validation';
import { validateAsync } from '../../../lambdas/validate-green/async';
import { setStepEnvironment, stateAt } from '../../support/fixtures';

/**
 * validate-green/async.ts, what an earlier validation of the promotion left (LockItem.asyncLeftovers):
 * a later one (the serving fleet's, a retry) deletes what it can now and records the rest on the lock.
 * The requests themselves run against the local AWS (test/scenarios/async-endpoint.test.ts).
 */
const s3 = mockClient(S3Client);
const sagemaker = mockClient(SageMakerClient);
const dynamo = mockClient(DynamoDBDocumentClient);

const s3Error = (name: string, status: number) => new S3ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: status }, message: name });
const promotion = () => {
  const p = stateAt('stoodUp').promotion;
  return { ...p, kind: 'asynchronous' as const, validation: { ...p.validation, samples: [], asyncOutputSeconds: 30 } };
};
const TARGET = { endpointName: 'churn-val', configName: 'churn-val-config', serving: true };
const UPLOAD = 's3://out/churn/bluegreen-validation/p/inputs/p-sample-1';
const OUTPUT = 's3://out/churn/bluegreen-validation/p/1.out';
const FAILURE = 's3://out/failures/bluegreen-validation-x-1-error.out';
const lockWrites = () => dynamo.commandCalls(UpdateCommand).map((c) => ({ expression: c.args[0].input.UpdateExpression, left: c.args[0].input.ExpressionAttributeValues?.[':left'] }));
const deleted = () => s3.commandCalls(DeleteObjectCommand).map((c) => `s3://${c.args[0].input.Bucket}/${c.args[0].input.Key}`);

beforeEach(() => {
  s3.reset();
  sagemaker.reset();
  dynamo.reset();
  setStepEnvironment();
  sagemaker.on(DescribeEndpointConfigCommand).resolves({ EndpointConfigName: TARGET.configName, AsyncInferenceConfig: { OutputConfig: { S3OutputPath: 's3://out/churn' } } });
  dynamo.on(UpdateCommand).resolves({});
  s3.on(DeleteObjectCommand).resolves({});
});

describe('validate-green async: what an earlier validation left', () => {
  test('GIVEN an object S3 refused to delete and a late answer that has landed since WHEN validated again THEN both are deleted (the answer where it landed) and the lock forgets them', async () => {
    s3.on(HeadObjectCommand, { Key: 'churn/bluegreen-validation/p/1.out' }).rejects(s3Error('NotFound', 404));
    s3.on(HeadObjectCommand, { Key: 'failures/bluegreen-validation-x-1-error.out' }).resolves({});
    const earlier: AsyncLeftover[] = [
      { kind: 'undeleted', uri: UPLOAD, error: 'AccessDenied: Access Denied' },
      { kind: 'pending', uris: [OUTPUT, FAILURE], seconds: 30 },
    ];

    await validateAsync(promotion(), TARGET, earlier);

    expect(deleted()).toEqual([UPLOAD, FAILURE]);
    expect(lockWrites()).toEqual([{ expression: 'REMOVE asyncLeftovers', left: undefined }]);
  });

  test('GIVEN an answer that has still not landed WHEN validated again THEN nothing is deleted and the lock is left as it is', async () => {
    s3.on(HeadObjectCommand).rejects(s3Error('NotFound', 404));

    await validateAsync(promotion(), TARGET, [{ kind: 'pending', uris: [OUTPUT, FAILURE], seconds: 30 }]);

    expect(deleted()).toEqual([]);
    expect(lockWrites()).toEqual([]);
  });

  test('GIVEN S3 will not say whether the answer landed (HeadObject refused) WHEN validated again THEN it stays pending: nothing deleted, nothing forgotten', async () => {
    s3.on(HeadObjectCommand).rejects(s3Error('Forbidden', 403));

    await validateAsync(promotion(), TARGET, [{ kind: 'pending', uris: [OUTPUT, FAILURE], seconds: 30 }]);

    expect(deleted()).toEqual([]);
    expect(lockWrites()).toEqual([]);
  });

  test('GIVEN S3 refuses the delete again WHEN validated again THEN the object stays on the lock with the new error', async () => {
    s3.on(DeleteObjectCommand).rejects(s3Error('AccessDenied', 403));

    await validateAsync(promotion(), TARGET, [{ kind: 'undeleted', uri: UPLOAD, error: 'AccessDenied: earlier' }]);

    expect(lockWrites()).toEqual([{ expression: 'SET asyncLeftovers = :left', left: [{ kind: 'undeleted', uri: UPLOAD, error: 'AccessDenied: AccessDenied' }] }]);
  });
});
