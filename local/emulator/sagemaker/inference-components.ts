/**
 * Inference components: models deployed as copies onto an endpoint's instances.
 * https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateInferenceComponent.html
 * (also API_DescribeInferenceComponent, API_UpdateInferenceComponent,
 * API_UpdateInferenceComponentRuntimeConfig, API_DeleteInferenceComponent, API_ListInferenceComponents,
 * API_InferenceComponentRollingUpdatePolicy).
 *
 * - A component lives on an "inference component endpoint": one whose production variants name no
 *   model (instance type and count only). Creating one on an endpoint whose variants carry a
 *   ModelName is refused with a ValidationException; the message is ours (undocumented).
 * - Status: Creating → InService after provisioning; Updating while copies change; Deleting → gone.
 *   A failFleet fault matching the specification's model makes a create Failed (FailureReason).
 * - Copies: RuntimeConfig.CopyCount ≥ 0 ("min 0"). Copies run on the endpoint's instances, which the
 *   fleet meter already counts, so a component adds no cost of its own, and a rolling update launches no new fleet.
 * - Capacity (placement.ts): a copy needs its ComputeResourceRequirements (accelerators, CPU cores,
 *   MinMemoryRequiredInMb) on one instance of the variant, beside the copies of every component already
 *   holding room there (in service or provisioning; a Deleting component holds its room until it is
 *   gone — when AWS frees it is undocumented, so the strict choice —, copies removed by a scale-in free
 *   theirs at once). So a validation component of one copy, each rolling batch ("provisions
 *   capacity on the new endpoint fleet, routes traffic to that fleet, and terminates capacity on the old",
 *   API_InferenceComponentRollingUpdatePolicy), an update without DeploymentConfig (all new copies up
 *   before the old go) and each rollback step need free room. Instance resources: a small table of the
 *   types this repository uses (CPU cores counted strictly as vCPUs / 2); CreateInferenceComponent on
 *   another type is a ValidationException naming the table. Placement is a first-fit over all copies
 *   (our simplification: AWS places copies one by one and does not move them).
 *   What happens when copies do not fit is undocumented; we take the strict reading: the request is
 *   accepted, then after provisioning time a create ends Failed, a scale-out ends InService on the old
 *   count, a rolling batch (or an update without DeploymentConfig) rolls back, each with a FailureReason
 *   (ours) naming the capacity and the fix; a rollback step that does not fit leaves the component Failed.
 *   ManagedInstanceScaling (API_ProductionVariantManagedInstanceScaling, "the endpoint provisions as it
 *   scales up") adds the instances the copies need, up to MaxInstanceCount (beyond it: the failure above):
 *   launched and metered at once, without a new fleet or provisioning cycle, in service after the instance
 *   type's provisioning time, the copies' own provisioning after that; the instances it added are released
 *   as soon as no copy needs them (never below MinInstanceCount; scale-in of the configured instances is
 *   not modelled; AWS's scale-in timing is undocumented).
 * - How copies change (create, scale, replace, rolling update, rollback): inference-component-rollouts.ts.
 * - UpdateInferenceComponent with a new Specification and a DeploymentConfig (RollingUpdatePolicy
 *   is required there: no blue/green for components): copies of the new specification replace old
 *   ones MaximumBatchSize at a time; each batch takes provisioning time, then WaitIntervalInSeconds
 *   of baking (the last batch too: "monitors alarms for each batch"), traffic split by copies.
 *   An AutoRollbackConfiguration alarm in ALARM while new copies take traffic, a failed batch, or
 *   MaximumExecutionTimeoutInSeconds exceeded rolls back: old copies restored
 *   RollbackMaximumBatchSize at a time (default all at once), InService on the old specification
 *   with FailureReason. The status enum has no RollingBack, so a rollback shows Updating.
 *   MaximumBatchSize must be 5–50% of the copy count ("The value must be between 5% to 50% of the
 *   copy count of the inference component"), rounded to whole copies as for endpoints; so a
 *   component of one copy cannot roll (no whole batch is ≤ 50%). Without DeploymentConfig all
 *   copies are replaced at once after provisioning time.
 * - While an update runs, Describe shows the requested Specification and DesiredCopyCount;
 *   CurrentCopyCount counts old and new copies in service (our choice: undocumented).
 * - InvokeEndpoint with InferenceComponentName goes to a copy of that component (old or new
 *   specification, smooth weighted round-robin by copies). A component with no copies in service
 *   (scaled to zero, or still Creating) answers ValidationError: the guide only says "any attempts
 *   to invoke the endpoint will produce an error" (endpoint-auto-scaling-zero-instances), so the
 *   error and message are ours. An inference component endpoint invoked without
 *   InferenceComponentName also answers ValidationError (our message).
 * - DeleteEndpoint on an endpoint that still hosts components is refused (index.ts): the guide
 *   says the console "first deletes the Inference Components that are attached to the endpoint"
 *   (realtime-endpoints-delete-resources), and users report the API refusing until they do; the
 *   API reference is silent, so the message is ours.
 * - Names are case-insensitive for uniqueness; InvokeEndpoint needs the name's original case.
 */
