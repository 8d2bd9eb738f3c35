/**
 * Room for inference component copies on an endpoint variant's instances (the capacity model of
 * inference-components.ts: what it documents, and what we chose where AWS is silent, is listed there).
 *
 * A copy needs its ComputeResourceRequirements (NumberOfCpuCoresRequired, NumberOfAcceleratorDevicesRequired,
 * MinMemoryRequiredInMb: API_InferenceComponentComputeResourceRequirements) on ONE instance of the
 * variant. The instance types' resources are those of the instance type pages; only the types this
 * repository deploys inference components on (and their neighbours) are listed: an endpoint on another
 * type is refused by CreateInferenceComponent with a message naming this file.
 */
import { validation } from '../errors';
import { arr, lc, num, type Obj, type SageMakerContext } from './context';
import type { Endpoints } from './endpoints';
import type { Fleet, VariantState } from './fleets';
import type { ComponentRec, Copies } from './inference-components';

export interface InstanceResources {
  vCpus: number;
  /** GPUs (or Inferentia/Trainium devices). */
  accelerators: number;
  memoryMiB: number;
}

/**
 * vCPUs, accelerators and memory per instance. m5: https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/general-purpose-instances.html
 * ("m5.large 2 8, m5.xlarge 4 16, m5.2xlarge 8 32" vCPUs, GiB); g5 (NVIDIA A10G): https://aws.amazon.com/ec2/instance-types/g5/
 * (g5.xlarge 1 GPU 4 vCPUs 16 GiB, g5.2xlarge 1/8/32, g5.4xlarge 1/16/64, g5.12xlarge 4/48/192, g5.48xlarge 8/192/768).
 */
export const INSTANCE_RESOURCES: Readonly<Record<string, InstanceResources>> = {
  'ml.m5.large': { vCpus: 2, accelerators: 0, memoryMiB: 8 * 1024 },
  'ml.m5.xlarge': { vCpus: 4, accelerators: 0, memoryMiB: 16 * 1024 },
  'ml.m5.2xlarge': { vCpus: 8, accelerators: 0, memoryMiB: 32 * 1024 },
  'ml.g5.xlarge': { vCpus: 4, accelerators: 1, memoryMiB: 16 * 1024 },
  'ml.g5.2xlarge': { vCpus: 8, accelerators: 1, memoryMiB: 32 * 1024 },
  'ml.g5.4xlarge': { vCpus: 16, accelerators: 1, memoryMiB: 64 * 1024 },
  'ml.g5.12xlarge': { vCpus: 48, accelerators: 4, memoryMiB: 192 * 1024 },
  'ml.g5.48xlarge': { vCpus: 192, accelerators: 8, memoryMiB: 768 * 1024 },
};

/**
 * CPU cores per instance. The API asks for "CPU cores", the instance pages count vCPUs (two per core
 * on these x86 types) and AWS does not say which one a copy's NumberOfCpuCoresRequired is counted
 * against: we take the strict reading, physical cores (vCPUs / 2).
 */
export const coresOf = (r: InstanceResources): number => r.vCpus / 2;

export function resourcesOf(instanceType: string | undefined): InstanceResources {
  const r = instanceType === undefined ? undefined : INSTANCE_RESOURCES[instanceType];
  if (!r) {
    throw validation(
      `The local emulator does not know the resources of instance type ${instanceType ?? '(none)'}, so it cannot place inference component copies on it; ` +
        `add its vCPUs, accelerators and memory to INSTANCE_RESOURCES in local/emulator/sagemaker/placement.ts (known: ${Object.keys(INSTANCE_RESOURCES).join(', ')}).`,
    );
  }
  return r;
}

/** What one copy of a specification needs on an instance. */
export interface Requirement {
  cores: number;
  accelerators: number;
  memoryMb: number;
}

export function requirementOf(spec: Obj): Requirement {
  const c = (spec.ComputeResourceRequirements ?? {}) as Obj;
  return { cores: num(c.NumberOfCpuCoresRequired) ?? 0, accelerators: num(c.NumberOfAcceleratorDevicesRequired) ?? 0, memoryMb: num(c.MinMemoryRequiredInMb) ?? 0 };
}

