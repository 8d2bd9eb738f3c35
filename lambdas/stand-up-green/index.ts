import { CreateEndpointCommand, UpdateEndpointCommand } from '@aws-sdk/client-sagemaker';
import { sagemaker } from '../shared/clients/sagemaker';
import { createValidationComponent } from '../shared/component-actions';
import { throwIfComponentChanged } from '../shared/component-outside';
import type { PromotionState, StandUpResult } from '../shared/contracts';
import { configsOf } from '../shared/decisions';
import { switchesConfig } from '../shared/kinds';
import { stateKeys, step } from '../shared/handler';
import { throwIfAbortRequested } from '../shared/abort';
import { throwIfOutsideChange } from '../shared/outside-check';
import { describeEndpointIfExists, MANAGED_TAG } from '../shared/sagemaker';

/**
 * Green stands up where no user request reaches it. variant: UpdateEndpoint to the pair config
 * (blue's variant as it is, green at weight 0). guardrails and replace: CreateEndpoint of the short-lived
 * validation endpoint from green's config at one instance (nothing, when validation is off).
 * component: CreateInferenceComponent of the short-lived validation component (green's specification,
 * one copy) on blue's endpoint and variant (lambdas/shared/component-actions.ts).
 * At a first deployment, CreateEndpoint from green's config. Skipped when already done (a retry).
 * Before it updates or creates the endpoint, someone else's change since blue was described stops
 * the promotion (OutsideChange): the pair is built from blue as it was, and must not replace theirs.
 */
export const handler = step('stand-up-green', stateKeys, async (state: PromotionState): Promise<StandUpResult> => {
  await throwIfAbortRequested(state);
  const p = state.promotion;
  const green = state.green!;
  const at = new Date().toISOString();
  // component: green's specification on a short-lived validation component of the same endpoint and variant.
  if (p.strategy === 'component' && state.blue?.component) {
    await throwIfOutsideChange(await describeEndpointIfExists(p.endpointName), state, 'stand-up-green');
    await throwIfComponentChanged(state, 'stand-up-green');
    if (!green.validationComponentName) return { action: 'None', configName: green.greenConfigName, at };
    await createValidationComponent(state);
    return { action: 'CreateValidationComponent', configName: green.greenConfigName, at };
  }
  if (state.blue?.exists && switchesConfig(p.strategy)) {
    if (!green.validationEndpointName || !green.validationConfigName) return { action: 'None', configName: green.greenConfigName, at };
    const existing = await describeEndpointIfExists(green.validationEndpointName);
    if (!existing) {
      await sagemaker.send(
        new CreateEndpointCommand({
          EndpointName: green.validationEndpointName,
          EndpointConfigName: green.validationConfigName,
          Tags: [{ Key: MANAGED_TAG, Value: p.id }],
        }),
      );
    }
    return { action: 'CreateValidationEndpoint', configName: green.validationConfigName, at };
  }
  const current = await describeEndpointIfExists(p.endpointName);
  await throwIfOutsideChange(current, state, 'stand-up-green');
  if (state.blue?.exists) {
    const configName = green.pairConfigName!;
    if (!configsOf(current).includes(configName)) {
      await sagemaker.send(new UpdateEndpointCommand({ EndpointName: p.endpointName, EndpointConfigName: configName }));
    }
    return { action: 'UpdateEndpoint', configName, at };
  }
  const configName = green.greenConfigName;
  if (!current) {
    await sagemaker.send(
      new CreateEndpointCommand({ EndpointName: p.endpointName, EndpointConfigName: configName, Tags: [{ Key: MANAGED_TAG, Value: p.id }] }),
    );
  }
  return { action: 'CreateEndpoint', configName, at };
});