import { ServiceError, validation } from '../errors';
import { clone, compact, epochSeconds } from '../util';
import { arr, lc, num, type Obj, type SageMakerContext, str, type Tag } from './context';
import type { EndpointRec, Endpoints } from './endpoints';
import type { Usage } from './hazards';
import type { Fleet, VariantState } from './fleets';
import { ComponentRollouts } from './inference-component-rollouts';
import type { ModelsAndRegistry } from './models';
import { ComponentPlacement } from './placement';

export type ComponentStatus = 'Creating' | 'InService' | 'Updating' | 'Failed' | 'Deleting';

/** Copies of one specification. */
export interface Copies {
  spec: Obj;
  modelName?: string;
  modelPackageVersion?: number;
  image: string;
  deployedAt: number;
  /** Copies in service. */
  count: number;
  /** Copies holding room on the variant's instances: in service or provisioning (placement.ts). */
  claimed: number;
}

export interface Rollout {
  next: Copies;
  /** The copy count to restore on rollback, and DesiredCopyCount before the update. */
  oldDesired: number;
  alarms: string[];
  rollbackBatch?: number;
  rollingBack: boolean;
}

export interface ComponentRec {
  name: string;
  arn: string;
  endpointName: string;
  endpointArn: string;
  variantName: string;
  instanceType?: string;
  status: ComponentStatus;
  failureReason?: string;
  created: number;
  modified: number;
  desiredCopies: number;
  /** Copies of the specification in service (the old one during a rolling update). */
  current: Copies;
  rollout?: Rollout;
  lastDeploymentConfig?: Obj;
  tags: Tag[];
  timers: Set<NodeJS.Timeout>;
  /** Bumped by every change of course (update, rollback, delete): timers of an earlier one do nothing. */
  generation: number;
  stopWatching?: () => void;
  /** Smooth weighted round-robin state over old and new copies. */
  rr: Map<string, number>;
}

/** Where one invocation goes: a fleet, and the variant as the invoked model presents it. */
export interface Routed {
  fleet: Fleet;
  variant: VariantState;
  inferenceComponentName?: string;
}


export class InferenceComponents {
  readonly components = new Map<string, ComponentRec>();
  private readonly rollouts: ComponentRollouts;
  private readonly placement: ComponentPlacement;

  constructor(
    private readonly c: SageMakerContext,
    private readonly models: ModelsAndRegistry,
    private readonly endpoints: Endpoints,
  ) {
    this.placement = new ComponentPlacement(c, endpoints, () => this.components.values());
    this.rollouts = new ComponentRollouts(c, (comp) => this.components.get(lc(comp.name)) === comp, this.placement);
  }

  // ---- operations ----------------------------------------------------------------------

