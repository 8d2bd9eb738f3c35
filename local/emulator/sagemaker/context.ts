/**
 * State shared by the SageMaker control plane's resource modules (models and packages,
 * endpoint configs, endpoints and fleets, deployments, inference components, tags), and the
 * list helpers every List* operation uses. One instance per emulator.
 */
import type { EventEmitter } from 'node:events';
import { validation } from '../errors';
import type { Faults } from '../faults';
import type { AlarmStates, ScalingRegistry } from '../ports';
import type { Timers } from '../timers';
import { paginate, queryKey, toMs } from '../util';
import { Hazards } from './hazards';

export type Obj = Record<string, unknown>;
export interface Tag {
  Key: string;
  Value: string;
}

export const lc = (s: string): string => s.toLowerCase();
export const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
export const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
export const arr = (v: unknown): Obj[] => (Array.isArray(v) ? (v as Obj[]) : []);

export interface SageMakerOptions {
  accountId: string;
  region: string;
  /** Real ms a new fleet (or new instances) takes to provision, unless the instance type has its own figure. */
  provisioningMs: number;
  /** Real ms per instance type (e.g. GPU types take longer); overrides provisioningMs for that type. */
  provisioningMsByInstanceType?: Record<string, number>;
  /** Real ms DeleteEndpoint stays Deleting before its instances are gone (undocumented; default provisioningMs). */
  deletionMs?: number;
  /** Real ms a weights-only UpdateEndpointWeightsAndCapacities stays Updating (nothing is provisioned). */
  weightsUpdateMs: number;
  /** Real ms SageMaker takes to move traffic between fleets in a deployment-guardrails step (undocumented). */
  trafficShiftMs: number;
  /** Real ms a serverless variant's first invocation after a (re)deployment waits for its container (a cold start). */
  serverlessColdStartMs: number;
  /** Simulated seconds per real second: instance-seconds in the meter are simulated time. */
  timeScale: number;
  faults: Faults;
  events: EventEmitter;
  timers: Timers;
  /** CloudWatch alarm states, for deployment guardrails' auto-rollback. */
  alarms?: AlarmStates;
}

export class SageMakerContext {
  private seq = 0;
  private readonly order = new WeakMap<object, number>();
  /** Application Auto Scaling, once wired (UpdateEndpoint and DeleteEndpoint consult it). */
  scaling?: ScalingRegistry;
  /** Deletions of configs and models an endpoint was using (see hazards.ts). */
  readonly hazards = new Hazards();

  constructor(readonly o: SageMakerOptions) {}

  arn(type: string, name: string): string {
    return `arn:aws:sagemaker:${this.o.region}:${this.o.accountId}:${type}/${lc(name)}`;
  }
  track<T extends object>(rec: T): T {
    this.order.set(rec, ++this.seq);
    return rec;
  }
  ord(rec: object): number {
    return this.order.get(rec) ?? 0;
  }
  /** Real ms → simulated seconds on the emulator's clock. */
  simSeconds(realMs: number): number {
    return (realMs / 1000) * this.o.timeScale;
  }
  provisioningMs(instanceType: string | undefined): number {
    return (instanceType !== undefined ? this.o.provisioningMsByInstanceType?.[instanceType] : undefined) ?? this.o.provisioningMs;
  }

  filterCommon<T>(items: T[], input: Obj, name: (t: T) => string, created: (t: T) => number, modified?: (t: T) => number): T[] {
    let out = items;
    const contains = str(input.NameContains);
    if (contains !== undefined) out = out.filter((t) => lc(name(t)).includes(lc(contains)));
    const ca = toMs(input.CreationTimeAfter);
    const cb = toMs(input.CreationTimeBefore);
    if (ca !== undefined) out = out.filter((t) => created(t) > ca);
    if (cb !== undefined) out = out.filter((t) => created(t) < cb);
    if (modified) {
      const ma = toMs(input.LastModifiedTimeAfter);
      const mb = toMs(input.LastModifiedTimeBefore);
      if (ma !== undefined) out = out.filter((t) => modified(t) > ma);
      if (mb !== undefined) out = out.filter((t) => modified(t) < mb);
    }
    return out;
  }

  sort<T extends object>(items: T[], by: string, order: string, keys: Record<string, (t: T) => string | number>): T[] {
    const key = keys[by] ?? keys.CreationTime;
    const dir = order === 'Ascending' ? 1 : -1;
    return [...items].sort((a, b) => {
      const ka = key ? key(a) : 0;
      const kb = key ? key(b) : 0;
      const c = ka < kb ? -1 : ka > kb ? 1 : this.ord(a) - this.ord(b);
      return c * dir;
    });
  }

  page<T>(items: T[], input: Obj, defaultMax: number): { page: T[]; nextToken?: string } {
    return paginate(items, num(input.MaxResults) ?? defaultMax, input.NextToken, queryKey(input), () =>
      validation('Invalid pagination token: the NextToken does not belong to this request.'),
    );
  }
}