export const describeRequirement = (r: Requirement): string =>
  [r.accelerators > 0 && `${r.accelerators} accelerator(s)`, r.cores > 0 && `${r.cores} CPU core(s)`, `${r.memoryMb} MB`].filter(Boolean).join(', ');

export const describeResources = (r: InstanceResources): string =>
  `${r.accelerators} accelerator(s), ${coresOf(r)} CPU cores, ${r.memoryMiB} MB`;

/** Copies of one requirement, in the order they are placed. */
export interface Demand {
  req: Requirement;
  count: number;
}

const EPS = 1e-9;

/**
 * The instances a first-fit placement of the copies needs (in order: the copies already there first),
 * or Infinity when one copy does not fit even on an empty instance.
 */
export function instancesNeeded(r: InstanceResources, demands: Demand[]): number {
  const free: Requirement[] = [];
  const fits = (f: Requirement, q: Requirement) => q.cores <= f.cores + EPS && q.accelerators <= f.accelerators + EPS && q.memoryMb <= f.memoryMb + EPS;
  const empty = (): Requirement => ({ cores: coresOf(r), accelerators: r.accelerators, memoryMb: r.memoryMiB });
  for (const d of demands) {
    if (d.count > 0 && !fits(empty(), d.req)) return Infinity;
    for (let i = 0; i < d.count; i++) {
      let slot = free.find((f) => fits(f, d.req));
      if (!slot) {
        slot = empty();
        free.push(slot);
      }
      slot.cores -= d.req.cores;
      slot.accelerators -= d.req.accelerators;
      slot.memoryMb -= d.req.memoryMb;
    }
  }
  return free.length;
}

/** A variant's ManagedInstanceScaling when ENABLED (API_ProductionVariantManagedInstanceScaling). */
export function managedScalingOf(config: Obj, variantName: string): { min: number; max: number } | undefined {
  const pv = arr(config.ProductionVariants).find((v) => v.VariantName === variantName);
  const m = pv?.ManagedInstanceScaling as Obj | undefined;
  if (m?.Status !== 'ENABLED') return undefined;
  const initial = num(pv?.InitialInstanceCount) ?? 0;
  return { min: num(m.MinInstanceCount) ?? 0, max: num(m.MaxInstanceCount) ?? initial };
}

/**
 * Where a component's copies go: the room they hold on their variant's instances (Copies.claimed:
 * copies provisioning or in service), and the instances ManagedInstanceScaling adds for them
 * (launched and metered at once, in service after the instance type's provisioning time) and releases
 * once no copy needs them.
 */
export class ComponentPlacement {
  constructor(
    private readonly c: SageMakerContext,
    private readonly endpoints: Endpoints,
    private readonly components: () => Iterable<ComponentRec>,
  ) {}

  /** The instance type's resources; refuses (ValidationException) a type the table does not list. */
  check(instanceType: string | undefined): void {
    resourcesOf(instanceType);
  }

  /**
   * Claims room for `add` more copies of `copies` beside every copy already holding room on the
   * variant, adding instances by ManagedInstanceScaling when the variant has it (up to MaxInstanceCount).
   * extraMs: the added instances' provisioning time, before the copies' own. A reason when they do not fit (then nothing is claimed).
   */
  claim(comp: ComponentRec, copies: Copies, add: number): { extraMs: number; reason?: string } {
    if (add <= 0) return { extraMs: 0 };
    const where = this.where(comp);
    if (!where) return { extraMs: 0, reason: `Insufficient capacity: endpoint ${comp.endpointName} has no instances in service for variant ${comp.variantName}.` };
    const { fleet, variant } = where;
    const res = resourcesOf(variant.instanceType);
    const req = requirementOf(copies.spec);
    const before = this.demands(comp);
    const needed = instancesNeeded(res, [...before, { req, count: add }]);
    const have = variant.DesiredInstanceCount ?? 0;
    let extraMs = 0;
    if (needed > have) {
      const managed = managedScalingOf(fleet.config, variant.VariantName);
      if (!managed || needed > managed.max) return { extraMs: 0, reason: this.insufficient(comp, variant, res, req, add, before, needed, managed) };
      this.launch(fleet, variant, needed - have);
      extraMs = this.c.provisioningMs(variant.instanceType);
    }
    copies.claimed += add;
    return { extraMs };
  }