  createInferenceComponent(input: Obj): Obj {
    const name = input.InferenceComponentName as string;
    const arn = this.c.arn('inference-component', name);
    if (this.components.has(lc(name))) throw validation(`Cannot create already existing inference component "${arn}".`);
    const ep = this.endpoints.getEndpoint(input.EndpointName as string);
    if (ep.status === 'Deleting' || ep.status === 'Failed' || !ep.fleet) {
      throw validation(`Cannot create inference component "${arn}" on endpoint "${ep.arn}" in status ${ep.status}.`);
    }
    const variants = ep.fleet.variants;
    const withModels = variants.filter((v) => v.modelName !== undefined || v.serverless !== undefined);
    if (withModels.length > 0) {
      throw validation(
        `Endpoint "${ep.arn}" is not an inference component endpoint: its production variant(s) ${withModels.map((v) => v.VariantName).join(', ')} ` +
          'host a model. Create the endpoint from a config whose production variants have no ModelName.',
      );
    }
    const variantName = str(input.VariantName) ?? variants[0]?.VariantName ?? '';
    const variant = variants.find((v) => v.VariantName === variantName);
    if (!variant) throw validation(`The variant ${variantName} is not present in endpoint "${ep.arn}".`);
    this.placement.check(variant.instanceType);
    const copies = this.copiesOf(this.specOf(input), 0);
    const desired = this.copyCount(input.RuntimeConfig);
    if (desired === undefined) throw validation('RuntimeConfig with CopyCount is required for an inference component that is not an adapter.');
    const now = Date.now();
    const comp: ComponentRec = this.c.track({
      name,
      arn,
      endpointName: ep.name,
      endpointArn: ep.arn,
      variantName,
      instanceType: variant.instanceType,
      status: 'Creating',
      created: now,
      modified: now,
      desiredCopies: desired,
      current: copies,
      tags: clone(arr(input.Tags)) as unknown as Tag[],
      timers: new Set(),
      generation: 0,
      rr: new Map(),
    });
    this.components.set(lc(name), comp);
    this.rollouts.create(comp, desired);
    return { InferenceComponentArn: arn };
  }

  getComponent(name: string): ComponentRec {
    const comp = this.components.get(lc(name));
    if (!comp) throw validation(`Could not find inference component "${this.c.arn('inference-component', name)}".`);
    return comp;
  }

  describeInferenceComponent(input: Obj): Obj {
    return this.view(this.getComponent(input.InferenceComponentName as string));
  }

  updateInferenceComponent(input: Obj): Obj {
    const comp = this.getComponent(input.InferenceComponentName as string);
    this.requireInService(comp);
    const spec = input.Specification !== undefined || input.Specifications !== undefined ? this.specOf(input) : undefined;
    const desired = this.copyCount(input.RuntimeConfig) ?? comp.desiredCopies;
    if (spec === undefined && input.RuntimeConfig === undefined) {
      throw validation('UpdateInferenceComponent needs a Specification, a RuntimeConfig, or both.');
    }
    const dc = input.DeploymentConfig as Obj | undefined;
    const plan = dc ? this.rollouts.plan(dc, desired) : undefined;
    const next = spec ? this.copiesOf(spec, 0) : undefined;
    comp.failureReason = undefined;
    if (dc) comp.lastDeploymentConfig = clone(dc);
    if (!next) this.rollouts.scale(comp, desired);
    else if (plan) this.rollouts.roll(comp, next, desired, plan);
    else this.rollouts.replace(comp, next, desired);
    return { InferenceComponentArn: comp.arn };
  }

  updateInferenceComponentRuntimeConfig(input: Obj): Obj {
    const comp = this.getComponent(input.InferenceComponentName as string);
    this.requireInService(comp);
    comp.failureReason = undefined;
    this.rollouts.scale(comp, this.copyCount(input.DesiredRuntimeConfig) ?? comp.desiredCopies);
    return { InferenceComponentArn: comp.arn };
  }

  deleteInferenceComponent(input: Obj): Obj {
    const comp = this.getComponent(input.InferenceComponentName as string);
    if (comp.status === 'Deleting') throw validation(`Cannot delete inference component "${comp.arn}" because it is already being deleted.`);
    this.rollouts.delete(comp, () => {
      if (this.components.get(lc(comp.name)) === comp) this.components.delete(lc(comp.name));
    });
    return {};
  }

  listInferenceComponents(input: Obj): Obj {
    let items = this.c.filterCommon([...this.components.values()], input, (x) => x.name, (x) => x.created, (x) => x.modified);
    const endpoint = str(input.EndpointNameEquals);
    const variant = str(input.VariantNameEquals);
    const status = str(input.StatusEquals);
    if (endpoint !== undefined) items = items.filter((x) => lc(x.endpointName) === lc(endpoint));
    if (variant !== undefined) items = items.filter((x) => x.variantName === variant);
    if (status !== undefined) items = items.filter((x) => x.status === status);
    const sorted = this.c.sort(items, str(input.SortBy) ?? 'CreationTime', str(input.SortOrder) ?? 'Descending', {
      Name: (x) => x.name,
      CreationTime: (x) => x.created,
      Status: (x) => x.status,
    });
    const { page, nextToken } = this.c.page(sorted, input, 10);
    return compact({
      InferenceComponents: page.map((x) => ({
        CreationTime: epochSeconds(x.created),
        InferenceComponentArn: x.arn,
        InferenceComponentName: x.name,
        EndpointArn: x.endpointArn,
        EndpointName: x.endpointName,
        VariantName: x.variantName,
        InferenceComponentStatus: x.status,
        LastModifiedTime: epochSeconds(x.modified),
      })),
      NextToken: nextToken,
    });
  }

