/**
 * Fault injection for the local emulator. The same functions are served over
 * HTTP: `POST /_emulator/faults/<name>` with the arguments as a JSON body
 * (`times: -1` stands for Infinity), `POST /_emulator/reset-faults`.
 */

export type AlarmStateValue = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

export interface ThrottleFault {
  /** Operation name as in the API, e.g. 'UpdateEndpoint', 'DescribeAlarms', 'InvokeEndpoint'. */
  operation: string;
  /** How many calls fail; Infinity (or -1 over HTTP) = until cleared. */
  times: number;
  /** Error returned instead of ThrottlingException, e.g. 'InternalFailure' (HTTP 500), 'ResourceLimitExceeded', 'ServiceUnavailable'. */
  errorName?: string;
}

/** Which deployments a fleet fault applies to: all given criteria must match one model of the deployment. */
export interface FleetMatcher {
  modelName?: string;
  modelNamePrefix?: string;
  modelPackageVersion?: number;
}
export interface FailFleetFault extends FleetMatcher {
  reason?: string;
  /** How many matching deployments fail (default 1). */
  times?: number;
}
export interface SlowFleetFault extends FleetMatcher {
  /** Real milliseconds a matching deployment takes (a huge value = never InService); -1 holds it until the faults are cleared. */
  provisioningMs: number;
}
export interface SilentRollbackFault {
  endpointName: string;
}
export interface FailRollbackFault {
  endpointName: string;
  reason?: string;
}
export interface VariantErrorsFault {
  endpointName: string;
  variantName?: string;
  modelPackageVersion?: number;
  /** HTTP status the model container answers with (default 500; when only latencyMs is given, the response succeeds). */
  statusCode?: number;
  /** Fraction of matching invocations affected, 0..1 (default 1), spread deterministically. */
  rate?: number;
  /** Model latency recorded for matching invocations (real sleep is capped at 50 ms unless realDelay). */
  latencyMs?: number;
  realDelay?: boolean;
  /** The container's error message (OriginalMessage). */
  message?: string;
}
export interface SetAlarmStateFault {
  alarmName: string;
  state: AlarmStateValue;
  reason: string;
}

/** A model deployed (or about to be) on a production variant. */
export interface DeployedModel {
  variantName: string;
  modelName: string;
  modelPackageVersion?: number;
}

export interface VariantFaultEffect {
  statusCode: number;
  latencyMs?: number;
  sleepMs: number;
  message: string;
}

export interface FaultsSnapshot {
  throttles: Array<{ operation: string; remaining: number | 'Infinity'; errorName: string }>;
  failFleets: Array<FailFleetFault & { remaining: number }>;
  slowFleets: SlowFleetFault[];
  silentRollbacks: SilentRollbackFault[];
  failRollbacks: FailRollbackFault[];
  variantErrors: VariantErrorsFault[];
}

export class FaultArgumentError extends Error {}

function need(cond: boolean, msg: string): void {
  if (!cond) throw new FaultArgumentError(msg);
}
const optNum = (v: unknown): boolean => v === undefined || (typeof v === 'number' && !Number.isNaN(v));
const optStr = (v: unknown): boolean => v === undefined || typeof v === 'string';

function checkMatcher(m: FleetMatcher): void {
  need(optStr(m.modelName) && optStr(m.modelNamePrefix) && optNum(m.modelPackageVersion), 'modelName/modelNamePrefix must be strings, modelPackageVersion a number');
}

function matches(m: FleetMatcher, d: DeployedModel): boolean {
  if (m.modelName !== undefined && d.modelName !== m.modelName) return false;
  if (m.modelNamePrefix !== undefined && !d.modelName.startsWith(m.modelNamePrefix)) return false;
  if (m.modelPackageVersion !== undefined && d.modelPackageVersion !== m.modelPackageVersion) return false;
  return true;
}