  /** Releases the instances ManagedInstanceScaling added that no copy needs any more (never below MinInstanceCount). */
  release(comp: ComponentRec): void {
    const where = this.where(comp);
    const added = where?.variant.managedInstances ?? 0;
    if (!where || added === 0) return;
    const { fleet, variant } = where;
    const have = variant.DesiredInstanceCount ?? 0;
    const needed = instancesNeeded(resourcesOf(variant.instanceType), this.demands(comp));
    const floor = Math.max(needed, managedScalingOf(fleet.config, variant.VariantName)?.min ?? 0, have - added);
    const surplus = have - floor;
    if (surplus <= 0) return;
    variant.managedInstances = added - surplus;
    variant.DesiredInstanceCount = have - surplus;
    variant.CurrentInstanceCount = Math.min(variant.CurrentInstanceCount ?? 0, variant.DesiredInstanceCount);
    this.endpoints.meter.setBilled(fleet, variant, Math.max(0, variant.billed - surplus));
  }

  private launch(fleet: Fleet, variant: VariantState, instances: number): void {
    variant.managedInstances = (variant.managedInstances ?? 0) + instances;
    variant.DesiredInstanceCount = (variant.DesiredInstanceCount ?? 0) + instances;
    this.endpoints.meter.setBilled(fleet, variant, variant.billed + instances);
    this.c.o.timers.after(this.c.provisioningMs(variant.instanceType), () => {
      variant.CurrentInstanceCount = Math.min((variant.CurrentInstanceCount ?? 0) + instances, variant.DesiredInstanceCount ?? 0);
    });
  }

  private where(comp: ComponentRec): { fleet: Fleet; variant: VariantState } | undefined {
    const fleet = this.endpoints.endpoints.get(lc(comp.endpointName))?.fleet;
    const variant = fleet?.variants.find((v) => v.VariantName === comp.variantName);
    return fleet && variant ? { fleet, variant } : undefined;
  }

  /** The copies holding room on comp's variant, component by component in creation order (a Deleting one holds its room until it is gone; a failed create none: claimed 0). */
  private demands(comp: ComponentRec): Demand[] {
    const out: Demand[] = [];
    for (const x of this.components()) {
      if (lc(x.endpointName) !== lc(comp.endpointName) || x.variantName !== comp.variantName) continue;
      for (const copies of [x.current, x.rollout?.next]) if (copies && copies.claimed > 0) out.push({ req: requirementOf(copies.spec), count: copies.claimed });
    }
    return out;
  }

  /** The FailureReason (ours: AWS's wording is undocumented): the cause, the numbers, and the fix. */
  private insufficient(
    comp: ComponentRec,
    variant: VariantState,
    res: InstanceResources,
    req: Requirement,
    add: number,
    before: Demand[],
    needed: number,
    managed: { max: number } | undefined,
  ): string {
    const placed = before.reduce((a, d) => a + d.count, 0);
    const have = variant.DesiredInstanceCount ?? 0;
    const what = `${add} cop${add === 1 ? 'y' : 'ies'} of inference component ${comp.name} (each needs ${describeRequirement(req)})`;
    const where = `${have} × ${variant.instanceType ?? ''} (${describeResources(res)} each) of variant ${variant.VariantName} of endpoint ${comp.endpointName}`;
    if (needed === Infinity) return `Insufficient capacity: ${what} cannot be placed: one copy needs more than a whole ${variant.instanceType ?? ''} instance. Use an instance type with more resources, or smaller ComputeResourceRequirements.`;
    const fix = managed
      ? `ManagedInstanceScaling stops at MaxInstanceCount ${managed.max}; raise it to at least ${needed}, or free room`
      : `add instances (at least ${needed}), enable ManagedInstanceScaling with a MaxInstanceCount of at least ${needed}, or free room`;
    return `Insufficient capacity: ${what} do not fit on the ${where}, which already hold ${placed} cop${placed === 1 ? 'y' : 'ies'} of inference components; ${needed} instances would be needed. To place them, ${fix}.`;
  }
}
