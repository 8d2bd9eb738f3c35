import { SFNClient } from '@aws-sdk/client-sfn';
import { tracer } from '../powertools';
import { clientConfig } from './config';

export const sfn = tracer.captureAWSv3Client(new SFNClient(clientConfig));
