import { Metrics } from '@aws-lambda-powertools/metrics';

/**
 * Powertools Metrics (EMF), imported only by the functions that publish: the others do not bundle it
 * (~14 KiB a bundle with its commons, `npm run bench -- bundles`).
 */
export const metrics = new Metrics({ namespace: 'SageMakerBlueGreen', serviceName: 'sagemaker-bluegreen' });
