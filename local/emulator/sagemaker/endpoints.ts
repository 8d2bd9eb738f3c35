/**
 * Endpoints (Create/Describe/Update/Delete/List, UpdateEndpointWeightsAndCapacities) on fleets.
 * https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateEndpoint.html
 *
 * - Every CreateEndpoint/UpdateEndpoint launches a new fleet (see fleets.ts); the old fleet keeps
 *   serving until traffic moves, then is terminated. How traffic moves (all at once, canary,
 *   linear, rolling) and auto-rollback are deployments.ts.
 * - UpdateEndpointWeightsAndCapacities sets the endpoint `Updating` and changes the weights and
 *   instance counts of the *current* fleet: no new fleet (added instances take provisioning time).
 * - A failed UpdateEndpoint leaves the endpoint InService on its previous config with
 *   FailureReason set (API_DescribeEndpoint: "If the status of the endpoint is Failed, or the
 *   status is InService but update operation fails, this provides the reason why it failed.").
 * - While an update runs, DescribeEndpoint reports the current config and variants and shows the
 *   target in PendingDeploymentSummary (VariantStatus with its StatusMessage).
 * - UpdateRollbackFailed ("in service with a mix of the old and new endpoint configurations"):
 *   the failed deployment's fleet keeps serving beside the current one (`residualFleets`);
 *   ProductionVariants count the instances of both and list both fleets' DeployedImages. An
 *   UpdateEndpoint may start from it (a choice: the documented remedy could not be retrieved).
 * - Autoscaling: "you can't ... remove a variant that has automatic scaling configured or change
 *   its instance type" without deregistering it first; a model-only change is allowed
 *   (https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-auto-scaling-delete.html).
 *   DeleteEndpoint deregisters the endpoint's scalable targets.
 * - A config or model deleted while the endpoint uses it (allowed, recorded as a hazard: hazards.ts):
 *   the fleets keep serving, DescribeEndpoint still names the config and shows what the fleet was
 *   deployed with (Fleet.config); launching instances from it fails (cannotLaunch, deployments.ts).
 * - Names are case-insensitive for uniqueness; InvokeEndpoint needs the name's original case.
 */
import { createHash } from 'node:crypto';
import { emitBridgeEvent } from '../events';
import { ServiceError, validation } from '../errors';
import type { ScalableEndpoints, ScalableVariant } from '../ports';
import { clone, compact, epochSeconds } from '../util';
import type { ConfigRec, EndpointConfigs } from './configs';
import { arr, lc, num, type Obj, type SageMakerContext, str, type Tag } from './context';
import { type Deployment, Deployments } from './deployments';
import { type Fleet, FleetMeter, type VariantState } from './fleets';
import type { Usage } from './hazards';
import type { ModelsAndRegistry } from './models';

export interface EndpointRec {
  name: string;
  arn: string;
  configName: string;
  status: string;
  failureReason?: string;
  created: number;
  modified: number;
  /** The fleet running `configName` (undefined before the first fleet is up, or after a failed create). */
  fleet?: Fleet;
  /** The fleet a deployment is standing up or moving traffic to. */
  deployment?: Deployment;
  /** After UpdateRollbackFailed: fleets of failed deployments still serving beside `fleet`. */
  residualFleets?: Fleet[];
  deleteTimer?: NodeJS.Timeout;
  tags: Tag[];
  /** Smooth weighted round-robin state over fleets (by traffic share). */
  fleetRr: Map<string, number>;
  lastDeploymentConfig?: Obj;
}

/** Invocable endpoint states: traffic keeps flowing while an endpoint is being updated. */
const SERVING = new Set(['InService', 'Updating', 'SystemUpdating', 'RollingBack', 'UpdateRollbackFailed']);

/** EndpointStatus → the upper-case form of the "SageMaker Endpoint State Change" event. */
const EVENT_STATUS: Record<string, string> = {
  Creating: 'CREATING',
  InService: 'IN_SERVICE',
  Updating: 'UPDATING',
  RollingBack: 'ROLLING_BACK',
  UpdateRollbackFailed: 'UPDATE_ROLLBACK_FAILED',
  Deleting: 'DELETING',
  Failed: 'FAILED',
};

export class Endpoints {
  readonly endpoints = new Map<string, EndpointRec>();
  readonly meter: FleetMeter;
  readonly deployments: Deployments;

