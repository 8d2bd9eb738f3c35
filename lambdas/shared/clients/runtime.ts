import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { clientConfig } from './config';

export const sagemakerRuntime = new SageMakerRuntimeClient(clientConfig);
