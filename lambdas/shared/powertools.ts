import { Logger } from '@aws-lambda-powertools/logger';

/**
 * One Powertools logger shared by every function (metrics are in ./metrics.ts, bundled only where published); the service name is the product's, the step goes in each line.
 * No Tracer: X-Ray traces come from active tracing on the functions and the state machine, and the SDK's
 * own X-Amzn-Trace-Id header; per-client capture would bundle the X-Ray SDK into every function
 * (see clients/config.ts).
 */
export const logger = new Logger({ serviceName: 'sagemaker-bluegreen' });
