/**
 * Amazon SageMaker control plane (models, endpoint configs, endpoints, model
 * registry, tags), following the SageMaker API reference:
 * https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_Operations_Amazon_SageMaker_Service.html
 *
 * Behaviour notes, each from the API reference or observed service behaviour:
 * - Names are case-insensitive for uniqueness and ARNs are lower-cased; InvokeEndpoint
 *   needs the name's original case (CreateEndpoint: "The name is case-insensitive in
 *   CreateEndpoint, but the case is preserved and must be matched in InvokeEndpoint").
 * - Missing resources are `ValidationException`s with messages like
 *   `Could not find endpoint "arn:aws:sagemaker:us-west-2:111122223333:endpoint/x".`
 *   (seen in aws/amazon-sagemaker-examples#2402), and creating an existing one is
 *   `Cannot create already existing endpoint "arn:...".`
 * - A failed UpdateEndpoint leaves the endpoint InService on its previous config with
 *   FailureReason set: DescribeEndpoint FailureReason = "If the status of the endpoint is
 *   Failed, or the status is InService but update operation fails, this provides the reason
 *   why it failed." (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeEndpoint.html).
 *   A new update clears it.
 * - While an update runs, DescribeEndpoint keeps reporting the current config and variants
 *   and shows the target in PendingDeploymentSummary.
 * - DeleteEndpointConfig: "You must not delete an EndpointConfig that is in use by an
 *   endpoint that is live or while the UpdateEndpoint or CreateEndpoint operations are being
 *   performed on the endpoint." The emulator enforces this with a ValidationException
 *   (the real service only warns in the docs), so code that would do it is caught locally.
 * - Model package state changes are sent to EventBridge as "SageMaker Model Package State
 *   Change" (https://docs.aws.amazon.com/sagemaker/latest/dg/automating-sagemaker-with-eventbridge.html).
 */
import { createHash } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import { ServiceError, validation } from './errors';
import { emitBridgeEvent, eventTime } from './events';
import type { DeployedModel, Faults } from './faults';
import type { Timers } from './timers';
import { clone, compact, epochSeconds, paginate, queryKey, toMs } from './util';

type Obj = Record<string, unknown>;
export interface Tag {
  Key: string;
  Value: string;
}

interface ModelRec {
  name: string;
  arn: string;
  created: number;
  input: Obj;
  tags: Tag[];
}
interface ConfigRec {
  name: string;
  arn: string;
  created: number;
  input: Obj;
  tags: Tag[];
}
/** A production variant as deployed on an endpoint. */
export interface VariantState {
  VariantName: string;
  modelName: string;
  modelPackageArn?: string;
  modelPackageVersion?: number;
  image: string;
  CurrentWeight: number;
  DesiredWeight: number;
  CurrentInstanceCount?: number;
  DesiredInstanceCount?: number;
  serverless?: Obj;
  deployedAt: number;
}
interface Pending {
  kind: 'create' | 'update' | 'weights';
  configName: string;
  variants: VariantState[];
  startedAt: number;
  outcome: { type: 'success' } | { type: 'fail'; reason: string } | { type: 'silentRollback' };
  timer?: NodeJS.Timeout;
}
export interface EndpointRec {
  name: string;
  arn: string;
  configName: string;
  status: string;
  failureReason?: string;
  created: number;
  modified: number;
  variants: VariantState[];
  pending?: Pending;
  deleteTimer?: NodeJS.Timeout;
  tags: Tag[];
  /** Smooth weighted round-robin state per variant. */
  rr: Map<string, number>;
  lastDeploymentConfig?: Obj;
}
interface GroupRec {
  name: string;
  arn: string;
  created: number;
  description?: string;
  tags: Tag[];
}
interface PackageRec {
  arn: string;
  key: string;
  groupName?: string;
  version?: number;
  name: string;
  created: number;
  modified: number;
  data: Obj;
  tags: Tag[];
}

export interface SageMakerOptions {
  accountId: string;
  region: string;
  provisioningMs: number;
  /** Real ms a weights-only UpdateEndpointWeightsAndCapacities stays Updating (nothing is provisioned). */
  weightsUpdateMs: number;
  faults: Faults;
  events: EventEmitter;
  timers: Timers;
}

const lc = (s: string): string => s.toLowerCase();
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
const arr = (v: unknown): Obj[] => (Array.isArray(v) ? (v as Obj[]) : []);

/** Invocable endpoint states: traffic keeps flowing while an endpoint is being updated. */
const SERVING = new Set(['InService', 'Updating', 'SystemUpdating', 'RollingBack']);

export class SageMakerService {
  readonly models = new Map<string, ModelRec>();
  readonly configs = new Map<string, ConfigRec>();
  readonly endpoints = new Map<string, EndpointRec>();
  readonly groups = new Map<string, GroupRec>();
  readonly packages = new Map<string, PackageRec>();
  private seq = 0;
  private readonly order = new WeakMap<object, number>();

  constructor(private readonly o: SageMakerOptions) {}