export class Faults {
  private throttles: Array<{ operation: string; remaining: number; errorName: string }> = [];
  private failFleets: Array<FailFleetFault & { remaining: number }> = [];
  private slowFleets: SlowFleetFault[] = [];
  private silentRollbacks: SilentRollbackFault[] = [];
  private failRollbacks: FailRollbackFault[] = [];
  private variantFaults: Array<{ fault: VariantErrorsFault; seen: number }> = [];
  private held: Array<() => void> = [];

  constructor(private readonly alarmStateSetter: (f: SetAlarmStateFault) => void) {}

  /** The next `times` calls of `operation` fail with ThrottlingException (or `errorName`). */
  throttle(f: ThrottleFault): void {
    need(typeof f?.operation === 'string' && f.operation.length > 0, 'throttle: operation is required');
    need(typeof f.times === 'number' && (f.times > 0 || f.times === -1), 'throttle: times must be a positive number, Infinity or -1');
    need(optStr(f.errorName), 'throttle: errorName must be a string');
    this.throttles.push({
      operation: f.operation,
      remaining: f.times === -1 ? Infinity : f.times,
      errorName: f.errorName ?? 'ThrottlingException',
    });
  }

  /** The next Create/UpdateEndpoint deploying a matching model fails (Create → Failed; Update → back to InService on the old config with FailureReason). */
  failFleet(f: FailFleetFault = {}): void {
    checkMatcher(f);
    need(optStr(f.reason), 'failFleet: reason must be a string');
    need(f.times === undefined || f.times === -1 || (typeof f.times === 'number' && f.times > 0), 'failFleet: times must be positive');
    this.failFleets.push({ ...f, remaining: f.times === undefined ? 1 : f.times === -1 ? Infinity : f.times });
  }

  /**
   * Matching deployments take `provisioningMs` real milliseconds (until cleared). `-1` holds them
   * until clear() and they finish then: a test can end a slow deployment at a step of the workflow
   * rather than at a wall-clock time a loaded machine would stretch.
   */
  slowFleet(f: SlowFleetFault): void {
    checkMatcher(f);
    need(typeof f?.provisioningMs === 'number' && (f.provisioningMs >= 0 || f.provisioningMs === -1), 'slowFleet: provisioningMs must be a non-negative number, or -1 (held until cleared)');
    this.slowFleets.push({ ...f });
  }

  /** The next UpdateEndpoint on the endpoint ends InService on the OLD config, with no FailureReason. */
  silentRollback(f: SilentRollbackFault): void {
    need(typeof f?.endpointName === 'string', 'silentRollback: endpointName is required');
    this.silentRollbacks.push({ endpointName: f.endpointName });
  }

  /** The next deployment-guardrails rollback on the endpoint fails: status UpdateRollbackFailed. */
  failRollback(f: FailRollbackFault): void {
    need(typeof f?.endpointName === 'string', 'failRollback: endpointName is required');
    need(optStr(f.reason), 'failRollback: reason must be a string');
    this.failRollbacks.push({ ...f });
  }

  /** Matching invocations get a ModelError (container status `statusCode`) and/or a recorded latency (until cleared). */
  variantErrors(f: VariantErrorsFault): void {
    need(typeof f?.endpointName === 'string', 'variantErrors: endpointName is required');
    need(optStr(f.variantName) && optNum(f.modelPackageVersion) && optNum(f.statusCode) && optNum(f.latencyMs), 'variantErrors: bad argument types');
    need(f.rate === undefined || (typeof f.rate === 'number' && f.rate >= 0 && f.rate <= 1), 'variantErrors: rate must be within 0..1');
    need(f.statusCode === undefined || (f.statusCode >= 100 && f.statusCode <= 599), 'variantErrors: statusCode must be an HTTP status');
    this.variantFaults.push({ fault: { ...f }, seen: 0 });
  }

