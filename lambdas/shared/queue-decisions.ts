import { modelPackageParts, versionOf } from './arns';
import { historySk, tableKey, type ApprovalOutcome } from './contracts';
import { MAX_EXECUTION_NAME } from './naming';

/**
 * Model Registry decisions that arrive while a promotion runs (issue 11), as pure functions:
 * a newer approval is queued (one queue item per endpoint, sk QUEUED: the latest approval wins)
 * and starts when the running promotion ends; `onNewerApproval: "supersede"` also asks the
 * running one to roll back; an approval of a version older than the one the endpoint serves is
 * refused unless the route allows downgrades; a rejection rolls back or unqueues its version.
 * Every approval that does not start at once gets a history row (outcome queued, superseded or
 * refused) saying what became of it. lambdas/shared/queue.ts carries the decisions out.
 */
export const QUEUE_SK = 'QUEUED';
/**
 * Sparse index of the queue items: only they carry `queued`, so the bake's backstop lists the
 * approvals waiting (one item per endpoint at most) without reading the history.
 */
export const QUEUED_INDEX = 'Queued';

/** An approval as the queue compares it. */
export interface Approval {
  /** The execution it starts as: deterministic per event, so a duplicate delivery has the same name. */
  executionName: string;
  modelPackageArn: string;
  version: number;
  /** When the registry approved it (the event's LastModifiedTime), ISO 8601. */
  approvedAt: string;
  requestedBy: string;
}

/** The queue item of an endpoint: the approval that starts when the running promotion ends. */
export interface QueuedApproval extends Approval {
  /** The table key (`tableKey`). */
  endpointName: string;
  /** The name as the route spells it: what the execution input carries. */
  endpointDisplayName: string;
  sk: typeof QUEUE_SK;
  /** Sparse-index key (QUEUED_INDEX): present on queue items only. */
  queued: 'yes';
  /**
   * When the bake's backstop first found this approval waiting on an endpoint no promotion holds
   * (its promotion's end event late or lost): a later run that finds it so again starts it.
   */
  foundFreeAt?: string;
  /** StartExecution's input (JSON), built when it was approved. */
  input: string;
  queuedAt: string;
  /** The promotion it waits for, when it was queued. */
  behind: string;
}

/** The promotion holding the endpoint's lock, as the decisions need it. */
export interface InFlight {
  promotionId: string;
  modelPackageArn: string;
}

/** A route's choices about approvals (cdk.json `modelPackageGroups.<group>`), with their defaults applied. */
export interface QueuePolicy {
  onNewerApproval: 'queue' | 'supersede';
  allowDowngrade: boolean;
}

export interface ApprovalFacts {
  endpointName: string;
  group: string;
  approval: Approval;
  /**
   * The version the endpoint serves (liveVersion in lambdas/on-approval). Undefined: nothing
   * serves, it was not built from a versioned package, or it is not to be checked (the rejection
   * fallback, which is the registry's own decision, and an approval re-queued after a lost start).
   */
  live?: number;
  inFlight?: InFlight;
  queued?: QueuedApproval;
  policy: QueuePolicy;
}

export type ApprovalDecision =
  /** The endpoint is free and nothing waits: start it now. */
  | { action: 'start' }
  /** This very approval runs or waits already (a duplicate delivery). */
  | { action: 'duplicate'; note: string }
  /** Its version is being promoted already: nothing to add. */
  | { action: 'ignore'; note: string }
  /** A downgrade the route does not allow: recorded, not started. */
  | { action: 'refuse'; reason: string }
  /** Something newer runs or waits already: recorded as superseded, not queued. */
  | { action: 'superseded'; reason: string; supersededBy: string }
  /** Queue it (replacing what waits, which is recorded as superseded); maybe ask the running promotion to roll back. */
  | { action: 'queue'; replaces?: { item: QueuedApproval; reason: string; supersededBy: string }; abortReason?: string };

const describe = (a: Pick<Approval, 'version' | 'approvedAt'>) => `version ${a.version} approved at ${a.approvedAt}`;