  private arn(type: string, name: string): string {
    return `arn:aws:sagemaker:${this.o.region}:${this.o.accountId}:${type}/${lc(name)}`;
  }
  private track<T extends object>(rec: T): T {
    this.order.set(rec, ++this.seq);
    return rec;
  }
  private ord(rec: object): number {
    return this.order.get(rec) ?? 0;
  }

  handle(operation: string, input: Obj): Obj {
    switch (operation) {
      case 'CreateModel': return this.createModel(input);
      case 'DescribeModel': return this.describeModel(input);
      case 'DeleteModel': return this.deleteModel(input);
      case 'ListModels': return this.listModels(input);
      case 'CreateEndpointConfig': return this.createEndpointConfig(input);
      case 'DescribeEndpointConfig': return this.describeEndpointConfig(input);
      case 'DeleteEndpointConfig': return this.deleteEndpointConfig(input);
      case 'ListEndpointConfigs': return this.listEndpointConfigs(input);
      case 'CreateEndpoint': return this.createEndpoint(input);
      case 'DescribeEndpoint': return this.describeEndpoint(input);
      case 'UpdateEndpoint': return this.updateEndpoint(input);
      case 'UpdateEndpointWeightsAndCapacities': return this.updateWeights(input);
      case 'DeleteEndpoint': return this.deleteEndpoint(input);
      case 'ListEndpoints': return this.listEndpoints(input);
      case 'CreateModelPackageGroup': return this.createGroup(input);
      case 'DescribeModelPackageGroup': return this.describeGroup(input);
      case 'ListModelPackageGroups': return this.listGroups(input);
      case 'CreateModelPackage': return this.createPackage(input);
      case 'DescribeModelPackage': return this.describePackage(input);
      case 'ListModelPackages': return this.listPackages(input);
      case 'UpdateModelPackage': return this.updatePackage(input);
      case 'AddTags': return this.addTags(input);
      case 'ListTags': return this.listTags(input);
      case 'DeleteTags': return this.deleteTags(input);
      default:
        throw new ServiceError('UnknownOperationException', `Operation ${operation} is not supported by the local emulator.`);
    }
  }

  // ---- models ----------------------------------------------------------------

  private createModel(input: Obj): Obj {
    const name = input.ModelName as string;
    const arn = this.arn('model', name);
    if (this.models.has(lc(name))) throw validation(`Cannot create already existing model "${arn}".`);
    const containers: Obj[] = [];
    if (input.PrimaryContainer) containers.push(input.PrimaryContainer as Obj);
    containers.push(...arr(input.Containers));
    if (containers.length === 0) {
      throw validation('Either PrimaryContainer or Containers must be specified.');
    }
    if (input.PrimaryContainer && input.Containers) {
      throw validation('PrimaryContainer and Containers cannot both be specified.');
    }
    for (const c of containers) {
      const pkg = str(c.ModelPackageName);
      if (pkg !== undefined) this.resolvePackage(pkg);
      else if (str(c.Image) === undefined && c.InferenceSpecificationName === undefined) {
        throw validation('Container must specify either Image or ModelPackageName.');
      }
    }
    const { Tags, ModelName: _n, ...rest } = input;
    void _n;
    this.models.set(lc(name), this.track({ name, arn, created: Date.now(), input: clone(rest), tags: clone(arr(Tags)) as unknown as Tag[] }));
    return { ModelArn: arn };
  }

  private getModel(name: string): ModelRec {
    const m = this.models.get(lc(name));
    if (!m) throw validation(`Could not find model "${this.arn('model', name)}".`);
    return m;
  }

  private describeModel(input: Obj): Obj {
    const m = this.getModel(input.ModelName as string);
    return this.modelView(m);
  }

  private modelView(m: ModelRec): Obj {
    return compact({
      ModelName: m.name,
      ...clone(m.input),
      EnableNetworkIsolation: (m.input.EnableNetworkIsolation as boolean | undefined) ?? false,
      CreationTime: epochSeconds(m.created),
      ModelArn: m.arn,
    });
  }

  private deleteModel(input: Obj): Obj {
    const m = this.getModel(input.ModelName as string);
    // Deleting a model does not affect endpoints already running it (the model is deployed).
    this.models.delete(lc(m.name));
    return {};
  }

  private listModels(input: Obj): Obj {
    const items = this.filterCommon([...this.models.values()], input, (m) => m.name, (m) => m.created);
    const sorted = this.sort(items, str(input.SortBy) ?? 'CreationTime', str(input.SortOrder) ?? 'Descending', {
      Name: (m) => m.name,
      CreationTime: (m) => m.created,
    });
    const { page, nextToken } = this.page(sorted, input, 10);
    return compact({
      Models: page.map((m) => ({ ModelName: m.name, ModelArn: m.arn, CreationTime: epochSeconds(m.created) })),
      NextToken: nextToken,
    });
  }

