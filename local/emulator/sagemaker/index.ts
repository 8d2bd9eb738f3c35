/**
 * Amazon SageMaker control plane, one module per resource:
 * models.ts (models and the Model Registry), configs.ts (endpoint configs), endpoints.ts
 * (endpoints on fleets), fleets.ts (fleets and the cost meter), deployments.ts (how traffic moves
 * from one fleet to the next: guardrails, rolling, auto-rollback), inference-components.ts and
 * inference-component-rollouts.ts (models deployed as copies onto an endpoint's instances), and tags here.
 * API reference: https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_Operations_Amazon_SageMaker_Service.html
 */
import { ServiceError } from '../errors';
import type { ScalableEndpoints, ScalingRegistry } from '../ports';
import { clone, compact } from '../util';
import { EndpointConfigs } from './configs';
import { arr, lc, type Obj, SageMakerContext, type SageMakerOptions, type Tag } from './context';
import { type EndpointRec, Endpoints } from './endpoints';
import type { Hazard } from './hazards';
import { InferenceComponents, type Routed } from './inference-components';
import { ModelsAndRegistry } from './models';

export type { SageMakerOptions, Tag } from './context';
export type { EndpointRec } from './endpoints';
export type { Fleet, VariantState } from './fleets';
export type { Hazard } from './hazards';
export type { Routed } from './inference-components';

export class SageMakerService {
  private readonly c: SageMakerContext;
  readonly registry: ModelsAndRegistry;
  readonly configs: EndpointConfigs;
  readonly endpoints: Endpoints;
  readonly components: InferenceComponents;

  constructor(o: SageMakerOptions) {
    this.c = new SageMakerContext(o);
    this.registry = new ModelsAndRegistry(this.c, (name) => [...this.endpoints.modelUsers(name), ...this.components.modelUsers(name)]);
    this.endpoints = new Endpoints(this.c, this.registry, () => this.configs);
    this.configs = new EndpointConfigs(this.c, this.registry, (name) => this.endpoints.configUsers(name));
    this.components = new InferenceComponents(this.c, this.registry, this.endpoints);
  }

  /** Application Auto Scaling's view of the endpoints. */
  scalableEndpoints(): ScalableEndpoints {
    return this.endpoints.scalableEndpoints();
  }
  /** Wires Application Auto Scaling in: UpdateEndpoint and DeleteEndpoint consult it. */
  setScalingRegistry(registry: ScalingRegistry): void {
    this.c.scaling = registry;
  }

  handle(operation: string, input: Obj): Obj {
    const r = this.registry;
    const e = this.endpoints;
    const ic = this.components;
    switch (operation) {
      case 'CreateModel': return r.createModel(input);
      case 'DescribeModel': return r.describeModel(input);
      case 'DeleteModel': return r.deleteModel(input);
      case 'ListModels': return r.listModels(input);
      case 'CreateEndpointConfig': return this.configs.createEndpointConfig(input);
      case 'DescribeEndpointConfig': return this.configs.describeEndpointConfig(input);
      case 'DeleteEndpointConfig': return this.configs.deleteEndpointConfig(input);
      case 'ListEndpointConfigs': return this.configs.listEndpointConfigs(input);
      case 'CreateEndpoint': return e.createEndpoint(input);
      case 'DescribeEndpoint': return e.describeEndpoint(input);
      case 'UpdateEndpoint': return e.updateEndpoint(input);
      case 'UpdateEndpointWeightsAndCapacities': return e.updateWeights(input);
      case 'DeleteEndpoint':
        ic.checkEndpointDeletable(input.EndpointName as string);
        return e.deleteEndpoint(input);
      case 'ListEndpoints': return e.listEndpoints(input);
      case 'CreateModelPackageGroup': return r.createGroup(input);
      case 'DescribeModelPackageGroup': return r.describeGroup(input);
      case 'ListModelPackageGroups': return r.listGroups(input);
      case 'CreateModelPackage': return r.createPackage(input);
      case 'DescribeModelPackage': return r.describePackage(input);
      case 'ListModelPackages': return r.listPackages(input);
      case 'UpdateModelPackage': return r.updatePackage(input);
      case 'CreateInferenceComponent': return ic.createInferenceComponent(input);
      case 'DescribeInferenceComponent': return ic.describeInferenceComponent(input);
      case 'UpdateInferenceComponent': return ic.updateInferenceComponent(input);
      case 'UpdateInferenceComponentRuntimeConfig': return ic.updateInferenceComponentRuntimeConfig(input);
      case 'DeleteInferenceComponent': return ic.deleteInferenceComponent(input);
      case 'ListInferenceComponents': return ic.listInferenceComponents(input);
      case 'AddTags': return this.addTags(input);
      case 'ListTags': return this.listTags(input);
      case 'DeleteTags': return this.deleteTags(input);
      default:
        throw new ServiceError('UnknownOperationException', `Operation ${operation} is not supported by the local emulator.`);
    }
  }

