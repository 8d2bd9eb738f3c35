import type { DescribeEndpointOutput } from '@aws-sdk/client-sagemaker';
import type { Promotion, WaitPhase } from './contracts';
import { routingWaitSeconds, terminationWaitSeconds, waitDeadlineSeconds, type Expectation } from './decisions';

/**
 * How long the workflow waits, how often it looks, and what one execution can hold. Pure.
 *
 * Every wait is a callback task (a parked task token) that something ends early:
 * - an InService wait, SageMaker's "Endpoint State Change" event (lambdas/on-endpoint-change);
 *   its timeout is a backstop poll for a lost event, so it need not be frequent: at most
 *   WAIT_BACKSTOPS per deadline, and never more often than the poll interval;
 * - the bake, the alarm trigger or an abort (they fail its token), or its end (the task's own
 *   timeout: one wait for the whole bake). Its backstop runs outside the execution
 *   (lambdas/on-backstop, every `bakeBackstop`), so the bake costs the same transitions however
 *   long it is.
 */
export const WAIT_BACKSTOPS = 8;

/** Seconds between two backstop polls of an InService wait whose deadline is `deadlineSeconds`. */
export function waitBackstopSeconds(deadlineSeconds: number, pollSeconds: number, eventDriven: boolean): number {
  if (!eventDriven) return pollSeconds;
  return Math.max(pollSeconds, Math.ceil(deadlineSeconds / WAIT_BACKSTOPS));
}

/**
 * "SageMaker Endpoint State Change" statuses an InService wait can act on: it ends ready
 * (InService on what it expects) or fails (Failed, rolled back…). Those in motion (Creating,
 * Updating, SystemUpdating, RollingBack) would only find it still pending: the rule drops them.
 */
export const SETTLED_ENDPOINT_STATUSES = ['IN_SERVICE', 'FAILED', 'OUT_OF_SERVICE', 'UPDATE_ROLLBACK_FAILED', 'DELETING'];

/**
 * The timeout of the next WaitFor<X>. guardrails' shift cannot end, unless it fails, before
 * SageMaker's own traffic routing and termination waits are over (and a failure, SageMaker's
 * auto-rollback included, ends in a state-change event): its first backstop poll comes after them.
 * Without events every poll is the poll interval.
 */
export function nextWaitSeconds(
  phase: WaitPhase,
  p: Pick<Promotion, 'strategy' | 'traffic' | 'bakeSeconds' | 'inServicePolls' | 'pollSeconds' | 'endpointEvents'>,
  attempt: number,
): number {
  // component: no endpoint event tells an inference component's progress (the endpoint itself does not change), so its waits poll.
  const backstop = waitBackstopSeconds(waitDeadlineSeconds(phase, p), p.pollSeconds, p.endpointEvents && p.strategy !== 'component');
  const sageMakerWaits = phase === 'shift' && p.strategy === 'guardrails' && p.endpointEvents && attempt === 1 ? routingWaitSeconds(p.traffic) + terminationWaitSeconds(p) : 0;
  return backstop + sageMakerWaits;
}

/** The part of the bake the workflow watches itself: guardrails' first hour (at most) is SageMaker's termination wait. */
export function workflowBakeSeconds(p: Pick<Promotion, 'strategy' | 'bakeSeconds'>): number {
  return p.strategy === 'guardrails' ? p.bakeSeconds - terminationWaitSeconds(p) : p.bakeSeconds;
}

export type BakeEndpointVerdict = { kind: 'ok' } | { kind: 'failed'; error: 'GreenNotInService' | 'UnexpectedEndpointState'; message: string };

/** Statuses that end a fleet's service. */
const OUT = new Set(['Failed', 'OutOfService', 'Deleting', 'UpdateRollbackFailed']);

/**
 * Does the endpoint still run what the shift left (green's config and weights) during the bake?
 * A status in motion on that config is fine (SystemUpdating, or an autoscaling capacity change);
 * another config, other weights, a missing or failed endpoint are not.
 */
