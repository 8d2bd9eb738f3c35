import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { tracer } from '../powertools';
import { clientConfig } from './config';

export const cloudwatch = tracer.captureAWSv3Client(new CloudWatchClient(clientConfig));
