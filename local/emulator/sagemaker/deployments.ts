/**
 * How an endpoint moves from one fleet to the next: CreateEndpoint, UpdateEndpoint (with or
 * without deployment guardrails) and UpdateEndpointWeightsAndCapacities, run on timers.
 *
 * Deployment guardrails (https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails.html):
 * - Blue/green (BlueGreenUpdatePolicy): the whole new (green) fleet is provisioned, then traffic
 *   moves ALL_AT_ONCE, or CANARY (a canary share, WaitIntervalInSeconds of baking, then the rest),
 *   or LINEAR (LinearStepSize every WaitIntervalInSeconds); then TerminationWaitInSeconds of baking
 *   before the old (blue) fleet is terminated. An UpdateEndpoint without DeploymentConfig is a
 *   blue/green all-at-once with no baking.
 * - Rolling (RollingUpdatePolicy): new instances in batches of MaximumBatchSize, each batch's
 *   traffic moved and as many old instances terminated, WaitIntervalInSeconds between batches;
 *   a rollback re-provisions old instances in batches of RollbackMaximumBatchSize.
 * - AutoRollbackConfiguration: an alarm in ALARM while traffic is on the new fleet (the baking
 *   periods) rolls back: status RollingBack, traffic back to the old fleet (still there in
 *   blue/green, so no new provisioning), the new fleet terminated, the endpoint InService on its
 *   old config with FailureReason naming the alarm. MaximumExecutionTimeoutInSeconds exceeded
 *   rolls back the same way. A rollback that fails leaves UpdateRollbackFailed.
 * - Exclusions (deployment-guardrails-exclusions): the new config must keep the variant names;
 *   rolling updates do not support serverless or multi-variant endpoints; Marketplace containers
 *   and Inf1 instances fall back to all-at-once without baking.
 *
 * Undocumented figures are knobs (SageMakerOptions): how long one traffic shift takes
 * (trafficShiftMs) and a weights-only change (weightsUpdateMs).
 */
import { validation } from '../errors';
import type { ConfigRec } from './configs';
import { arr, num, type Obj, type SageMakerContext, str } from './context';
import type { EndpointRec } from './endpoints';
import type { Fleet, FleetMeter, VariantState } from './fleets';
import type { DeployedModel } from '../faults';

export type VariantStatus = 'Creating' | 'Updating' | 'ActivatingTraffic' | 'Baking' | 'Deleting';

export interface DeploymentPlan {
  type: 'blueGreen' | 'rolling';
  /** Blue/green: the new fleet's traffic share after each step (the last is 1). */
  steps: number[];
  waitMs: number;
  terminationWaitMs: number;
  maxExecutionMs?: number;
  alarms: string[];
  /** Rolling: instances per batch, and per rollback batch. */
  batch?: number;
  rollbackBatch?: number;
  /** Why guardrails fell back to all-at-once without baking, if they did. */
  fallback?: string;
}

export interface Deployment {
  kind: 'create' | 'update' | 'weights';
  configName: string;
  /** The new fleet's variants (PendingDeploymentSummary). */
  variants: VariantState[];
  fleet?: Fleet;
  startedAt: number;
  phaseSince: number;
  variantStatus: VariantStatus;
  timers: Set<NodeJS.Timeout>;
  stopWatching?: () => void;
  done: boolean;
  /** Deployment guardrails in use: "SageMaker Endpoint Deployment State Change" events are sent. */
  guarded: boolean;
}

export interface DeploymentHooks {
  setStatus(ep: EndpointRec, status: string): void;
  deploymentEvent(ep: EndpointRec, d: Deployment, message: string): void;
  isCurrent(ep: EndpointRec): boolean;
}

type Start =
  | { kind: 'create'; config: ConfigRec; variants: VariantState[] }
  | { kind: 'update'; config: ConfigRec; variants: VariantState[]; plan: DeploymentPlan }
  | { kind: 'weights'; ms: number };