  constructor(
    private readonly c: SageMakerContext,
    private readonly models: ModelsAndRegistry,
    private readonly configs: () => EndpointConfigs,
  ) {
    this.meter = new FleetMeter(c);
    this.deployments = new Deployments(c, this.meter, {
      setStatus: (ep, status) => this.setStatus(ep, status),
      deploymentEvent: (ep, d, message) => this.deploymentEvent(ep, d, message),
      isCurrent: (ep) => this.endpoints.get(lc(ep.name)) === ep,
      cannotLaunch: (fleet) => this.cannotLaunch(fleet),
    });
  }

  // ---- views -------------------------------------------------------------------------

  variants(ep: EndpointRec): VariantState[] {
    return ep.fleet?.variants ?? [];
  }

  /** The endpoints a config is in use by: their current config, the target of a create or update in flight, or a failed rollback's leftover. */
  configUsers(configName: string): Usage[] {
    return this.users((ep) => {
      const d = ep.deployment;
      return [
        lc(ep.configName) === lc(configName) && 'current config',
        d !== undefined && d.kind !== 'weights' && lc(d.configName) === lc(configName) && `config of the ${d.kind === 'create' ? 'CreateEndpoint' : 'UpdateEndpoint'} in progress`,
        (ep.residualFleets ?? []).some((f) => lc(f.configName) === lc(configName)) && 'config of a fleet a failed rollback left serving',
      ];
    });
  }

  /** The endpoints whose fleets (current, being deployed, or left by a failed rollback) run a model. */
  modelUsers(modelName: string): Usage[] {
    return this.users((ep) => {
      const fleets: Array<[Fleet | undefined, string]> = [
        [ep.fleet, 'the current fleet'],
        [ep.deployment?.kind === 'weights' ? undefined : ep.deployment?.fleet, 'the fleet being deployed'],
        ...(ep.residualFleets ?? []).map((f): [Fleet, string] => [f, 'a fleet a failed rollback left serving']),
      ];
      return fleets.flatMap(([f, which]) =>
        (f?.variants ?? []).filter((v) => v.modelName !== undefined && lc(v.modelName) === lc(modelName)).map((v) => `model of variant ${v.VariantName} on ${which}`),
      );
    });
  }

  /** Live endpoints (serving or being created) with how each uses something, if it does. */
  private users(how: (ep: EndpointRec) => Array<string | false>): Usage[] {
    return [...this.endpoints.values()]
      .filter((ep) => SERVING.has(ep.status) || ep.status === 'Creating')
      .map((ep) => ({ endpointName: ep.name, endpointStatus: ep.status, usage: how(ep).filter((u): u is string => u !== false) }))
      .filter((u) => u.usage.length > 0);
  }

  /**
   * Why a fleet's instances cannot be launched now, if they cannot: SageMaker launches instances
   * from the endpoint config and its models, so once either is deleted no new instance comes up.
   * The API reference is silent on what then happens; users report an endpoint whose config or
   * model was missing staying Creating and then Failed (aws/amazon-sagemaker-examples#3432), and an
   * AWS Health notice (quoted in ministryofjustice/analytical-platform#10195) names "Your endpoint
   * configuration was deleted" and "Your model artifacts ... were deleted" among the reasons
   * SageMaker cannot update an endpoint. The reason given is the describe error for what is missing.
   */
  cannotLaunch(fleet: Fleet): string | undefined {
    if (!this.configs().configs.has(lc(fleet.configName))) return `Could not find endpoint configuration "${this.c.arn('endpoint-config', fleet.configName)}".`;
    const gone = fleet.variants.find((v) => v.modelName !== undefined && !this.models.models.has(lc(v.modelName)));
    return gone?.modelName === undefined ? undefined : `Could not find model "${this.c.arn('model', gone.modelName)}".`;
  }

  /** The config an endpoint runs, as its fleet was deployed with it (it outlives a DeleteEndpointConfig). */
  deployedConfig(ep: EndpointRec): Obj | undefined {
    const fleet = [ep.fleet, ep.deployment?.fleet].find((f) => f !== undefined && lc(f.configName) === lc(ep.configName));
    return fleet?.config ?? this.configs().configs.get(lc(ep.configName))?.input;
  }

