import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { tracer } from '../powertools';
import { clientConfig } from './config';

export const autoscaling = tracer.captureAWSv3Client(new ApplicationAutoScalingClient(clientConfig));
