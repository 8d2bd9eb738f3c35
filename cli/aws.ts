import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { NotFoundError, UsageError } from './errors';

type Env = Record<string, string | undefined>;

/** `--region` and `--profile`: as the AWS CLI, they win over the environment. */
export interface ClientChoices {
  region?: string;
  profile?: string;
}

/**
 * Client settings from the command's flags and environment, read the way the SDK reads
 * process.env (region, static keys, AWS_ENDPOINT_URL[_<SERVICE>]) so that a test can run
 * `main` in-process against the local AWS; anything unset falls back to the SDK's own
 * chain (profiles, SSO, instance roles). `--profile` beats keys in the environment, as in
 * the AWS CLI (the SDK's chain skips its environment step when a profile is named).
 */
export function clientConfig(env: Env, serviceEnvId: string, choices: ClientChoices = {}) {
  const ignoreEndpoints = env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS === 'true';
  const endpoint = ignoreEndpoints ? undefined : (env[`AWS_ENDPOINT_URL_${serviceEnvId}`] ?? env.AWS_ENDPOINT_URL);
  const region = choices.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  const credentials =
    !choices.profile && env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
      ? { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, sessionToken: env.AWS_SESSION_TOKEN }
      : undefined;
  return {
    maxAttempts: 4,
    retryMode: 'standard',
    ...(endpoint ? { endpoint } : {}),
    ...(region ? { region } : {}),
    ...(choices.profile ? { profile: choices.profile } : {}),
    ...(credentials ? { credentials } : {}),
  };
}

/** The SDK clients a command uses, created on first use, every one from `clientConfig`. */
export class AwsClients {
  private cache = new Map<string, unknown>();
  constructor(
    private readonly env: Env,
    private readonly choices: ClientChoices = {},
  ) {}

  private once<T>(key: string, make: () => T): T {
    if (!this.cache.has(key)) this.cache.set(key, make());
    return this.cache.get(key) as T;
  }

  private config(serviceEnvId: string) {
    return clientConfig(this.env, serviceEnvId, this.choices);
  }

  get sagemaker(): SageMakerClient {
    return this.once('sagemaker', () => new SageMakerClient(this.config('SAGEMAKER')));
  }
  get sfn(): SFNClient {
    return this.once('sfn', () => new SFNClient(this.config('SFN')));
  }
  get cloudwatch(): CloudWatchClient {
    return this.once('cloudwatch', () => new CloudWatchClient(this.config('CLOUDWATCH')));
  }
  get autoscaling(): ApplicationAutoScalingClient {
    return this.once('autoscaling', () => new ApplicationAutoScalingClient(this.config('APPLICATION_AUTO_SCALING')));
  }
  get cloudformation(): CloudFormationClient {
    return this.once('cloudformation', () => new CloudFormationClient(this.config('CLOUDFORMATION')));
  }
  get dynamo(): DynamoDBDocumentClient {
    return this.once('dynamo', () => DynamoDBDocumentClient.from(new DynamoDBClient(this.config('DYNAMODB')), { marshallOptions: { removeUndefinedValues: true } }));
  }

  destroy(): void {
    for (const client of this.cache.values()) (client as { destroy(): void }).destroy();
    this.cache.clear();
  }
}

/** Options every command that talks to the stack accepts. */
export interface StackOptions {
  stateMachineArn?: string;
  table?: string;
  stack?: string;
}

export const STATE_MACHINE_ARN_PATTERN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[^:]+$/;
export const EXECUTION_ARN_PATTERN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:execution:[^:]+:[^:]+$/;

/** Neither a flag, the stack nor the environment says where the state machine or table is. */
export class TargetNotConfigured extends UsageError {}

const WHERE_STATE_MACHINE = 'pass --state-machine-arn <arn>, set BLUEGREEN_STATE_MACHINE_ARN, or pass --stack <name> / set BLUEGREEN_STACK (the deployed stack, whose output StateMachineArn is read)';
const WHERE_TABLE = 'pass --table <name>, set BLUEGREEN_TABLE, or pass --stack <name> / set BLUEGREEN_STACK (the deployed stack, whose output HistoryTableName is read)';

