import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { clientConfig } from './config';

export const cloudwatch = new CloudWatchClient(clientConfig);
