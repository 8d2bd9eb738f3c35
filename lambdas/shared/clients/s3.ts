import { S3Client } from '@aws-sdk/client-s3';
import { clientConfig } from './config';

export const s3 = new S3Client(clientConfig);
