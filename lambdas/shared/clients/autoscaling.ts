import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { clientConfig } from './config';

export const autoscaling = new ApplicationAutoScalingClient(clientConfig);
