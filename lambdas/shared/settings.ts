import { jsonEnv, optionalEnv, requiredEnv } from './env';
import type { StrategyName } from './input';
import { DEFAULT_EXECUTION_TIMEOUT_SECONDS } from './waits';

/** What the BlueGreenPromotion construct configured, as the functions see it (env vars set in lib/functions.ts). */
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
  greenAlarmDefaults: { enabled: boolean; max5xxErrors: number; maxModelLatencyMs: number };
  defaultStrategy: StrategyName;
  /** The endpoint-event trigger is deployed: InService waits poll only as a backstop. */
  endpointEvents: boolean;
  /** The state machine's timeout: a promotion that cannot fit it is refused up front. */
  executionTimeoutSeconds: number;
}

export const ENV = {
  tableName: 'TABLE_NAME',
  pollSeconds: 'POLL_SECONDS',
  defaultBakeSeconds: 'DEFAULT_BAKE_SECONDS',
  defaultInServiceSeconds: 'DEFAULT_IN_SERVICE_SECONDS',
  defaultMaxLatencyMs: 'DEFAULT_MAX_LATENCY_MS',
  defaultAlarmNames: 'DEFAULT_ALARM_NAMES',
  allowedEndpointNames: 'ALLOWED_ENDPOINT_NAMES',
  allowedEndpointPrefix: 'ALLOWED_ENDPOINT_PREFIX',
  allowedRoleArns: 'ALLOWED_ROLE_ARNS',
  allowedModelPackageGroups: 'ALLOWED_MODEL_PACKAGE_GROUPS',
  validationPayloadBuckets: 'VALIDATION_PAYLOAD_BUCKETS',
  greenAlarmDefaults: 'GREEN_ALARM_DEFAULTS',
  defaultStrategy: 'DEFAULT_STRATEGY',
  endpointEvents: 'ENDPOINT_EVENTS',
  executionTimeoutSeconds: 'EXECUTION_TIMEOUT_SECONDS',
} as const satisfies Record<keyof Settings, string>;

function numberEnv(name: string): number {
  const value = Number(requiredEnv(name));
  if (!Number.isFinite(value)) throw new Error(`Environment variable ${name} must be a number`);
  return value;
}

export function settings(): Settings {
  return {
    tableName: requiredEnv(ENV.tableName),
    pollSeconds: numberEnv(ENV.pollSeconds),
    defaultBakeSeconds: numberEnv(ENV.defaultBakeSeconds),
    defaultInServiceSeconds: numberEnv(ENV.defaultInServiceSeconds),
    defaultMaxLatencyMs: numberEnv(ENV.defaultMaxLatencyMs),
    defaultAlarmNames: jsonEnv<string[]>(ENV.defaultAlarmNames, []),
    allowedEndpointNames: jsonEnv<string[]>(ENV.allowedEndpointNames, []),
    allowedEndpointPrefix: optionalEnv(ENV.allowedEndpointPrefix),
    allowedRoleArns: jsonEnv<string[]>(ENV.allowedRoleArns, []),
    allowedModelPackageGroups: jsonEnv<string[]>(ENV.allowedModelPackageGroups, []),
    validationPayloadBuckets: jsonEnv<string[]>(ENV.validationPayloadBuckets, []),
    greenAlarmDefaults: jsonEnv(ENV.greenAlarmDefaults, { enabled: true, max5xxErrors: 0, maxModelLatencyMs: 1000 }),
    defaultStrategy: (optionalEnv(ENV.defaultStrategy) as StrategyName | undefined) ?? 'guardrails',
    endpointEvents: optionalEnv(ENV.endpointEvents) === 'true',
    executionTimeoutSeconds: Number(optionalEnv(ENV.executionTimeoutSeconds) ?? DEFAULT_EXECUTION_TIMEOUT_SECONDS),
  };
}

export function endpointAllowed(s: Pick<Settings, 'allowedEndpointNames' | 'allowedEndpointPrefix'>, endpointName: string): boolean {
  return s.allowedEndpointNames.includes(endpointName) || (s.allowedEndpointPrefix !== undefined && endpointName.startsWith(s.allowedEndpointPrefix));
}
