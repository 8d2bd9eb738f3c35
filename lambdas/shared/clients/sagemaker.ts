import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { tracer } from '../powertools';
import { clientConfig } from './config';

export const sagemaker = tracer.captureAWSv3Client(new SageMakerClient(clientConfig));