  /** The same variant on the fleets a failed rollback left serving (UpdateRollbackFailed). */
  private residualsOf(ep: EndpointRec, v: VariantState): VariantState[] {
    return (ep.residualFleets ?? []).flatMap((f) => f.variants.filter((x) => x.VariantName === v.VariantName));
  }

  /** CurrentInstanceCount across the endpoint's serving fleets. */
  private currentCount(ep: EndpointRec, v: VariantState): number | undefined {
    if (v.serverless) return undefined;
    const rest = this.residualsOf(ep, v);
    return rest.length === 0 ? v.CurrentInstanceCount : rest.reduce((a, x) => a + (x.CurrentInstanceCount ?? 0), v.CurrentInstanceCount ?? 0);
  }

  private variantView(v: VariantState, o: { status?: { status: string; message?: string; since: number }; residual?: VariantState[]; current?: number } = {}): Obj {
    const image = (x: VariantState) => {
      const digest = createHash('sha256').update(x.image).digest('hex');
      return { SpecifiedImage: x.image, ResolvedImage: `${x.image.replace(/[:@].*$/, '')}@sha256:${digest}`, ResolutionTime: epochSeconds(x.deployedAt) };
    };
    const withImages = [v, ...(o.residual ?? [])].filter((x) => x.modelName !== undefined);
    return compact({
      VariantName: v.VariantName,
      DeployedImages: withImages.length === 0 ? undefined : withImages.map(image),
      CurrentWeight: v.CurrentWeight,
      DesiredWeight: v.DesiredWeight,
      CurrentInstanceCount: v.serverless ? undefined : (o.current ?? v.CurrentInstanceCount),
      DesiredInstanceCount: v.serverless ? undefined : v.DesiredInstanceCount,
      CurrentServerlessConfig: v.serverless ? clone(v.serverless) : undefined,
      DesiredServerlessConfig: v.serverless ? clone(v.serverless) : undefined,
      VariantStatus: o.status
        ? [compact({ Status: o.status.status, StatusMessage: o.status.message, StartTime: epochSeconds(o.status.since) })]
        : undefined,
    });
  }

  endpointView(ep: EndpointRec): Obj {
    const cfg = this.deployedConfig(ep);
    const dc = cfg?.DataCaptureConfig as Obj | undefined;
    const d = ep.deployment;
    const variants = this.variants(ep);
    return compact({
      EndpointName: ep.name,
      EndpointArn: ep.arn,
      EndpointConfigName: ep.configName,
      ProductionVariants:
        variants.length > 0 ? variants.map((v) => this.variantView(v, { residual: this.residualsOf(ep, v), current: this.currentCount(ep, v) })) : undefined,
      DataCaptureConfig: dc
        ? compact({
            EnableCapture: (dc.EnableCapture as boolean | undefined) ?? true,
            CaptureStatus: dc.EnableCapture === false ? 'Stopped' : 'Started',
            CurrentSamplingPercentage: dc.InitialSamplingPercentage,
            DestinationS3Uri: dc.DestinationS3Uri,
            KmsKeyId: dc.KmsKeyId,
          })
        : undefined,
      EndpointStatus: ep.status,
      FailureReason: ep.failureReason,
      CreationTime: epochSeconds(ep.created),
      LastModifiedTime: epochSeconds(ep.modified),
      LastDeploymentConfig: ep.lastDeploymentConfig ? clone(ep.lastDeploymentConfig) : undefined,
      AsyncInferenceConfig: cfg?.AsyncInferenceConfig ? clone(cfg.AsyncInferenceConfig) : undefined,
      PendingDeploymentSummary:
        d && d.kind !== 'weights' && d.kind !== 'create'
          ? {
              EndpointConfigName: d.configName,
              ProductionVariants: d.variants.map((v) => this.variantView(v, { status: { status: d.variantStatus, message: d.statusMessage, since: d.phaseSince } })),
              StartTime: epochSeconds(d.startedAt),
            }
          : undefined,
    });
  }

  // ---- status and events ------------------------------------------------------------------