  /** Image, and model package if any, of a model's first container. */
  private modelDeployInfo(m: ModelRec): { image: string; packageArn?: string; packageVersion?: number } {
    const first = (m.input.PrimaryContainer as Obj | undefined) ?? arr(m.input.Containers)[0] ?? {};
    const pkgName = str(first.ModelPackageName);
    if (pkgName !== undefined) {
      const pkg = this.packages.get(this.packageKey(pkgName));
      const spec = (pkg?.data.InferenceSpecification as Obj | undefined) ?? {};
      const image = str(arr(spec.Containers)[0]?.Image) ?? 'unknown';
      return { image, packageArn: pkg?.arn ?? pkgName, packageVersion: pkg?.version };
    }
    return { image: str(first.Image) ?? 'unknown' };
  }

  // ---- endpoint configs ----------------------------------------------------------

  private createEndpointConfig(input: Obj): Obj {
    const name = input.EndpointConfigName as string;
    const arn = this.arn('endpoint-config', name);
    if (this.configs.has(lc(name))) throw validation(`Cannot create already existing endpoint configuration "${arn}".`);
    const variants = arr(input.ProductionVariants);
    const seen = new Set<string>();
    for (const v of [...variants, ...arr(input.ShadowProductionVariants)]) {
      const vn = v.VariantName as string;
      if (seen.has(vn)) throw validation(`Duplicate variant name "${vn}" in endpoint configuration.`);
      seen.add(vn);
      const model = str(v.ModelName);
      if (model !== undefined) this.getModel(model);
      if (v.ServerlessConfig === undefined && (v.InstanceType === undefined || v.InitialInstanceCount === undefined) && v.InstancePools === undefined) {
        throw validation(`Production variant "${vn}" must specify either InstanceType and InitialInstanceCount, or ServerlessConfig.`);
      }
      if (v.ServerlessConfig !== undefined && (v.InstanceType !== undefined || v.InitialInstanceCount !== undefined)) {
        throw validation(`Production variant "${vn}" cannot specify both ServerlessConfig and InstanceType/InitialInstanceCount.`);
      }
    }
    const { Tags, EndpointConfigName: _n, ...rest } = input;
    void _n;
    const stored = clone(rest);
    stored.ProductionVariants = arr(stored.ProductionVariants).map((v) => ({ ...v, InitialVariantWeight: num(v.InitialVariantWeight) ?? 1 }));
    this.configs.set(lc(name), this.track({ name, arn, created: Date.now(), input: stored, tags: clone(arr(Tags)) as unknown as Tag[] }));
    return { EndpointConfigArn: arn };
  }

  private getConfig(name: string): ConfigRec {
    const c = this.configs.get(lc(name));
    if (!c) throw validation(`Could not find endpoint configuration "${this.arn('endpoint-config', name)}".`);
    return c;
  }

  private describeEndpointConfig(input: Obj): Obj {
    const c = this.getConfig(input.EndpointConfigName as string);
    return this.configView(c);
  }

  private configView(c: ConfigRec): Obj {
    return compact({
      EndpointConfigName: c.name,
      EndpointConfigArn: c.arn,
      ...clone(c.input),
      CreationTime: epochSeconds(c.created),
    });
  }

  private deleteEndpointConfig(input: Obj): Obj {
    const c = this.getConfig(input.EndpointConfigName as string);
    for (const ep of this.endpoints.values()) {
      const current = lc(ep.configName) === lc(c.name) && (SERVING.has(ep.status) || ep.status === 'Creating');
      const target = ep.pending !== undefined && ep.pending.kind !== 'weights' && lc(ep.pending.configName) === lc(c.name);
      const inUse = current || target;
      if (inUse) {
        throw validation(
          `Cannot delete endpoint configuration "${c.arn}" because it is in use by endpoint "${ep.arn}" (status ${ep.status}).`,
        );
      }
    }
    this.configs.delete(lc(c.name));
    return {};
  }

  private listEndpointConfigs(input: Obj): Obj {
    const items = this.filterCommon([...this.configs.values()], input, (c) => c.name, (c) => c.created);
    const sorted = this.sort(items, str(input.SortBy) ?? 'CreationTime', str(input.SortOrder) ?? 'Descending', {
      Name: (c) => c.name,
      CreationTime: (c) => c.created,
    });
    const { page, nextToken } = this.page(sorted, input, 10);
    return compact({
      EndpointConfigs: page.map((c) => ({ EndpointConfigName: c.name, EndpointConfigArn: c.arn, CreationTime: epochSeconds(c.created) })),
      NextToken: nextToken,
    });
  }

  // ---- endpoints ---------------------------------------------------------------

