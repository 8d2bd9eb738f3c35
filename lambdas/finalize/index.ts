import { UpdateEndpointCommand } from '@aws-sdk/client-sagemaker';
import { sagemaker } from '../shared/clients/sagemaker';
import type { FinalizeResult, PromotionState } from '../shared/contracts';
import { configsOf } from '../shared/decisions';
import { stateKeys, step } from '../shared/handler';
import { describeEndpointIfExists } from '../shared/sagemaker';

/** Green alone: UpdateEndpoint to green's config, which drops blue's variant. Green keeps serving throughout. */
export const handler = step('finalize', stateKeys, async (state: PromotionState): Promise<FinalizeResult> => {
  const p = state.promotion;
  const configName = state.green!.greenConfigName;
  const current = await describeEndpointIfExists(p.endpointName);
  if (!configsOf(current).includes(configName)) {
    await sagemaker.send(new UpdateEndpointCommand({ EndpointName: p.endpointName, EndpointConfigName: configName }));
  }
  return { configName, at: new Date().toISOString() };
});
