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
 *   instances activated and as many old instances terminated, then WaitIntervalInSeconds of
 *   baking ("the baking period, during which SageMaker monitors alarms for each batch on the new
 *   fleet", API_RollingUpdatePolicy) — the last batch included, then the update finishes.
 *   Traffic follows the live instances of both fleets (so an old fleet with none left gets none,
 *   e.g. when the new config has more instances). A rollback re-provisions old instances in
 *   batches of RollbackMaximumBatchSize.
 * - The pending (new) variants' CurrentInstanceCount counts the instances with traffic: 0 while
 *   the fleet provisions, a canary/linear step's instances during the step, all of them at the
 *   end (the guide's EventBridge sample: Current 1, Desired 3 while a canary bakes).
 * - AutoRollbackConfiguration: an alarm in ALARM while traffic is on the new fleet (the baking
 *   periods) rolls back: traffic back to the old fleet (still there in blue/green, so no new
 *   provisioning), the new fleet terminated, the endpoint InService on its old config with
 *   FailureReason naming the alarm. MaximumExecutionTimeoutInSeconds exceeded rolls back the same
 *   way. During the rollback the endpoint stays `Updating` (see rollBack).
 * - A rollback that fails leaves UpdateRollbackFailed: "Both the rolling deployment and
 *   auto-rollback failed. Your endpoint is in service with a mix of the old and new endpoint
 *   configurations" (API_DescribeEndpoint). See strand().
 * - Exclusions (deployment-guardrails-exclusions): the new config must keep the variant names;
 *   rolling updates do not support serverless or multi-variant endpoints; Marketplace containers
 *   and Inf1 instances "fall back to using a blue/green deployment with all at once traffic
 *   shifting and no final baking period": no alarms watched, no MaximumExecutionTimeoutInSeconds.
 * - Billing (see fleets.ts): an all-at-once update without baking bills one fleet at a time.
 * - Instances are launched from the endpoint config and its models: if either was deleted by the
 *   time they would come up (hooks.cannotLaunch), they do not. A new fleet then fails like a failed
 *   deployment (a create ends Failed; an update goes back to the old fleet, or a rolling update
 *   rolls back), a rolling rollback that must re-provision old instances ends UpdateRollbackFailed,
 *   and instances added by UpdateEndpointWeightsAndCapacities (or autoscaling) are undone,
 *   InService with FailureReason. Traffic moves, terminations and a blue/green rollback to the old
 *   fleet (still up) launch nothing, so they still work. Undocumented; see Endpoints.cannotLaunch.
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

/**
 * "blue/green deployments with all at once traffic shifting and no baking periods, where you are
 * only billed for one fleet during the course of the update" (deployment-guardrails-blue-green):
 * the new fleet is billed from the switch, the old one up to it.
 */
export function billsOneFleet(plan: DeploymentPlan): boolean {
  return plan.type === 'blueGreen' && plan.steps.length === 1 && plan.terminationWaitMs === 0;
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
  /** The StatusMessage of the current phase (DescribeEndpoint's VariantStatus, the deployment events). */
  statusMessage?: string;
  timers: Set<NodeJS.Timeout>;
  stopWatching?: () => void;
  done: boolean;
  /** Deployment guardrails in use: "SageMaker Endpoint Deployment State Change" events are sent. */
  guarded: boolean;
  plan?: DeploymentPlan;
  /** An auto-rollback is under way (the endpoint stays Updating meanwhile). */
  rollingBack?: boolean;
}

export interface DeploymentHooks {
  setStatus(ep: EndpointRec, status: string): void;
  deploymentEvent(ep: EndpointRec, d: Deployment, message: string): void;
  isCurrent(ep: EndpointRec): boolean;
  /** Why the fleet's instances cannot be launched now (its config or a model deleted), if so. */
  cannotLaunch(fleet: Fleet): string | undefined;
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
    // "you cannot use deployment guardrails on your endpoint, and your endpoint will fall back to
    // using a blue/green deployment with all at once traffic shifting and no final baking period":
    // no alarms watched, no MaximumExecutionTimeoutInSeconds, no size checks.
    const fallback = this.fallbackReason(variants);
    if (fallback) return { ...ALL_AT_ONCE, fallback };
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
    // A GUESS: the exclusions page lists serverless endpoints only as a *rolling* exclusion, and the
    // guardrails page says guardrails "only apply to Asynchronous inference and Real-time inference
    // endpoint types"; what a blue/green DeploymentConfig does on a serverless endpoint is
    // undocumented. Modelled like the documented fallbacks: all at once, no baking, no alarms.
    if (variants.some((v) => v.serverless)) return { ...ALL_AT_ONCE, fallback: 'serverless endpoint (undocumented; modelled as the exclusions fallback)' };
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
      plan: s.kind === 'update' ? s.plan : undefined,
    };
    ep.deployment = d;
    if (s.kind === 'weights') {
      this.hooks.setStatus(ep, 'Updating');
      this.after(ep, d, s.ms, () => this.finishWeights(ep, d));
      return;
    }
    if (s.kind === 'update') this.hooks.setStatus(ep, 'Updating');
    const fleet = this.meter.launch(ep.name, s.config, s.variants);
    d.fleet = fleet;
    const plan = s.kind === 'update' ? s.plan : ALL_AT_ONCE;
    if (s.kind === 'update') {
      // No instance of the new fleet has traffic yet.
      for (const v of s.variants) if (!v.serverless) v.CurrentInstanceCount = 0;
      if (billsOneFleet(plan)) for (const v of s.variants) this.meter.setBilled(fleet, v, 0);
    }
    const deployed: DeployedModel[] = s.variants.map((v) => ({ variantName: v.VariantName, modelName: v.modelName ?? '', modelPackageVersion: v.modelPackageVersion }));
    const fail = this.c.o.faults.takeFailFleet(deployed);
    const silent = !fail && s.kind === 'update' && this.c.o.faults.takeSilentRollback(ep.name);
    const provisionMs = this.c.o.faults.slowFleetMs(deployed) ?? Math.max(...s.variants.map((v) => this.c.provisioningMs(v.instanceType)));
    if (plan.maxExecutionMs !== undefined) {
      this.after(ep, d, plan.maxExecutionMs, () => this.rollBack(ep, d, 'MaximumExecutionTimeoutInSeconds was exceeded.'));
    }
    // "If any alarms are tripped during a deployment, SageMaker rolls back the deployment"
    // (API_AutoRollbackConfig): watched from the start, provisioning included, not only while baking.
    if (s.kind === 'update') this.watch(ep, d, plan);
    if (plan.type === 'rolling') {
      this.rolling(ep, d, plan, provisionMs, fail?.reason);
      return;
    }
    if (s.kind === 'update') this.phase(ep, d, 'Creating', `Launching ${desired(s.variants)} instance(s).`);
    this.after(ep, d, provisionMs, () => {
      if (fail) return this.failProvisioning(ep, d, fail.reason ?? defaultFailure(fail.variantName));
      const gone = this.hooks.cannotLaunch(fleet);
      if (gone) return this.failProvisioning(ep, d, gone);
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
    // The step's instances per variant: they get traffic (CurrentInstanceCount) once it moves.
    const active = fleet.variants.map((v) => (v.serverless ? undefined : share >= 1 ? v.DesiredInstanceCount : Math.round(share * (v.DesiredInstanceCount ?? 0))));
    const instances = active.reduce<number>((a, n) => a + (n ?? 0), 0);
    const capacity = share >= 1 ? 'full capacity' : 'canary capacity';
    this.phase(ep, d, 'ActivatingTraffic', `Activating traffic on ${capacity} of ${instances} instance(s).`);
    this.after(ep, d, this.c.o.trafficShiftMs, () => {
      fleet.share = share;
      fleet.variants.forEach((v, k) => {
        if (!v.serverless) v.CurrentInstanceCount = active[k];
      });
      this.setOldShare(ep, 1 - share);
      ep.fleetRr.clear();
      if (this.alarmFired(ep, d, plan)) return;
      if (share >= 1 && billsOneFleet(plan)) this.switchBilling(ep, fleet);
      const last = i >= plan.steps.length - 1;
      const wait = last ? plan.terminationWaitMs : plan.waitMs;
      this.phase(ep, d, 'Baking', `Baking for ${Math.round(this.c.simSeconds(wait))} seconds (${last ? 'TerminationWaitInSeconds' : 'WaitIntervalInSeconds'}) with traffic enabled on ${capacity} of ${instances} instance(s).`);
      this.after(ep, d, wait, () => (last ? this.finishBlueGreen(ep, d) : this.shift(ep, d, plan, i + 1)));
    });
  }

  /** At an all-at-once switch without baking: the old fleets stop being billed, the new one starts. */
  private switchBilling(ep: EndpointRec, fleet: Fleet): void {
    for (const f of oldFleets(ep)) for (const v of f.variants) if (v.billed > 0) this.meter.setBilled(f, v, 0);
    for (const v of fleet.variants) if (!v.serverless) this.meter.setBilled(fleet, v, v.DesiredInstanceCount ?? 0);
  }

  private finishBlueGreen(ep: EndpointRec, d: Deployment): void {
    const fleet = d.fleet as Fleet;
    for (const f of oldFleets(ep)) if (f !== fleet) this.meter.terminate(f);
    for (const v of fleet.variants) if (!v.serverless) v.CurrentInstanceCount = v.DesiredInstanceCount;
    ep.fleet = fleet;
    ep.residualFleets = undefined;
    this.complete(ep, d);
  }

  /** The old side's traffic share, split over the old fleets by their live instances. */
  private setOldShare(ep: EndpointRec, total: number): void {
    const fleets = oldFleets(ep);
    if (fleets.length === 1) (fleets[0] as Fleet).share = total;
    else shareByLive(fleets, total);
  }

  /** Rolling: every fleet's share by its live instances. */
  private liveShares(ep: EndpointRec, d: Deployment): void {
    shareByLive([...oldFleets(ep), d.fleet as Fleet], 1);
    ep.fleetRr.clear();
  }

  /** Rolling: terminates `n` old instances (those a failed rollback left on a newer config first). */
  private retireOld(ep: EndpointRec, n: number): void {
    let left = n;
    for (const f of [...(ep.residualFleets ?? []), ep.fleet]) {
      const v = f?.variants[0];
      if (!f || !v || left <= 0) continue;
      const take = Math.min(left, v.CurrentInstanceCount ?? 0);
      v.CurrentInstanceCount = (v.CurrentInstanceCount ?? 0) - take;
      this.meter.setBilled(f, v, v.CurrentInstanceCount);
      left -= take;
    }
  }

  /** Rolling: batch after batch of new instances replaces as many old ones. */
  private rolling(ep: EndpointRec, d: Deployment, plan: DeploymentPlan, provisionMs: number, failReason?: string): void {
    const fleet = d.fleet as Fleet;
    const nv = fleet.variants[0] as VariantState;
    const total = nv.DesiredInstanceCount ?? 1;
    this.meter.setBilled(fleet, nv, 0);
    nv.CurrentInstanceCount = 0;
    const batch = (): void => {
      const add = Math.min(plan.batch ?? 1, total - (nv.CurrentInstanceCount ?? 0));
      this.phase(ep, d, 'Creating', `Launching ${add} instance(s).`);
      this.meter.setBilled(fleet, nv, nv.billed + add);
      this.after(ep, d, provisionMs, () => {
        const failure = failReason ?? this.hooks.cannotLaunch(fleet);
        if (failure) return this.rollBack(ep, d, failure);
        fleet.status = 'InService';
        fleet.readyAt ??= Date.now();
        nv.CurrentInstanceCount = (nv.CurrentInstanceCount ?? 0) + add;
        this.retireOld(ep, add);
        this.liveShares(ep, d);
        if (this.alarmFired(ep, d, plan)) return;
        // Every batch bakes, the last one too: alarms are watched until the update finishes.
        const last = (nv.CurrentInstanceCount ?? 0) >= total;
        this.phase(
          ep,
          d,
          'Baking',
          `Baking for ${Math.round(this.c.simSeconds(plan.waitMs))} seconds (WaitIntervalInSeconds) with traffic enabled on ${last ? 'full capacity of ' : ''}${nv.CurrentInstanceCount ?? 0} instance(s).`,
        );
        this.after(ep, d, plan.waitMs, last ? () => this.finishBlueGreen(ep, d) : batch);
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

  /**
   * Auto-rollback: traffic back to the old fleet, the new one terminated, InService on the old config.
   *
   * EndpointStatus: API_DescribeEndpoint documents RollingBack only for an autoscaled endpoint's
   * UpdateEndpointWeightsAndCapacities; which status a guardrails rollback shows is undocumented.
   * The endpoint stays `Updating` (the UpdateEndpoint is still executing; inference components do
   * the same), and PendingDeploymentSummary keeps naming the new config, its variants'
   * VariantStatus `Deleting`, until the rollback ends.
   */
  private rollBack(ep: EndpointRec, d: Deployment, reason: string): void {
    if (d.done || ep.deployment !== d || d.rollingBack) return;
    d.rollingBack = true;
    this.clearTimers(d);
    d.stopWatching?.();
    const fleet = d.fleet as Fleet;
    const old = ep.fleet as Fleet;
    // After an all-at-once switch without baking the old fleet was not billed: it serves again.
    for (const f of oldFleets(ep)) {
      for (const v of f.variants) if (!v.serverless && v.billed < (v.CurrentInstanceCount ?? 0)) this.meter.setBilled(f, v, v.CurrentInstanceCount ?? 0);
    }
    // Rolling: the instances launched so far; blue/green: the whole new fleet.
    const launched = d.plan?.type === 'rolling' ? fleet.variants.reduce((a, v) => a + v.billed, 0) : desired(fleet.variants);
    this.phase(ep, d, 'Deleting', `${reason} Terminating ${launched} instance(s).`);
    const failRollback = this.c.o.faults.takeFailRollback(ep.name);
    const end = (): void => {
      if (failRollback) return this.strand(ep, d, `${reason} The rollback failed: ${failRollback}`);
      this.setOldShare(ep, 1);
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
    const batchSize = Math.max(1, Math.min(missing, this.rollbackBatchOf(ep) ?? missing));
    const nv = fleet.variants[0] as VariantState;
    const step = (): void => {
      const add = Math.min(batchSize, (ov.DesiredInstanceCount ?? 0) - (ov.CurrentInstanceCount ?? 0));
      if (add <= 0) return end();
      const lastBatch = add >= (ov.DesiredInstanceCount ?? 0) - (ov.CurrentInstanceCount ?? 0);
      this.meter.setBilled(old, ov, ov.billed + add);
      this.after(ep, d, this.c.provisioningMs(ov.instanceType), () => {
        if (failRollback && lastBatch) {
          // The rollback's last batch never comes up: the endpoint keeps the instances it has.
          this.meter.setBilled(old, ov, ov.CurrentInstanceCount ?? 0);
          return end();
        }
        const gone = this.hooks.cannotLaunch(old);
        if (gone) {
          // The old config or model was deleted: no old instance can be launched again.
          this.meter.setBilled(old, ov, ov.CurrentInstanceCount ?? 0);
          return this.strand(ep, d, `${reason} The rollback failed: ${gone}`);
        }
        ov.CurrentInstanceCount = (ov.CurrentInstanceCount ?? 0) + add;
        nv.CurrentInstanceCount = Math.max(0, (nv.CurrentInstanceCount ?? 0) - add);
        this.meter.setBilled(fleet, nv, nv.CurrentInstanceCount);
        this.liveShares(ep, d);
        step();
      });
    };
    step();
  }

  /**
   * UpdateRollbackFailed: "Both the rolling deployment and auto-rollback failed. Your endpoint is
   * in service with a mix of the old and new endpoint configurations" (API_DescribeEndpoint). The
   * rollback stops part-way: the new fleet keeps the instances that had traffic (the others are
   * terminated) and serves beside the old one, traffic by live instances; the deployment is over,
   * so PendingDeploymentSummary is gone; EndpointConfigName stays the old config (the update never
   * completed). The remedy is on the rolling-deployments page, whose text we could not retrieve:
   * as a choice, a new UpdateEndpoint may start from UpdateRollbackFailed and replaces the whole
   * mix when it completes (DeleteEndpoint works too); UpdateEndpointWeightsAndCapacities does not.
   */
  private strand(ep: EndpointRec, d: Deployment, failureReason: string): void {
    const fleet = d.fleet as Fleet;
    d.done = true;
    this.clearTimers(d);
    d.stopWatching?.();
    ep.deployment = undefined;
    for (const v of fleet.variants) if (!v.serverless) this.meter.setBilled(fleet, v, v.CurrentInstanceCount ?? 0);
    if (fleet.status === 'InService' && live(fleet) > 0) ep.residualFleets = [...(ep.residualFleets ?? []), fleet];
    else this.meter.terminate(fleet);
    shareByLive(oldFleets(ep), 1);
    ep.fleetRr.clear();
    ep.failureReason = failureReason;
    this.hooks.setStatus(ep, 'UpdateRollbackFailed');
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
    const adds = fleet?.variants.some((v) => !v.serverless && (v.DesiredInstanceCount ?? 0) > (v.CurrentInstanceCount ?? 0));
    const gone = fleet && adds ? this.hooks.cannotLaunch(fleet) : undefined;
    if (fleet && gone) {
      // The added instances never come up: the whole change is undone, InService with FailureReason.
      for (const v of fleet.variants) {
        v.DesiredWeight = v.CurrentWeight;
        v.DesiredInstanceCount = v.CurrentInstanceCount;
        if (!v.serverless && v.billed !== (v.CurrentInstanceCount ?? 0)) this.meter.setBilled(fleet, v, v.CurrentInstanceCount ?? 0);
      }
      ep.failureReason = gone;
    } else if (fleet) {
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
    if (o.keepOld && ep.residualFleets) {
      // A mix left by a failed rollback, whose instances a later update retired, is over.
      for (const f of ep.residualFleets) if (live(f) === 0) this.meter.terminate(f);
      ep.residualFleets = ep.residualFleets.filter((f) => live(f) > 0);
      if (ep.residualFleets.length === 0) ep.residualFleets = undefined;
    }
    if (ep.fleet) this.setOldShare(ep, 1);
    ep.fleetRr.clear();
    // Back on the old side after an update that started from UpdateRollbackFailed: still a mix.
    this.hooks.setStatus(ep, o.keepOld && (ep.residualFleets?.length ?? 0) > 0 ? 'UpdateRollbackFailed' : 'InService');
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
    d.statusMessage = message;
    d.phaseSince = Date.now();
    if (d.guarded) this.hooks.deploymentEvent(ep, d, message);
  }

  private after(ep: EndpointRec, d: Deployment, ms: number, fn: () => void): void {
    // A held deployment (slowFleet -1) finishes when the faults are cleared.
    if (ms === Infinity) return this.c.o.faults.whenCleared(() => this.after(ep, d, 0, fn));
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

/** The fleets on the old side of a deployment: the current one, and any a failed rollback left serving. */
export function oldFleets(ep: EndpointRec): Fleet[] {
  return [ep.fleet, ...(ep.residualFleets ?? [])].filter((f): f is Fleet => f !== undefined && f.status !== 'Terminated' && f.status !== 'Failed');
}

/** Instances with traffic on a fleet (a serverless variant counts as one). */
function live(f: Fleet): number {
  return f.variants.reduce((a, v) => a + (v.serverless ? 1 : (v.CurrentInstanceCount ?? 0)), 0);
}

/** Splits `total` over the fleets by live instances: a fleet with none gets no traffic. */
function shareByLive(fleets: Fleet[], total: number): void {
  const sum = fleets.reduce((a, f) => a + live(f), 0);
  for (const f of fleets) f.share = sum > 0 ? (total * live(f)) / sum : 0;
}

function desired(variants: VariantState[]): number {
  return variants.reduce((a, v) => a + (v.serverless ? 0 : (v.DesiredInstanceCount ?? 0)), 0);
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