  /** Sets EndpointStatus, emitting "SageMaker Endpoint State Change" when it changes. */
  setStatus(ep: EndpointRec, status: string): void {
    if (ep.status === status) return;
    ep.status = status;
    ep.modified = Date.now();
    const variants = this.variants(ep);
    this.emit('SageMaker Endpoint State Change', ep, compact({
        EndpointName: ep.name,
        EndpointArn: ep.arn,
        EndpointConfigName: ep.configName,
        ProductionVariants: variants.map((v) =>
          compact({
            VariantName: v.VariantName,
            CurrentWeight: v.CurrentWeight,
            DesiredWeight: v.DesiredWeight,
            CurrentInstanceCount: this.currentCount(ep, v),
            DesiredInstanceCount: v.serverless ? undefined : v.DesiredInstanceCount,
          }),
        ),
        EndpointStatus: EVENT_STATUS[status] ?? status.toUpperCase(),
        CreationTime: ep.created,
        LastModifiedTime: ep.modified,
        Tags: Object.fromEntries(ep.tags.map((t) => [t.Key, t.Value])),
      }));
  }

  private emit(detailType: string, ep: EndpointRec, detail: Obj): void {
    emitBridgeEvent(this.c.o.events, { detailType, source: 'aws.sagemaker', account: this.c.o.accountId, region: this.c.o.region, resources: [ep.arn], detail });
  }

  /**
   * "SageMaker Endpoint Deployment State Change", as in the guide's sample (a blue/green canary
   * deployment: the current variants, and PendingDeploymentSummary with each new variant's
   * VariantStatus and StatusMessage). Only for updates with deployment guardrails.
   */
  private deploymentEvent(ep: EndpointRec, d: Deployment, message: string): void {
    const pv = (v: VariantState, status?: Obj, current = v.CurrentInstanceCount) =>
      compact({
        VariantName: v.VariantName,
        CurrentWeight: v.CurrentWeight,
        DesiredWeight: v.DesiredWeight,
        CurrentInstanceCount: v.serverless ? undefined : current,
        DesiredInstanceCount: v.serverless ? undefined : v.DesiredInstanceCount,
        VariantStatus: status ? [status] : undefined,
      });
    this.emit('SageMaker Endpoint Deployment State Change', ep, {
        EndpointName: ep.name,
        EndpointArn: ep.arn,
        EndpointConfigName: ep.configName,
        ProductionVariants: this.variants(ep).map((v) => pv(v, undefined, this.currentCount(ep, v))),
        EndpointStatus: EVENT_STATUS[ep.status] ?? ep.status.toUpperCase(),
        CreationTime: ep.created,
        LastModifiedTime: ep.modified,
        Tags: Object.fromEntries(ep.tags.map((t) => [t.Key, t.Value])),
        PendingDeploymentSummary: {
          EndpointConfigName: d.configName,
          StartTime: d.startedAt,
          ProductionVariants: d.variants.map((v) => pv(v, { Status: d.variantStatus, StatusMessage: message, StartTime: d.phaseSince })),
        },
    });
  }

  // ---- operations -------------------------------------------------------------------

  private buildVariants(cfg: ConfigRec, retain?: { from: VariantState[]; exclude: Set<string> }): VariantState[] {
    const now = Date.now();
    return arr(cfg.input.ProductionVariants).map((pv) => {
      const vn = pv.VariantName as string;
      const modelName = str(pv.ModelName);
      const model = modelName === undefined ? undefined : this.models.getModel(modelName);
      const info = model ? this.models.modelDeployInfo(model) : { image: 'none' };
      let weight = num(pv.InitialVariantWeight) ?? 1;
      let count = pv.ServerlessConfig ? undefined : num(pv.InitialInstanceCount);
      const old = retain?.from.find((v) => v.VariantName === vn);
      if (old && retain) {
        if (!retain.exclude.has('DesiredWeight')) weight = old.DesiredWeight;
        if (!retain.exclude.has('DesiredInstanceCount') && count !== undefined && old.DesiredInstanceCount !== undefined) {
          count = old.DesiredInstanceCount;
        }
      }
      return {
        VariantName: vn,
        modelName: model?.name,
        modelPackageArn: info.packageArn,
        modelPackageVersion: info.packageVersion,
        image: info.image,
        instanceType: str(pv.InstanceType),
        CurrentWeight: weight,
        DesiredWeight: weight,
        CurrentInstanceCount: count,
        DesiredInstanceCount: count,
        serverless: pv.ServerlessConfig ? clone(pv.ServerlessConfig as Obj) : undefined,
        cold: pv.ServerlessConfig !== undefined,
        deployedAt: now,
        billed: 0,
        meteredSince: now,
      };
    });
  }