  /**
   * The endpoints whose inference components run a model (their copies, or an update's new ones).
   * A DeleteModel of it is a hazard (hazards.ts); copies already running keep serving. Whether new
   * copies of a deleted model can still be started is not modelled: they are.
   */
  modelUsers(modelName: string): Usage[] {
    const byEndpoint = new Map<string, Usage>();
    for (const comp of this.components.values()) {
      if (comp.status === 'Deleting' || comp.status === 'Failed') continue;
      const runs = (x: Copies | undefined) => x?.modelName !== undefined && lc(x.modelName) === lc(modelName);
      const usage = [
        runs(comp.current) && `model of inference component ${comp.name}`,
        runs(comp.rollout?.next) && `model of the update in progress of inference component ${comp.name}`,
      ].filter((u): u is string => u !== false);
      if (usage.length === 0) continue;
      const ep = this.endpoints.endpoints.get(lc(comp.endpointName));
      const key = lc(comp.endpointName);
      const u = byEndpoint.get(key) ?? { endpointName: ep?.name ?? comp.endpointName, endpointStatus: ep?.status ?? 'unknown', usage: [] };
      u.usage.push(...usage);
      byEndpoint.set(key, u);
    }
    return [...byEndpoint.values()];
  }

  /** Components hosted on an endpoint (name compared case-insensitively). */
  onEndpoint(endpointName: string): ComponentRec[] {
    return [...this.components.values()].filter((x) => lc(x.endpointName) === lc(endpointName));
  }

  /** DeleteEndpoint: refused while the endpoint hosts components (see the module comment). */
  checkEndpointDeletable(endpointName: string): void {
    const hosted = this.onEndpoint(endpointName);
    if (hosted.length === 0) return;
    throw validation(
      `Cannot delete endpoint "${hosted[0]?.endpointArn ?? ''}" because it hosts inference component(s) ${hosted.map((x) => x.name).join(', ')}. ` +
        'Delete the inference components first.',
    );
  }

  view(comp: ComponentRec): Obj {
    const r = comp.rollout;
    const shown = r && !r.rollingBack ? r.next : comp.current;
    return compact({
      InferenceComponentName: comp.name,
      InferenceComponentArn: comp.arn,
      EndpointName: comp.endpointName,
      EndpointArn: comp.endpointArn,
      VariantName: comp.variantName,
      FailureReason: comp.failureReason,
      Specification: specView(shown),
      RuntimeConfig: { DesiredCopyCount: comp.desiredCopies, CurrentCopyCount: comp.current.count + (r?.next.count ?? 0) },
      CreationTime: epochSeconds(comp.created),
      LastModifiedTime: epochSeconds(comp.modified),
      InferenceComponentStatus: comp.status,
      LastDeploymentConfig: comp.lastDeploymentConfig ? clone(comp.lastDeploymentConfig) : undefined,
    });
  }

  // ---- SageMaker Runtime ----------------------------------------------------------------

  /**
   * The copy that serves an InvokeEndpoint, or undefined when the endpoint hosts no inference
   * components and none was named (the caller routes to a production variant).
   */
  route(ep: EndpointRec, componentName: string | undefined): Routed | undefined {
    const account = this.c.o.accountId;
    if (componentName === undefined) {
      if (!this.isComponentEndpoint(ep)) return undefined;
      throw new ServiceError(
        'ValidationError',
        `Endpoint ${ep.name} of account ${account} hosts inference components: specify the one to invoke with InferenceComponentName.`,
      );
    }
    const comp = this.components.get(lc(componentName));
    if (!comp || comp.name !== componentName || lc(comp.endpointName) !== lc(ep.name) || comp.status === 'Deleting') {
      throw new ServiceError('ValidationError', `Inference component ${componentName} not found on endpoint ${ep.name} of account ${account}.`);
    }
    const next = comp.rollout?.next;
    const live = [comp.current, next].filter((x): x is Copies => x !== undefined && x.count > 0);
    const fleet = ep.fleet;
    const base = fleet?.variants.find((v) => v.VariantName === comp.variantName);
    if (live.length === 0 || !fleet || !base) {
      throw new ServiceError(
        'ValidationError',
        `Inference component ${comp.name} of endpoint ${ep.name} has no copies in service (status ${comp.status}, CurrentCopyCount 0).`,
      );
    }
    const copies = live.length === 1 ? (live[0] as Copies) : (smoothPick(live, comp.rr) as Copies);
    fleet.invocations += 1;
    return {
      fleet,
      variant: { ...base, modelName: copies.modelName, modelPackageVersion: copies.modelPackageVersion, image: copies.image, deployedAt: copies.deployedAt },
      inferenceComponentName: comp.name,
    };
  }

