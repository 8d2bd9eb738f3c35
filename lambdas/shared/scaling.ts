/**
 * A variant's Application Auto Scaling, as SageMaker requires it around a blue/green swap:
 * UpdateEndpoint refuses a config that removes (or changes the instance type of) a variant
 * registered as a scalable target. Errors keep their service names: ThrottlingException,
 * InternalServiceException and ConcurrentUpdateException are retried by the state machine
 * (RETRYABLE_ERRORS); ValidationException never is. `client` is for the CLI, which builds its own.
 */
import {
  type ApplicationAutoScalingClient,
  DeregisterScalableTargetCommand,
  DescribeScalableTargetsCommand,
  DescribeScalingPoliciesCommand,
  PutScalingPolicyCommand,
  RegisterScalableTargetCommand,
  type ScalingPolicy,
} from '@aws-sdk/client-application-auto-scaling';
import { autoscaling } from './clients/autoscaling';
import { SCALING_NAMESPACE, scalingOf, VARIANT_DIMENSION, variantResourceId, type VariantScaling } from './scaling-decisions';

export type { ScalingPolicySpec, VariantScaling } from './scaling-decisions';

const targetOf = (endpointName: string, variantName: string) => ({
  ServiceNamespace: SCALING_NAMESPACE,
  ResourceId: variantResourceId(endpointName, variantName),
  ScalableDimension: VARIANT_DIMENSION,
}) as const;

/** The variant's scalable target and policies; undefined when it is not registered. */
export async function readScaling(endpointName: string, variantName: string, client: ApplicationAutoScalingClient = autoscaling): Promise<VariantScaling | undefined> {
  const target = targetOf(endpointName, variantName);
  const { ScalableTargets } = await client.send(
    new DescribeScalableTargetsCommand({ ServiceNamespace: target.ServiceNamespace, ResourceIds: [target.ResourceId], ScalableDimension: target.ScalableDimension }),
  );
  const registered = ScalableTargets?.[0];
  if (!registered) return undefined;
  const policies: ScalingPolicy[] = [];
  let NextToken: string | undefined;
  do {
    const page = await client.send(new DescribeScalingPoliciesCommand({ ...target, NextToken }));
    policies.push(...(page.ScalingPolicies ?? []));
    NextToken = page.NextToken;
  } while (NextToken);
  return scalingOf(registered, policies);
}

/**
 * Registers the variant with the given range and puts each policy (both upserts, so a retried
 * step repeats them harmlessly). On an InService endpoint, registering moves the variant's
 * instance count into the range at once, which makes the endpoint Updating.
 */
export async function applyScaling(endpointName: string, variantName: string, scaling: VariantScaling, client: ApplicationAutoScalingClient = autoscaling): Promise<void> {
  const target = targetOf(endpointName, variantName);
  await client.send(
    new RegisterScalableTargetCommand({
      ...target,
      MinCapacity: scaling.minCapacity,
      MaxCapacity: scaling.maxCapacity,
      ...(scaling.suspendedState ? { SuspendedState: scaling.suspendedState } : {}),
    }),
  );
  // One at a time: concurrent updates of one target answer ConcurrentUpdateException.
  for (const policy of scaling.policies) await client.send(new PutScalingPolicyCommand({ ...target, ...policy }));
}

/** Deregisters the variant (its policies go with it). false: it was not registered (ObjectNotFoundException). */
export async function removeScaling(endpointName: string, variantName: string, client: ApplicationAutoScalingClient = autoscaling): Promise<boolean> {
  try {
    await client.send(new DeregisterScalableTargetCommand(targetOf(endpointName, variantName)));
    return true;
  } catch (error) {
    if (error instanceof Error && error.name === 'ObjectNotFoundException') return false;
    throw error;
  }
}