const ALL_AT_ONCE: DeploymentPlan = { type: 'blueGreen', steps: [1], waitMs: 0, terminationWaitMs: 0, alarms: [] };

export class Deployments {
  constructor(
    private readonly c: SageMakerContext,
    private readonly meter: FleetMeter,
    private readonly hooks: DeploymentHooks,
  ) {}

  private ms(simSeconds: number): number {
    return (simSeconds * 1000) / this.c.o.timeScale;
  }

  /** Validates a DeploymentConfig against the endpoint and the new config; refuses before anything changes. */
  plan(ep: EndpointRec, cfg: ConfigRec, variants: VariantState[], dc: Obj | undefined): DeploymentPlan {
    if (dc === undefined) return ALL_AT_ONCE;
    const alarms = arr((dc.AutoRollbackConfiguration as Obj | undefined)?.Alarms).map((a) => String(a.AlarmName));
    const current = ep.fleet?.variants ?? [];
    const sameNames =
      current.length === variants.length && variants.every((v) => current.some((o) => o.VariantName === v.VariantName));
    if (!sameNames) {
      throw validation(
        `Deployment guardrails require the new endpoint configuration "${cfg.name}" to keep the production variant names of the current one ` +
          `(${current.map((v) => v.VariantName).join(', ')}).`,
      );
    }
    const rolling = dc.RollingUpdatePolicy as Obj | undefined;
    const blueGreen = dc.BlueGreenUpdatePolicy as Obj | undefined;
    if (rolling && blueGreen) throw validation('Only one of BlueGreenUpdatePolicy and RollingUpdatePolicy can be specified.');
    const maxExec = num((rolling ?? blueGreen)?.MaximumExecutionTimeoutInSeconds);
    const maxExecutionMs = maxExec === undefined ? undefined : this.ms(maxExec);
    if (rolling) {
      if (variants.length > 1 || current.length > 1) throw validation('Rolling deployments are not supported for endpoints with multiple production variants.');
      if (variants.some((v) => v.serverless) || current.some((v) => v.serverless)) {
        throw validation('Rolling deployments are not supported for serverless endpoints.');
      }
      const total = variants[0]?.DesiredInstanceCount ?? 1;
      const batch = capacity(rolling.MaximumBatchSize as Obj, total);
      within('MaximumBatchSize', batch, total, 0.05, 0.5);
      const rb = rolling.RollbackMaximumBatchSize as Obj | undefined;
      return {
        type: 'rolling',
        steps: [],
        waitMs: this.ms(num(rolling.WaitIntervalInSeconds) ?? 0),
        terminationWaitMs: 0,
        maxExecutionMs,
        alarms,
        batch,
        rollbackBatch: rb ? capacity(rb, total) : total,
      };
    }
    const fallback = this.fallbackReason(variants) ?? (variants.some((v) => v.serverless) ? 'serverless endpoint: all at once, without baking' : undefined);
    if (fallback) return { ...ALL_AT_ONCE, alarms, maxExecutionMs, fallback };
    const routing = (blueGreen?.TrafficRoutingConfiguration as Obj | undefined) ?? { Type: 'ALL_AT_ONCE' };
    const type = str(routing.Type) ?? 'ALL_AT_ONCE';
    const total = variants.reduce((a, v) => a + (v.DesiredInstanceCount ?? 1), 0);
    let steps = [1];
    if (type === 'CANARY') {
      const size = routing.CanarySize as Obj | undefined;
      if (!size) throw validation('CanarySize must be specified for traffic routing type CANARY.');
      within('CanarySize', capacity(size, total), total, 0, 0.5);
      steps = [Math.min(1, capacity(size, total) / total), 1];
    } else if (type === 'LINEAR') {
      const size = routing.LinearStepSize as Obj | undefined;
      if (!size) throw validation('LinearStepSize must be specified for traffic routing type LINEAR.');
      within('LinearStepSize', capacity(size, total), total, 0.1, 0.5);
      const step = Math.min(1, capacity(size, total) / total);
      steps = [];
      for (let s = step; s < 1 - 1e-9; s += step) steps.push(Math.round(s * 1000) / 1000);
      steps.push(1);
    }
    return {
      type: 'blueGreen',
      steps: steps.filter((s, i) => i === 0 || s > (steps[i - 1] ?? 0)),
      waitMs: this.ms(num(routing.WaitIntervalInSeconds) ?? 0),
      terminationWaitMs: this.ms(num(blueGreen?.TerminationWaitInSeconds) ?? 0),
      maxExecutionMs,
      alarms,
    };
  }