  /** Same as CloudWatch SetAlarmState. */
  setAlarmState(f: SetAlarmStateFault): void {
    need(typeof f?.alarmName === 'string', 'setAlarmState: alarmName is required');
    need(['OK', 'ALARM', 'INSUFFICIENT_DATA'].includes(f.state), 'setAlarmState: state must be OK, ALARM or INSUFFICIENT_DATA');
    this.alarmStateSetter({ alarmName: f.alarmName, state: f.state, reason: f.reason ?? 'Set by the emulator fault API' });
  }

  clear(): void {
    const held = this.held;
    this.held = [];
    this.throttles = [];
    this.failFleets = [];
    this.slowFleets = [];
    this.silentRollbacks = [];
    this.failRollbacks = [];
    this.variantFaults = [];
    for (const release of held) release();
  }

  // ---- used by the services -------------------------------------------------

  /** Consumes one throttle for the operation; returns the error name to answer with. */
  takeThrottle(operation: string): string | undefined {
    const t = this.throttles.find((x) => x.operation === operation && x.remaining > 0);
    if (!t) return undefined;
    t.remaining -= 1;
    if (t.remaining <= 0) this.throttles = this.throttles.filter((x) => x !== t);
    return t.errorName;
  }

  /** Consumes a matching failFleet; returns the failure reason and the variant it hit. */
  takeFailFleet(models: DeployedModel[]): { reason?: string; variantName: string } | undefined {
    for (const f of this.failFleets) {
      const hit = models.find((d) => matches(f, d));
      if (hit && f.remaining > 0) {
        f.remaining -= 1;
        if (f.remaining <= 0) this.failFleets = this.failFleets.filter((x) => x !== f);
        return { reason: f.reason, variantName: hit.variantName };
      }
    }
    return undefined;
  }

  /** Longest provisioning time of the slowFleet faults matching the deployment (Infinity: held until cleared, see whenCleared). */
  slowFleetMs(models: DeployedModel[]): number | undefined {
    let ms: number | undefined;
    for (const f of this.slowFleets) {
      if (models.some((d) => matches(f, d))) ms = Math.max(ms ?? 0, f.provisioningMs === -1 ? Infinity : f.provisioningMs);
    }
    return ms;
  }

  /** Runs `release` at the next clear(): how a held deployment (slowFleet -1) finishes. */
  whenCleared(release: () => void): void {
    this.held.push(release);
  }

  takeSilentRollback(endpointName: string): boolean {
    const i = this.silentRollbacks.findIndex((s) => s.endpointName === endpointName);
    if (i === -1) return false;
    this.silentRollbacks.splice(i, 1);
    return true;
  }

  /** Consumes a failRollback for the endpoint; returns the reason the rollback failed. */
  takeFailRollback(endpointName: string): string | undefined {
    const i = this.failRollbacks.findIndex((f) => f.endpointName.toLowerCase() === endpointName.toLowerCase());
    if (i === -1) return undefined;
    const [f] = this.failRollbacks.splice(i, 1);
    return f?.reason ?? 'Old instances could not be provisioned (fault injected).';
  }

  /** The effect on one invocation of `variant` (the most recently added matching fault wins). */
  variantEffect(endpointName: string, model: DeployedModel): VariantFaultEffect | undefined {
    for (let i = this.variantFaults.length - 1; i >= 0; i--) {
      const entry = this.variantFaults[i];
      if (!entry) continue;
      const f = entry.fault;
      if (f.endpointName !== endpointName) continue;
      if (f.variantName !== undefined && f.variantName !== model.variantName) continue;
      if (f.modelPackageVersion !== undefined && f.modelPackageVersion !== model.modelPackageVersion) continue;
      entry.seen += 1;
      const rate = f.rate ?? 1;
      // Deterministic spread: the n-th matching call is affected when floor(n*rate) grows.
      const affected = Math.floor(entry.seen * rate) > Math.floor((entry.seen - 1) * rate);
      if (!affected) return undefined;
      const statusCode = f.statusCode ?? (f.latencyMs !== undefined ? 200 : 500);
      const sleepMs = f.latencyMs === undefined ? 0 : f.realDelay ? f.latencyMs : Math.min(f.latencyMs, 50);
      return {
        statusCode,
        latencyMs: f.latencyMs,
        sleepMs,
        message: f.message ?? (statusCode >= 500 ? 'Internal server error (injected fault)' : 'Bad request (injected fault)'),
      };
    }
    return undefined;
  }

