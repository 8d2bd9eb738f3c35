/**
 * How an inference component's copies change: created, scaled, replaced all at once, or rolled
 * batch by batch with auto-rollback (the component counterpart of deployments.ts). The behaviour
 * and what we chose where the docs are silent are listed in inference-components.ts.
 * https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_InferenceComponentRollingUpdatePolicy.html
 */
import type { DeployedModel } from '../faults';
import { validation } from '../errors';
import { arr, num, type Obj, type SageMakerContext, str } from './context';
import { alarmReason, capacity } from './deployments';
import type { ComponentRec, ComponentStatus, Copies } from './inference-components';
import type { ComponentPlacement } from './placement';

export interface RollingPlan {
  /** Copies per batch, and per rollback batch (undefined: all at once). */
  batch: number;
  waitMs: number;
  maxExecutionMs?: number;
  alarms: string[];
  rollbackBatch?: number;
}

export class ComponentRollouts {
  constructor(
    private readonly c: SageMakerContext,
    /** False once the component is deleted: its timers then do nothing. */
    private readonly isCurrent: (comp: ComponentRec) => boolean,
    private readonly placement: ComponentPlacement,
  ) {}

  /**
   * CreateInferenceComponent: Creating, then InService with the copies, or Failed (a failFleet fault,
   * or copies that do not fit the variant's instances: placement.ts) after provisioning time.
   */
  create(comp: ComponentRec, desired: number): void {
    const copies = comp.current;
    const fail = this.c.o.faults.takeFailFleet([this.deployed(comp, copies)]);
    const room = this.placement.claim(comp, copies, desired);
    this.after(comp, room.extraMs + this.provisionMs(comp, copies), () => {
      const reason = room.reason ?? (fail ? (fail.reason ?? defaultFailure(comp.name)) : undefined);
      if (reason !== undefined) {
        comp.failureReason = reason;
        copies.claimed = 0;
        this.setStatus(comp, 'Failed');
        return this.placement.release(comp);
      }
      copies.count = desired;
      this.setStatus(comp, 'InService');
    });
  }

  /** DeleteInferenceComponent: Deleting, then `gone` after provisioning time. */
  delete(comp: ComponentRec, gone: () => void): void {
    this.stop(comp);
    this.setStatus(comp, 'Deleting');
    // Its copies stop at once, as removed copies do (scale): their room is free (our choice).
    this.placement.release(comp);
    const t = this.c.o.timers.after(this.c.provisioningMs(comp.instanceType), gone);
    if (t) comp.timers.add(t);
  }

  /**
   * A copy count change: added copies take provisioning time, removed ones stop at once. Added copies
   * that do not fit: none is added, InService on the old count with the FailureReason (placement.ts).
   */
  scale(comp: ComponentRec, desired: number): void {
    this.stop(comp);
    const old = comp.desiredCopies;
    comp.desiredCopies = desired;
    this.setStatus(comp, 'Updating');
    const copies = comp.current;
    copies.claimed = copies.count;
    if (desired <= copies.count) {
      copies.claimed = desired;
      this.placement.release(comp);
    }
    const room = this.placement.claim(comp, copies, desired - copies.count);
    const ms = desired > copies.count ? room.extraMs + this.provisionMs(comp, copies) : this.c.o.trafficShiftMs;
    this.after(comp, ms, () => {
      if (room.reason !== undefined) {
        comp.desiredCopies = old;
        comp.failureReason = room.reason;
      } else copies.count = desired;
      comp.rr.clear();
      this.setStatus(comp, 'InService');
    });
  }

  /** No DeploymentConfig: all copies of the new specification come up, then take all traffic. */
  replace(comp: ComponentRec, next: Copies, desired: number): void {
    this.stop(comp);
    const oldDesired = comp.desiredCopies;
    comp.desiredCopies = desired;
    comp.rollout = { next, oldDesired, alarms: [], rollingBack: false };
    this.setStatus(comp, 'Updating');
    const fail = this.c.o.faults.takeFailFleet([this.deployed(comp, next)]);
    // The new copies come up beside the old ones before taking the traffic: they need room of their own.
    const room = this.placement.claim(comp, next, desired);
    this.after(comp, room.extraMs + this.provisionMs(comp, next), () => {
      if (room.reason !== undefined) return this.endRollback(comp, room.reason);
      if (fail) return this.endRollback(comp, fail.reason ?? defaultFailure(comp.name));
      next.count = desired;
      this.finish(comp);
    });
  }