  private isComponentEndpoint(ep: EndpointRec): boolean {
    const variants = ep.fleet?.variants ?? [];
    return variants.length > 0 && variants.every((v) => v.modelName === undefined && v.serverless === undefined);
  }

  // ---- validation -------------------------------------------------------------------------

  /** The Specification of a request, checked; Specifications (one per instance type) is not emulated. */
  private specOf(input: Obj): Obj {
    if (input.Specification !== undefined && input.Specifications !== undefined) {
      throw validation('You can use either Specification or Specifications, but not both.');
    }
    if (input.Specifications !== undefined) {
      throw validation('Specifications (one per instance type) is not supported by the local emulator; use Specification.');
    }
    const spec = input.Specification as Obj | undefined;
    if (!spec) throw validation('Either Specification or Specifications must be specified.');
    if (spec.BaseInferenceComponentName !== undefined) {
      throw validation('Adapter inference components (BaseInferenceComponentName) are not supported by the local emulator.');
    }
    if (spec.ComputeResourceRequirements === undefined) {
      throw validation('Specification.ComputeResourceRequirements is required for an inference component that is not an adapter.');
    }
    const model = str(spec.ModelName);
    if (model !== undefined) this.models.getModel(model);
    else if (str((spec.Container as Obj | undefined)?.Image) === undefined) {
      throw validation('Specification must name a ModelName or a Container with an Image.');
    }
    return clone(spec);
  }

  private copiesOf(spec: Obj, count: number): Copies {
    const modelName = str(spec.ModelName);
    const model = modelName === undefined ? undefined : this.models.getModel(modelName);
    const info = model ? this.models.modelDeployInfo(model) : { image: str((spec.Container as Obj | undefined)?.Image) ?? 'none' };
    return { spec, modelName: model?.name, modelPackageVersion: info.packageVersion, image: info.image, deployedAt: Date.now(), count, claimed: count };
  }

  private copyCount(runtimeConfig: unknown): number | undefined {
    return num((runtimeConfig as Obj | undefined)?.CopyCount);
  }

  private requireInService(comp: ComponentRec): void {
    if (comp.status === 'InService') return;
    if (comp.status === 'Failed') throw validation(`Cannot update failed inference component "${comp.arn}".`);
    throw validation(`Cannot update inference component "${comp.arn}" while it is ${comp.status}.`);
  }

}

/** Describe's InferenceComponentSpecificationSummary: the specification as given, its container image as DeployedImage. */
function specView(copies: Copies): Obj {
  const spec = clone(copies.spec);
  const container = spec.Container as Obj | undefined;
  if (container) {
    const { Image, ...rest } = container;
    spec.Container = compact({
      ...rest,
      DeployedImage: Image === undefined ? undefined : { SpecifiedImage: Image, ResolvedImage: Image, ResolutionTime: epochSeconds(copies.deployedAt) },
    });
  }
  return spec;
}

/** nginx's smooth weighted round-robin over copy sets, weighted by copies. */
function smoothPick(items: Copies[], state: Map<string, number>): Copies | undefined {
  const total = items.reduce((a, t) => a + t.count, 0);
  let best: Copies | undefined;
  let bestKey = '';
  let bestScore = -Infinity;
  items.forEach((t, i) => {
    const key = String(i);
    const score = (state.get(key) ?? 0) + t.count;
    state.set(key, score);
    if (score > bestScore) {
      best = t;
      bestKey = key;
      bestScore = score;
    }
  });
  if (best !== undefined) state.set(bestKey, bestScore - total);
  return best;
}

