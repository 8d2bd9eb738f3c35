/**
 * Pure decisions of recovery (no SDK calls, no clock; tested without mocks): what to do with a
 * promotion whose execution ended outside its own error handling, judged from the endpoint as it
 * is; whether an execution may still act for its promotion; and the recovery executions' names.
 */
import type { DescribeEndpointOutput } from '@aws-sdk/client-sagemaker';
import type { CaughtError, CleanupResult, PromotionState } from './contracts';
import { cleanupPlan } from './decisions';
import { switchesConfig } from './kinds';
import type { LockItem } from './locks';
import { MAX_EXECUTION_NAME, shortHash } from './naming';

/** What a recovery execution's state carries besides the rebuilt state document. */
export interface RecoveryRecord {
  /** The recovery execution. The lock names it too (`recoveredBy`) while it finishes the promotion: only its steps may act. */
  executionArn: string;
  /** How the promotion's execution (and any earlier recovery) ended. */
  ended: string;
  /** What the recovery decided from the endpoint, and why. */
  decision: string;
}

export interface RecoveryMarks {
  /** Where `RecoverHow?` sends the recovery: only the record (the promotion completed), the rollback loop, or the interrupted path (someone else changed the endpoint). */
  recover?: 'record' | 'rollback' | 'interrupt';
  recovery?: RecoveryRecord;
}

/** A state document, in a promotion's own execution or in a recovery execution (then with its marks). */
export type RecoverableState = PromotionState & RecoveryMarks;

/**
 * Why this execution may no longer act for its promotion, or undefined when it may. It may while
 * the lock is its promotion's and names the same recovery as its state: none in the promotion's
 * own execution, this one in a recovery execution. Anything else is an execution that outlived its
 * promotion: redriven after a recovery, a recovery that was stopped and replaced, a late step.
 */
export function promotionEndedReason(lock: Pick<LockItem, 'promotionId' | 'recoveredBy'> | undefined, state: RecoverableState): string | undefined {
  const p = state.promotion;
  const mine = state.recovery?.executionArn;
  if (!lock) return `promotion ${p.id} has ended: endpoint ${p.endpointName} is no longer locked by it`;
  if (lock.promotionId !== p.id) return `promotion ${p.id} has ended: endpoint ${p.endpointName} is locked by promotion ${lock.promotionId}`;
  if (lock.recoveredBy === mine) return undefined;
  if (!lock.recoveredBy) return `promotion ${p.id}'s lock names no recovery, and this step runs in recovery ${mine}`;
  return `promotion ${p.id} is being finished by recovery ${lock.recoveredBy}${mine ? `, not by ${mine}` : ''}; this execution no longer acts for it`;
}

export type RecoveryDecision =
  | { recover: 'record'; why: string }
  | { recover: 'rollback'; why: string; failure?: CaughtError }
  | { recover: 'interrupt'; why: string; interruption: CaughtError };

/**
 * InService on green's config with green's variant alone (or, on a multi-variant endpoint, the
 * variants green's config names, green in the target's place): green serves and blue's fleet is gone.
 */
function greenAloneServes(endpoint: DescribeEndpointOutput | undefined, state: PromotionState): boolean {
  const green = state.green;
  const variants = (endpoint?.ProductionVariants ?? []).map((v) => v.VariantName);
  const expected = (state.blue?.variants.length ?? 0) > 1 ? (state.blue?.variants ?? []).map((v) => v.variantName) : [green?.variantName];
  return (
    green !== undefined &&
    endpoint?.EndpointStatus === 'InService' &&
    endpoint.EndpointConfigName === green.greenConfigName &&
    variants.length === expected.length &&
    expected.every((name) => variants.includes(name))
  );
}

/**
 * Did the promotion itself get past what makes green worth keeping? A promotion: the bake is over
 * (CheckGuardrails said so, or Finalize, which only follows it, ran; guardrails: SageMaker cannot
 * leave green alone before its termination wait, the bake's first hour, ends). A first deployment:
 * green passed its validation.
 */
function greenEarnedIt(state: PromotionState): boolean {
  if (state.blue?.exists === false) return state.validation?.passed === true;
  return state.bake?.done === true || state.finalize !== undefined;
}

/**
 * What a recovery does, from the endpoint as it is (DescribeEndpoint) and the ended execution's
 * last state document. A rollback the promotion already decided, or an abort asked for on its lock,
 * stands. Green alone serving after the bake (stopped in or after GreenAlone?, RevalidateGreen or
 * CleanupBlue) is a promotion that completed: only recorded, never rolled back (blue's config may
 * already be deleted, so a rollback could only fail). Everything else goes to the rollback loop,
 * which converges from any state: at once when blue serves, after the update in flight otherwise.
 */
