import type { BlueFacts, Evidence } from './evidence';
import type { GreenNames } from './naming';
import type { StrategyName, ValidationSample } from './input';

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
  /** How the last callback wait (an InService wait or the bake) ended: its timeout, an endpoint event, or an error. */
  wake?: WakeResult;
  validation?: ValidationResult;
  /** The samples again, on the fleet that serves after the switch (before blue's resources go). */
  revalidation?: ValidationResult;
  shift?: ShiftResult;
  bake?: BakeState;
  /** The approval gate: what its wait left (the answer, or its timeout), then CheckApproval's result (lambdas/shared/approval.ts). */
  approval?: import('./approval').ApprovalWake | import('./approval').ApprovalResult;
  finalize?: FinalizeResult;
  cleanup?: CleanupResult;
  failure?: CaughtError;
  rollback?: RollbackState;
  /** The rollback loop itself failed (deadline or error): the endpoint may need a human. */
  rollbackFailure?: CaughtError;
  /** Cleanup failed after retries; the promotion's outcome stands, the leftovers are recorded. */
  cleanupFailure?: CaughtError;
  /** Someone else changed the endpoint (the caught OutsideChange): the promotion stopped acting on it and ends `interrupted`. */
  interruption?: CaughtError;
  outcome?: OutcomeResult;
}