  /** Endpoint for InvokeEndpoint: exact, case-sensitive name and a serving state. */
  findServingEndpoint(name: string): EndpointRec | undefined {
    return this.endpoints.findServingEndpoint(name);
  }

  /** Where one InvokeEndpoint goes: a copy of the named inference component, or a production variant. */
  route(ep: EndpointRec, targetVariant?: string, inferenceComponentName?: string): Routed {
    return this.components.route(ep, inferenceComponentName) ?? this.endpoints.route(ep, targetVariant);
  }

  /** The cost meter (`GET /_emulator/meter`). */
  meter(): { endpoints: Record<string, Obj> } {
    return clone(this.endpoints.meter.view());
  }

  /** Deletions of configs and models an endpoint was using (`GET /_emulator/hazards`; hazards.ts). */
  hazards(): Hazard[] {
    return this.c.hazards.view();
  }

  private taggable(arn: string): { tags: Tag[] } {
    const m = /^arn:aws[a-z-]*:sagemaker:([a-z0-9-]*):(\d{12}):([a-z-]+)\/(.+)$/.exec(arn);
    const type = m?.[3];
    const id = lc(m?.[4] ?? '');
    let rec: { tags: Tag[] } | undefined;
    if (m && m[1] === this.c.o.region && m[2] === this.c.o.accountId) {
      if (type === 'model') rec = this.registry.models.get(id);
      else if (type === 'endpoint-config') rec = this.configs.configs.get(id);
      else if (type === 'endpoint') rec = this.endpoints.endpoints.get(id);
      else if (type === 'model-package-group') rec = this.registry.groups.get(id);
      else if (type === 'model-package') rec = this.registry.packages.get(id);
      else if (type === 'inference-component') rec = this.components.components.get(id);
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
    const { page, nextToken } = this.c.page(rec.tags, input, 50);
    return compact({ Tags: clone(page), NextToken: nextToken });
  }

  private deleteTags(input: Obj): Obj {
    const rec = this.taggable(input.ResourceArn as string);
    const keys = new Set((input.TagKeys as string[] | undefined) ?? []);
    rec.tags = rec.tags.filter((t) => !keys.has(t.Key));
    return {};
  }

  snapshot(): {
    models: Record<string, Obj>;
    endpointConfigs: Record<string, Obj>;
    endpoints: Record<string, Obj>;
    modelPackageGroups: Record<string, Obj>;
    modelPackages: Record<string, Obj>;
    inferenceComponents: Record<string, Obj>;
  } {
    const by = <T>(m: Map<string, T>, key: (t: T) => string, view: (t: T) => Obj, tags?: (t: T) => Tag[]): Record<string, Obj> =>
      Object.fromEntries([...m.values()].map((t) => [key(t), { ...view(t), ...(tags ? { Tags: clone(tags(t)) } : {}) }]));
    const r = this.registry;
    return {
      models: by(r.models, (m) => m.name, (m) => r.modelView(m), (m) => m.tags),
      endpointConfigs: by(this.configs.configs, (c) => c.name, (c) => this.configs.configView(c), (c) => c.tags),
      endpoints: by(this.endpoints.endpoints, (e) => e.name, (e) => this.endpoints.endpointView(e), (e) => e.tags),
      modelPackageGroups: by(r.groups, (g) => g.name, (g) => r.describeGroup({ ModelPackageGroupName: g.name }), (g) => g.tags),
      modelPackages: by(r.packages, (p) => p.arn, (p) => r.packageView(p), (p) => p.tags),
      inferenceComponents: by(this.components.components, (x) => x.name, (x) => this.components.view(x), (x) => x.tags),
    };
  }
}
