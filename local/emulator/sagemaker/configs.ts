/**
 * Endpoint configurations (API_CreateEndpointConfig, API_DeleteEndpointConfig).
 *
 * - DeleteEndpointConfig deletes a config even while an endpoint uses it: the API reference only
 *   says "You must not delete an EndpointConfig in use by an endpoint that is live or while the
 *   UpdateEndpoint or CreateEndpoint operations are being performed on the endpoint" and that you
 *   "may lose visibility into the instance type the endpoint is using"
 *   (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DeleteEndpointConfig.html).
 *   Refusing it would turn a product bug into a harmless error locally; instead the deletion
 *   happens and is recorded as a hazard (hazards.ts) for tests to see. The endpoint keeps serving
 *   from its fleet and DescribeEndpoint still names the config; DescribeEndpointConfig of it, and
 *   an UpdateEndpoint back to it, answer `Could not find endpoint configuration`; instances that
 *   would have to be launched from it do not come up (endpoints.ts).
 * - Serverless: one production variant per config, no asynchronous inference, no data capture,
 *   MemorySizeInMB in 1024 MB steps, ProvisionedConcurrency ≤ MaxConcurrency
 *   ("Serverless Inference ... feature exclusions",
 *   https://docs.aws.amazon.com/sagemaker/latest/dg/serverless-endpoints.html#serverless-endpoints-how-it-works-exclusions).
 */
import { validation } from '../errors';
import { clone, compact, epochSeconds } from '../util';
import { arr, lc, num, type Obj, type SageMakerContext, str, type Tag } from './context';
import type { Usage } from './hazards';
import type { ModelsAndRegistry } from './models';

export interface ConfigRec {
  name: string;
  arn: string;
  created: number;
  input: Obj;
  tags: Tag[];
}

export class EndpointConfigs {
  readonly configs = new Map<string, ConfigRec>();

  constructor(
    private readonly c: SageMakerContext,
    private readonly models: ModelsAndRegistry,
    /** The endpoints that run a config or are being moved onto it. */
    private readonly usersOf: (configName: string) => Usage[],
  ) {}

  private checkKinds(variants: Obj[], input: Obj): void {
    const serverless = variants.filter((v) => v.ServerlessConfig !== undefined);
    if (serverless.length > 0 && variants.length > 1) {
      throw validation('An endpoint configuration with a serverless production variant can have only one production variant.');
    }
    if (serverless.length > 0 && input.AsyncInferenceConfig !== undefined) {
      throw validation('AsyncInferenceConfig is not supported for serverless production variants.');
    }
    // "data capture" is among the guide's exclusions; the messages below are ours (AWS's are not documented).
    if (serverless.length > 0 && input.DataCaptureConfig !== undefined) {
      throw validation('DataCaptureConfig is not supported for serverless production variants.');
    }
    for (const v of serverless) {
      const sc = v.ServerlessConfig as Obj;
      const memory = num(sc.MemorySizeInMB);
      // API_ProductionVariantServerlessConfig: "Valid values are in 1 GB increments: 1024 MB, 2048 MB, ... or 6144 MB."
      if (memory !== undefined && memory % 1024 !== 0) {
        throw validation(
          `Invalid MemorySizeInMB ${memory} for production variant "${String(v.VariantName)}": valid values are 1024, 2048, 3072, 4096, 5120 and 6144.`,
        );
      }
      const provisioned = num(sc.ProvisionedConcurrency);
      const max = num(sc.MaxConcurrency);
      // "Should be less than or equal to MaxConcurrency."
      if (provisioned !== undefined && max !== undefined && provisioned > max) {
        throw validation(
          `ProvisionedConcurrency ${provisioned} for production variant "${String(v.VariantName)}" must be less than or equal to MaxConcurrency ${max}.`,
        );
      }
    }
    // The real service's message (seen in hashicorp/terraform-provider-aws PR #45926's acceptance test).
    if (variants.some((v) => v.ManagedInstanceScaling !== undefined && v.ModelName !== undefined)) {
      throw validation('ManagedInstanceScaling is only supported for inference component endpoints.');
    }
  }

