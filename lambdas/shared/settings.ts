import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { requiredEnv } from './env';
import type { StrategyName } from './input';

/** What the BlueGreenPromotion construct configured, as the functions see it. */
export interface Settings {
  tableName: string;
  pollSeconds: number;
  defaultBakeSeconds: number;
  defaultInServiceSeconds: number;
  defaultMaxLatencyMs: number;
  defaultAlarmNames: string[];
  allowedEndpointNames: string[];
  allowedEndpointPrefix?: string;
  allowedRoleArns: string[];
  allowedModelPackageGroups: string[];
  validationPayloadBuckets: string[];
  /** Buckets of asynchronous endpoints' outputs the validation may write its samples to and read green's answers from (asyncOutputBucketNames). */
  asyncOutputBuckets: string[];
  greenAlarmDefaults: { enabled: boolean; max5xxErrors: number; maxModelLatencyMs: number };
  /** The bake's traffic guard of every promotion that names none (input or route); absent: none. */
  defaultBakeTraffic?: import('./detection').BakeTrafficGuard;
  /** The approval gate of every promotion whose input or route names none (lambdas/shared/approval.ts); absent: no gate. */
  defaultApproval?: import('./approval').ApprovalOptions;
  defaultStrategy: StrategyName;
  /** The endpoint-event trigger is deployed: InService waits poll only as a backstop. */
  endpointEvents: boolean;
  /** The state machine's timeout: a promotion that cannot fit it is refused up front. */
  executionTimeoutSeconds: number;
  /** The bus the lifecycle events go to (the construct's eventBusName); absent: the account's default bus. */
  eventBusName?: string;
}

/**
 * The construct's configuration as one document, written at synth into every function's code
 * asset beside its bundle (lib/functions.ts). A file has no size cap worth the name, where Lambda
 * caps a function's environment variables at 4 KB in total (Lambda quotas), which a few inline
 * validation samples in the approval routes used to exceed at deploy. Only deploy-time tokens
 * (the table's name, the state machine's ARN) travel in the environment.
 */
export interface FunctionConfig {
  settings: Omit<Settings, 'tableName'>;
  /** Model package group → route (lambdas/shared/triggers.ts routeSchema); read by on-approval. */
  approvalRoutes: Record<string, unknown>;
  /** The groups approvals are routed from; read by on-execution-end's registry fallback. */
  registryGroups: string[];
}

/** The document's name beside each function's bundle. */
export const CONFIG_FILE = 'bluegreen.json';
/** Reads the document from this path instead (the local AWS and the tests). */
export const CONFIG_FILE_ENV = 'BLUEGREEN_CONFIG_FILE';
/** Deploy-time tokens, the only settings still passed as environment variables. */
export const ENV = { tableName: 'TABLE_NAME', stateMachineArn: 'STATE_MACHINE_ARN', eventBusName: 'EVENT_BUS_NAME' } as const;

/** Where this function's configuration is: the code's root on Lambda (LAMBDA_TASK_ROOT), beside the bundle otherwise. */
export function configPath(): string {
  return process.env[CONFIG_FILE_ENV] || join(process.env.LAMBDA_TASK_ROOT || __dirname, CONFIG_FILE);
}

const loaded = new Map<string, FunctionConfig>();

/** The configuration document, read once per file (once per cold start on Lambda). */
export function functionConfig(): FunctionConfig {
  const path = configPath();
  let config = loaded.get(path);
  if (!config) {
    let raw: string;
    try {
      raw = readFileSync(path, 'utf8');
    } catch (cause) {
      throw new Error(`${CONFIG_FILE} is missing at ${path}: the BlueGreenPromotion construct writes it beside every function's code (set ${CONFIG_FILE_ENV} to read it elsewhere)`, { cause });
    }
    try {
      config = JSON.parse(raw) as FunctionConfig;
    } catch (cause) {
      throw new Error(`${path} is not valid JSON`, { cause });
    }
    loaded.set(path, config);
  }
  return config;
}

export function settings(): Settings {
  const base = { tableName: requiredEnv(ENV.tableName), ...functionConfig().settings };
  // A bus named by a deploy-time token (a bus created in the same app) comes in the environment instead.
  const bus = process.env[ENV.eventBusName];
  return bus ? { ...base, eventBusName: bus } : base;
}

export function endpointAllowed(s: Pick<Settings, 'allowedEndpointNames' | 'allowedEndpointPrefix'>, endpointName: string): boolean {
  return s.allowedEndpointNames.includes(endpointName) || (s.allowedEndpointPrefix !== undefined && endpointName.startsWith(s.allowedEndpointPrefix));
}
