import type { CaughtError, PromotionState, SampleResult } from './contracts';
import type { SampleResponse } from './decisions';
import type { LockItem } from './locks';

/**
 * What the lifecycle events of a promotion's end say beyond its outcome (record-outcome returns it
 * in `$.outcome`, the PutEvents states read it there: schema/events.schema.json). Every field is
 * always present, null when unknown, because a JSONPath that points at nothing fails the execution.
 */
export interface BlueFacts {
  /** false: a first deployment (or the promotion ended before blue was described: then null). */
  exists: boolean | null;
  modelPackageArn: string | null;
  version: number | null;
  endpointConfigName: string | null;
}

export interface AlarmEvidence {
  name: string;
  /** CloudWatch's StateReason when the alarm went to ALARM. */
  stateReason: string;
}

/**
 * At most this many failing samples travel, each text clipped to MAX_EXCERPT_CHARS: they are written
 * on the lock item (DynamoDB: an item is at most 400 KB) and published in one EventBridge entry (at
 * most 256 KB), through the state document (256 KiB). A few samples are what a person reads at 3 a.m.
 */
export const MAX_EVIDENCE_SAMPLES = 3;
export const MAX_EXCERPT_CHARS = 256;

/** One validation request green failed, as a rollback notification shows it. */
export interface FailingSample {
  name: string;
  /** The HTTP status green's container answered (a ModelError's OriginalStatusCode), 0 when none came back. */
  status: number;
  latencyMs: number;
  /** What was wrong (judgeSample in decisions.ts). */
  problem: string;
  /**
   * The first characters of green's answer: its body, or a container error's OriginalMessage; null
   * when it gave none. The answer to the operator's own validation sample, never to a user's request.
   */
  bodyExcerpt: string | null;
  /** A ModelError's LogStreamArn (InvokeEndpoint API reference): green's container log of this request; null otherwise. */
  logStreamArn: string | null;
  /** What the sample expected; the texts clipped like bodyExcerpt. */
  expected: { status: number; maxLatencyMs: number; contains: string | null; json: string | null };
}

/** Why green failed validation, written on the lock by validate-green before it throws (a Lambda error carries only name and message). */
export interface ValidationEvidence {
  /** Where the requests went: green's variant, the validation endpoint, or the serving fleet. */
  target: string;
  failed: number;
  total: number;
  at: string;
  /** The first MAX_EVIDENCE_SAMPLES failing samples, in the order they were sent. */
  samples: FailingSample[];
}

export interface Evidence {
  /**
   * The guardrail alarm that stopped the promotion: named by the abort that failed the bake (on-alarm,
   * the backstop), by the abort flag a step found on the lock, or found by the bake's own check.
   */
  alarm: AlarmEvidence | null;
  /** The failing validation samples, when green failed validation (ValidateGreen or RevalidateGreen). */
  validation: ValidationEvidence | null;
  /** Where green's container logs are: SageMaker writes them to /aws/sagemaker/Endpoints/<endpoint name>. */
  greenLogs: { logGroup: string; validationLogGroup: string | null };
}

/**
 * The cause an abort fails a parked task with (lambdas/shared/locks.ts requestAbort): JSON shaped
 * like a Lambda error's, so causeMessage reads it as it reads any other, plus the alarm it names.
 */
export function abortCause(reason: string, alarm?: AlarmEvidence): string {
  return alarm ? JSON.stringify({ errorMessage: reason, alarm }) : reason;
}

/** The alarm an abort's cause names (see abortCause), if any. */
export function alarmOf(caught: CaughtError | undefined): AlarmEvidence | null {
  if (!caught?.Cause) return null;
  try {
    const parsed = JSON.parse(caught.Cause) as { alarm?: { name?: unknown; stateReason?: unknown } };
    const { name, stateReason } = parsed.alarm ?? {};
    return typeof name === 'string' && typeof stateReason === 'string' ? { name, stateReason } : null;
  } catch {
    return null;
  }
}

