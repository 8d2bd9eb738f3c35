/**
 * The handlers' side of outside changes (lambdas/shared/outside.ts judges): gather the facts the
 * judge asks for, and stop the promotion with OutsideChange.
 */
import { DescribeScalableTargetsCommand } from '@aws-sdk/client-application-auto-scaling';
import type { DescribeEndpointOutput } from '@aws-sdk/client-sagemaker';
import { autoscaling } from './clients/autoscaling';
import type { PromotionState } from './contracts';
import { OutsideChange } from './errors';
import { changeFrom, footprintOf, interruptionReason, type Footprint, type FoundChange } from './outside';
import { SCALING_NAMESPACE, VARIANT_DIMENSION, variantResourceId } from './scaling-decisions';

/** The endpoint's variants registered with Application Auto Scaling now. */
async function scalableVariants(endpointName: string, variantNames: string[]): Promise<string[]> {
  const ids = new Map(variantNames.map((v) => [variantResourceId(endpointName, v), v]));
  const { ScalableTargets } = await autoscaling.send(
    new DescribeScalableTargetsCommand({ ServiceNamespace: SCALING_NAMESPACE, ResourceIds: [...ids.keys()], ScalableDimension: VARIANT_DIMENSION }),
  );
  return (ScalableTargets ?? []).map((t) => ids.get(t.ResourceId ?? '')).filter((v): v is string => v !== undefined);
}

/**
 * The change someone else made, if any. Instance counts are news only on a variant without a
 * scalable target: when the judge names one, the scalable targets are read (only then) and it judges again.
 */
export async function findOutsideChange(endpoint: DescribeEndpointOutput | undefined, footprint: Footprint | undefined): Promise<FoundChange | undefined> {
  const found = changeFrom(endpoint, footprint);
  if (found?.kind !== 'instances' || !endpoint || !footprint) return found;
  const variants = (endpoint.ProductionVariants ?? []).map((v) => v.VariantName).filter((v): v is string => v !== undefined);
  return changeFrom(endpoint, footprint, { scalableVariants: await scalableVariants(footprint.endpointName, variants) });
}

/** Stops the promotion (OutsideChange, caught into the `interrupted` path) when the endpoint shows someone else's change. */
export async function throwIfOutsideChange(endpoint: DescribeEndpointOutput | undefined, state: PromotionState, detectedBy: string): Promise<void> {
  const found = await findOutsideChange(endpoint, footprintOf(state));
  if (found) throw new OutsideChange(interruptionReason(found.change, detectedBy, new Date().toISOString()));
}
