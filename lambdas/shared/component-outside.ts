/**
 * Someone else's change to the promotion's inference component (component-decisions.ts componentChange
 * judges): the handlers' side, kept apart from component-actions.ts so the steps that only check
 * (recover) stay lean.
 */
import { DescribeScalableTargetsCommand } from '@aws-sdk/client-application-auto-scaling';
import type { DescribeInferenceComponentOutput } from '@aws-sdk/client-sagemaker';
import { autoscaling } from './clients/autoscaling';
import { componentChange, componentFootprintOf } from './component-decisions';
import { describeComponentIfExists } from './components';
import type { PromotionState } from './contracts';
import { OutsideChange } from './errors';
import { interruptionReason } from './outside';

/** Has Application Auto Scaling a scalable target on the component's copy count? */
async function componentScales(name: string): Promise<boolean> {
  const { ScalableTargets } = await autoscaling.send(
    new DescribeScalableTargetsCommand({ ServiceNamespace: 'sagemaker', ResourceIds: [`inference-component/${name}`], ScalableDimension: 'sagemaker:inference-component:DesiredCopyCount' }),
  );
  return (ScalableTargets ?? []).length > 0;
}

/** Someone else's change to the target component (component-decisions.ts judges); the scalable target is read only when copies moved. */
export async function findComponentChange(state: PromotionState, component?: DescribeInferenceComponentOutput): Promise<string | undefined> {
  const footprint = componentFootprintOf(state);
  if (!footprint) return undefined;
  const c = component ?? (await describeComponentIfExists(footprint.name));
  const found = componentChange(c, footprint);
  if (found?.kind !== 'copies') return found?.change;
  return componentChange(c, footprint, await componentScales(footprint.name))?.change;
}

/** Stops the promotion (OutsideChange) when the target component shows someone else's change. */
export async function throwIfComponentChanged(state: PromotionState, detectedBy: string, component?: DescribeInferenceComponentOutput): Promise<void> {
  const change = await findComponentChange(state, component);
  if (change) throw new OutsideChange(interruptionReason(change, detectedBy, new Date().toISOString()));
}