export function blueFacts(state: PromotionState): BlueFacts {
  const blue = state.blue;
  return {
    exists: blue ? blue.exists : null,
    modelPackageArn: blue?.modelPackageArn ?? null,
    version: blue?.modelPackageVersion ?? null,
    endpointConfigName: blue?.endpointConfigName ?? null,
  };
}

/** SageMaker's log group of an endpoint's containers (developer guide, "Log Amazon SageMaker AI events with CloudWatch"). */
export const endpointLogGroup = (endpointName: string) => `/aws/sagemaker/Endpoints/${endpointName}`;

/** What the lock item holds of a promotion's evidence (written by the steps that found it). */
export type LockEvidence = Partial<Pick<LockItem, 'abortRequested' | 'alarmEvidence' | 'validationEvidence'>>;

/**
 * The evidence of a promotion's end, from its state and its lock item as record-outcome read it. The
 * lock's evidence counts only for the error that ended the promotion: an alarm for GuardrailAlarm
 * (check-guardrails' own finding first, then the abort flag's), the samples for GreenValidationFailed.
 */
export function evidenceOf(state: PromotionState, lock?: LockEvidence): Evidence {
  const validationEndpoint = state.green?.validationEndpointName;
  const failedWith = state.failure?.Error;
  return {
    alarm: alarmOf(state.failure) ?? (failedWith === 'GuardrailAlarm' ? (lock?.alarmEvidence ?? lock?.abortRequested?.alarm ?? null) : null),
    validation: failedWith === 'GreenValidationFailed' ? (lock?.validationEvidence ?? null) : null,
    greenLogs: {
      logGroup: endpointLogGroup(state.promotion.endpointName),
      validationLogGroup: validationEndpoint ? endpointLogGroup(validationEndpoint) : null,
    },
  };
}

/** `text` clipped to MAX_EXCERPT_CHARS (an ellipsis marks a cut, never half of a surrogate pair); null when empty. */
export function excerpt(text: string | undefined): string | null {
  if (!text) return null;
  if (text.length <= MAX_EXCERPT_CHARS) return text;
  let end = MAX_EXCERPT_CHARS - 1;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}…`;
}

/** One validation request as validate-green judged it: the sample's expectations, green's answer, the verdict. */
export interface CheckedSample {
  expected: { expectedStatus?: number; expectContains?: string; expectJson?: Record<string, unknown> };
  /** `originalMessage`, `logStreamArn`: a ModelError's, when green's container answered with an error. */
  response: SampleResponse & { originalMessage?: string; logStreamArn?: string };
  result: SampleResult;
}

/** The evidence of a failed validation (undefined when every sample passed): counts and the first failing samples, bounded. */
export function validationEvidence(target: string, checked: CheckedSample[], maxLatencyMs: number, at: string): ValidationEvidence | undefined {
  const failing = checked.filter((c) => !c.result.ok);
  if (failing.length === 0) return undefined;
  return {
    target,
    failed: failing.length,
    total: checked.length,
    at,
    samples: failing.slice(0, MAX_EVIDENCE_SAMPLES).map(({ expected, response, result }) => ({
      name: result.name,
      status: result.status,
      latencyMs: result.latencyMs,
      problem: result.problem ?? 'failed',
      bodyExcerpt: excerpt(response.body || response.originalMessage),
      logStreamArn: response.logStreamArn ?? null,
      expected: {
        status: expected.expectedStatus ?? 200,
        maxLatencyMs,
        contains: excerpt(expected.expectContains),
        json: expected.expectJson === undefined ? null : excerpt(JSON.stringify(expected.expectJson)),
      },
    })),
  };
}

export function durationSeconds(startedAt: string, finishedAt: string): number {
  return Math.max(0, Math.round((Date.parse(finishedAt) - Date.parse(startedAt)) / 1000));
}
