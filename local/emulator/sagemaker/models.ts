/**
 * Models and the Model Registry (model package groups, model packages, their approval
 * state-change events), following the SageMaker API reference:
 * https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_Operations_Amazon_SageMaker_Service.html
 *
 * - Names are case-insensitive for uniqueness and ARNs are lower-cased.
 * - Missing resources are `ValidationException`s, e.g. `Could not find model "arn:...".`
 * - A model package ARN of another region is refused ("ARN should be scoped to correct region");
 *   one of another account is not in this account's registry: without a resource policy
 *   granting access, it is not found (the local AWS is one account and holds no such policies).
 * - DeleteModel deletes a model even while an endpoint or inference component runs it (API_DeleteModel:
 *   it "deletes only the model entry", with no in-use check); such a deletion is recorded as a
 *   hazard (hazards.ts). What is deployed keeps serving; instances that would have to be launched
 *   from the model do not come up (endpoints.ts).
 * - Model package state changes go to EventBridge as "SageMaker Model Package State Change"
 *   (https://docs.aws.amazon.com/sagemaker/latest/dg/automating-sagemaker-with-eventbridge.html).
 */
import { emitBridgeEvent, eventTime } from '../events';
import { ServiceError, validation } from '../errors';
import { clone, compact, epochSeconds } from '../util';
import { arr, lc, type Obj, type SageMakerContext, str, type Tag } from './context';
import type { Usage } from './hazards';

export interface ModelRec {
  name: string;
  arn: string;
  created: number;
  input: Obj;
  tags: Tag[];
}
export interface GroupRec {
  name: string;
  arn: string;
  created: number;
  description?: string;
  tags: Tag[];
}
export interface PackageRec {
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

export class ModelsAndRegistry {
  readonly models = new Map<string, ModelRec>();
  readonly groups = new Map<string, GroupRec>();
  readonly packages = new Map<string, PackageRec>();

  constructor(
    private readonly c: SageMakerContext,
    /** The endpoints that run a model (on a fleet, or as an inference component). */
    private readonly usersOf: (modelName: string) => Usage[] = () => [],
  ) {}

  createModel(input: Obj): Obj {
    const name = input.ModelName as string;
    const arn = this.c.arn('model', name);
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
    this.models.set(lc(name), this.c.track({ name, arn, created: Date.now(), input: clone(rest), tags: clone(arr(Tags)) as unknown as Tag[] }));
    return { ModelArn: arn };
  }

  getModel(name: string): ModelRec {
    const m = this.models.get(lc(name));
    if (!m) throw validation(`Could not find model "${this.c.arn('model', name)}".`);
    return m;
  }

  describeModel(input: Obj): Obj {
    const m = this.getModel(input.ModelName as string);
    return this.modelView(m);
  }

  modelView(m: ModelRec): Obj {
    return compact({
      ModelName: m.name,
      ...clone(m.input),
      EnableNetworkIsolation: (m.input.EnableNetworkIsolation as boolean | undefined) ?? false,
      CreationTime: epochSeconds(m.created),
      ModelArn: m.arn,
    });
  }

  deleteModel(input: Obj): Obj {
    const m = this.getModel(input.ModelName as string);
    this.c.hazards.recordDeletion('DeleteModel', { type: 'Model', name: m.name, arn: m.arn }, this.usersOf(m.name));
    this.models.delete(lc(m.name));
    return {};
  }

  listModels(input: Obj): Obj {
    const items = this.c.filterCommon([...this.models.values()], input, (m) => m.name, (m) => m.created);
    const sorted = this.c.sort(items, str(input.SortBy) ?? 'CreationTime', str(input.SortOrder) ?? 'Descending', {
      Name: (m) => m.name,
      CreationTime: (m) => m.created,
    });
    const { page, nextToken } = this.c.page(sorted, input, 10);
    return compact({
      Models: page.map((m) => ({ ModelName: m.name, ModelArn: m.arn, CreationTime: epochSeconds(m.created) })),
      NextToken: nextToken,
    });
  }

  /** Image, and model package if any, of a model's first container. */
  modelDeployInfo(m: ModelRec): { image: string; packageArn?: string; packageVersion?: number } {
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

  createGroup(input: Obj): Obj {
    const name = input.ModelPackageGroupName as string;
    const arn = this.c.arn('model-package-group', name);
    if (this.groups.has(lc(name))) throw validation(`Model Package Group already exists: ${arn}`);
    this.groups.set(
      lc(name),
      this.c.track({ name, arn, created: Date.now(), description: str(input.ModelPackageGroupDescription), tags: clone(arr(input.Tags)) as unknown as Tag[] }),
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
    if (!g) throw validation(`ModelPackageGroup ${this.c.arn('model-package-group', name)} does not exist.`);
    return g;
  }

  describeGroup(input: Obj): Obj {
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

  listGroups(input: Obj): Obj {
    const items = this.c.filterCommon([...this.groups.values()], input, (g) => g.name, (g) => g.created);
    const sorted = this.c.sort(items, str(input.SortBy) ?? 'CreationTime', str(input.SortOrder) ?? 'Ascending', {
      Name: (g) => g.name,
      CreationTime: (g) => g.created,
    });
    const { page, nextToken } = this.c.page(sorted, input, 10);
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
      if (m[1] !== this.c.o.region) throw validation(`ARN should be scoped to correct region: ${this.c.o.region}`);
      // Another account's package is never this registry's, whatever its name: no silent local lookup.
      if (m[2] !== this.c.o.accountId) return `account:${m[2]}/${lc(m[3] ?? '')}`;
      return lc(m[3] ?? '');
    }
    return lc(ref);
  }

  resolvePackage(ref: string): PackageRec {
    const p = this.packages.get(this.packageKey(ref));
    if (!p) {
      const arn = ref.startsWith('arn:') ? ref : this.c.arn('model-package', ref);
      throw validation(`Model Package ${arn} does not exist.`);
    }
    return p;
  }

  createPackage(input: Obj): Obj {
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
        arn: `arn:aws:sagemaker:${this.c.o.region}:${this.c.o.accountId}:model-package/${key}`,
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
      const arn = this.c.arn('model-package', name as string);
      if (this.packages.has(key)) throw new ServiceError('ConflictException', `Model Package ${arn} already exists.`);
      rec = { arn, key, name: name as string, created: now, modified: now, data: clone(rest), tags: clone(arr(Tags)) as unknown as Tag[] };
    }
    this.packages.set(rec.key, this.c.track(rec));
    this.emitPackageEvent(rec);
    return { ModelPackageArn: rec.arn };
  }

  packageView(p: PackageRec): Obj {
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

  describePackage(input: Obj): Obj {
    return this.packageView(this.resolvePackage(input.ModelPackageName as string));
  }

  listPackages(input: Obj): Obj {
    let items = this.c.filterCommon([...this.packages.values()], input, (p) => p.name, (p) => p.created);
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
    const sorted = this.c.sort(items, str(input.SortBy) ?? 'CreationTime', str(input.SortOrder) ?? 'Ascending', {
      Name: (p) => p.name,
      CreationTime: (p) => p.created,
    });
    const { page, nextToken } = this.c.page(sorted, input, 10);
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

  updatePackage(input: Obj): Obj {
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
    emitBridgeEvent(this.c.o.events, {
      detailType: 'SageMaker Model Package State Change',
      source: 'aws.sagemaker',
      account: this.c.o.accountId,
      region: this.c.o.region,
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
}
