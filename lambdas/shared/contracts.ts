import type { GreenNames } from './naming';
import type { ValidationSample } from './input';

/**
 * The execution's state document. Every step Lambda receives the whole document and
 * returns one piece of it, which the state machine stores under that piece's key
 * (ResultPath `$.<key>`). `lib/definition.ts` takes the keys from `STATE_KEYS`, so a
 * renamed field breaks the build, not a 3 a.m. execution.
 */
export interface PromotionState {
  promotion: Promotion;
  lock?: LockResult;
  blue?: BlueState;
  green?: GreenState;
  standUp?: StandUpResult;
  wait?: WaitResult;
  validation?: ValidationResult;
  shift?: ShiftResult;
  bake?: BakeState;
  finalize?: FinalizeResult;
  cleanup?: CleanupResult;
  failure?: CaughtError;
  rollback?: RollbackState;
  /** The rollback loop itself failed (deadline or error): the endpoint may need a human. */
  rollbackFailure?: CaughtError;
  /** Cleanup failed after retries; the promotion's outcome stands, the leftovers are recorded. */
  cleanupFailure?: CaughtError;
  outcome?: OutcomeResult;
}

export const STATE_KEYS = {
  promotion: 'promotion',
  lock: 'lock',
  blue: 'blue',
  green: 'green',
  standUp: 'standUp',
  wait: 'wait',
  validation: 'validation',
  shift: 'shift',
  bake: 'bake',
  finalize: 'finalize',
  cleanup: 'cleanup',
  failure: 'failure',
  rollback: 'rollback',
  rollbackFailure: 'rollbackFailure',
  cleanupFailure: 'cleanupFailure',
  outcome: 'outcome',
} as const satisfies { [K in keyof PromotionState]-?: K };

/** Input of the first state: the raw execution input plus what the context object knows. */
export interface ValidateInputEvent {
  input: unknown;
  executionName: string;
  executionArn: string;
  startTime: string;
}

export interface Promotion {
  /** The execution name: unique per promotion, the seed of every name it creates. */
  id: string;
  executionArn: string;
  endpointName: string;
  modelPackageArn: string;
  modelPackageGroup: string;
  modelPackageVersion: number;
  startedAt: string;
  requestedBy: string;
  bakeSeconds: number;
  pollSeconds: number;
  /** Deadlines are counted in polls so that they hold on a compressed local clock too. */
  bakePolls: number;
  inServicePolls: number;
  executionRoleArn?: string;
  instanceType?: string;
  initialInstanceCount?: number;
  validation: {
    contentType: string;
    accept?: string;
    maxLatencyMs: number;
    samples: ValidationSample[];
  };
  guardrailAlarmNames: string[];
  greenAlarms: { enabled: boolean; max5xxErrors: number; maxModelLatencyMs: number };
  names: GreenNames;
}

export interface LockResult {
  owner: string;
  acquiredAt: string;
}

export interface BlueVariant {
  variantName: string;
  modelName: string;
  currentWeight: number;
  currentInstanceCount?: number;
}

export interface BlueState {
  /** false: the endpoint does not exist yet, so this promotion is its first deployment. */
  exists: boolean;
  endpointConfigName?: string;
  variants: BlueVariant[];
  modelNames: string[];
  executionRoleArn?: string;
  modelPackageArn?: string;
  modelPackageVersion?: number;
}

export interface GreenState {
  modelName: string;
  variantName: string;
  greenConfigName: string;
  /** Absent at a first deployment: there is no blue to pair with. */
  pairConfigName?: string;
  /** The resources this step created (or found from an earlier try), for the record. */
  created: string[];
}

export interface StandUpResult {
  action: 'CreateEndpoint' | 'UpdateEndpoint';
  configName: string;
  at: string;
}

export type WaitPhase = 'standUp' | 'shift' | 'finalize';

export interface WaitEvent {
  phase: WaitPhase;
  state: PromotionState;
}

export interface WaitResult {
  phase: WaitPhase;
  attempt: number;
  ready: boolean;
  status: string;
}

export interface SampleResult {
  name: string;
  ok: boolean;
  latencyMs: number;
  status: number;
  problem?: string;
}

export interface ValidationResult {
  passed: boolean;
  samples: SampleResult[];
}

export interface ShiftResult {
  weights: Record<string, number>;
  at: string;
}

export interface BakeState {
  alarmNames: string[];
  /** Alarms this promotion created on green's variant; deleted when it ends. */
  createdAlarms: string[];
  pollsDone: number;
  polls: number;
  done: boolean;
  startedAt: string;
}

export interface FinalizeResult {
  configName: string;
  at: string;
}

export interface CleanupResult {
  target: 'blue' | 'green';
  deleted: string[];
  kept: Array<{ resource: string; reason: string }>;
}

export interface CleanupEvent {
  target: 'blue' | 'green';
  state: PromotionState;
}

/** What a Catch puts at ResultPath `$.failure`. */
export interface CaughtError {
  Error: string;
  Cause?: string;
}

export interface RollbackState {
  attempt: number;
  done: boolean;
  actions: string[];
}

export type Outcome = 'promoted' | 'rolled_back' | 'failed';

export interface OutcomeResult {
  outcome: Outcome;
  reason: string;
  /** The Fail state's error name when the outcome is not `promoted`. */
  error: 'PromotionRolledBack' | 'PromotionFailed' | 'RollbackFailed' | 'None';
  finishedAt: string;
}

/** History rows and the lock share one table: pk = endpoint name, sk = LOCK | PROMOTION#<startedAt>#<id>. */
export const LOCK_SK = 'LOCK';
export function historySk(startedAt: string, promotionId: string): string {
  return `PROMOTION#${startedAt}#${promotionId}`;
}