  snapshot(): FaultsSnapshot {
    return {
      throttles: this.throttles.map((t) => ({ ...t, remaining: t.remaining === Infinity ? 'Infinity' : t.remaining })),
      failFleets: this.failFleets.map((f) => ({ ...f })),
      slowFleets: this.slowFleets.map((f) => ({ ...f })),
      silentRollbacks: this.silentRollbacks.map((f) => ({ ...f })),
      failRollbacks: this.failRollbacks.map((f) => ({ ...f })),
      variantErrors: this.variantFaults.map((v) => ({ ...v.fault })),
    };
  }
}

/** The faults served at `POST /_emulator/faults/<name>`: the Faults methods that take one JSON body, and `clear`. */
export type FaultName = 'throttle' | 'failFleet' | 'slowFleet' | 'silentRollback' | 'failRollback' | 'variantErrors' | 'setAlarmState' | 'clear';

export interface FaultDoc {
  name: FaultName;
  /** A body the fault API accepts (test/emulator/faults-docs.test.ts sends each one). */
  body: Record<string, unknown>;
  /** Other arguments or what a value means, after the body. */
  also?: string;
  effect: string;
}

/**
 * Every fault, with an example body and its effect: the server's list of names and the README's
 * table (`npm run docs`) both come from here, so neither can drift from the other or from the code.
 */
export const FAULT_DOCS: readonly FaultDoc[] = [
  {
    name: 'throttle',
    body: { operation: 'UpdateEndpoint', times: 2, errorName: 'ThrottlingException' },
    also: '`times: -1` = until cleared; `errorName` e.g. `InternalFailure` (HTTP 500), `ResourceLimitExceeded`, `ServiceUnavailable`',
    effect: 'the next calls of the operation fail with that error',
  },
  {
    name: 'failFleet',
    body: { modelPackageVersion: 3, reason: 'CUDA out of memory' },
    also: 'or `modelName`, `modelNamePrefix`; `times` (default 1, -1 = until cleared)',
    effect: 'the next matching deployment fails (a create → `Failed`; an update → back on the old config with `FailureReason`)',
  },
  {
    name: 'slowFleet',
    body: { modelPackageVersion: 3, provisioningMs: 5000 },
    also: 'or `modelName`, `modelNamePrefix`; `provisioningMs: -1` holds them until the faults are cleared, and they finish then',
    effect: 'matching deployments take that long (real ms) until cleared',
  },
  { name: 'silentRollback', body: { endpointName: 'churn-prediction' }, effect: 'the next update ends `InService` on the *old* config with no `FailureReason`' },
  { name: 'failRollback', body: { endpointName: 'churn-prediction' }, also: '`reason`', effect: 'the next guardrails rollback fails: `UpdateRollbackFailed`' },
  {
    name: 'variantErrors',
    body: { endpointName: 'churn-prediction', modelPackageVersion: 3, statusCode: 500, rate: 1 },
    also: 'or `variantName`; `latencyMs` (recorded; real sleep capped at 50 ms unless `realDelay`), `message`',
    effect: 'matching invocations answer that status and/or latency until cleared (drives metrics and alarms)',
  },
  {
    name: 'setAlarmState',
    body: { alarmName: 'bluegreen-churn-prediction-v3-b0e005-5xx', state: 'ALARM', reason: 'injected' },
    also: '`state`: `OK`, `ALARM` or `INSUFFICIENT_DATA`',
    effect: 'as CloudWatch `SetAlarmState`',
  },
  { name: 'clear', body: {}, effect: 'removes every fault (also `POST /_emulator/reset-faults`)' },
];