  createEndpoint(input: Obj): Obj {
    const name = input.EndpointName as string;
    const arn = this.c.arn('endpoint', name);
    if (this.endpoints.has(lc(name))) throw validation(`Cannot create already existing endpoint "${arn}".`);
    const cfg = this.configs().getConfig(input.EndpointConfigName as string);
    const variants = this.buildVariants(cfg);
    const now = Date.now();
    const ep: EndpointRec = this.c.track({
      name,
      arn,
      configName: cfg.name,
      status: 'Creating',
      created: now,
      modified: now,
      tags: clone(arr(input.Tags)) as unknown as Tag[],
      fleetRr: new Map(),
      lastDeploymentConfig: input.DeploymentConfig ? clone(input.DeploymentConfig as Obj) : undefined,
    });
    this.endpoints.set(lc(name), ep);
    this.deployments.start(ep, { kind: 'create', config: cfg, variants });
    return { EndpointArn: arn };
  }

  /** Endpoint by name (case-insensitive, as the control plane treats names). */
  getEndpoint(name: string): EndpointRec {
    const ep = this.endpoints.get(lc(name));
    if (!ep) throw validation(`Could not find endpoint "${this.c.arn('endpoint', name)}".`);
    return ep;
  }

  /** Endpoint for InvokeEndpoint: exact, case-sensitive name and a serving state. */
  findServingEndpoint(name: string): EndpointRec | undefined {
    const ep = this.endpoints.get(lc(name));
    return ep && ep.name === name && SERVING.has(ep.status) && this.servingFleets(ep).length > 0 ? ep : undefined;
  }

  describeEndpoint(input: Obj): Obj {
    return this.endpointView(this.getEndpoint(input.EndpointName as string));
  }

  private requireInService(ep: EndpointRec, o: { fromRollbackFailed?: boolean } = {}): void {
    if (ep.status === 'InService') return;
    // UpdateRollbackFailed is not a dead end: a new UpdateEndpoint may replace the mix (a choice, see deployments.ts strand()).
    if (o.fromRollbackFailed && ep.status === 'UpdateRollbackFailed') return;
    if (ep.status === 'Failed') throw validation(`Cannot update failed endpoint "${ep.arn}".`);
    throw validation(`Cannot update in-progress endpoint "${ep.arn}".`);
  }

  /** Refuses an update that removes an autoscaled variant or changes its instance type. */
  private checkScaling(ep: EndpointRec, cfg: ConfigRec): void {
    const scaled = this.c.scaling?.scalableVariants(ep.name) ?? [];
    if (scaled.length === 0) return;
    const next = arr(cfg.input.ProductionVariants);
    const blocked = scaled.filter((name) => {
      const now = this.variants(ep).find((v) => v.VariantName === name);
      const then = next.find((v) => v.VariantName === name);
      return then === undefined || (now?.instanceType !== undefined && str(then.InstanceType) !== now.instanceType);
    });
    if (blocked.length > 0) {
      throw validation(
        `The variant(s) "[${blocked.join(', ')}]" must be deregistered as scalable targets with AWS Application Auto Scaling ` +
          'before they can be removed or have their instance type updated.',
      );
    }
  }

  updateEndpoint(input: Obj): Obj {
    const ep = this.getEndpoint(input.EndpointName as string);
    this.requireInService(ep, { fromRollbackFailed: true });
    const cfg = this.configs().getConfig(input.EndpointConfigName as string);
    this.checkScaling(ep, cfg);
    const exclude = new Set(arr(input.ExcludeRetainedVariantProperties).map((p) => String(p.VariantPropertyType)));
    const variants = this.buildVariants(cfg, input.RetainAllVariantProperties === true ? { from: this.variants(ep), exclude } : undefined);
    const deploymentConfig = input.DeploymentConfig
      ? clone(input.DeploymentConfig as Obj)
      : input.RetainDeploymentConfig === true
        ? ep.lastDeploymentConfig
        : undefined;
    // Refuses an invalid DeploymentConfig before anything changes.
    const plan = this.deployments.plan(ep, cfg, variants, deploymentConfig);
    ep.failureReason = undefined;
    ep.lastDeploymentConfig = deploymentConfig ? clone(deploymentConfig) : undefined;
    this.deployments.start(ep, { kind: 'update', config: cfg, variants, plan });
    return { EndpointArn: ep.arn };
  }