  createEndpointConfig(input: Obj): Obj {
    const name = input.EndpointConfigName as string;
    const arn = this.c.arn('endpoint-config', name);
    if (this.configs.has(lc(name))) throw validation(`Cannot create already existing endpoint configuration "${arn}".`);
    const variants = arr(input.ProductionVariants);
    const seen = new Set<string>();
    for (const v of [...variants, ...arr(input.ShadowProductionVariants)]) {
      const vn = v.VariantName as string;
      if (seen.has(vn)) throw validation(`Duplicate variant name "${vn}" in endpoint configuration.`);
      seen.add(vn);
      const model = str(v.ModelName);
      if (model !== undefined) this.models.getModel(model);
      if (v.ServerlessConfig === undefined && (v.InstanceType === undefined || v.InitialInstanceCount === undefined) && v.InstancePools === undefined) {
        throw validation(`Production variant "${vn}" must specify either InstanceType and InitialInstanceCount, or ServerlessConfig.`);
      }
      if (v.ServerlessConfig !== undefined && (v.InstanceType !== undefined || v.InitialInstanceCount !== undefined)) {
        throw validation(`Production variant "${vn}" cannot specify both ServerlessConfig and InstanceType/InitialInstanceCount.`);
      }
    }
    this.checkKinds(variants, input);
    const { Tags, EndpointConfigName: _n, ...rest } = input;
    void _n;
    const stored = clone(rest);
    stored.ProductionVariants = arr(stored.ProductionVariants).map((v) => ({ ...v, InitialVariantWeight: num(v.InitialVariantWeight) ?? 1 }));
    this.configs.set(lc(name), this.c.track({ name, arn, created: Date.now(), input: stored, tags: clone(arr(Tags)) as unknown as Tag[] }));
    return { EndpointConfigArn: arn };
  }

  /**
   * Simulated seconds between two data points of the invocation metrics of a fleet on this config:
   * MetricPublishFrequencyInSeconds when EnableEnhancedMetrics is on, else 60 ("When
   * EnableEnhancedMetrics is set to False, … invocation metrics continue to be published at the
   * default 60-second interval", API_MetricsConfig). A deleted config: 60.
   */
  invocationPublishSeconds(name: string): number {
    const metrics = this.configs.get(lc(name))?.input.MetricsConfig as Obj | undefined;
    if (metrics?.EnableEnhancedMetrics !== true) return 60;
    return num(metrics.MetricPublishFrequencyInSeconds) ?? 60;
  }

  getConfig(name: string): ConfigRec {
    const c = this.configs.get(lc(name));
    if (!c) throw validation(`Could not find endpoint configuration "${this.c.arn('endpoint-config', name)}".`);
    return c;
  }

  describeEndpointConfig(input: Obj): Obj {
    const c = this.getConfig(input.EndpointConfigName as string);
    return this.configView(c);
  }

  configView(c: ConfigRec): Obj {
    return compact({
      EndpointConfigName: c.name,
      EndpointConfigArn: c.arn,
      ...clone(c.input),
      CreationTime: epochSeconds(c.created),
    });
  }

  deleteEndpointConfig(input: Obj): Obj {
    const c = this.getConfig(input.EndpointConfigName as string);
    this.c.hazards.recordDeletion('DeleteEndpointConfig', { type: 'EndpointConfig', name: c.name, arn: c.arn }, this.usersOf(c.name));
    this.configs.delete(lc(c.name));
    return {};
  }

  listEndpointConfigs(input: Obj): Obj {
    const items = this.c.filterCommon([...this.configs.values()], input, (c) => c.name, (c) => c.created);
    const sorted = this.c.sort(items, str(input.SortBy) ?? 'CreationTime', str(input.SortOrder) ?? 'Descending', {
      Name: (c) => c.name,
      CreationTime: (c) => c.created,
    });
    const { page, nextToken } = this.c.page(sorted, input, 10);
    return compact({
      EndpointConfigs: page.map((c) => ({ EndpointConfigName: c.name, EndpointConfigArn: c.arn, CreationTime: epochSeconds(c.created) })),
      NextToken: nextToken,
    });
  }
}