/**
 * Where the promotion workflow lives: flags first, then the stack's outputs, then the
 * BLUEGREEN_* variables. Stack outputs are read once per command, and only when needed.
 */
export class StackTargets {
  private readonly outputs = new Map<string, Promise<Record<string, string>>>();

  constructor(
    private readonly options: StackOptions,
    private readonly env: Env,
    private readonly clients: AwsClients,
  ) {}

  private async stackOutputs(name: string): Promise<Record<string, string>> {
    const cached = this.outputs.get(name);
    if (cached) return cached;
    const outputs = (async () => {
      try {
        const out = await this.clients.cloudformation.send(new DescribeStacksCommand({ StackName: name }));
        const stack = out.Stacks?.[0];
        return Object.fromEntries((stack?.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']));
      } catch (error) {
        // CloudFormation answers a generic ValidationError: its message is the only sign of a missing stack.
        if (error instanceof Error && /does not exist/i.test(error.message)) {
          throw new NotFoundError(`stack ${name} does not exist in this account and region; check --stack/BLUEGREEN_STACK and AWS_REGION`, { cause: error });
        }
        throw error;
      }
    })();
    this.outputs.set(name, outputs);
    return outputs;
  }

  private async fromStack(name: string | undefined, key: 'StateMachineArn' | 'HistoryTableName'): Promise<string | undefined> {
    if (!name) return undefined;
    const value = (await this.stackOutputs(name))[key];
    if (!value) throw new UsageError(`stack ${name} has no output ${key}; is it a sagemaker-bluegreen stack? Pass the stack that "cdk deploy" created`);
    return value;
  }

  /** Precedence: --state-machine-arn, --stack, BLUEGREEN_STATE_MACHINE_ARN, BLUEGREEN_STACK. */
  private async find(flag: string | undefined, key: 'StateMachineArn' | 'HistoryTableName', envName: string): Promise<string | undefined> {
    return flag ?? (await this.fromStack(this.options.stack, key)) ?? this.env[envName] ?? (await this.fromStack(this.env.BLUEGREEN_STACK, key));
  }

  async stateMachineArn(): Promise<string> {
    const arn = await this.find(this.options.stateMachineArn, 'StateMachineArn', 'BLUEGREEN_STATE_MACHINE_ARN');
    if (!arn) throw new TargetNotConfigured(`which state machine? ${WHERE_STATE_MACHINE}`);
    if (!STATE_MACHINE_ARN_PATTERN.test(arn)) {
      throw new UsageError(`--state-machine-arn: ${arn} is not a state machine ARN (arn:aws:states:<region>:<account>:stateMachine:<name>); ${WHERE_STATE_MACHINE}`);
    }
    return arn;
  }

  /** Only when no state machine can be found: commands that can do without it. */
  async stateMachineArnIfKnown(): Promise<string | undefined> {
    try {
      return await this.stateMachineArn();
    } catch (error) {
      if (error instanceof TargetNotConfigured) return undefined;
      throw error;
    }
  }

  async tableName(): Promise<string> {
    const table = await this.find(this.options.table, 'HistoryTableName', 'BLUEGREEN_TABLE');
    if (!table) throw new TargetNotConfigured(`which history table? ${WHERE_TABLE}`);
    return table;
  }

  async tableNameIfKnown(): Promise<string | undefined> {
    try {
      return await this.tableName();
    } catch (error) {
      if (error instanceof TargetNotConfigured) return undefined;
      throw error;
    }
  }
}

/** DynamoDB's "Requested resource not found" names no table: say which one, and where it came from. */
export async function onTable<T>(tableName: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof Error && error.name === 'ResourceNotFoundException') {
      throw new NotFoundError(`table ${tableName} does not exist in this account and region; ${WHERE_TABLE}`, { cause: error });
    }
    throw error;
  }
}