  updateWeights(input: Obj): Obj {
    const ep = this.getEndpoint(input.EndpointName as string);
    this.requireInService(ep);
    const variants = this.variants(ep);
    const desired = arr(input.DesiredWeightsAndCapacities);
    const missing = desired.map((d) => d.VariantName as string).filter((n) => !variants.some((v) => v.VariantName === n));
    if (missing.length > 0) {
      throw validation(`The variant name(s) "${missing.join(', ')}" is/are not present in the endpoint "${ep.arn}".`);
    }
    for (const d of desired) {
      if (d.DesiredWeight === undefined && d.DesiredInstanceCount === undefined && d.ServerlessUpdateConfig === undefined) {
        throw validation(`Either DesiredWeight or DesiredInstanceCount must be specified for variant "${String(d.VariantName)}".`);
      }
      const v = variants.find((x) => x.VariantName === d.VariantName);
      if (v?.serverless && d.DesiredInstanceCount !== undefined) {
        throw validation(`DesiredInstanceCount cannot be specified for serverless variant "${v.VariantName}".`);
      }
    }
    this.applyWeights(ep, desired.map((d) => ({ variantName: d.VariantName as string, weight: num(d.DesiredWeight), count: num(d.DesiredInstanceCount) })));
    return { EndpointArn: ep.arn };
  }

  /** Weights and instance counts of the current fleet (UpdateEndpointWeightsAndCapacities, or autoscaling). */
  private applyWeights(ep: EndpointRec, changes: Array<{ variantName: string; weight?: number; count?: number }>): void {
    const fleet = ep.fleet as Fleet;
    let added = false;
    let maxMs = 0;
    for (const ch of changes) {
      const v = fleet.variants.find((x) => x.VariantName === ch.variantName) as VariantState;
      if (ch.weight !== undefined) v.DesiredWeight = ch.weight;
      if (ch.count !== undefined) {
        v.DesiredInstanceCount = ch.count;
        // New instances are launched (and billed) now; removed ones keep running until the update ends.
        if (ch.count > v.billed) {
          this.meter.setBilled(fleet, v, ch.count);
          added = true;
          maxMs = Math.max(maxMs, this.c.provisioningMs(v.instanceType));
        }
      }
    }
    ep.failureReason = undefined;
    this.deployments.start(ep, { kind: 'weights', ms: added ? maxMs : this.c.o.weightsUpdateMs });
  }

  deleteEndpoint(input: Obj): Obj {
    const ep = this.getEndpoint(input.EndpointName as string);
    if (ep.status === 'Deleting') throw validation(`Cannot delete endpoint "${ep.arn}" because it is already being deleted.`);
    this.deployments.cancel(ep);
    this.setStatus(ep, 'Deleting');
    this.c.scaling?.deregisterEndpoint(ep.name);
    ep.deleteTimer = this.c.o.timers.after(this.c.o.deletionMs ?? this.c.o.provisioningMs, () => {
      if (ep.fleet) this.meter.terminate(ep.fleet);
      for (const f of ep.residualFleets ?? []) this.meter.terminate(f);
      if (this.endpoints.get(lc(ep.name)) === ep) this.endpoints.delete(lc(ep.name));
    });
    return {};
  }

  listEndpoints(input: Obj): Obj {
    let items = this.c.filterCommon([...this.endpoints.values()], input, (e) => e.name, (e) => e.created, (e) => e.modified);
    const status = str(input.StatusEquals);
    if (status !== undefined) items = items.filter((e) => e.status === status);
    const sorted = this.c.sort(items, str(input.SortBy) ?? 'CreationTime', str(input.SortOrder) ?? 'Descending', {
      Name: (e) => e.name,
      CreationTime: (e) => e.created,
      Status: (e) => e.status,
    });
    const { page, nextToken } = this.c.page(sorted, input, 10);
    return compact({
      Endpoints: page.map((e) => ({
        EndpointName: e.name,
        EndpointArn: e.arn,
        CreationTime: epochSeconds(e.created),
        LastModifiedTime: epochSeconds(e.modified),
        EndpointStatus: e.status,
      })),
      NextToken: nextToken,
    });
  }