/**
 * The latest approval wins. Versions decide (a re-approval of the same version replaces it), so an
 * older version never overtakes a newer one; where the route allows downgrades, the later approval
 * wins whatever its version, since then an older version is a legitimate choice.
 */
export function isNewer(a: Pick<Approval, 'version' | 'approvedAt'>, b: Pick<Approval, 'version' | 'approvedAt'>, allowDowngrade: boolean): boolean {
  if (allowDowngrade || a.version === b.version) return instant(a.approvedAt) >= instant(b.approvedAt);
  return a.version > b.version;
}

/** ISO 8601 with or without milliseconds ("…:14Z", as EventBridge writes times, and "…:14.000Z") as one comparable number. */
function instant(iso: string): number {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? 0 : ms;
}

/** Refused downgrade: names the versions and the option that would allow it. */
export function downgradeReason(f: Pick<ApprovalFacts, 'endpointName' | 'group' | 'approval'>, live: number): string {
  return (
    `version ${f.approval.version} is older than version ${live}, which ${f.endpointName} serves: a downgrade, refused; ` +
    `to allow downgrades set "allowDowngrade": true in cdk.json's bluegreen.modelPackageGroups.${f.group}, or approve a version newer than ${live}`
  );
}

/** The running promotion's abort reason under `onNewerApproval: "supersede"`. */
export function supersedeReason(approval: Pick<Approval, 'version' | 'approvedAt'>): string {
  return `superseded by ${describe(approval)}`;
}

/** The running promotion's abort reason when the registry rejects the version it promotes. */
export function rejectionReason(group: string, version: number, rejectedAt: string): string {
  return `model package ${group}/${version} was Rejected in the Model Registry at ${rejectedAt}`;
}

/** What to do with an approval for this endpoint, given what runs and what waits. */
export function decideApproval(f: ApprovalFacts): ApprovalDecision {
  const { approval: a, inFlight, queued, live, policy } = f;
  if (inFlight?.promotionId === a.executionName) return { action: 'duplicate', note: `${a.executionName} is the promotion in flight` };
  if (queued?.executionName === a.executionName) return { action: 'duplicate', note: `${a.executionName} is queued already` };
  if (live !== undefined && a.version < live && !policy.allowDowngrade) return { action: 'refuse', reason: downgradeReason(f, live) };
  if (!inFlight && !queued) return { action: 'start' };

  const running = inFlight ? versionOf(inFlight.modelPackageArn) : undefined;
  if (inFlight && running !== undefined) {
    if (running === a.version) return { action: 'ignore', note: `version ${running} is being promoted already (${inFlight.promotionId})` };
    if (!policy.allowDowngrade && a.version < running) {
      return {
        action: 'superseded',
        reason: `version ${running} is newer and being promoted (${inFlight.promotionId}): the latest approval wins`,
        supersededBy: `version ${running} (${inFlight.promotionId})`,
      };
    }
  }
  if (queued && !isNewer(a, queued, policy.allowDowngrade)) {
    return {
      action: 'superseded',
      reason: `${describe(queued)} waits already and wins (the latest approval per endpoint starts)`,
      supersededBy: `version ${queued.version} (${queued.executionName})`,
    };
  }
  return {
    action: 'queue',
    replaces: queued ? { item: queued, reason: `superseded by ${describe(a)}`, supersededBy: `version ${a.version} (${a.executionName})` } : undefined,
    abortReason: inFlight && policy.onNewerApproval === 'supersede' ? supersedeReason(a) : undefined,
  };
}

export interface RejectionFacts {
  group: string;
  version: number;
  modelPackageArn: string;
  rejectedAt: string;
  live?: number;
  inFlight?: InFlight;
  queued?: QueuedApproval;
}

export interface RejectionDecision {
  /** The promotion in flight promotes the rejected version: roll it back, with this reason. */
  abortReason?: string;
  /** The queued approval is of the rejected version: remove it, recorded with this reason. */
  unqueueReason?: string;
  /**
   * The endpoint serves the rejected version and no rollback is under way: move it to the
   * group's latest other approved version (what the SageMaker Projects templates do).
   */
  fallback: boolean;
}

