/**
 * The manual approval gate (README "Approval gate"): after green is validated and before any user
 * traffic moves, a promotion whose input, route or stack asks for it waits for a person
 * (`bluegreen approve` / `bluegreen reject`), with a deadline and a default action on timeout.
 * Pure: no SDK, no environment.
 */
import type { PromotionState } from './contracts';
import { consoleLinkTemplates, fillLink } from './lifecycle';

/** What a gate that nobody answers leads to. */
export const ON_APPROVAL_TIMEOUT = ['rollback', 'promote'] as const;
export type OnApprovalTimeout = (typeof ON_APPROVAL_TIMEOUT)[number];

/** Unless the input, the route or the stack says otherwise: an hour, then back to blue. */
export const DEFAULT_APPROVAL_SECONDS = 3600;
export const DEFAULT_ON_APPROVAL_TIMEOUT: OnApprovalTimeout = 'rollback';
/** At least a minute: a person must have the time to read the Approval Needed event. */
export const MIN_APPROVAL_SECONDS = 60;

/**
 * The error a rejection fails the wait's task token with (SendTaskFailure, `bluegreen reject`):
 * the state machine catches it by name into the rollback.
 */
export const APPROVAL_REJECTED = 'ApprovalRejected';

/** The gate as the input, a route, cdk.json or the construct spell it (every field optional). */
export interface ApprovalOptions {
  required?: boolean;
  timeoutSeconds?: number;
  onTimeout?: OnApprovalTimeout;
}

/** The gate of one promotion, resolved (Promotion.approval: present only when the promotion waits). */
export interface ApprovalGate {
  timeoutSeconds: number;
  onTimeout: OnApprovalTimeout;
}

/**
 * The input's `approval` over the stack's default, field by field. An `approval` object in the
 * input means a gate (`required` defaults to true there) unless it says `required: false`; with
 * none, the stack's default decides (off unless it says `required: true`).
 */
export function resolveApproval(stackDefault: ApprovalOptions | undefined, input: ApprovalOptions | undefined): ApprovalGate | undefined {
  const required = input ? (input.required ?? true) : (stackDefault?.required ?? false);
  if (!required) return undefined;
  return {
    timeoutSeconds: input?.timeoutSeconds ?? stackDefault?.timeoutSeconds ?? DEFAULT_APPROVAL_SECONDS,
    onTimeout: input?.onTimeout ?? stackDefault?.onTimeout ?? DEFAULT_ON_APPROVAL_TIMEOUT,
  };
}

/** What `bluegreen approve` sends with SendTaskSuccess: the output of the wait, at `$.approval`. */
export interface ApprovalAnswer {
  decision: 'approved';
  by: string;
  at: string;
  reason?: string;
}

/** What the approval wait left at `$.approval`: the answer, or the caught error (`States.Timeout`: nobody answered). */
export type ApprovalWake = ApprovalAnswer | { Error: string; Cause?: string };

/** The gate's outcome, in the state (`$.approval` after CheckApproval) and on the history row. */
export interface ApprovalResult {
  decision: 'approved' | 'rejected' | 'timed-out';
  /** Who answered (absent when nobody did). */
  by?: string;
  at?: string;
  reason?: string;
  /** timed-out: what the gate did then. */
  onTimeout?: OnApprovalTimeout;
}

export type ApprovalVerdict = { kind: 'continue'; result: ApprovalResult } | { kind: 'rollback'; reason: string } | { kind: 'unexpected'; problem: string };

/** After the wait: approved → continue; nobody answered → the gate's default action. (A rejection never gets here: it is caught into the rollback.) */
export function judgeApproval(gate: ApprovalGate, wake: ApprovalWake | undefined, now: string): ApprovalVerdict {
  if (wake && 'decision' in wake && wake.decision === 'approved') {
    return { kind: 'continue', result: { decision: 'approved', by: wake.by, at: wake.at, ...(wake.reason ? { reason: wake.reason } : {}) } };
  }
  if (wake && 'Error' in wake && wake.Error === 'States.Timeout') {
    if (gate.onTimeout === 'promote') return { kind: 'continue', result: { decision: 'timed-out', at: now, onTimeout: 'promote' } };
    return { kind: 'rollback', reason: approvalTimedOutReason(gate) };
  }
  return { kind: 'unexpected', problem: `the approval wait ended with ${JSON.stringify(wake ?? null)}, neither an approval nor its timeout` };
}