  private buildVariants(cfg: ConfigRec, retain?: { from: VariantState[]; exclude: Set<string> }): VariantState[] {
    const now = Date.now();
    return arr(cfg.input.ProductionVariants).map((pv) => {
      const vn = pv.VariantName as string;
      const modelName = str(pv.ModelName);
      if (modelName === undefined) throw validation(`Production variant "${vn}" has no ModelName.`);
      const model = this.getModel(modelName);
      const info = this.modelDeployInfo(model);
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
        modelName: model.name,
        modelPackageArn: info.packageArn,
        modelPackageVersion: info.packageVersion,
        image: info.image,
        CurrentWeight: weight,
        DesiredWeight: weight,
        CurrentInstanceCount: count,
        DesiredInstanceCount: count,
        serverless: pv.ServerlessConfig ? clone(pv.ServerlessConfig as Obj) : undefined,
        deployedAt: now,
      };
    });
  }

  /** Starts a create/update deployment, deciding its outcome from the faults now. */
  private startDeployment(ep: EndpointRec, kind: 'create' | 'update', configName: string, variants: VariantState[]): void {
    const deployed: DeployedModel[] = variants.map((v) => ({
      variantName: v.VariantName,
      modelName: v.modelName,
      modelPackageVersion: v.modelPackageVersion,
    }));
    const fail = this.o.faults.takeFailFleet(deployed);
    let outcome: Pending['outcome'] = { type: 'success' };
    if (fail) {
      outcome = {
        type: 'fail',
        reason: fail.reason
          ?? `The primary container for production variant ${fail.variantName} did not pass the ping health check. Please check CloudWatch logs for this endpoint.`,
      };
    } else if (kind === 'update' && this.o.faults.takeSilentRollback(ep.name)) {
      outcome = { type: 'silentRollback' };
    }
    const ms = this.o.faults.slowFleetMs(deployed) ?? this.o.provisioningMs;
    const pending: Pending = { kind, configName, variants, startedAt: Date.now(), outcome };
    ep.pending = pending;
    pending.timer = this.o.timers.after(ms, () => this.completeDeployment(ep, pending));
  }

  private completeDeployment(ep: EndpointRec, p: Pending): void {
    if (ep.pending !== p || this.endpoints.get(lc(ep.name)) !== ep) return;
    ep.pending = undefined;
    ep.modified = Date.now();
    if (p.kind === 'weights') {
      for (const v of ep.variants) {
        v.CurrentWeight = v.DesiredWeight;
        v.CurrentInstanceCount = v.DesiredInstanceCount;
      }
      ep.rr.clear();
      ep.status = 'InService';
      return;
    }
    switch (p.outcome.type) {
      case 'success':
        ep.configName = p.configName;
        ep.variants = p.variants;
        ep.rr.clear();
        ep.status = 'InService';
        ep.failureReason = undefined;
        return;
      case 'fail':
        if (p.kind === 'create') {
          ep.status = 'Failed';
          ep.variants = [];
        } else {
          ep.status = 'InService'; // back on the previous config
        }
        ep.failureReason = p.outcome.reason;
        return;
      case 'silentRollback':
        ep.status = 'InService';
        ep.failureReason = undefined;
        return;
    }
  }

  private createEndpoint(input: Obj): Obj {
    const name = input.EndpointName as string;
    const arn = this.arn('endpoint', name);
    if (this.endpoints.has(lc(name))) throw validation(`Cannot create already existing endpoint "${arn}".`);
    const cfg = this.getConfig(input.EndpointConfigName as string);
    const variants = this.buildVariants(cfg);
    const now = Date.now();
    const ep: EndpointRec = this.track({
      name,
      arn,
      configName: cfg.name,
      status: 'Creating',
      created: now,
      modified: now,
      variants: [],
      tags: clone(arr(input.Tags)) as unknown as Tag[],
      rr: new Map(),
      lastDeploymentConfig: input.DeploymentConfig ? clone(input.DeploymentConfig as Obj) : undefined,
    });
    this.endpoints.set(lc(name), ep);
    this.startDeployment(ep, 'create', cfg.name, variants);
    return { EndpointArn: arn };
  }

  /** Endpoint by name (case-insensitive, as the control plane treats names). */
  getEndpoint(name: string): EndpointRec {
    const ep = this.endpoints.get(lc(name));
    if (!ep) throw validation(`Could not find endpoint "${this.arn('endpoint', name)}".`);
    return ep;
  }

  /** Endpoint for InvokeEndpoint: exact, case-sensitive name and a serving state. */
  findServingEndpoint(name: string): EndpointRec | undefined {
    const ep = this.endpoints.get(lc(name));
    return ep && ep.name === name && SERVING.has(ep.status) && ep.variants.length > 0 ? ep : undefined;
  }

  private variantView(v: VariantState, withStatus?: { status: string; since: number }): Obj {
    const digest = createHash('sha256').update(v.image).digest('hex');
    return compact({
      VariantName: v.VariantName,
      DeployedImages: [
        { SpecifiedImage: v.image, ResolvedImage: `${v.image.replace(/[:@].*$/, '')}@sha256:${digest}`, ResolutionTime: epochSeconds(v.deployedAt) },
      ],
      CurrentWeight: v.CurrentWeight,
      DesiredWeight: v.DesiredWeight,
      CurrentInstanceCount: v.serverless ? undefined : v.CurrentInstanceCount,
      DesiredInstanceCount: v.serverless ? undefined : v.DesiredInstanceCount,
      CurrentServerlessConfig: v.serverless ? clone(v.serverless) : undefined,
      DesiredServerlessConfig: v.serverless ? clone(v.serverless) : undefined,
      VariantStatus: withStatus ? [{ Status: withStatus.status, StartTime: epochSeconds(withStatus.since) }] : undefined,
    });
  }

  private describeEndpoint(input: Obj): Obj {
    return this.endpointView(this.getEndpoint(input.EndpointName as string));
  }

  endpointView(ep: EndpointRec): Obj {
    const cfg = this.configs.get(lc(ep.configName));
    const dc = cfg?.input.DataCaptureConfig as Obj | undefined;
    const p = ep.pending;
    return compact({
      EndpointName: ep.name,
      EndpointArn: ep.arn,
      EndpointConfigName: ep.configName,
      ProductionVariants: ep.variants.length > 0 ? ep.variants.map((v) => this.variantView(v)) : undefined,
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
      AsyncInferenceConfig: cfg?.input.AsyncInferenceConfig ? clone(cfg.input.AsyncInferenceConfig) : undefined,
      PendingDeploymentSummary:
        p && p.kind !== 'weights'
          ? {
              EndpointConfigName: p.configName,
              ProductionVariants: p.variants.map((v) => this.variantView(v, { status: 'Creating', since: p.startedAt })),
              StartTime: epochSeconds(p.startedAt),
            }
          : undefined,
    });
  }

  private requireInService(ep: EndpointRec): void {
    if (ep.status === 'InService') return;
    if (ep.status === 'Failed') throw validation(`Cannot update failed endpoint "${ep.arn}".`);
    throw validation(`Cannot update in-progress endpoint "${ep.arn}".`);
  }

  private updateEndpoint(input: Obj): Obj {
    const ep = this.getEndpoint(input.EndpointName as string);
    this.requireInService(ep);
    const cfg = this.getConfig(input.EndpointConfigName as string);
    const exclude = new Set(arr(input.ExcludeRetainedVariantProperties).map((p) => String(p.VariantPropertyType)));
    const variants = this.buildVariants(cfg, input.RetainAllVariantProperties === true ? { from: ep.variants, exclude } : undefined);
    ep.status = 'Updating';
    ep.failureReason = undefined;
    ep.modified = Date.now();
    if (input.DeploymentConfig) ep.lastDeploymentConfig = clone(input.DeploymentConfig as Obj);
    else if (input.RetainDeploymentConfig !== true) ep.lastDeploymentConfig = undefined;
    this.startDeployment(ep, 'update', cfg.name, variants);
    return { EndpointArn: ep.arn };
  }

  private updateWeights(input: Obj): Obj {
    const ep = this.getEndpoint(input.EndpointName as string);
    this.requireInService(ep);
    const desired = arr(input.DesiredWeightsAndCapacities);
    const missing = desired.map((d) => d.VariantName as string).filter((n) => !ep.variants.some((v) => v.VariantName === n));
    if (missing.length > 0) {
      throw validation(`The variant name(s) "${missing.join(', ')}" is/are not present in the endpoint "${ep.arn}".`);
    }
    for (const d of desired) {
      if (d.DesiredWeight === undefined && d.DesiredInstanceCount === undefined && d.ServerlessUpdateConfig === undefined) {
        throw validation(`Either DesiredWeight or DesiredInstanceCount must be specified for variant "${String(d.VariantName)}".`);
      }
      const v = ep.variants.find((x) => x.VariantName === d.VariantName);
      if (v?.serverless && d.DesiredInstanceCount !== undefined) {
        throw validation(`DesiredInstanceCount cannot be specified for serverless variant "${v.VariantName}".`);
      }
    }
    for (const d of desired) {
      const v = ep.variants.find((x) => x.VariantName === d.VariantName) as VariantState;
      if (typeof d.DesiredWeight === 'number') v.DesiredWeight = d.DesiredWeight;
      if (typeof d.DesiredInstanceCount === 'number') v.DesiredInstanceCount = d.DesiredInstanceCount;
    }
    ep.status = 'Updating';
    ep.failureReason = undefined;
    ep.modified = Date.now();
    const pending: Pending = { kind: 'weights', configName: ep.configName, variants: [], startedAt: Date.now(), outcome: { type: 'success' } };
    ep.pending = pending;
    // New instances take a fleet's provisioning time; a weights-only change is applied quickly.
    const capacityChange = desired.some((d) => typeof d.DesiredInstanceCount === 'number');
    pending.timer = this.o.timers.after(capacityChange ? this.o.provisioningMs : this.o.weightsUpdateMs, () => this.completeDeployment(ep, pending));
    return { EndpointArn: ep.arn };
  }

  private deleteEndpoint(input: Obj): Obj {
    const ep = this.getEndpoint(input.EndpointName as string);
    if (ep.status === 'Deleting') throw validation(`Cannot delete endpoint "${ep.arn}" because it is already being deleted.`);
    this.o.timers.cancel(ep.pending?.timer);
    ep.pending = undefined;
    ep.status = 'Deleting';
    ep.modified = Date.now();
    ep.deleteTimer = this.o.timers.after(this.o.provisioningMs, () => {
      if (this.endpoints.get(lc(ep.name)) === ep) this.endpoints.delete(lc(ep.name));
    });
    return {};
  }

  private listEndpoints(input: Obj): Obj {
    let items = this.filterCommon([...this.endpoints.values()], input, (e) => e.name, (e) => e.created, (e) => e.modified);
    const status = str(input.StatusEquals);
    if (status !== undefined) items = items.filter((e) => e.status === status);
    const sorted = this.sort(items, str(input.SortBy) ?? 'CreationTime', str(input.SortOrder) ?? 'Descending', {
      Name: (e) => e.name,
      CreationTime: (e) => e.created,
      Status: (e) => e.status,
    });
    const { page, nextToken } = this.page(sorted, input, 10);
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

  // ---- model registry ---------------------------------------------------------------

  private createGroup(input: Obj): Obj {
    const name = input.ModelPackageGroupName as string;
    const arn = this.arn('model-package-group', name);
    if (this.groups.has(lc(name))) throw validation(`Model Package Group already exists: ${arn}`);
    this.groups.set(
      lc(name),
      this.track({ name, arn, created: Date.now(), description: str(input.ModelPackageGroupDescription), tags: clone(arr(input.Tags)) as unknown as Tag[] }),
    );
    return { ModelPackageGroupArn: arn };
  }

  private groupName(nameOrArn: string): string {
    const m = /:model-package-group\/(.+)$/.exec(nameOrArn);
    return m?.[1] ?? nameOrArn;
  }

  private getGroup(nameOrArn: string): GroupRec {
    const name = this.groupName(nameOrArn);
    const g = this.groups.get(lc(name));
    if (!g) throw validation(`ModelPackageGroup ${this.arn('model-package-group', name)} does not exist.`);
    return g;
  }

  private describeGroup(input: Obj): Obj {
    const g = this.getGroup(input.ModelPackageGroupName as string);
    return compact({
      ModelPackageGroupName: g.name,
      ModelPackageGroupArn: g.arn,
      ModelPackageGroupDescription: g.description,
      CreationTime: epochSeconds(g.created),
      CreatedBy: {},
      ModelPackageGroupStatus: 'Completed',
    });
  }

  private listGroups(input: Obj): Obj {
    const items = this.filterCommon([...this.groups.values()], input, (g) => g.name, (g) => g.created);
    const sorted = this.sort(items, str(input.SortBy) ?? 'CreationTime', str(input.SortOrder) ?? 'Ascending', {
      Name: (g) => g.name,
      CreationTime: (g) => g.created,
    });
    const { page, nextToken } = this.page(sorted, input, 10);
    return compact({
      ModelPackageGroupSummaryList: page.map((g) =>
        compact({
          ModelPackageGroupName: g.name,
          ModelPackageGroupArn: g.arn,
          ModelPackageGroupDescription: g.description,
          CreationTime: epochSeconds(g.created),
          ModelPackageGroupStatus: 'Completed',
        }),
      ),
      NextToken: nextToken,
    });
  }

  /** Map key of a model package from an ARN, `group/version` or an unversioned name. */
  private packageKey(ref: string): string {
    const m = /^arn:aws[a-z-]*:sagemaker:([a-z0-9-]*):(\d{12}):model-package\/(.+)$/.exec(ref);
    if (m) {
      if (m[1] !== this.o.region) throw validation(`ARN should be scoped to correct region: ${this.o.region}`);
      return lc(m[3] ?? '');
    }
    return lc(ref);
  }

  private resolvePackage(ref: string): PackageRec {
    const p = this.packages.get(this.packageKey(ref));
    if (!p) {
      const arn = ref.startsWith('arn:') ? ref : this.arn('model-package', ref);
      throw validation(`Model Package ${arn} does not exist.`);
    }
    return p;
  }

  private createPackage(input: Obj): Obj {
    const groupRef = str(input.ModelPackageGroupName);
    const name = str(input.ModelPackageName);
    if ((groupRef === undefined) === (name === undefined)) {
      throw validation('Exactly one of ModelPackageGroupName or ModelPackageName must be specified.');
    }
    const now = Date.now();
    const { Tags, ModelPackageGroupName: _g, ModelPackageName: _n, ClientToken: _c, ...rest } = input;
    void _g;
    void _n;
    void _c;
    let rec: PackageRec;
    if (groupRef !== undefined) {
      const g = this.getGroup(groupRef);
      const version = [...this.packages.values()].filter((p) => p.groupName !== undefined && lc(p.groupName) === lc(g.name)).length + 1;
      const key = `${lc(g.name)}/${version}`;
      rec = {
        arn: `arn:aws:sagemaker:${this.o.region}:${this.o.accountId}:model-package/${key}`,
        key,
        groupName: g.name,
        version,
        name: g.name,
        created: now,
        modified: now,
        data: { ...clone(rest), ModelApprovalStatus: str(rest.ModelApprovalStatus) ?? 'PendingManualApproval' },
        tags: clone(arr(Tags)) as unknown as Tag[],
      };
    } else {
      const key = lc(name as string);
      const arn = this.arn('model-package', name as string);
      if (this.packages.has(key)) throw new ServiceError('ConflictException', `Model Package ${arn} already exists.`);
      rec = { arn, key, name: name as string, created: now, modified: now, data: clone(rest), tags: clone(arr(Tags)) as unknown as Tag[] };
    }
    this.packages.set(rec.key, this.track(rec));
    this.emitPackageEvent(rec);
    return { ModelPackageArn: rec.arn };
  }

  private packageView(p: PackageRec): Obj {
    return compact({
      ModelPackageName: p.name,
      ModelPackageGroupName: p.groupName,
      ModelPackageVersion: p.version,
      ModelPackageArn: p.arn,
      ...clone(p.data),
      CreationTime: epochSeconds(p.created),
      ModelPackageStatus: 'Completed',
      ModelPackageStatusDetails: { ValidationStatuses: [], ImageScanStatuses: [] },
      CertifyForMarketplace: (p.data.CertifyForMarketplace as boolean | undefined) ?? false,
      LastModifiedTime: epochSeconds(p.modified),
    });
  }

  private describePackage(input: Obj): Obj {
    return this.packageView(this.resolvePackage(input.ModelPackageName as string));
  }

  private listPackages(input: Obj): Obj {
    let items = this.filterCommon([...this.packages.values()], input, (p) => p.name, (p) => p.created);
    const groupRef = str(input.ModelPackageGroupName);
    if (groupRef !== undefined) {
      const g = this.groupName(groupRef);
      items = items.filter((p) => p.groupName !== undefined && lc(p.groupName) === lc(g));
    }
    const type = str(input.ModelPackageType) ?? (groupRef !== undefined ? 'Versioned' : 'Unversioned');
    if (type === 'Versioned') items = items.filter((p) => p.version !== undefined);
    if (type === 'Unversioned') items = items.filter((p) => p.version === undefined);
    const approval = str(input.ModelApprovalStatus);
    if (approval !== undefined) items = items.filter((p) => p.data.ModelApprovalStatus === approval);
    const sorted = this.sort(items, str(input.SortBy) ?? 'CreationTime', str(input.SortOrder) ?? 'Ascending', {
      Name: (p) => p.name,
      CreationTime: (p) => p.created,
    });
    const { page, nextToken } = this.page(sorted, input, 10);
    return compact({
      ModelPackageSummaryList: page.map((p) =>
        compact({
          ModelPackageName: p.name,
          ModelPackageGroupName: p.groupName,
          ModelPackageVersion: p.version,
          ModelPackageArn: p.arn,
          ModelPackageDescription: p.data.ModelPackageDescription,
          CreationTime: epochSeconds(p.created),
          ModelPackageStatus: 'Completed',
          ModelApprovalStatus: p.data.ModelApprovalStatus,
        }),
      ),
      NextToken: nextToken,
    });
  }

  private updatePackage(input: Obj): Obj {
    const p = this.resolvePackage(input.ModelPackageArn as string);
    const d = p.data;
    if (input.ModelApprovalStatus !== undefined) {
      if (p.version === undefined) throw validation('ModelApprovalStatus can only be updated for versioned model packages.');
      d.ModelApprovalStatus = input.ModelApprovalStatus;
    }
    for (const k of ['ApprovalDescription', 'SourceUri', 'ModelCard', 'ModelLifeCycle', 'InferenceSpecification'] as const) {
      if (input[k] !== undefined) d[k] = clone(input[k]);
    }
    if (input.CustomerMetadataProperties !== undefined || input.CustomerMetadataPropertiesToRemove !== undefined) {
      const props: Obj = { ...((d.CustomerMetadataProperties as Obj | undefined) ?? {}), ...((input.CustomerMetadataProperties as Obj | undefined) ?? {}) };
      for (const k of (input.CustomerMetadataPropertiesToRemove as string[] | undefined) ?? []) delete props[k];
      d.CustomerMetadataProperties = props;
    }
    if (input.AdditionalInferenceSpecificationsToAdd !== undefined) {
      d.AdditionalInferenceSpecifications = [...arr(d.AdditionalInferenceSpecifications), ...arr(clone(input.AdditionalInferenceSpecificationsToAdd))];
    }
    p.modified = Date.now();
    d.LastModifiedBy = {};
    this.emitPackageEvent(p);
    return { ModelPackageArn: p.arn };
  }

  /** "SageMaker Model Package State Change", keys as in the documented sample event. */
  private emitPackageEvent(p: PackageRec): void {
    const d = p.data;
    emitBridgeEvent(this.o.events, {
      detailType: 'SageMaker Model Package State Change',
      source: 'aws.sagemaker',
      account: this.o.accountId,
      region: this.o.region,
      resources: [p.arn],
      detail: compact({
        ModelPackageGroupName: p.groupName,
        ModelPackageName: p.groupName === undefined ? p.name : undefined,
        ModelPackageVersion: p.version,
        ModelPackageArn: p.arn,
        ModelPackageDescription: d.ModelPackageDescription,
        CreationTime: eventTime(p.created),
        InferenceSpecification: d.InferenceSpecification ? clone(d.InferenceSpecification) : undefined,
        ModelPackageStatus: 'Completed',
        ModelPackageStatusDetails: { ValidationStatuses: [], ImageScanStatuses: [] },
        CertifyForMarketplace: (d.CertifyForMarketplace as boolean | undefined) ?? false,
        ModelApprovalStatus: d.ModelApprovalStatus,
        ApprovalDescription: d.ApprovalDescription,
        MetadataProperties: d.MetadataProperties ? clone(d.MetadataProperties) : undefined,
        ModelMetrics: d.ModelMetrics ? clone(d.ModelMetrics) : undefined,
        CustomerMetadataProperties: d.CustomerMetadataProperties ? clone(d.CustomerMetadataProperties) : undefined,
        LastModifiedTime: eventTime(p.modified),
      }),
    });
  }

  // ---- tags --------------------------------------------------------------------------

  private taggable(arn: string): { tags: Tag[] } {
    const m = /^arn:aws[a-z-]*:sagemaker:([a-z0-9-]*):(\d{12}):([a-z-]+)\/(.+)$/.exec(arn);
    const type = m?.[3];
    const id = lc(m?.[4] ?? '');
    let rec: { tags: Tag[] } | undefined;
    if (m && m[1] === this.o.region && m[2] === this.o.accountId) {
      if (type === 'model') rec = this.models.get(id);
      else if (type === 'endpoint-config') rec = this.configs.get(id);
      else if (type === 'endpoint') rec = this.endpoints.get(id);
      else if (type === 'model-package-group') rec = this.groups.get(id);
      else if (type === 'model-package') rec = this.packages.get(id);
    }
    if (!rec) throw new ServiceError('ResourceNotFound', `Resource ${arn} does not exist.`);
    return rec;
  }

  private addTags(input: Obj): Obj {
    const rec = this.taggable(input.ResourceArn as string);
    const add = arr(input.Tags) as unknown as Tag[];
    for (const t of add) {
      const existing = rec.tags.find((x) => x.Key === t.Key);
      if (existing) existing.Value = t.Value;
      else rec.tags.push({ Key: t.Key, Value: t.Value });
    }
    if (rec.tags.length > 50) throw new ServiceError('ResourceLimitExceeded', 'A resource can have at most 50 tags.');
    return { Tags: clone(add) };
  }

  private listTags(input: Obj): Obj {
    const rec = this.taggable(input.ResourceArn as string);
    const { page, nextToken } = this.page(rec.tags, input, 50);
    return compact({ Tags: clone(page), NextToken: nextToken });
  }

  private deleteTags(input: Obj): Obj {
    const rec = this.taggable(input.ResourceArn as string);
    const keys = new Set((input.TagKeys as string[] | undefined) ?? []);
    rec.tags = rec.tags.filter((t) => !keys.has(t.Key));
    return {};
  }

  // ---- list helpers ---------------------------------------------------------------

  private filterCommon<T>(items: T[], input: Obj, name: (t: T) => string, created: (t: T) => number, modified?: (t: T) => number): T[] {
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

  private sort<T extends object>(items: T[], by: string, order: string, keys: Record<string, (t: T) => string | number>): T[] {
    const key = keys[by] ?? keys.CreationTime;
    const dir = order === 'Ascending' ? 1 : -1;
    return [...items].sort((a, b) => {
      const ka = key ? key(a) : 0;
      const kb = key ? key(b) : 0;
      const c = ka < kb ? -1 : ka > kb ? 1 : this.ord(a) - this.ord(b);
      return c * dir;
    });
  }

  private page<T>(items: T[], input: Obj, defaultMax: number): { page: T[]; nextToken?: string } {
    return paginate(items, num(input.MaxResults) ?? defaultMax, input.NextToken, queryKey(input), () =>
      validation('Invalid pagination token: the NextToken does not belong to this request.'),
    );
  }

  // ---- snapshot ----------------------------------------------------------------------

  snapshot(): {
    models: Record<string, Obj>;
    endpointConfigs: Record<string, Obj>;
    endpoints: Record<string, Obj>;
    modelPackageGroups: Record<string, Obj>;
    modelPackages: Record<string, Obj>;
  } {
    const by = <T>(m: Map<string, T>, key: (t: T) => string, view: (t: T) => Obj, tags?: (t: T) => Tag[]): Record<string, Obj> =>
      Object.fromEntries([...m.values()].map((t) => [key(t), { ...view(t), ...(tags ? { Tags: clone(tags(t)) } : {}) }]));
    return {
      models: by(this.models, (m) => m.name, (m) => this.modelView(m), (m) => m.tags),
      endpointConfigs: by(this.configs, (c) => c.name, (c) => this.configView(c), (c) => c.tags),
      endpoints: by(this.endpoints, (e) => e.name, (e) => this.endpointView(e), (e) => e.tags),
      modelPackageGroups: by(this.groups, (g) => g.name, (g) => this.describeGroup({ ModelPackageGroupName: g.name }), (g) => g.tags),
      modelPackages: by(this.packages, (p) => p.arn, (p) => this.packageView(p), (p) => p.tags),
    };
  }
}