/** Same package? ARNs compared by group (case-insensitively, as SageMaker names are) and version. */
export function samePackage(a: string, b: string): boolean {
  try {
    const x = modelPackageParts(a);
    const y = modelPackageParts(b);
    return x.group.toLowerCase() === y.group.toLowerCase() && x.version === y.version && x.account === y.account && x.region === y.region;
  } catch {
    return false;
  }
}

/** What a rejection in the Model Registry does to this endpoint. */
export function decideRejection(f: RejectionFacts): RejectionDecision {
  const reason = rejectionReason(f.group, f.version, f.rejectedAt);
  const inFlight = f.inFlight !== undefined && samePackage(f.inFlight.modelPackageArn, f.modelPackageArn);
  return {
    abortReason: inFlight ? reason : undefined,
    unqueueReason: f.queued && samePackage(f.queued.modelPackageArn, f.modelPackageArn) ? `${reason}: removed from the queue` : undefined,
    // A rollback in flight already takes the endpoint back to what served before the rejected version.
    fallback: !inFlight && f.live === f.version,
  };
}

/** A queued approval's history row: one per approval, its fate in `outcome` (ApprovalOutcome). */
export interface ApprovalRow {
  endpointName: string;
  endpointDisplayName: string;
  sk: string;
  /** The execution it starts (or would have started) as. Not `promotionId`: that names the promotion's own row. */
  approvalId: string;
  modelPackageArn: string;
  modelPackageVersion: number;
  requestedBy: string;
  approvedAt: string;
  /** When this row was first written (the time in its sort key). */
  recordedAt: string;
  outcome: ApprovalOutcome;
  reason: string;
  /** The promotion it waited for. */
  behind?: string;
  supersededBy?: string;
  /** The execution it started as, once the promotion it waited for ended. */
  startedAs?: string;
}

/** The row of an approval that never was queued (refused, or superseded on arrival). */
export function approvalRow(
  endpointName: string,
  a: Approval,
  recordedAt: string,
  fate: { outcome: ApprovalOutcome; reason: string; supersededBy?: string; behind?: string },
): ApprovalRow {
  return {
    endpointName: tableKey(endpointName),
    endpointDisplayName: endpointName,
    sk: historySk(recordedAt, a.executionName),
    approvalId: a.executionName,
    modelPackageArn: a.modelPackageArn,
    modelPackageVersion: a.version,
    requestedBy: a.requestedBy,
    approvedAt: a.approvedAt,
    recordedAt,
    ...fate,
  };
}

/** The row of a queued approval, as it is now (`fate` overrides the queued outcome and reason). */
export function queuedRow(item: QueuedApproval, fate: Partial<Pick<ApprovalRow, 'outcome' | 'reason' | 'supersededBy' | 'startedAs'>> = {}): ApprovalRow {
  return {
    ...approvalRow(item.endpointDisplayName, item, item.queuedAt, {
      outcome: 'queued',
      reason: `approved at ${item.approvedAt} while ${item.behind} promotes ${item.endpointDisplayName}: starts when it ends`,
      behind: item.behind,
    }),
    ...fate,
  };
}

export function queueItem(endpointName: string, a: Approval, input: string, queuedAt: string, behind: string): QueuedApproval {
  return { ...a, endpointName: tableKey(endpointName), endpointDisplayName: endpointName, sk: QUEUE_SK, queued: 'yes', input, queuedAt, behind };
}

export type StrandedDecision =
  /** A promotion holds the endpoint: its end starts the approval. `clear`: forget an earlier run's finding that it was free. */
  | { action: 'wait'; clear: boolean }
  /** No promotion holds it: note that, and give the end event of the promotion that ended until the next run. */
  | { action: 'mark' }
  /** Free on two runs of the backstop in a row: the end event was lost (or is later than a run): start it. */
  | { action: 'start' };

/**
 * What the bake's backstop does with a queued approval. Step Functions delivers execution status
 * events best effort (EventBridge reference, "AWS Step Functions events"), so an approval can wait
 * behind a promotion that ended long ago. The grace is counted in backstop runs, never by a clock
 * (the local AWS compresses time): one whole run's interval for on-execution-end to start it first.
 */
