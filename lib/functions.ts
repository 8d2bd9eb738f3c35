import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { CONFIG_FILE, type FunctionConfig } from '../lambdas/shared/settings';
import { functionBundlesDir, packageRoot, scratchDir } from './bundling';
import type { FunctionName } from './function-names';

export { FUNCTION_NAMES, STEPS, TRIGGERS, type FunctionName, type StepName, type TriggerName } from './function-names';

export const PROJECT_ROOT = packageRoot();
/** Names the step a function runs; the local runner maps template functions to handlers by it. */
export const STEP_ENV = 'BLUEGREEN_STEP';

/** Lambda's quota on a function's environment: all keys and values, 4 KB in total (Lambda quotas page). */
export const MAX_ENVIRONMENT_BYTES = 4096;
/**
 * What an unresolved token (a table name, a state machine ARN) may take once deployed: a DynamoDB
 * table name is at most 255 characters, a state machine ARN at most 256 (their API references).
 */
const TOKEN_BYTES = 256;

/** A function's environment size as Lambda counts it, tokens at their longest. */
export function environmentBytes(environment: Record<string, string>): number {
  return Object.entries(environment).reduce((n, [k, v]) => n + Buffer.byteLength(k) + (Token.isUnresolved(v) ? TOKEN_BYTES : Buffer.byteLength(v)), 0);
}

export interface StepFunctionProps {
  readonly step: FunctionName;
  /** Deploy-time tokens only: everything else is in `config`. */
  readonly environment: Record<string, string>;
  /** Written beside the bundle as bluegreen.json (lambdas/shared/settings.ts reads it). */
  readonly config: FunctionConfig;
  /** @default Duration.minutes(1) */
  readonly timeout?: Duration;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/** Stands in for the bundle when the stack is synthesized with bundling skipped (`aws:cdk:bundling-stacks`). */
const NOT_BUNDLED = "exports.handler = async () => { throw new Error('synthesized with bundling skipped (aws:cdk:bundling-stacks): deploy from a synth that bundles'); };\n";

/**
 * A function's code asset: its bundle as index.js and the configuration as bluegreen.json, staged
 * in a directory named by a hash of the bundle's path, the function and the document (the same asset
 * is staged once a process; the CDK hashes the staged contents for the asset itself).
 */
function functionCode(scope: Construct, fn: FunctionName, config: FunctionConfig): lambda.Code {
  const bundle = Stack.of(scope).bundlingRequired ? join(functionBundlesDir(), `${fn}.js`) : undefined;
  const document = `${JSON.stringify(config, null, 2)}\n`;
  const hash = createHash('sha256');
  hash.update(bundle ?? NOT_BUNDLED).update(fn).update(document);
  const dir = join(scratchDir(), 'assets', hash.digest('hex').slice(0, 32));
  if (!existsSync(join(dir, CONFIG_FILE))) {
    mkdirSync(dir, { recursive: true });
    if (bundle) copyFileSync(bundle, join(dir, 'index.js'));
    else writeFileSync(join(dir, 'index.js'), NOT_BUNDLED);
    writeFileSync(join(dir, CONFIG_FILE), document);
  }
  return lambda.Code.fromAsset(dir);
}

/**
 * A step's Lambda with the house defaults: latest Node.js LTS runtime on arm64, X-Ray active,
 * JSON logs to its own log group; its code is the function's bundle (lib/bundling.ts: all
 * functions built by one esbuild call, or pre-built in the installed package) with the
 * configuration beside it.
 */
export class StepFunction extends lambda.Function {
  constructor(scope: Construct, id: string, props: StepFunctionProps) {
    const environment = {
      POWERTOOLS_SERVICE_NAME: 'sagemaker-bluegreen',
      POWERTOOLS_METRICS_NAMESPACE: 'SageMakerBlueGreen',
      POWERTOOLS_LOG_LEVEL: 'INFO',
      [STEP_ENV]: props.step,
      ...props.environment,
    };
    const bytes = environmentBytes(environment);
    if (bytes > MAX_ENVIRONMENT_BYTES) {
      throw new Error(`${id}: its environment takes ${bytes} bytes and Lambda allows ${MAX_ENVIRONMENT_BYTES} (4 KB, all keys and values); pass settings in the function's ${CONFIG_FILE} (StepFunctionProps.config), not its environment`);
    }
    const logGroup = new logs.LogGroup(scope, `${id}Logs`, { retention: props.logRetention, removalPolicy: props.removalPolicy });
    // Its own role, writing only to its own log group (instead of the managed AWSLambdaBasicExecutionRole).
    const role = new iam.Role(scope, `${id}Role`, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }));
    super(scope, id, {
      role,
      code: functionCode(scope, props.step, props.config),
      handler: 'index.handler',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      timeout: props.timeout ?? Duration.minutes(1),
      tracing: lambda.Tracing.ACTIVE,
      loggingFormat: lambda.LoggingFormat.JSON,
      logGroup,
      environment,
    });
  }
}
