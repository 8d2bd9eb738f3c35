import { SFNClient } from '@aws-sdk/client-sfn';
import { clientConfig } from './config';

export const sfn = new SFNClient(clientConfig);
