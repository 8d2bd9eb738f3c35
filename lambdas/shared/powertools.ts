import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';

/** One Powertools setup shared by every step; the service name is the product's, the step goes in each line. */
export const logger = new Logger({ serviceName: 'sagemaker-bluegreen' });
export const metrics = new Metrics({ namespace: 'SageMakerBlueGreen', serviceName: 'sagemaker-bluegreen' });
export const tracer = new Tracer({ serviceName: 'sagemaker-bluegreen' });
