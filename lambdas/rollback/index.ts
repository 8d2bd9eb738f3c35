import { DeleteEndpointCommand, UpdateEndpointCommand, UpdateEndpointWeightsAndCapacitiesCommand } from '@aws-sdk/client-sagemaker';
import { SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { cloudwatch } from '../shared/clients/cloudwatch';
import { sagemaker } from '../shared/clients/sagemaker';
import { componentRollbackTurn } from '../shared/component-actions';
import type { PromotionState, RollbackState } from '../shared/contracts';
import { nextRollbackAction } from '../shared/decisions';
import { RollbackFailed } from '../shared/errors';
import { stateKeys, step } from '../shared/handler';
import { throwIfPromotionEnded } from '../shared/abort';
import { throwIfOutsideChange } from '../shared/outside-check';
import { applyScaling, removeScaling } from '../shared/scaling';
import { describeEndpointIfExists } from '../shared/sagemaker';

/**
 * One step of the rollback loop: look at the endpoint as it is, take the next action
 * towards blue (traffic first, then config), and say whether blue is fully back. The
 * loop converges from any point of failure and is bounded by the in-service deadline.
 * Each turn first compares the endpoint with what the promotion itself did: someone else's change
 * (an operator who moved traffic or updated the endpoint meanwhile) stops the rollback with
 * OutsideChange, so it never undoes an operator. component: the component, not the endpoint, goes back
 * (abort alarm while SageMaker rolls out, else UpdateInferenceComponent to blue's specification).
 */
export const handler = step('rollback', stateKeys, async (state: PromotionState): Promise<RollbackState> => {
  await throwIfPromotionEnded(state);
  const p = state.promotion;
  const previous = state.rollback ?? { attempt: 0, done: false, actions: [] };
  const attempt = previous.attempt + 1;
  if (attempt > p.inServicePolls * 2 + 2) {
    throw new RollbackFailed(`endpoint ${p.endpointName} did not get back to blue within ${attempt - 1} polls; last: ${previous.actions.at(-1) ?? 'nothing'}`);
  }
  const endpoint = await describeEndpointIfExists(p.endpointName);
  await throwIfOutsideChange(endpoint, state, 'rollback');
  // component: the component back to blue's specification (component-actions.ts); the endpoint itself never changed.
  if (p.strategy === 'component' && state.blue?.component) {
    const turn = await componentRollbackTurn(state, previous.actions);
    return { attempt, done: turn.done, actions: turn.log, ...(turn.done ? { blueAt: new Date().toISOString() } : {}) };
  }
  const abortAlarm = state.bake?.abortAlarm;
  const log = [...previous.actions];
  const tripped = log.some((a) => a.startsWith('abort alarm'));
  const action = nextRollbackAction(endpoint, state.blue, state.green, abortAlarm ? { alarmName: abortAlarm, tripped } : undefined);
  const blueVariant = state.blue?.variants[0]?.variantName;
  const scaling = state.blue?.scaling;
  switch (action.kind) {
    case 'tripAbortAlarm':
      try {
        await cloudwatch.send(
          new SetAlarmStateCommand({
            AlarmName: action.alarmName,
            StateValue: 'ALARM',
            StateReason: `sagemaker-bluegreen rolls the promotion back: ${state.failure?.Error ?? 'rollback'}`.slice(0, 1023),
          }),
        );
      } catch (error) {
        // Giving up here would leave SageMaker deploying green with nobody to bring blue back: the
        // loop is the retry (next poll), and once the deployment ends the endpoint goes back to blue.
        const note = `could not set abort alarm ${action.alarmName} to ALARM (${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}); trying again while SageMaker deploys, else back to blue once it ends`;
        if (log.at(-1) !== note) log.push(note);
        return { attempt, done: false, actions: log };
      }
      log.push(`abort alarm ${action.alarmName} set to ALARM: SageMaker moves traffic back to blue's fleet`);
      return { attempt, done: false, actions: log };
    case 'done':
      // variant: blue's autoscaling back on blue's variant (finalize may have deregistered it); an upsert.
      if (scaling && blueVariant && p.strategy === 'variant' && endpoint?.EndpointConfigName === state.blue?.endpointConfigName) {
        await applyScaling(p.endpointName, blueVariant, scaling);
        if (!log.includes('autoscaling restored on blue')) log.push('autoscaling restored on blue');
      }
      log.push(action.note);
      return { attempt, done: true, actions: log, blueAt: new Date().toISOString() };
    case 'wait':
      if (log.at(-1) !== `waiting: ${action.note}`) log.push(`waiting: ${action.note}`);
      return { attempt, done: false, actions: log };
    case 'weightsToBlue':
      await sagemaker.send(new UpdateEndpointWeightsAndCapacitiesCommand({ EndpointName: p.endpointName, DesiredWeightsAndCapacities: action.weights }));
      log.push(`traffic back to blue (${action.weights.map((w) => `${w.VariantName}=${w.DesiredWeight}`).join(', ')})`);
      return { attempt, done: false, actions: log };
    case 'updateToBlue':
      // variant: green's variant may carry blue's copied scalable target: SageMaker refuses to remove it while registered.
      if (scaling && p.strategy === 'variant' && state.green) await removeScaling(p.endpointName, state.green.variantName);
      // guardrails: green's config has blue's variant names, sized and weighted as blue ran (create-green),
      // so the update back keeps those (RetainAllVariantProperties, API_UpdateEndpoint) instead of blue's config's
      // initial weights and counts: an A/B split or a scale-out someone made before the promotion is not undone.
      await sagemaker.send(
        new UpdateEndpointCommand({ EndpointName: p.endpointName, EndpointConfigName: action.configName, ...(p.strategy === 'guardrails' ? { RetainAllVariantProperties: true } : {}) }),
      );
      log.push(`endpoint back to blue config ${action.configName}`);
      return { attempt, done: false, actions: log };
    case 'deleteEndpoint':
      await sagemaker.send(new DeleteEndpointCommand({ EndpointName: p.endpointName }));
      log.push(`first deployment: deleted endpoint ${p.endpointName}`);
      return { attempt, done: false, actions: log };
  }
});
