import { UpdateEndpointCommand } from '@aws-sdk/client-sagemaker';
import { sagemaker } from '../shared/clients/sagemaker';
import type { FinalizeResult, PromotionState } from '../shared/contracts';
import { configsOf } from '../shared/decisions';
import { switchesConfig } from '../shared/kinds';
import { stateKeys, step } from '../shared/handler';
import { throwIfAbortRequested } from '../shared/abort';
import { throwIfOutsideChange } from '../shared/outside-check';
import { removeScaling } from '../shared/scaling';
import { describeEndpointIfExists } from '../shared/sagemaker';

/**
 * Green alone. First, someone else's change to the endpoint stops the promotion (OutsideChange): it
 * is never finalized over. variant: UpdateEndpoint to green's config, which drops blue's variant (a
 * new fleet; green keeps serving throughout). guardrails: nothing left to do: SageMaker's
 * deployment already runs green's config alone and has terminated blue's fleet. component: nothing
 * either: the rolling update replaced every copy. replace: nothing
 * either: the shift's UpdateEndpoint already put green's config alone on the endpoint.
 */
export const handler = step('finalize', stateKeys, async (state: PromotionState): Promise<FinalizeResult> => {
  await throwIfAbortRequested(state);
  const p = state.promotion;
  const configName = state.green!.greenConfigName;
  const current = await describeEndpointIfExists(p.endpointName);
  await throwIfOutsideChange(current, state, 'finalize');
  // component: the rolling update already left green's copies alone (blue's copies are gone).
  if (switchesConfig(p.strategy) || p.strategy === 'component') return { configName, at: new Date().toISOString() };
  // SageMaker refuses an update that removes a variant still registered as a scalable target
  // (endpoint-auto-scaling-delete): blue's goes first; green already has a copy (shift-traffic).
  const blueVariant = state.blue?.variants[0]?.variantName;
  if (state.blue?.scaling && blueVariant) await removeScaling(p.endpointName, blueVariant);
  if (!configsOf(current).includes(configName)) {
    await sagemaker.send(new UpdateEndpointCommand({ EndpointName: p.endpointName, EndpointConfigName: configName }));
  }
  return { configName, at: new Date().toISOString() };
});
