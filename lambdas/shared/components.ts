/**
 * Inference components (the `component` strategy): what the workflow reads and asks of them.
 * https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateInferenceComponent.html
 */
import { DescribeInferenceComponentCommand, type DescribeInferenceComponentOutput, paginateListInferenceComponents } from '@aws-sdk/client-sagemaker';
import { sagemaker } from './clients/sagemaker';
import { specificationOf } from './component-decisions';
import { chooseComponent, componentProblem } from './component-target';
import type { BlueComponent } from './contracts';
import { InvalidPromotionInput, isNotFound } from './errors';
import type { PromotionInput } from './input';

/** The components hosted on an endpoint (ListInferenceComponents, every page). */
export async function componentsOn(endpointName: string): Promise<string[]> {
  const names: string[] = [];
  for await (const page of paginateListInferenceComponents({ client: sagemaker }, { EndpointNameEquals: endpointName })) {
    for (const c of page.InferenceComponents ?? []) if (c.InferenceComponentName) names.push(c.InferenceComponentName);
  }
  return names;
}

/**
 * The component a promotion targets: the input's, which must be on the endpoint, or the endpoint's
 * only one. A component scaled to zero copies, or one whose rolling batch cannot be 5–50% of its
 * copies, is refused with the reason and the fix.
 */
export async function targetComponent(endpointName: string, named: string | undefined, rolling: PromotionInput['rollingUpdate']): Promise<{ name: string; copies: number }> {
  const choice = chooseComponent(endpointName, await componentsOn(endpointName), named);
  if ('problem' in choice) throw new InvalidPromotionInput(choice.problem);
  const component = await sagemaker.send(new DescribeInferenceComponentCommand({ InferenceComponentName: choice.name }));
  const copies = component.RuntimeConfig?.CurrentCopyCount ?? component.RuntimeConfig?.DesiredCopyCount ?? 0;
  const problem = componentProblem(choice.name, component.InferenceComponentStatus, copies, rolling);
  if (problem) throw new InvalidPromotionInput(problem);
  return { name: choice.name, copies };
}

// ---- what a promotion reads of a component ---------------------------------------------------------

/** DescribeInferenceComponent, or undefined when it does not exist. */
export async function describeComponentIfExists(name: string): Promise<DescribeInferenceComponentOutput | undefined> {
  try {
    return await sagemaker.send(new DescribeInferenceComponentCommand({ InferenceComponentName: name }));
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** Blue's component as it runs: its specification mapped back to what UpdateInferenceComponent takes (a rollback restores it). */
export async function describeBlueComponent(name: string): Promise<BlueComponent> {
  const c = await sagemaker.send(new DescribeInferenceComponentCommand({ InferenceComponentName: name }));
  const specification = specificationOf(c.Specification);
  return {
    name,
    variantName: c.VariantName ?? '',
    modelName: specification.ModelName ?? '',
    specification: specification as Record<string, unknown>,
    copyCount: c.RuntimeConfig?.DesiredCopyCount ?? c.RuntimeConfig?.CurrentCopyCount ?? 0,
  };
}