  /** "If your endpoint uses ... Marketplace containers ... Inf1 instances", guardrails fall back to all at once. */
  private fallbackReason(variants: VariantState[]): string | undefined {
    if (variants.some((v) => v.instanceType?.startsWith('ml.inf1.'))) return 'Inf1 instances: all at once, without baking';
    if (variants.some((v) => v.modelPackageArn?.includes(':aws-marketplace:'))) return 'Marketplace container: all at once, without baking';
    return undefined;
  }

  start(ep: EndpointRec, s: Start): void {
    const now = Date.now();
    const d: Deployment = {
      kind: s.kind,
      configName: s.kind === 'weights' ? ep.configName : s.config.name,
      variants: s.kind === 'weights' ? [] : s.variants,
      startedAt: now,
      phaseSince: now,
      variantStatus: 'Creating',
      timers: new Set(),
      done: false,
      guarded: s.kind === 'update' && s.plan !== ALL_AT_ONCE && s.plan.fallback === undefined,
    };
    ep.deployment = d;
    if (s.kind === 'weights') {
      this.hooks.setStatus(ep, 'Updating');
      this.after(ep, d, s.ms, () => this.finishWeights(ep, d));
      return;
    }
    if (s.kind === 'update') this.hooks.setStatus(ep, 'Updating');
    const fleet = this.meter.launch(ep.name, s.config.name, s.variants);
    d.fleet = fleet;
    const deployed: DeployedModel[] = s.variants.map((v) => ({ variantName: v.VariantName, modelName: v.modelName ?? '', modelPackageVersion: v.modelPackageVersion }));
    const fail = this.c.o.faults.takeFailFleet(deployed);
    const silent = !fail && s.kind === 'update' && this.c.o.faults.takeSilentRollback(ep.name);
    const provisionMs = this.c.o.faults.slowFleetMs(deployed) ?? Math.max(...s.variants.map((v) => this.c.provisioningMs(v.instanceType)));
    const plan = s.kind === 'update' ? s.plan : ALL_AT_ONCE;
    if (plan.maxExecutionMs !== undefined) {
      this.after(ep, d, plan.maxExecutionMs, () => this.rollBack(ep, d, 'MaximumExecutionTimeoutInSeconds was exceeded.'));
    }
    if (plan.type === 'rolling') {
      this.rolling(ep, d, plan, provisionMs, fail?.reason);
      return;
    }
    this.after(ep, d, provisionMs, () => {
      if (fail) return this.failProvisioning(ep, d, fail.reason ?? defaultFailure(fail.variantName));
      fleet.status = 'InService';
      fleet.readyAt = Date.now();
      if (s.kind === 'create') {
        fleet.share = 1;
        ep.fleet = fleet;
        return this.complete(ep, d);
      }
      if (silent) {
        // The update "succeeds" back on the old config: what SageMaker reports after an internal rollback.
        this.meter.terminate(fleet);
        return this.complete(ep, d, { keepOld: true });
      }
      this.shift(ep, d, plan, 0);
    });
  }

