import { Metrics } from '@aws-lambda-powertools/metrics';
import { optionalEnv } from './env';
import { METRICS_NAMESPACE, METRICS_SERVICE } from './outcome-metrics';

/**
 * Powertools Metrics (EMF), imported only by the functions that publish: the others do not bundle it
 * (~14 KiB a bundle with its commons, `npm run bench -- bundles`). The names and dimensions of what is
 * published are decided in ./outcome-metrics.ts; the dashboard (lib/observability.ts) reads them.
 */
export const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: METRICS_SERVICE });

/**
 * Powertools' `ColdStart` metric, once per function instance, with dimensions service and
 * function_name (the name Lambda sets in AWS_LAMBDA_FUNCTION_NAME), so the dashboard shows each function's.
 */
export function captureColdStart(): void {
  metrics.captureColdStartMetric(optionalEnv('AWS_LAMBDA_FUNCTION_NAME'));
}
