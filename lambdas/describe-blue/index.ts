import { DescribeEndpointConfigCommand, DescribeModelCommand } from '@aws-sdk/client-sagemaker';
import { describeBlueComponent } from '../shared/components';
import { sagemaker } from '../shared/clients/sagemaker';
import type { BlueState, PromotionState } from '../shared/contracts';
import { unsupportedReasons } from '../shared/decisions';
import { EndpointNotReady, UnsupportedEndpoint } from '../shared/errors';
import { stateKeys, step } from '../shared/handler';
import { throwIfPromotionEnded } from '../shared/abort';
import { describeEndpointIfExists } from '../shared/sagemaker';
import { readScaling } from '../shared/scaling';
import { packageArnOf, versionOf } from '../shared/arns';

/** What the endpoint serves now. No endpoint → a first deployment. */
export const handler = step('describe-blue', stateKeys, async (state: PromotionState): Promise<BlueState> => {
  await throwIfPromotionEnded(state);
  const { endpointName } = state.promotion;
  const endpoint = await describeEndpointIfExists(endpointName);
  if (!endpoint) return { exists: false, variants: [], modelNames: [] };
  if (endpoint.EndpointStatus !== 'InService') {
    throw new EndpointNotReady(`endpoint ${endpointName} is ${endpoint.EndpointStatus}; a promotion starts only from InService (wait, or fix the endpoint first)`);
  }
  const config = await sagemaker.send(new DescribeEndpointConfigCommand({ EndpointConfigName: endpoint.EndpointConfigName }));
  const reasons = unsupportedReasons(config);
  if (reasons.length > 0) throw new UnsupportedEndpoint(`endpoint ${endpointName}: ${reasons.join('; ')}`);

  const variants = (config.ProductionVariants ?? []).map((v) => {
    const running = endpoint.ProductionVariants?.find((r) => r.VariantName === v.VariantName);
    return {
      variantName: v.VariantName ?? '',
      modelName: v.ModelName ?? '',
      currentWeight: running?.CurrentWeight ?? v.InitialVariantWeight ?? 1,
      currentInstanceCount: running?.CurrentInstanceCount,
    };
  });
  const component = state.promotion.inferenceComponentName ? await describeBlueComponent(state.promotion.inferenceComponentName) : undefined;
  // The target's model first: green's model takes its role and network settings.
  const target = variants.find((v) => v.variantName === state.promotion.variantName) ?? variants[0];
  const modelNames = component ? [component.modelName] : [...new Set([target?.modelName ?? '', ...variants.map((v) => v.modelName)].filter((m) => m !== ''))];
  const model = modelNames[0] ? await sagemaker.send(new DescribeModelCommand({ ModelName: modelNames[0] })) : undefined;
  const packageArn = packageArnOf(model);
  // Green takes the target variant's scaling over: UpdateEndpoint refuses to remove a variant that is still a scalable target.
  const scaling = target && !component ? await readScaling(endpointName, target.variantName) : undefined;
  return {
    exists: true,
    endpointConfigName: endpoint.EndpointConfigName,
    variants,
    modelNames,
    executionRoleArn: model?.ExecutionRoleArn,
    modelPackageArn: packageArn,
    modelPackageVersion: versionOf(packageArn),
    ...(component ? { component } : {}),
    ...(scaling ? { scaling } : {}),
  };
});
