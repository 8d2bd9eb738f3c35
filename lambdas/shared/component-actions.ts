/**
 * The `component` strategy's actions on inference components (the decisions are in
 * component-decisions.ts; what validate-input and describe-blue read is in components.ts).
 * https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateInferenceComponent.html
 */
import { SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import {
  CreateInferenceComponentCommand,
  DeleteInferenceComponentCommand,
  DescribeModelCommand,
  type InferenceComponentSpecification,
  paginateListInferenceComponents,
  UpdateInferenceComponentCommand,
} from '@aws-sdk/client-sagemaker';
import type { BakeProblem } from './bake';
import { cloudwatch } from './clients/cloudwatch';
import { sagemaker } from './clients/sagemaker';
import { componentCapacityHint, componentDeploymentConfig, judgeComponent, nextComponentRollbackAction, rollingSeconds } from './component-decisions';
import { findComponentChange, throwIfComponentChanged } from './component-outside';
import { componentsOn, describeComponentIfExists } from './components';
import type { PromotionState, WaitPhase, WaitResult } from './contracts';
import { usageWindowStart, waitDeadlineSeconds } from './decisions';
import { DeadlineExceeded, GreenNotInService, GuardrailAlarm, isNotFound, UnexpectedEndpointState } from './errors';
import { deleteIfPresent, MANAGED_TAG } from './sagemaker';

/** Deletes a component unless it is gone or already going. */
export async function deleteComponentIfPresent(name: string): Promise<'deleted' | 'absent'> {
  const c = await describeComponentIfExists(name);
  if (!c || c.InferenceComponentStatus === 'Deleting') return 'absent';
  return deleteIfPresent(() => sagemaker.send(new DeleteInferenceComponentCommand({ InferenceComponentName: name })));
}

/**
 * The short-lived validation component: green's specification on blue's endpoint and variant, one
 * copy, where no user request goes (InvokeEndpoint reaches a component only by its name). Skipped
 * when it exists already (a retry).
 */
export async function createValidationComponent(state: PromotionState): Promise<void> {
  const p = state.promotion;
  const green = state.green!;
  const blue = state.blue!.component!;
  const name = green.validationComponentName!;
  if (await describeComponentIfExists(name)) return;
  await sagemaker.send(
    new CreateInferenceComponentCommand({
      InferenceComponentName: name,
      EndpointName: p.endpointName,
      VariantName: blue.variantName,
      Specification: green.componentSpecification as InferenceComponentSpecification,
      RuntimeConfig: { CopyCount: 1 },
      Tags: [{ Key: MANAGED_TAG, Value: p.id }],
    }),
  );
}

/**
 * The switch: the validation component goes, then ONE UpdateInferenceComponent to green's
 * specification with the rolling update (none for one copy). Skipped when the component already
 * runs or moves to green's model (a retry).
 */
export async function switchComponent(state: PromotionState, alarmNames: string[]): Promise<Record<string, unknown> | undefined> {
  const p = state.promotion;
  const green = state.green!;
  const blue = state.blue!.component!;
  if (green.validationComponentName) await deleteComponentIfPresent(green.validationComponentName);
  const deploymentConfig = componentDeploymentConfig(blue.copyCount, p.rollingUpdate, alarmNames, componentShiftDeadlineSeconds(state));
  const current = await describeComponentIfExists(blue.name);
  await throwIfComponentChanged(state, 'shift-traffic', current);
  if (current?.Specification?.ModelName !== green.modelName) {
    await sagemaker.send(
      new UpdateInferenceComponentCommand({
        InferenceComponentName: blue.name,
        Specification: green.componentSpecification as InferenceComponentSpecification,
        ...(deploymentConfig ? { DeploymentConfig: deploymentConfig as never } : {}),
      }),
    );
  }
  return deploymentConfig;
}

/**
 * One turn of the rollback loop for a component: someone else's change stops it (OutsideChange),
 * else the next action towards blue's specification (component-decisions.ts).
 */
export async function componentRollbackTurn(state: PromotionState, log: string[]): Promise<{ done: boolean; log: string[] }> {
  const blue = state.blue!.component!;
  const c = await describeComponentIfExists(blue.name);
  await throwIfComponentChanged(state, 'rollback', c);
  const abortAlarm = state.bake?.abortAlarm;
  const tripped = log.some((a) => a.startsWith('abort alarm'));
  // SageMaker watches the abort alarm only in a rolling update's AutoRollbackConfiguration (not for a one-copy component).
  const watched = abortAlarm !== undefined && state.shift?.deploymentConfig !== undefined;
  const footprint = { name: blue.name, blueModel: blue.modelName, greenModel: state.green?.modelName ?? state.promotion.names.model };
  const action = nextComponentRollbackAction(c, footprint, abortAlarm ? { alarmName: abortAlarm, tripped, watched } : undefined);
  switch (action.kind) {
    case 'tripAbortAlarm':
      await cloudwatch.send(
        new SetAlarmStateCommand({ AlarmName: action.alarmName, StateValue: 'ALARM', StateReason: `sagemaker-bluegreen rolls the promotion back: ${state.failure?.Error ?? 'rollback'}`.slice(0, 1023) }),
      );
      return { done: false, log: [...log, `abort alarm ${action.alarmName} set to ALARM: SageMaker rolls the inference component back to blue's copies`] };
    case 'wait':
      return { done: false, log: log.at(-1) === `waiting: ${action.note}` ? log : [...log, `waiting: ${action.note}`] };
    case 'updateToBlue':
      await sagemaker.send(new UpdateInferenceComponentCommand({ InferenceComponentName: blue.name, Specification: blue.specification as InferenceComponentSpecification }));
      return { done: false, log: [...log, `inference component ${blue.name} back to blue's specification (model ${blue.modelName})`] };
    case 'done':
      return { done: true, log: [...log, action.note] };
  }
}

/**
 * The models inference components run, among `candidates` (models a cleanup would delete): a
 * component references its model by name, and API_DeleteModel does not refuse one in use. Read:
 * every component on the promotion's endpoint, and those of any endpoint modified since the oldest
 * candidate was created (ListInferenceComponents LastModifiedTimeAfter: a component runs a model
 * only from the Create/Update that named it, after the model existed; decisions.ts usageWindowStart).
 * The validation component, being deleted, runs nothing that needs keeping.
 */
export async function modelsRunByComponents(endpointName: string, candidates: string[]): Promise<Set<string>> {
  const models = new Set<string>();
  if (candidates.length === 0) return models;
  const names = new Set(await componentsOn(endpointName));
  const created: Array<Date | undefined> = [];
  for (const name of candidates) created.push(await modelCreatedAt(name));
  const since = usageWindowStart(created);
  if (since) {
    for await (const page of paginateListInferenceComponents({ client: sagemaker }, { LastModifiedTimeAfter: since })) {
      for (const c of page.InferenceComponents ?? []) if (c.InferenceComponentName) names.add(c.InferenceComponentName);
    }
  }
  for (const name of names) {
    const c = await describeComponentIfExists(name);
    const model = c?.Specification?.ModelName;
    if (c && c.InferenceComponentStatus !== 'Deleting' && model && candidates.includes(model)) models.add(model);
  }
  return models;
}

async function modelCreatedAt(name: string): Promise<Date | undefined> {
  try {
    return (await sagemaker.send(new DescribeModelCommand({ ModelName: name }))).CreationTime;
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

const WAIT_ERRORS = { GreenNotInService, UnexpectedEndpointState, DeadlineExceeded };

/**
 * One check of a wait for a component (wait-for-endpoint's counterpart; nothing of the endpoint
 * changes). standUp: the validation component InService on green's model with a copy; shift: the
 * target InService on green's model once the rolling update is over (its batches' waits added to
 * the deadline). A rollback by SageMaker (InService on blue's model, FailureReason naming the alarm)
 * is a GuardrailAlarm; any other failure a named error. finalize: nothing left to wait for.
 */
export async function checkComponentWait(phase: WaitPhase, state: PromotionState, attempt: number, elapsedSeconds: number, waitSeconds: number): Promise<WaitResult> {
  const p = state.promotion;
  const green = state.green!;
  const blue = state.blue!.component!;
  const target = await describeComponentIfExists(blue.name);
  await throwIfComponentChanged(state, `wait-for-endpoint:${phase}`, target);
  const name = phase === 'standUp' ? green.validationComponentName : phase === 'shift' ? blue.name : undefined;
  if (!name) return { phase, attempt, ready: true, status: 'nothing to wait for', elapsedSeconds, waitSeconds };
  const component = name === blue.name ? target : await describeComponentIfExists(name);
  const deadline = phase === 'shift' ? componentShiftDeadlineSeconds(state) : waitDeadlineSeconds(phase, p);
  const verdict = judgeComponent(component, name, green.modelName, Math.floor(elapsedSeconds / p.pollSeconds), Math.ceil(deadline / p.pollSeconds));
  if (verdict.kind === 'failed') {
    if (verdict.rolledBackBy) throw new GuardrailAlarm(`SageMaker rolled inference component ${name} back to blue's copies: ${component?.FailureReason}`);
    throw new WAIT_ERRORS[verdict.error](`${phase}: ${verdict.message}${componentCapacityHint(phase, component?.FailureReason)}`);
  }
  return { phase, attempt, ready: verdict.kind === 'ready', status: verdict.kind === 'pending' ? verdict.status : 'InService', elapsedSeconds, waitSeconds };
}

/** The workflow's deadline for the switch: the in-service deadline plus the rolling update's baking (every batch's wait). */
function componentShiftDeadlineSeconds(state: PromotionState): number {
  return waitDeadlineSeconds('shift', state.promotion) + rollingSeconds(state.blue!.component!.copyCount, state.promotion.rollingUpdate);
}

/**
 * The bake's check of the component (bake.ts checks the endpoint and the alarms): someone else's
 * change, or the component no longer serving green (deleted, failed, another model).
 */
export async function componentBakeProblem(state: PromotionState): Promise<BakeProblem | undefined> {
  const blue = state.blue?.component;
  if (state.promotion.strategy !== 'component' || !blue) return undefined;
  const c = await describeComponentIfExists(blue.name);
  const change = await findComponentChange(state, c);
  if (change) return { kind: 'outside', change };
  const status = c?.InferenceComponentStatus ?? 'gone';
  // Updating on green's model: a copy-count change (autoscaling); SageMaker's rollback would show blue's model.
  if ((status === 'InService' || status === 'Updating') && c?.Specification?.ModelName === state.green?.modelName) return undefined;
  return {
    kind: 'endpoint',
    error: 'GreenNotInService',
    message: `inference component ${blue.name} is ${status} on model ${c?.Specification?.ModelName ?? 'none'} during the bake, expected green's ${state.green?.modelName}${c?.FailureReason ? `: ${c.FailureReason}` : ''}`,
  };
}
