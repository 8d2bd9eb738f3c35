import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { clientConfig } from './config';

export const eventBridge = new EventBridgeClient(clientConfig);
