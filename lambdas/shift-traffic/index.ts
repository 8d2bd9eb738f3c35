import { UpdateEndpointWeightsAndCapacitiesCommand } from '@aws-sdk/client-sagemaker';
import { sagemaker } from '../shared/clients/sagemaker';
import type { PromotionState, ShiftResult } from '../shared/contracts';
import { expectationFor } from '../shared/decisions';
import { stateKeys, step } from '../shared/handler';
import { describeEndpointIfExists } from '../shared/sagemaker';

/**
 * All traffic to green in one weights call (seconds, no re-provisioning). Weights are
 * set to absolute values, so running this twice changes nothing the second time.
 */
export const handler = step('shift-traffic', stateKeys, async (state: PromotionState): Promise<ShiftResult> => {
  const p = state.promotion;
  const { weights } = expectationFor('shift', state);
  const endpoint = await describeEndpointIfExists(p.endpointName);
  const alreadyAsked = Object.entries(weights).every(([variant, weight]) => {
    const v = endpoint?.ProductionVariants?.find((x) => x.VariantName === variant);
    return v?.DesiredWeight === weight || (v?.DesiredWeight === undefined && v?.CurrentWeight === weight);
  });
  if (!alreadyAsked) {
    await sagemaker.send(
      new UpdateEndpointWeightsAndCapacitiesCommand({
        EndpointName: p.endpointName,
        DesiredWeightsAndCapacities: Object.entries(weights).map(([VariantName, DesiredWeight]) => ({ VariantName, DesiredWeight })),
      }),
    );
  }
  return { weights, at: new Date().toISOString() };
});