export function judgeBakeEndpoint(endpoint: DescribeEndpointOutput | undefined, expected: Expectation): BakeEndpointVerdict {
  if (!endpoint) return { kind: 'failed', error: 'GreenNotInService', message: 'the endpoint was deleted during the bake' };
  const name = endpoint.EndpointName ?? 'endpoint';
  const status = endpoint.EndpointStatus ?? 'Unknown';
  if (OUT.has(status)) {
    return { kind: 'failed', error: 'GreenNotInService', message: `endpoint ${name} is ${status} during the bake${endpoint.FailureReason ? `: ${endpoint.FailureReason}` : ''}` };
  }
  if (endpoint.EndpointConfigName !== expected.configName) {
    return { kind: 'failed', error: 'UnexpectedEndpointState', message: `endpoint ${name} runs config ${endpoint.EndpointConfigName} during the bake, expected ${expected.configName}` };
  }
  const running = new Map((endpoint.ProductionVariants ?? []).map((v) => [v.VariantName, v]));
  for (const [variant, weight] of Object.entries(expected.weights)) {
    const actual = running.get(variant);
    if (actual?.CurrentWeight !== weight && actual?.DesiredWeight !== weight) {
      return { kind: 'failed', error: 'UnexpectedEndpointState', message: `endpoint ${name} variant ${variant} has weight ${actual?.CurrentWeight ?? 'none'} during the bake, expected ${weight}` };
    }
  }
  return { kind: 'ok' };
}

// ---- what one execution can hold ------------------------------------------------------------

/** Step Functions Standard workflows: at most 25,000 events in one execution's history (service quotas, a hard quota). */
export const HISTORY_EVENTS_QUOTA = 25_000;
/** The state machine's timeout unless the construct says otherwise (executionTimeout). */
export const DEFAULT_EXECUTION_TIMEOUT_SECONDS = 86_400;
/** The InService deadline unless the construct or the input says otherwise. */
export const DEFAULT_IN_SERVICE_SECONDS = 3600;
/** Room for every step that is not a wait: creating green, validation requests, cleanup, records, retries. */
export const STEPS_MARGIN_SECONDS = 3600;

/**
 * History events per state entered (API_HistoryEvent types): a Lambda task TaskStateEntered,
 * TaskScheduled, TaskStarted, TaskSucceeded|TaskFailed, TaskStateExited; a callback task
 * (.waitForTaskToken) adds TaskSubmitted (and ends TaskTimedOut on its timeout); Choice, Wait
 * and Pass states an Entered and an Exited event. A retry adds TaskFailed, TaskScheduled and
 * TaskStarted.
 */
export const HISTORY_EVENTS = { task: 5, callback: 6, flow: 2, retry: 3 } as const;
/** Early wakes budgeted per wait beyond its backstop polls: events that leave it pending (duplicates, late deliveries). */
export const WAKES_PER_WAIT = 4;
/** Retries budgeted over a whole execution (each step retries throttling up to 6 times). */
export const RETRIES_BUDGET = 60;

export interface ExecutionPlan {
  strategy: Promotion['strategy'];
  traffic: Promotion['traffic'];
  bakeSeconds: number;
  inServiceSeconds: number;
  pollSeconds: number;
  /** InService waits are woken by endpoint events (their polls are backstops). */
  eventDriven: boolean;
  /** The manual approval gate's wait (lambdas/shared/approval.ts), when the promotion has one. */
  approvalSeconds?: number;
}

function planPromotion(plan: ExecutionPlan): Pick<Promotion, 'strategy' | 'traffic' | 'bakeSeconds' | 'inServicePolls' | 'pollSeconds'> {
  return { ...plan, inServicePolls: Math.max(1, Math.ceil(plan.inServiceSeconds / plan.pollSeconds)) };
}

/**
 * The most history events one execution can write: a promotion that stands green up, shifts,
 * bakes and finalizes, each wait running to its deadline, then rolls back to the rollback
 * loop's own limit. The bake is one callback wait and one check whatever its length (more only
 * when its parking step fails), so it never bounds the bake; what the quota bounds is polling:
 * the rollback loop polls every pollInterval for up to two deadlines.
 */