  /** Moves traffic to the new fleet's share of step `i`, then bakes or finishes. */
  private shift(ep: EndpointRec, d: Deployment, plan: DeploymentPlan, i: number): void {
    const fleet = d.fleet as Fleet;
    const share = plan.steps[i] ?? 1;
    const instances = Math.round(share * fleet.variants.reduce((a, v) => a + (v.DesiredInstanceCount ?? 0), 0));
    const capacity = share >= 1 ? 'full capacity' : 'canary capacity';
    this.phase(ep, d, 'ActivatingTraffic', `Activating traffic on ${capacity} of ${instances} instance(s).`);
    this.after(ep, d, this.c.o.trafficShiftMs, () => {
      fleet.share = share;
      if (ep.fleet) ep.fleet.share = 1 - share;
      ep.fleetRr.clear();
      if (i === 0) this.watch(ep, d, plan);
      if (this.alarmFired(ep, d, plan)) return;
      const last = i >= plan.steps.length - 1;
      const wait = last ? plan.terminationWaitMs : plan.waitMs;
      this.phase(ep, d, 'Baking', `Baking for ${Math.round(this.c.simSeconds(wait))} seconds (${last ? 'TerminationWaitInSeconds' : 'WaitIntervalInSeconds'}) with traffic enabled on ${capacity} of ${instances} instance(s).`);
      this.after(ep, d, wait, () => (last ? this.finishBlueGreen(ep, d) : this.shift(ep, d, plan, i + 1)));
    });
  }

  private finishBlueGreen(ep: EndpointRec, d: Deployment): void {
    const old = ep.fleet;
    ep.fleet = d.fleet;
    if (old && old !== d.fleet) this.meter.terminate(old);
    this.complete(ep, d);
  }

  /** Rolling: batch after batch of new instances replaces as many old ones. */
  private rolling(ep: EndpointRec, d: Deployment, plan: DeploymentPlan, provisionMs: number, failReason?: string): void {
    const fleet = d.fleet as Fleet;
    const old = ep.fleet as Fleet;
    const nv = fleet.variants[0] as VariantState;
    const ov = old.variants[0] as VariantState;
    const total = nv.DesiredInstanceCount ?? 1;
    this.meter.setBilled(fleet, nv, 0);
    nv.CurrentInstanceCount = 0;
    const batch = (): void => {
      const add = Math.min(plan.batch ?? 1, total - (nv.CurrentInstanceCount ?? 0));
      this.phase(ep, d, 'Creating', `Launching ${add} instance(s).`);
      this.meter.setBilled(fleet, nv, nv.billed + add);
      this.after(ep, d, provisionMs, () => {
        if (failReason) return this.rollBack(ep, d, failReason);
        fleet.status = 'InService';
        fleet.readyAt ??= Date.now();
        nv.CurrentInstanceCount = (nv.CurrentInstanceCount ?? 0) + add;
        fleet.share = (nv.CurrentInstanceCount ?? 0) / total;
        old.share = 1 - fleet.share;
        ov.CurrentInstanceCount = Math.max(0, (ov.CurrentInstanceCount ?? 0) - add);
        this.meter.setBilled(old, ov, ov.CurrentInstanceCount);
        ep.fleetRr.clear();
        if (nv.CurrentInstanceCount === add) this.watch(ep, d, plan);
        if (this.alarmFired(ep, d, plan)) return;
        if ((nv.CurrentInstanceCount ?? 0) >= total) return this.finishBlueGreen(ep, d);
        this.phase(ep, d, 'Baking', `Baking for ${Math.round(this.c.simSeconds(plan.waitMs))} seconds (WaitIntervalInSeconds) with traffic enabled on ${nv.CurrentInstanceCount ?? 0} instance(s).`);
        this.after(ep, d, plan.waitMs, batch);
      });
    };
    batch();
  }

  private watch(ep: EndpointRec, d: Deployment, plan: DeploymentPlan): void {
    if (plan.alarms.length === 0) return;
    const onEvent = (e: { 'detail-type'?: string; detail?: { alarmName?: string; state?: { value?: string; reason?: string } } }): void => {
      if (e['detail-type'] !== 'CloudWatch Alarm State Change' || e.detail?.state?.value !== 'ALARM') return;
      const name = e.detail.alarmName ?? '';
      if (plan.alarms.includes(name)) this.rollBack(ep, d, alarmReason(name));
    };
    this.c.o.events.on('event', onEvent);
    d.stopWatching = () => this.c.o.events.off('event', onEvent);
  }