  // ---- routing (SageMaker Runtime) -----------------------------------------------------

  /** Fleets that receive untargeted traffic now. */
  servingFleets(ep: EndpointRec): Fleet[] {
    const fleets = [ep.fleet, ...(ep.residualFleets ?? []), ep.deployment?.fleet].filter((f): f is Fleet => f !== undefined && f.status === 'InService' && f.share > 0);
    return [...new Set(fleets)];
  }

  /**
   * The fleet and variant that serve one invocation: by traffic share across fleets (during a
   * canary or linear step), then by CurrentWeight within the fleet; both smooth weighted
   * round-robin (deterministic and proportional). `TargetVariant` goes to the newest serving fleet
   * that has the variant.
   */
  route(ep: EndpointRec, targetVariant?: string): { fleet: Fleet; variant: VariantState } {
    const fleets = this.servingFleets(ep);
    if (targetVariant !== undefined) {
      const candidates = [ep.deployment?.fleet, ep.fleet, ...(ep.residualFleets ?? [])].filter((f): f is Fleet => f !== undefined && f.status === 'InService');
      for (const fleet of candidates) {
        const variant = fleet.variants.find((v) => v.VariantName === targetVariant);
        if (variant && (fleet.share > 0 || fleet === ep.fleet)) return this.count(fleet, variant, true);
      }
      throw new ServiceError('ValidationError', `The variant ${targetVariant} is not present in endpoint ${ep.name} of account ${this.c.o.accountId}.`);
    }
    const fleet = fleets.length === 1 ? (fleets[0] as Fleet) : smoothPick(fleets, (f) => f.id, (f) => Math.round(f.share * 1000), ep.fleetRr);
    const live = fleet?.variants.filter((v) => v.CurrentWeight > 0) ?? [];
    if (!fleet || live.length === 0) {
      throw new ServiceError('ValidationError', `Endpoint ${ep.name} of account ${this.c.o.accountId} has no production variant with a positive weight.`);
    }
    const variant = smoothPick(live, (v) => v.VariantName, (v) => v.CurrentWeight, fleet.rr) as VariantState;
    return this.count(fleet, variant, false);
  }

  private count(fleet: Fleet, variant: VariantState, targeted: boolean): { fleet: Fleet; variant: VariantState } {
    fleet.invocations += 1;
    if (targeted) fleet.targetedInvocations += 1;
    if (fleet.share === 0 || variant.CurrentWeight === 0) fleet.preTrafficInvocations += 1;
    return { fleet, variant };
  }

  // ---- Application Auto Scaling's view ----------------------------------------------------

  scalableEndpoints(): ScalableEndpoints {
    return {
      variant: (endpointName, variantName): ScalableVariant | undefined => {
        const ep = this.endpoints.get(lc(endpointName));
        const v = ep ? this.variants(ep).find((x) => x.VariantName === variantName) : undefined;
        if (!ep || !v) return undefined;
        return {
          endpointName: ep.name,
          variantName: v.VariantName,
          endpointStatus: ep.status,
          instanceType: v.instanceType,
          currentInstanceCount: v.CurrentInstanceCount,
          desiredInstanceCount: v.DesiredInstanceCount,
          serverless: v.serverless !== undefined,
        };
      },
      setDesiredInstanceCount: (endpointName, variantName, count) => {
        const ep = this.endpoints.get(lc(endpointName));
        if (!ep || ep.status !== 'InService' || !this.variants(ep).some((v) => v.VariantName === variantName)) return false;
        this.applyWeights(ep, [{ variantName, count }]);
        return true;
      },
    };
  }
}

/** nginx's smooth weighted round-robin over items with positive weights. */
function smoothPick<T>(items: T[], key: (t: T) => string, weight: (t: T) => number, state: Map<string, number>): T | undefined {
  const total = items.reduce((a, t) => a + weight(t), 0);
  let best: T | undefined;
  let bestScore = -Infinity;
  for (const t of items) {
    const score = (state.get(key(t)) ?? 0) + weight(t);
    state.set(key(t), score);
    if (score > bestScore) {
      best = t;
      bestScore = score;
    }
  }
  if (best !== undefined) state.set(key(best), bestScore - total);
  return best;
}
