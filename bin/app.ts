#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { parseAppConfig } from '../lib/config';
import { BlueGreenStack } from '../lib/stack';

const app = new App();
const config = parseAppConfig(app.node.tryGetContext('bluegreen'));
new BlueGreenStack(app, app.node.tryGetContext('stackName') ?? 'SageMakerBlueGreen', {
  config,
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