export function decideStranded(item: Pick<QueuedApproval, 'foundFreeAt'>, endpointHeld: boolean): StrandedDecision {
  if (endpointHeld) return { action: 'wait', clear: item.foundFreeAt !== undefined };
  return item.foundFreeAt === undefined ? { action: 'mark' } : { action: 'start' };
}

/**
 * The name of an approval re-queued after its start lost the race for the lock (two starts in the
 * seconds before the first one's lock): a new name, since Step Functions never starts a name twice.
 */
export function requeuedName(executionName: string): string {
  // -q1, -q2…: a name refused again gets another one, never its own (80 characters at most).
  const match = /^(.*)-q(\d+)$/.exec(executionName);
  const tail = `-q${match ? Number(match[2]) + 1 : 1}`;
  return `${(match ? match[1]! : executionName).slice(0, MAX_EXECUTION_NAME - tail.length)}${tail}`;
}

/** The part of a "Step Functions Execution Status Change" event the queue reads. */
export interface EndedExecution {
  name: string;
  status: string;
  input?: string | null;
  error?: string | null;
  /** Epoch milliseconds. */
  startDate?: number | null;
}

export function inputFields(input: string | null | undefined): Record<string, unknown> {
  try {
    const parsed = JSON.parse(input ?? '{}') as unknown;
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/**
 * An approval whose start was refused `PromotionInProgress` (it started in the seconds before
 * another start's lock): what to queue in its place, or undefined when the execution was not a
 * Model Registry approval's.
 */
export function lostApproval(ended: EndedExecution): { endpointName: string; approval: Approval; input: string } | undefined {
  if (ended.status !== 'FAILED' || ended.error !== 'PromotionInProgress') return undefined;
  const input = inputFields(ended.input);
  const { endpointName, modelPackageArn, requestedBy } = input;
  if (typeof endpointName !== 'string' || typeof modelPackageArn !== 'string' || typeof requestedBy !== 'string') return undefined;
  const version = versionOf(modelPackageArn);
  if (!requestedBy.startsWith('model-registry:') || version === undefined) return undefined;
  // The approval's own time is not in the input; its execution started right after it.
  const approvedAt = new Date(ended.startDate ?? Date.now()).toISOString();
  return { endpointName, input: ended.input ?? '{}', approval: { executionName: requeuedName(ended.name), modelPackageArn, version, approvedAt, requestedBy } };
}

/**
 * A promotion that ended promoted, of a routed group: what it put live. A rejection that arrived
 * after the promotion's last abort check (during its revalidation or cleanup) could not roll it
 * back, so the end checks the registry once more (afterExecutionEnd).
 */
export function promotedBy(ended: EndedExecution, routedGroups: string[]): { endpointName: string; modelPackageArn: string; group: string; version: number } | undefined {
  if (ended.status !== 'SUCCEEDED') return undefined;
  const { endpointName, modelPackageArn } = inputFields(ended.input);
  if (typeof endpointName !== 'string' || typeof modelPackageArn !== 'string') return undefined;
  let parts: { group: string; version: number };
  try {
    parts = modelPackageParts(modelPackageArn);
  } catch {
    return undefined;
  }
  const routed = routedGroups.some((g) => g.toLowerCase() === parts.group.toLowerCase());
  return routed ? { endpointName, modelPackageArn, group: parts.group, version: parts.version } : undefined;
}

/**
 * The move back after a version was rejected while it went live: the group's latest other approved
 * version, with the settings of the promotion that ended (its input), under a name of its own.
 */
export function rejectionFallback(
  ended: EndedExecution,
  rejected: { group: string; version: number },
  fallback: { modelPackageArn: string; version: number },
  at: string,
): { approval: Approval; input: string } {
  const tail = '-rejected';
  const requestedBy = `model-registry:rejected:${rejected.group}/${rejected.version}`;
  return {
    approval: { executionName: `${ended.name.slice(0, MAX_EXECUTION_NAME - tail.length)}${tail}`, modelPackageArn: fallback.modelPackageArn, version: fallback.version, approvedAt: at, requestedBy },
    input: JSON.stringify({ ...inputFields(ended.input), modelPackageArn: fallback.modelPackageArn, requestedBy }),
  };
}
