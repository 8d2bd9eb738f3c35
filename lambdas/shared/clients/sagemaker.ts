import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { clientConfig } from './config';

export const sagemaker = new SageMakerClient(clientConfig);
