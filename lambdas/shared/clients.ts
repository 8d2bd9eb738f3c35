import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { tracer } from './powertools';

/**
 * Module-scope clients, created once per Lambda container. Retries are the SDK's
 * standard mode (exponential backoff with full jitter on throttling and 5xx); the
 * state machine retries again by error name on top of that.
 * Endpoints come from the standard AWS_ENDPOINT_URL_<SERVICE> variables, which is
 * how the local AWS redirects these very clients.
 */
const common = { maxAttempts: 4, retryMode: 'standard' } as const;

export const sagemaker = tracer.captureAWSv3Client(new SageMakerClient(common));
export const sagemakerRuntime = tracer.captureAWSv3Client(new SageMakerRuntimeClient(common));
export const cloudwatch = tracer.captureAWSv3Client(new CloudWatchClient(common));
export const s3 = tracer.captureAWSv3Client(new S3Client(common));
export const dynamo = DynamoDBDocumentClient.from(tracer.captureAWSv3Client(new DynamoDBClient(common)), {
  marshallOptions: { removeUndefinedValues: true },
});
