import { S3Client } from '@aws-sdk/client-s3';
import { tracer } from '../powertools';
import { clientConfig } from './config';

export const s3 = tracer.captureAWSv3Client(new S3Client(clientConfig));