  /** An alarm already in ALARM when traffic reaches the new fleet rolls back at once. */
  private alarmFired(ep: EndpointRec, d: Deployment, plan: DeploymentPlan): boolean {
    const fired = plan.alarms.find((a) => this.c.o.alarms?.state(a)?.value === 'ALARM');
    if (fired === undefined) return false;
    this.rollBack(ep, d, alarmReason(fired));
    return true;
  }

  /** Auto-rollback: traffic back to the old fleet, the new one terminated, InService on the old config. */
  private rollBack(ep: EndpointRec, d: Deployment, reason: string): void {
    if (d.done || ep.deployment !== d || ep.status === 'RollingBack') return;
    this.clearTimers(d);
    d.stopWatching?.();
    const fleet = d.fleet as Fleet;
    const old = ep.fleet as Fleet;
    // The guide does not say which EndpointStatus a guardrails rollback shows; RollingBack is the
    // enum's rollback state, and a caller must treat it as "an update is in flight" either way.
    this.hooks.setStatus(ep, 'RollingBack');
    this.phase(ep, d, 'Deleting', `${reason} Terminating ${fleet.variants.reduce((a, v) => a + v.billed, 0)} instance(s).`);
    const failRollback = this.c.o.faults.takeFailRollback(ep.name);
    const end = (): void => {
      if (failRollback) {
        ep.failureReason = `${reason} The rollback failed: ${failRollback}`;
        d.done = true;
        return this.hooks.setStatus(ep, 'UpdateRollbackFailed');
      }
      old.share = 1;
      this.meter.terminate(fleet);
      ep.fleetRr.clear();
      ep.failureReason = reason;
      this.complete(ep, d, { keepOld: true });
    };
    const ov = old.variants[0];
    const missing = ov && ov.DesiredInstanceCount !== undefined ? ov.DesiredInstanceCount - (ov.CurrentInstanceCount ?? 0) : 0;
    if (missing <= 0 || !ov) {
      this.after(ep, d, this.c.o.trafficShiftMs, end);
      return;
    }
    // A rolling update terminated old instances: re-provision them batch by batch.
    this.meter.countCycle(ep.name);
    const plan = { batch: missing };
    const batchSize = Math.max(1, Math.min(missing, this.rollbackBatchOf(ep) ?? plan.batch));
    const nv = fleet.variants[0] as VariantState;
    const step = (): void => {
      const add = Math.min(batchSize, (ov.DesiredInstanceCount ?? 0) - (ov.CurrentInstanceCount ?? 0));
      if (add <= 0) return end();
      this.meter.setBilled(old, ov, ov.billed + add);
      this.after(ep, d, this.c.provisioningMs(ov.instanceType), () => {
        ov.CurrentInstanceCount = (ov.CurrentInstanceCount ?? 0) + add;
        nv.CurrentInstanceCount = Math.max(0, (nv.CurrentInstanceCount ?? 0) - add);
        this.meter.setBilled(fleet, nv, nv.CurrentInstanceCount);
        const total = ov.DesiredInstanceCount ?? 1;
        old.share = Math.min(1, (ov.CurrentInstanceCount ?? 0) / total);
        fleet.share = 1 - old.share;
        step();
      });
    };
    step();
  }

  private rollbackBatchOf(ep: EndpointRec): number | undefined {
    const rolling = ep.lastDeploymentConfig?.RollingUpdatePolicy as Obj | undefined;
    const rb = rolling?.RollbackMaximumBatchSize as Obj | undefined;
    const total = ep.fleet?.variants[0]?.DesiredInstanceCount ?? 1;
    return rb ? capacity(rb, total) : undefined;
  }

  private failProvisioning(ep: EndpointRec, d: Deployment, reason: string): void {
    const fleet = d.fleet as Fleet;
    fleet.status = 'Failed';
    this.meter.terminate(fleet);
    ep.failureReason = reason;
    if (d.kind === 'create') {
      d.done = true;
      ep.deployment = undefined;
      this.clearTimers(d);
      return this.hooks.setStatus(ep, 'Failed');
    }
    this.complete(ep, d, { keepOld: true }); // back on the previous config
  }

