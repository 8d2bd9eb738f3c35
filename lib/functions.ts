import * as path from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

export const PROJECT_ROOT = path.join(__dirname, '..');
/** Names the step a function runs; the local runner maps template functions to handlers by it. */
export const STEP_ENV = 'BLUEGREEN_STEP';

/** Every workflow step, by the folder of its handler under lambdas/. */
export const STEPS = [
  'validate-input',
  'acquire-lock',
  'describe-blue',
  'create-green',
  'stand-up-green',
  'wait-for-endpoint',
  'await-endpoint',
  'validate-green',
  'shift-traffic',
  'start-bake',
  'await-guardrails',
  'check-guardrails',
  'finalize',
  'cleanup',
  'rollback',
  'record-outcome',
  'recover',
] as const;
export type StepName = (typeof STEPS)[number];

/** Functions that start or steer promotions from events (EventBridge targets), by folder under lambdas/. */
export const TRIGGERS = ['on-approval', 'on-alarm', 'on-execution-end', 'on-endpoint-change', 'on-backstop'] as const;
export type TriggerName = (typeof TRIGGERS)[number];
export type FunctionName = StepName | TriggerName;

/**
 * How every function is bundled (shared with scripts/bundles.ts, which the bench and the bundle
 * test build with). ESM entry points tree-shake the SDK far better (measured: 1.06 MB → 0.48 MB
 * for cleanup).
 */
export const BUNDLING = { minify: true, target: 'node24', mainFields: ['module', 'main'] } as const;

export interface StepFunctionProps {
  readonly step: string;
  readonly environment: Record<string, string>;
  /** @default Duration.minutes(1) */
  readonly timeout?: Duration;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * A step's Lambda with the house defaults: latest Node.js LTS runtime on arm64, X-Ray
 * active, JSON logs to its own log group, bundled locally by esbuild (minified,
 * tree-shaken, SDK v3 included so the deployed versions are the tested ones).
 */
export class StepFunction extends nodejs.NodejsFunction {
  constructor(scope: Construct, id: string, props: StepFunctionProps) {
    const logGroup = new logs.LogGroup(scope, `${id}Logs`, { retention: props.logRetention, removalPolicy: props.removalPolicy });
    // Its own role, writing only to its own log group (instead of the managed AWSLambdaBasicExecutionRole).
    const role = new iam.Role(scope, `${id}Role`, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }));
    super(scope, id, {
      role,
      entry: path.join(PROJECT_ROOT, 'lambdas', props.step, 'index.ts'),
      handler: 'handler',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      timeout: props.timeout ?? Duration.minutes(1),
      tracing: lambda.Tracing.ACTIVE,
      loggingFormat: lambda.LoggingFormat.JSON,
      logGroup,
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      environment: {
        POWERTOOLS_SERVICE_NAME: 'sagemaker-bluegreen',
        POWERTOOLS_METRICS_NAMESPACE: 'SageMakerBlueGreen',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        [STEP_ENV]: props.step,
        ...props.environment,
      },
      bundling: {
        forceDockerBundling: false,
        minify: BUNDLING.minify,
        sourceMap: false,
        target: BUNDLING.target,
        mainFields: [...BUNDLING.mainFields],
        externalModules: [],
        metafile: false,
      },
    });
  }
}
