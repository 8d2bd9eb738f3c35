import { UpdateEndpointCommand, UpdateEndpointWeightsAndCapacitiesCommand } from '@aws-sdk/client-sagemaker';
import { sagemaker } from '../shared/clients/sagemaker';
import { switchComponent } from '../shared/component-actions';
import type { PromotionState, ShiftResult } from '../shared/contracts';
import { configsOf, deploymentConfigFor, expectationFor } from '../shared/decisions';
import { switchesConfig } from '../shared/kinds';
import { stateKeys, step } from '../shared/handler';
import { throwIfAbortRequested } from '../shared/abort';
import { throwIfOutsideChange } from '../shared/outside-check';
import { applyScaling } from '../shared/scaling';
import { scalingForVariant } from '../shared/scaling-decisions';
import { deleteEndpointIfPresent, describeEndpointIfExists } from '../shared/sagemaker';

/**
 * variant: blue's scalable target and policies copied onto green's variant, then all traffic to
 * green in one weights call (seconds, no re-provisioning). Weights are set to absolute values
 * and scaling registrations are upserts, so running this twice changes nothing the second time.
 * guardrails: the validation endpoint goes, then ONE UpdateEndpoint to green's config with
 * SageMaker's deployment guardrails (blue/green, the input's traffic routing, the bake as
 * termination wait, the guardrail alarms for auto-rollback); replace (serverless) the same without
 * DeploymentConfig. Skipped when the endpoint already
 * runs or moves to green's config (a retry). component: the validation component goes, then ONE
 * UpdateInferenceComponent to green's specification with a rolling update (none for one copy). Before any of it, someone else's change to the
 * endpoint stops the promotion (OutsideChange): green never gets traffic over it.
 */
export const handler = step('shift-traffic', stateKeys, async (state: PromotionState): Promise<ShiftResult> => {
  await throwIfAbortRequested(state);
  const p = state.promotion;
  const at = new Date().toISOString();
  const current = await describeEndpointIfExists(p.endpointName);
  await throwIfOutsideChange(current, state, 'shift-traffic');
  if (p.strategy === 'component' && state.blue?.component) {
    // The validation component goes, then ONE UpdateInferenceComponent with a rolling update (component-actions.ts).
    const alarms = [...new Set([...(state.bake?.alarmNames ?? p.guardrailAlarmNames), ...(state.bake?.abortAlarm ? [state.bake.abortAlarm] : [])])];
    const deploymentConfig = await switchComponent(state, alarms);
    return { weights: {}, ...(deploymentConfig ? { deploymentConfig } : {}), at };
  }
  if (switchesConfig(p.strategy)) {
    const green = state.green!;
    const validationEndpoint = green.validationEndpointName;
    if (validationEndpoint) await deleteEndpointIfPresent(validationEndpoint);
    // replace (serverless): no DeploymentConfig, "deployment guardrails only apply to Asynchronous inference and
    // Real-time inference endpoint types" (deployment-guardrails.html); the workflow watches the whole bake.
    const alarms = [...new Set([...(state.bake?.alarmNames ?? p.guardrailAlarmNames), ...(state.bake?.abortAlarm ? [state.bake.abortAlarm] : [])])];
    const deploymentConfig = p.strategy === 'guardrails' ? deploymentConfigFor(p, alarms) : undefined;
    if (!configsOf(current).includes(green.greenConfigName)) {
      await sagemaker.send(
        new UpdateEndpointCommand({ EndpointName: p.endpointName, EndpointConfigName: green.greenConfigName, ...(deploymentConfig ? { DeploymentConfig: deploymentConfig as never } : {}) }),
      );
    }
    return { weights: {}, ...(deploymentConfig ? { deploymentConfig } : {}), at };
  }
  // variant: green gets blue's autoscaling before it gets the traffic (and keeps it after finalize).
  const blue = state.blue;
  const blueVariant = blue?.variants[0]?.variantName;
  if (blue?.scaling && blueVariant) {
    await applyScaling(p.endpointName, state.green!.variantName, scalingForVariant(blue.scaling, blueVariant, state.green!.variantName));
  }
  const { weights } = expectationFor('shift', state);
  const alreadyAsked = Object.entries(weights).every(([variant, weight]) => {
    const v = current?.ProductionVariants?.find((x) => x.VariantName === variant);
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
  return { weights, at };
});