  private finishWeights(ep: EndpointRec, d: Deployment): void {
    const fleet = ep.fleet;
    if (fleet) {
      for (const v of fleet.variants) {
        v.CurrentWeight = v.DesiredWeight;
        v.CurrentInstanceCount = v.DesiredInstanceCount;
        if (!v.serverless && v.DesiredInstanceCount !== undefined && v.billed !== v.DesiredInstanceCount) {
          this.meter.setBilled(fleet, v, v.DesiredInstanceCount);
        }
      }
      fleet.rr.clear();
    }
    this.complete(ep, d, { keepOld: true });
  }

  private complete(ep: EndpointRec, d: Deployment, o: { keepOld?: boolean } = {}): void {
    if (!this.hooks.isCurrent(ep) || ep.deployment !== d) return;
    d.done = true;
    this.clearTimers(d);
    d.stopWatching?.();
    ep.deployment = undefined;
    if (!o.keepOld) {
      ep.configName = d.configName;
      ep.failureReason = undefined;
    }
    if (ep.fleet) ep.fleet.share = 1;
    ep.fleetRr.clear();
    this.hooks.setStatus(ep, 'InService');
  }

  /** Stops whatever a deployment was doing (DeleteEndpoint). */
  cancel(ep: EndpointRec): void {
    const d = ep.deployment;
    if (!d) return;
    d.done = true;
    this.clearTimers(d);
    d.stopWatching?.();
    if (d.fleet && d.fleet !== ep.fleet) this.meter.terminate(d.fleet);
    ep.deployment = undefined;
  }

  private phase(ep: EndpointRec, d: Deployment, status: VariantStatus, message: string): void {
    d.variantStatus = status;
    d.phaseSince = Date.now();
    if (d.guarded) this.hooks.deploymentEvent(ep, d, message);
  }

  private after(ep: EndpointRec, d: Deployment, ms: number, fn: () => void): void {
    const t = this.c.o.timers.after(ms, () => {
      if (t) d.timers.delete(t);
      if (d.done || !this.hooks.isCurrent(ep) || ep.deployment !== d) return;
      fn();
    });
    if (t) d.timers.add(t);
  }

  private clearTimers(d: Deployment): void {
    for (const t of d.timers) this.c.o.timers.cancel(t);
    d.timers.clear();
  }
}

/**
 * The guide's size limits: a canary at most 50% of the variant's instances, a linear step
 * 10–50%, a rolling batch 5–50% (deployment-guardrails-blue-green-canary/-linear/-rolling).
 * Rounded to whole instances, a limit is met when some instance count within it exists.
 */
function within(field: string, instances: number, total: number, minFraction: number, maxFraction: number): void {
  const f = instances / total;
  if (f > maxFraction + 1e-9) {
    throw validation(`${field} must be at most ${maxFraction * 100}% of the variant's instance count (${total}); it is ${instances} instance(s).`);
  }
  if (f < minFraction - 1e-9 && Math.ceil(minFraction * total) > instances) {
    throw validation(`${field} must be at least ${minFraction * 100}% of the variant's instance count (${total}); it is ${instances} instance(s).`);
  }
}

/** A capacity size (INSTANCE_COUNT / COPY_COUNT | CAPACITY_PERCENT) as a number of instances or copies, at least 1. */
export function capacity(size: Obj, total: number): number {
  const value = num(size.Value) ?? 1;
  return Math.max(1, size.Type === 'CAPACITY_PERCENT' ? Math.ceil((value / 100) * total) : value);
}

export function alarmReason(alarmName: string): string {
  return `Deployment was rolled back because alarm ${alarmName} went into ALARM state.`;
}

function defaultFailure(variantName: string): string {
  return `The primary container for production variant ${variantName} did not pass the ping health check. Please check CloudWatch logs for this endpoint.`;
}