  /** RollingUpdatePolicy: batch by batch, each provisioned then baked with the alarms watched. */
  roll(comp: ComponentRec, next: Copies, desired: number, plan: RollingPlan): void {
    this.stop(comp);
    comp.rollout = { next, oldDesired: comp.desiredCopies, alarms: plan.alarms, rollbackBatch: plan.rollbackBatch, rollingBack: false };
    comp.desiredCopies = desired;
    this.setStatus(comp, 'Updating');
    const fail = this.c.o.faults.takeFailFleet([this.deployed(comp, next)]);
    const provisionMs = this.provisionMs(comp, next);
    if (plan.maxExecutionMs !== undefined) {
      this.after(comp, plan.maxExecutionMs, () => this.rollBack(comp, 'MaximumExecutionTimeoutInSeconds was exceeded.'));
    }
    const batch = (): void => {
      const add = Math.min(plan.batch, desired - next.count);
      if (add <= 0) return this.finish(comp);
      // "provisions capacity on the new endpoint fleet, routes traffic to that fleet, and terminates
      // capacity on the old": the batch needs room beside every copy there (placement.ts).
      const room = this.placement.claim(comp, next, add);
      this.after(comp, room.extraMs + provisionMs, () => {
        if (room.reason !== undefined) return this.rollBack(comp, room.reason);
        if (fail) return this.rollBack(comp, fail.reason ?? defaultFailure(comp.name));
        const first = next.count === 0;
        next.count += add;
        comp.current.count = Math.max(0, comp.current.count - add);
        comp.current.claimed = comp.current.count;
        this.placement.release(comp);
        comp.rr.clear();
        if (first) this.watch(comp, plan.alarms);
        if (this.alarmFired(comp, plan.alarms)) return;
        this.after(comp, plan.waitMs, () => {
          if (this.alarmFired(comp, plan.alarms)) return;
          if (next.count >= desired) return this.finish(comp);
          batch();
        });
      });
    };
    if (desired === 0) this.after(comp, this.c.o.trafficShiftMs, () => this.finish(comp));
    else batch();
  }

  private finish(comp: ComponentRec): void {
    const next = comp.rollout?.next;
    if (!next) return;
    this.stop(comp);
    next.count = comp.desiredCopies;
    next.claimed = next.count;
    comp.current = next;
    comp.rollout = undefined;
    comp.rr.clear();
    comp.failureReason = undefined;
    this.setStatus(comp, 'InService');
    this.placement.release(comp);
  }

  private watch(comp: ComponentRec, alarms: string[]): void {
    if (alarms.length === 0) return;
    const onEvent = (e: { 'detail-type'?: string; detail?: { alarmName?: string; state?: { value?: string } } }): void => {
      if (e['detail-type'] !== 'CloudWatch Alarm State Change' || e.detail?.state?.value !== 'ALARM') return;
      const name = e.detail.alarmName ?? '';
      if (alarms.includes(name)) this.rollBack(comp, alarmReason(name));
    };
    this.c.o.events.on('event', onEvent);
    comp.stopWatching = () => this.c.o.events.off('event', onEvent);
  }

  private alarmFired(comp: ComponentRec, alarms: string[]): boolean {
    const fired = alarms.find((a) => this.c.o.alarms?.state(a)?.value === 'ALARM');
    if (fired === undefined) return false;
    this.rollBack(comp, alarmReason(fired));
    return true;
  }

  /**
   * Old copies back RollbackMaximumBatchSize at a time (default all at once), new copies removed as
   * they come. Each step needs room beside the copies there; a step that does not fit leaves the
   * component Failed, old and new copies serving, with both reasons (our choice: AWS is silent).
   */
  private rollBack(comp: ComponentRec, reason: string): void {
    const r = comp.rollout;
    if (!r || r.rollingBack || comp.status !== 'Updating') return;
    this.stop(comp);
    r.rollingBack = true;
    r.next.claimed = r.next.count; // a batch still provisioning is cancelled
    this.placement.release(comp);
    const batch = Math.max(1, r.rollbackBatch ?? r.oldDesired);
    const step = (): void => {
      const add = Math.min(batch, r.oldDesired - comp.current.count);
      if (add <= 0) return this.endRollback(comp, reason);
      const room = this.placement.claim(comp, comp.current, add);
      this.after(comp, room.extraMs + this.provisionMs(comp, comp.current), () => {
        if (room.reason !== undefined) {
          comp.failureReason = `${reason} The rollback failed: ${room.reason}`;
          return this.setStatus(comp, 'Failed');
        }
        comp.current.count += add;
        r.next.count = Math.max(0, r.next.count - add);
        r.next.claimed = r.next.count;
        this.placement.release(comp);
        comp.rr.clear();
        step();
      });
    };
    if (comp.current.count >= r.oldDesired) this.after(comp, this.c.o.trafficShiftMs, () => this.endRollback(comp, reason));
    else step();
  }