export const STATE_KEYS = {
  promotion: 'promotion',
  lock: 'lock',
  blue: 'blue',
  green: 'green',
  standUp: 'standUp',
  wait: 'wait',
  wake: 'wake',
  validation: 'validation',
  revalidation: 'revalidation',
  shift: 'shift',
  bake: 'bake',
  approval: 'approval',
  finalize: 'finalize',
  cleanup: 'cleanup',
  failure: 'failure',
  rollback: 'rollback',
  rollbackFailure: 'rollbackFailure',
  cleanupFailure: 'cleanupFailure',
  interruption: 'interruption',
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
  strategy: StrategyName;
  /** What the endpoint is (lambdas/shared/kinds.ts): it decided the strategy. Absent: real-time (a first deployment, or an execution started before kinds existed). */
  kind?: import('./kinds').EndpointKind;
  /** Why this strategy (the input's, the stack default's or the kind's), for the record. */
  strategyReason?: string;
  /** The production variant green replaces (blue's only one, or the input's variantName on a multi-variant endpoint); absent at a first deployment and for components. */
  variantName?: string;
  /** component: the inference component green replaces (the input's, or the endpoint's only one). */
  inferenceComponentName?: string;
  /** component: the input's rolling update (copies per batch, baking wait, rollback batch). */
  rollingUpdate?: import('./input').PromotionInput['rollingUpdate'];
  /** guardrails: SageMaker's traffic routing; variant: unused. */
  traffic: { type: 'ALL_AT_ONCE' | 'CANARY' | 'LINEAR'; percent?: number; waitSeconds?: number };
  bakeSeconds: number;
  pollSeconds: number;
  /** Deadlines are counted in polls so that they hold on a compressed local clock too. */
  inServicePolls: number;
  /** SageMaker's endpoint state-change events wake the InService waits (their polls are backstops, see waits.ts). */
  endpointEvents: boolean;
  executionRoleArn?: string;
  instanceType?: string;
  initialInstanceCount?: number;
  validation: {
    /** guardrails: `endpoint` validates on a short-lived validation endpoint before traffic; `off` skips it. */
    mode: 'endpoint' | 'off';
    contentType: string;
    accept?: string;
    maxLatencyMs: number;
    /** Asynchronous endpoints: seconds each sample's output (or failure) may take to appear. */
    asyncOutputSeconds?: number;
    samples: ValidationSample[];
  };
  guardrailAlarmNames: string[];
  /** maxModelSetupTimeMs: serverless only (validate-input refuses it elsewhere): green's cold-start alarm. */
  greenAlarms: { enabled: boolean; max5xxErrors: number; maxModelLatencyMs: number; maxModelSetupTimeMs?: number };
  /** The bake's traffic guard (input, route or stack default); absent: any traffic, none included, passes. */
  bakeTraffic?: import('./detection').BakeTrafficGuard;
  /** The manual approval gate (input, route or stack default); absent: no gate, traffic moves once green is validated. */
  approval?: import('./approval').ApprovalGate;
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

export interface BlueComponent {
  name: string;
  /** The variant of the endpoint it runs on. */
  variantName: string;
  modelName: string;
  /** DescribeInferenceComponent's Specification, as given back to UpdateInferenceComponent (ModelName included). */
  specification: Record<string, unknown>;
  copyCount: number;
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
  /** component: blue's inference component as it runs (its specification is what a rollback restores). */
  component?: BlueComponent;
  /** Blue's variant's Application Auto Scaling (target and policies); absent when it does not autoscale. */
  scaling?: import('./scaling-decisions').VariantScaling;
}

export interface GreenState {
  modelName: string;
  variantName: string;
  greenConfigName: string;
  /** variant: blue as it is + green at weight 0. Absent at a first deployment and with guardrails. */
  pairConfigName?: string;
  /** guardrails: green's config at one instance, and the endpoint validated on it before any user traffic. */
  validationConfigName?: string;
  validationEndpointName?: string;
  /** component: the short-lived inference component validated before any user traffic (absent: validation off). */
  validationComponentName?: string;
  /** component: green's specification (blue's with green's model), what UpdateInferenceComponent switches to. */
  componentSpecification?: Record<string, unknown>;
  /** The resources this step created (or found from an earlier try), for the record. */
  created: string[];
  /** Seconds between two data points of green's invocation metrics (its config's MetricsConfig); absent: 60. */
  metricPublishSeconds?: number;
}

export interface StandUpResult {
  action: 'CreateEndpoint' | 'UpdateEndpoint' | 'CreateValidationEndpoint' | 'CreateValidationComponent' | 'None';
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
  /** Checks of this wait so far. */
  attempt: number;
  ready: boolean;
  status: string;
  /**
   * Seconds this wait has lasted, counted from its backstop polls that ran to their timeout (an
   * event's early wake adds nothing: no clock is read, so the count holds on a compressed local
   * clock too, and a deadline is never early).
   */
  elapsedSeconds: number;
  /** The next backstop poll: the timeout of the WaitFor<X> task (TimeoutSecondsPath). */
  waitSeconds: number;
}

/** Input of the WaitFor<X> callback tasks (lambdas/await-endpoint). */
export interface AwaitEndpointEvent {
  token: string;
  phase: WaitPhase;
  state: PromotionState;
}

/**
 * How a callback wait ended, at ResultPath `$.wake`: SendTaskSuccess's output (an endpoint
 * event, lambdas/on-endpoint-change), or the caught error (`States.Timeout`: the full wait ran).
 */
export interface WakeResult {
  Error?: string;
  Cause?: string;
  by?: 'endpoint-event';
  endpointName?: string;
  status?: string;
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
  /** When green passed the requests it was sent (absent when none were sent): the TimeToValidate metric. */
  at?: string;
}

export interface ShiftResult {
  /** variant: the weights asked for. guardrails: empty. */
  weights: Record<string, number>;
  /** guardrails: the DeploymentConfig of the UpdateEndpoint. */
  deploymentConfig?: Record<string, unknown>;
  at: string;
}

export interface BakeState {
  alarmNames: string[];
  /** Alarms this promotion created on green's variant; deleted when it ends. */
  createdAlarms: string[];
  /** guardrails: the alarm in SageMaker's auto-rollback list that the workflow sets to ALARM to abort a deployment. */
  abortAlarm?: string;
  /** guardrails: the part of the bake SageMaker watches itself (TerminationWaitInSeconds). */
  terminationWaitSeconds?: number;
  /** The bake the workflow watches after the shift (guardrails: beyond the termination wait). */
  seconds: number;
  /** Seconds of it already watched: the Bake waits that ran to their timeout (counted, not read from a clock). */
  elapsedSeconds: number;
  /** The next Bake wait: what is left of the bake (the task's TimeoutSecondsPath). */
  waitSeconds: number;
  done: boolean;
  /** When ArmGuardrails armed the alarms (before the shift). */
  startedAt: string;
  /** The period of green's own alarms (its metrics' publish interval: 10 or 30 make them high-resolution). */
  alarmPeriodSeconds?: number;
  /** Times the traffic guard extended the bake (bakeTraffic.onTooLittleTraffic `extend`). */
  extensions?: number;
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
  /** When the rollback saw blue serving again (its last turn): the AlarmToBlue metric. */
  blueAt?: string;
}

/** `interrupted`: someone else changed the endpoint during the promotion, and their change stands. */
export type Outcome = 'promoted' | 'rolled_back' | 'failed' | 'interrupted';

/**
 * History rows of Model Registry approvals that arrived while their endpoint was busy, or were
 * refused (lambdas/shared/queue.ts): `queued` (waits for the running promotion to end; once it
 * starts, the row names the execution in `startedAs`), `superseded` (a newer approval or a
 * rejection replaced it; `supersededBy` says which), `refused` (a downgrade the route does not allow).
 */
export type ApprovalOutcome = 'queued' | 'superseded' | 'refused';

export interface OutcomeResult {
  outcome: Outcome;
  reason: string;
  /** The Fail state's error name when the outcome is not `promoted`. */
  error: 'PromotionRolledBack' | 'PromotionFailed' | 'RollbackFailed' | 'PromotionInterrupted' | 'None';
  finishedAt: string;
  /** From the promotion's start to finishedAt. */
  durationSeconds: number;
  /** What blue was, for the lifecycle events (lambdas/shared/evidence.ts: every field present, null when unknown). */
  blue: BlueFacts;
  /** Where to look first: the alarm that stopped the promotion, the failing validation samples, green's logs. */
  evidence: Evidence;
}

/**
 * History rows and the lock share one table: pk = `tableKey(endpoint name)`, sk = LOCK | PROMOTION#<startedAt>#<id>.
 * Every item also keeps the name as it was spelled, in `endpointDisplayName`, for display.
 */
export const LOCK_SK = 'LOCK';

/**
 * The table's partition key for an endpoint. SageMaker compares endpoint names case-insensitively
 * ("The name is case-insensitive in CreateEndpoint, but the case is preserved": API reference,
 * CreateEndpoint, https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateEndpoint.html),
 * so "Churn" and "churn" are one endpoint: one lock, one history. Every read and write of the table
 * keys through this function; never key on the name as typed.
 */
export function tableKey(endpointName: string): string {
  return endpointName.toLowerCase();
}

/** Whether two spellings name the same endpoint (as SageMaker compares them). */
export function sameEndpoint(a: string, b: string): boolean {
  return tableKey(a) === tableKey(b);
}
export function historySk(startedAt: string, promotionId: string): string {
  return `PROMOTION#${startedAt}#${promotionId}`;
}

/**
 * A start refused before anything was created (`PromotionInProgress`: another promotion holds the
 * endpoint), recorded so the history shows who asked and why nothing happened. `refusedFor`: the
 * running promotion.
 */
export interface RefusedRow {
  endpointName: string;
  endpointDisplayName: string;
  sk: string;
  promotionId: string;
  executionArn: string;
  modelPackageArn: string;
  modelPackageVersion: number | null;
  requestedBy: string;
  startedAt: string;
  finishedAt: string;
  outcome: 'refused';
  reason: string;
  failedWith: 'PromotionInProgress';
  refusedFor: string;
}