export function approvalTimedOutReason(gate: ApprovalGate): string {
  return `approval timed out: nobody approved or rejected within ${gate.timeoutSeconds} s, and the gate's onTimeout is rollback`;
}

/** The cause `bluegreen reject` fails the wait with: what the rollback reason and the history row show. */
export function rejectionCause(by: string, at: string, reason: string): string {
  return `rejected by ${by} at ${at}: ${reason}`;
}

const REJECTION = /^rejected by (.+?) at (\d{4}-\d\d-\d\dT[\d:.]+Z): ([\s\S]*)$/;

/**
 * The gate's outcome for the history row: the decided result, or what the caught failure says
 * (a rejection names who and why; `ApprovalTimedOut` is the rollback default). Undefined when the
 * promotion never reached the gate's answer (no gate, or an abort while it waited).
 */
export function approvalRecord(state: { approval?: ApprovalWake | ApprovalResult; failure?: { Error: string; Cause?: string } }, causes: (c: { Error: string; Cause?: string }) => string): ApprovalResult | undefined {
  const failure = state.failure;
  if (failure?.Error === APPROVAL_REJECTED) {
    const cause = causes(failure);
    const match = REJECTION.exec(cause);
    return match ? { decision: 'rejected', by: match[1], at: match[2], reason: match[3] } : { decision: 'rejected', reason: cause };
  }
  if (failure?.Error === 'ApprovalTimedOut') return { decision: 'timed-out', onTimeout: 'rollback' };
  const approval = state.approval;
  return approval && 'decision' in approval ? approval : undefined;
}

/** `approved by alice`, `rejected by bob: too risky`, `timed out (promote)`: how status and history show the gate. */
export function describeApproval(a: ApprovalResult): string {
  if (a.decision === 'timed-out') return `approval timed out (${a.onTimeout ?? 'rollback'})`;
  return `${a.decision} by ${a.by ?? 'unknown'}${a.reason ? `: ${a.reason}` : ''}`;
}

/** What the lock shows while the gate waits: for `bluegreen status` and the approver. */
export interface ApprovalWait {
  requestedAt: string;
  /** requestedAt + timeoutSeconds by the function's clock (the local AWS compresses time: there it is only indicative). */
  deadline: string;
  timeoutSeconds: number;
  onTimeout: OnApprovalTimeout;
}

export function approvalWaitOf(gate: ApprovalGate, now: Date): ApprovalWait {
  return {
    requestedAt: now.toISOString(),
    deadline: new Date(now.getTime() + gate.timeoutSeconds * 1000).toISOString(),
    timeoutSeconds: gate.timeoutSeconds,
    onTimeout: gate.onTimeout,
  };
}

/** The exact commands that answer the gate (the Approval Needed event and `bluegreen status` print them). */
export function approvalCommands(endpointName: string): { approve: string; reject: string } {
  return { approve: `bluegreen approve ${endpointName}`, reject: `bluegreen reject ${endpointName} --reason "<why>"` };
}

/**
 * The detail of the Approval Needed event (schema/events.schema.json ApprovalNeeded): what every
 * lifecycle event carries, plus the wait as parked on the lock (so `requestedAt` is the lock's and
 * the deadline is requestedAt + timeoutSeconds), how green answered the samples, and the commands.
 * Published by the gate once its token is parked: whoever reads it can answer at once.
 */
export function approvalNeededDetail(state: Pick<PromotionState, 'promotion' | 'validation'>, wait: ApprovalWait, region: string): Record<string, unknown> {
  const p = state.promotion;
  const links = consoleLinkTemplates(region);
  return {
    endpointName: p.endpointName,
    promotionId: p.id,
    executionArn: p.executionArn,
    strategy: p.strategy,
    requestedBy: p.requestedBy,
    green: { modelPackageArn: p.modelPackageArn, modelPackageGroup: p.modelPackageGroup, version: p.modelPackageVersion },
    links: { execution: fillLink(links.execution, p.executionArn), endpoint: fillLink(links.endpoint, p.endpointName) },
    timings: { startedAt: p.startedAt, at: wait.requestedAt },
    approval: { timeoutSeconds: wait.timeoutSeconds, onTimeout: wait.onTimeout, requestedAt: wait.requestedAt },
    validation: { samples: state.validation?.samples ?? [] },
    commands: approvalCommands(p.endpointName),
  };
}