export function historyEventsBound(plan: ExecutionPlan): number {
  const p = planPromotion(plan);
  const { task, callback, flow, retry } = HISTORY_EVENTS;
  // ExecutionStarted; Recovery?, InputValid, FirstDeployment?, BakeDone? ×2; twelve Lambda steps
  // (ValidateInput … ArmGuardrails, ShiftTraffic, Finalize … RecordPromotion).
  const fixed = 1 + 5 * flow + 12 * task;
  const bake = 4 * (callback + task + flow);
  let waits = 0;
  for (const phase of ['standUp', 'shift', 'finalize'] as const) {
    const deadline = waitDeadlineSeconds(phase, p);
    const checks = Math.ceil(deadline / waitBackstopSeconds(deadline, p.pollSeconds, plan.eventDriven)) + WAKES_PER_WAIT + 1;
    waits += checks * (task + flow) + (checks - 1) * callback;
  }
  // RollBack, RolledBack?, WaitForRollback per poll (lambdas/rollback gives up after 2 × inServicePolls + 2);
  // then CleanupGreen, RecordRollback, RolledBackOrFailed?, the Fail state and ExecutionFailed.
  const rollbackPolls = 2 * p.inServicePolls + 3;
  const rollback = rollbackPolls * (task + 2 * flow) + 2 * task + flow + 2;
  // The approval gate: AwaitApproval (a callback) and CheckApproval; ApprovalRequired? is entered by every promotion.
  const approval = flow + (plan.approvalSeconds ? callback + task : 0);
  return fixed + bake + waits + rollback + approval + RETRIES_BUDGET * retry;
}

/**
 * The longest an execution can run: the bake, guardrails' traffic routing waits, three InService
 * waits, a rollback (two deadlines, lambdas/rollback) and the other steps (the margin, which also
 * covers the rollback's two extra polls).
 */
export function executionSecondsBound(plan: ExecutionPlan): number {
  const routing = plan.strategy === 'guardrails' ? routingWaitSeconds(plan.traffic) : 0;
  return plan.bakeSeconds + (plan.approvalSeconds ?? 0) + routing + 5 * plan.inServiceSeconds + STEPS_MARGIN_SECONDS;
}

/** The longest bake the default stack (24-hour timeout, 60-minute deadline) accepts: 18 h. */
export const MAX_BAKE_SECONDS = DEFAULT_EXECUTION_TIMEOUT_SECONDS - 5 * DEFAULT_IN_SERVICE_SECONDS - STEPS_MARGIN_SECONDS;
export const MAX_BAKE_REASON =
  "the state machine's 24-hour timeout must also hold the three InService waits and a rollback (5 × the 60-minute default deadline) and an hour for the other steps";

/** What keeps a promotion from fitting one execution: its timeout (`time`), the history quota (`history`). */
export interface ExecutionProblem {
  limit: 'time' | 'history';
  message: string;
}

export function executionProblems(plan: ExecutionPlan, executionTimeoutSeconds: number): ExecutionProblem[] {
  const problems: ExecutionProblem[] = [];
  const seconds = executionSecondsBound(plan);
  if (seconds > executionTimeoutSeconds) {
    problems.push({
      limit: 'time',
      message: `a bake of ${plan.bakeSeconds} s${plan.approvalSeconds ? ` and an approval wait of ${plan.approvalSeconds} s` : ''} with ${plan.inServiceSeconds} s in-service deadlines needs up to ${seconds} s (bake${plan.approvalSeconds ? ' + approval' : ''}${plan.strategy === 'guardrails' ? ' + traffic routing waits' : ''} + 3 InService waits + a rollback + ${STEPS_MARGIN_SECONDS} s for the other steps), more than the execution timeout of ${executionTimeoutSeconds} s; shorten the bake${plan.approvalSeconds ? ', the approval timeout' : ''} or the deadline`,
    });
  }
  const events = historyEventsBound(plan);
  if (events > HISTORY_EVENTS_QUOTA) {
    problems.push({
      limit: 'history',
      message: `in-service deadlines of ${plan.inServiceSeconds} s polled every ${plan.pollSeconds} s can write up to ${events} history events (a rollback polls for two deadlines), more than Step Functions' quota of ${HISTORY_EVENTS_QUOTA}; shorten the deadline or poll less often`,
    });
  }
  return problems;
}
