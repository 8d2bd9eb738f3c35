import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { tracer } from '../powertools';
import { clientConfig } from './config';

export const sagemakerRuntime = tracer.captureAWSv3Client(new SageMakerRuntimeClient(clientConfig));
