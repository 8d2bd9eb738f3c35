import {
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  DescribeModelCommand,
  ListTagsCommand,
  type DescribeEndpointConfigOutput,
  type DescribeEndpointOutput,
  type DescribeModelOutput,
} from '@aws-sdk/client-sagemaker';
import { isNotFound } from '../lambdas/shared/errors';
import { packageArnOf, versionOf } from '../lambdas/shared/arns';
import { ENVIRONMENT_TAG, VERSION_TAG } from '../lambdas/shared/sagemaker';
import type { AwsClients } from './aws';
import type { VariantFacts } from './environment';
import { NotFoundError } from './errors';

export interface VariantView extends VariantFacts {
  desiredWeight?: number;
  currentInstanceCount?: number;
  desiredInstanceCount?: number;
  instanceType?: string;
  modelName?: string;
  modelPackageArn?: string;
}

export interface EndpointView {
  endpointName: string;
  status: string;
  configName?: string;
  /** The config an update in progress moves to. */
  pendingConfigName?: string;
  failureReason?: string;
  variants: VariantView[];
  raw: DescribeEndpointOutput;
  /** The endpoint's current config, as described. */
  config?: DescribeEndpointConfigOutput;
  /** Each variant's model, by model name. */
  models: Map<string, DescribeModelOutput>;
}

async function orUndefined<T>(call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await call();
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

export async function describeEndpointIfExists(clients: AwsClients, endpointName: string): Promise<DescribeEndpointOutput | undefined> {
  return orUndefined(() => clients.sagemaker.send(new DescribeEndpointCommand({ EndpointName: endpointName })));
}

export function endpointNotFound(endpointName: string): NotFoundError {
  return new NotFoundError(`endpoint ${endpointName} does not exist; check the name ("aws sagemaker list-endpoints") and the region (AWS_REGION)`);
}

/**
 * The endpoint as it runs: each variant with its weights, instance counts, model, and the
 * model's package version and environment tags. Read-only (Describe*, ListTags).
 */
export async function describeEndpointView(clients: AwsClients, endpointName: string): Promise<EndpointView | undefined> {
  const endpoint = await describeEndpointIfExists(clients, endpointName);
  if (!endpoint) return undefined;
  const configNames = [endpoint.EndpointConfigName, endpoint.PendingDeploymentSummary?.EndpointConfigName].filter((n): n is string => !!n);
  const configs = await Promise.all(
    [...new Set(configNames)].map((name) => orUndefined(() => clients.sagemaker.send(new DescribeEndpointConfigCommand({ EndpointConfigName: name })))),
  );
  const configVariants = configs.flatMap((c) => c?.ProductionVariants ?? []);
  const variantsRunning = endpoint.ProductionVariants ?? [];
  const modelNames = [...new Set(variantsRunning.map((v) => configVariants.find((c) => c.VariantName === v.VariantName)?.ModelName).filter((n): n is string => !!n))];
  const models = new Map<string, DescribeModelOutput>();
  const tags = new Map<string, Record<string, string>>();
  await Promise.all(
    modelNames.map(async (name) => {
      const model = await orUndefined(() => clients.sagemaker.send(new DescribeModelCommand({ ModelName: name })));
      if (!model) return;
      models.set(name, model);
      if (model.ModelArn) {
        const out = await orUndefined(() => clients.sagemaker.send(new ListTagsCommand({ ResourceArn: model.ModelArn })));
        tags.set(name, Object.fromEntries((out?.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])));
      }
    }),
  );
  const variants = variantsRunning.map((v): VariantView => {
    const configured = configVariants.find((c) => c.VariantName === v.VariantName);
    const modelName = configured?.ModelName;
    const model = modelName ? models.get(modelName) : undefined;
    const modelTags = modelName ? tags.get(modelName) : undefined;
    const modelPackageArn = packageArnOf(model);
    return {
      variantName: v.VariantName ?? '',
      currentWeight: v.CurrentWeight ?? 0,
      desiredWeight: v.DesiredWeight,
      currentInstanceCount: v.CurrentInstanceCount,
      desiredInstanceCount: v.DesiredInstanceCount,
      instanceType: configured?.InstanceType,
      modelName,
      modelPackageArn,
      packageVersion: versionOf(modelPackageArn),
      environmentTag: modelTags?.[ENVIRONMENT_TAG],
      versionTag: modelTags?.[VERSION_TAG],
    };
  });
  return {
    endpointName,
    status: endpoint.EndpointStatus ?? 'Unknown',
    configName: endpoint.EndpointConfigName,
    pendingConfigName: endpoint.PendingDeploymentSummary?.EndpointConfigName,
    failureReason: endpoint.FailureReason,
    variants,
    raw: endpoint,
    config: configs[0],
    models,
  };
}
