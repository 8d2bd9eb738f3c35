import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

/**
 * One Powertools setup shared by every step; the service name is the product's, the step goes in each line.
 * No Tracer: X-Ray traces come from active tracing on the functions and the state machine, and the SDK's
 * own X-Amzn-Trace-Id header; per-client capture would bundle the X-Ray SDK into every function
 * (see clients/config.ts).
 */
export const logger = new Logger({ serviceName: 'sagemaker-bluegreen' });
export const metrics = new Metrics({ namespace: 'SageMakerBlueGreen', serviceName: 'sagemaker-bluegreen' });