  private endRollback(comp: ComponentRec, reason: string): void {
    const r = comp.rollout;
    if (!r) return;
    this.stop(comp);
    comp.desiredCopies = r.oldDesired;
    comp.current.count = r.oldDesired;
    comp.current.claimed = r.oldDesired;
    comp.rollout = undefined;
    comp.rr.clear();
    comp.failureReason = reason;
    this.setStatus(comp, 'InService');
    this.placement.release(comp);
  }

  /** A DeploymentConfig as copies per batch (InferenceComponentRollingUpdatePolicy). */
  plan(dc: Obj, copies: number): RollingPlan {
    const rolling = dc.RollingUpdatePolicy as Obj;
    const batch = capacity(rolling.MaximumBatchSize as Obj, copies);
    if (copies > 0) {
      const f = batch / copies;
      const fits = f <= 0.5 + 1e-9 && (f >= 0.05 - 1e-9 || Math.ceil(0.05 * copies) <= batch);
      if (!fits) {
        throw validation(
          `MaximumBatchSize must be between 5% and 50% of the copy count of the inference component (${copies}); it is ${batch} cop${batch === 1 ? 'y' : 'ies'}.`,
        );
      }
    }
    const rb = rolling.RollbackMaximumBatchSize as Obj | undefined;
    const maxExec = num(rolling.MaximumExecutionTimeoutInSeconds);
    return {
      batch,
      waitMs: this.ms(num(rolling.WaitIntervalInSeconds) ?? 0),
      maxExecutionMs: maxExec === undefined ? undefined : this.ms(maxExec),
      alarms: arr((dc.AutoRollbackConfiguration as Obj | undefined)?.Alarms).map((a) => String(a.AlarmName)),
      rollbackBatch: rb ? capacity(rb, copies) : undefined,
    };
  }

  // ---- plumbing ----------------------------------------------------------------------------

  setStatus(comp: ComponentRec, status: ComponentStatus): void {
    comp.status = status;
    comp.modified = Date.now();
  }

  private deployed(comp: ComponentRec, copies: Copies): DeployedModel {
    return { variantName: comp.variantName, modelName: copies.modelName ?? '', modelPackageVersion: copies.modelPackageVersion };
  }

  private provisionMs(comp: ComponentRec, copies: Copies): number {
    return this.c.o.faults.slowFleetMs([this.deployed(comp, copies)]) ?? this.c.provisioningMs(str(copies.spec.InstanceType) ?? comp.instanceType);
  }

  private ms(simSeconds: number): number {
    return (simSeconds * 1000) / this.c.o.timeScale;
  }

  /** Runs fn after ms unless the component changed course (or was deleted) meanwhile. */
  private after(comp: ComponentRec, ms: number, fn: () => void): void {
    const generation = comp.generation;
    // A held deployment (slowFleet -1) finishes when the faults are cleared, unless it changed course meanwhile.
    if (ms === Infinity) return this.c.o.faults.whenCleared(() => comp.generation === generation && this.after(comp, 0, fn));
    const t = this.c.o.timers.after(ms, () => {
      if (t) comp.timers.delete(t);
      if (comp.generation !== generation || !this.isCurrent(comp)) return;
      fn();
    });
    if (t) comp.timers.add(t);
  }

  /** Cancels what the component was doing: its timers and alarm watch. */
  stop(comp: ComponentRec): void {
    comp.generation += 1;
    for (const t of comp.timers) this.c.o.timers.cancel(t);
    comp.timers.clear();
    comp.stopWatching?.();
    comp.stopWatching = undefined;
  }
}


function defaultFailure(componentName: string): string {
  return `The container for inference component ${componentName} did not pass the ping health check. Please check CloudWatch logs for this inference component.`;
}