export function recoveryDecision(
  endpoint: DescribeEndpointOutput | undefined,
  state: PromotionState,
  abort?: LockItem['abortRequested'],
  /** An outside change the endpoint shows now (lambdas/shared/outside-check.ts), as its OutsideChange message. */
  outsideNow?: string,
): RecoveryDecision {
  const name = state.promotion.endpointName;
  // Someone else's decision wins over the recovery too: never roll back over it (lambdas/shared/outside.ts).
  if (state.interruption) return { recover: 'interrupt', why: 'the promotion was already interrupted by an outside change', interruption: state.interruption };
  if (abort?.error === 'OutsideChange') return { recover: 'interrupt', why: 'an outside change was flagged on its lock', interruption: { Error: 'OutsideChange', Cause: abort.reason } };
  if (outsideNow) return { recover: 'interrupt', why: 'the endpoint shows a change the promotion did not make', interruption: { Error: 'OutsideChange', Cause: outsideNow } };
  if (state.failure) return { recover: 'rollback', why: `the promotion was already rolling back (${state.failure.Error})` };
  if (abort) return { recover: 'rollback', why: `an abort was asked for (${abort.error})`, failure: { Error: abort.error, Cause: abort.reason } };
  if (greenAloneServes(endpoint, state) && greenEarnedIt(state)) {
    return { recover: 'record', why: `endpoint ${name} serves green (config ${endpoint?.EndpointConfigName}) alone after ${state.blue?.exists === false ? 'its validation' : 'the bake'}: the promotion completed` };
  }
  if (!endpoint) return { recover: 'rollback', why: `endpoint ${name} does not exist` };
  const where = `endpoint ${name} is ${endpoint.EndpointStatus} on config ${endpoint.EndpointConfigName}`;
  if (state.blue?.exists && endpoint.EndpointStatus === 'InService' && endpoint.EndpointConfigName === state.blue.endpointConfigName) {
    return { recover: 'rollback', why: `${where}, blue's: nothing to undo` };
  }
  return { recover: 'rollback', why: `${where}: back to blue` };
}

/**
 * Blue's resources after a recovery recorded the promotion as completed. The recovery deletes
 * nothing (it cannot tell what the ended execution's CleanupBlue already removed, and blue's
 * config is the way back): each is on the record, to delete once nobody needs it.
 */
export function blueLeftoversAfterRecovery(state: PromotionState): CleanupResult['kept'] {
  const plan = cleanupPlan('blue', state, { configs: new Set(), models: new Set() });
  const reason = "not deleted: the promotion's execution ended before blue's cleanup and its recovery only recorded the outcome; may remain: delete it once you no longer need it";
  const validationEndpoint = switchesConfig(state.promotion.strategy) && state.blue?.exists ? [`endpoint ${state.green?.validationEndpointName ?? state.promotion.names.validationEndpoint}`] : [];
  const resources = [...validationEndpoint, ...plan.configs.map((c) => `config ${c}`), ...plan.models.map((m) => `model ${m}`), ...plan.alarms.map((a) => `alarm ${a}`)];
  return [...plan.kept, ...resources.map((resource) => ({ resource, reason }))];
}

/** Recoveries on-execution-end starts for one promotion, one after another; then `bluegreen rollback` finishes the job. */
export const MAX_RECOVERIES = 3;

/** `name` + `suffix` within 80 characters; a trimmed name keeps a hash of the whole, so two long names never collide. */
function withSuffix(name: string, suffix: string): string {
  if (name.length + suffix.length <= MAX_EXECUTION_NAME) return `${name}${suffix}`;
  const hash = `-${shortHash(name)}`;
  return `${name.slice(0, MAX_EXECUTION_NAME - suffix.length - hash.length)}${hash}${suffix}`;
}

/** The deterministic name of the `attempt`-th recovery of an execution: `<name>-recover`, `<name>-recover2`, … */
export function recoveryName(executionName: string, attempt: number): string {
  return withSuffix(executionName, attempt === 1 ? '-recover' : `-recover${attempt}`);
}

/** A recovery `bluegreen rollback` starts by hand: a fresh name, outside the automatic ones. */
export function manualRecoveryName(executionName: string, at: Date): string {
  return withSuffix(executionName, `-recover-${at.getTime().toString(36)}`);
}

/** What on-execution-end knows about an ended execution and the lock of its promotion. */
export interface EndedExecutionFacts {
  ended: { name: string; executionArn: string; error?: string | null };
  /** The promotion the ended execution ran or recovered (its execution name is the promotion's id). */
  promotionId: string;
  lock: Pick<LockItem, 'promotionId' | 'recoveredBy'> | undefined;
  /** Whether the recovery the lock names (when it is not the ended execution) is still running. */
  lockRecoveryRunning: boolean;
}

/** Why no recovery starts after this execution ended, or undefined: the next one starts. */
export function noRecoveryReason(facts: EndedExecutionFacts): string | undefined {
  const { ended, promotionId, lock } = facts;
  if (ended.error === 'PromotionEnded') return `${ended.name} stopped itself: promotion ${promotionId} had already ended or is being recovered by another execution`;
  if (ended.error === 'NothingToRecover') return `${ended.name} found nothing to recover`;
  if (lock?.promotionId !== promotionId) return `promotion ${promotionId} no longer holds its endpoint's lock: it recorded its outcome`;
  if (lock.recoveredBy && lock.recoveredBy !== ended.executionArn && facts.lockRecoveryRunning) return `recovery ${lock.recoveredBy} is finishing promotion ${promotionId}`;
  return undefined;
}
