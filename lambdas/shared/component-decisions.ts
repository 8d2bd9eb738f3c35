/**
 * The `component` strategy's decisions (inference components), pure: no SDK call, no clock.
 * lambdas/shared/components.ts gathers the facts and acts.
 *
 * - Green is blue's specification with green's model: DescribeInferenceComponent returns a
 *   *summary* (InferenceComponentSpecificationSummary: the container's image as DeployedImage)
 *   while CreateInferenceComponent/UpdateInferenceComponent take InferenceComponentSpecification
 *   (Container.Image), so the summary is mapped back (specificationOf).
 * - The switch is one UpdateInferenceComponent with a rolling update (API_InferenceComponentDeploymentConfig:
 *   RollingUpdatePolicy is its only policy, AutoRollbackConfiguration its alarms). MaximumBatchSize
 *   "must be between 5% to 50% of the copy count of the inference component", WaitIntervalInSeconds
 *   0–3600, MaximumExecutionTimeoutInSeconds 600–28800, RollbackMaximumBatchSize default "100% of
 *   the total capacity" (API_InferenceComponentRollingUpdatePolicy,
 *   https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_InferenceComponentRollingUpdatePolicy.html).
 *   A component of one copy cannot roll (no whole batch is ≤ 50% of 1): it is updated without
 *   DeploymentConfig (all copies replaced at once, SageMaker watching no alarm) and the workflow's
 *   bake watches green alone.
 */
import type { DescribeInferenceComponentOutput, InferenceComponentSpecification, InferenceComponentSpecificationSummary } from '@aws-sdk/client-sagemaker';
import type { BlueComponent, GreenState, PromotionState } from './contracts';
import { MAX_ROLLBACK_ALARMS, validatesOnEndpoint } from './decisions';
import type { PromotionInput } from './input';

export type RollingUpdateInput = PromotionInput['rollingUpdate'];

/** WaitIntervalInSeconds when the input gives none (input.ts documents it). */
export const DEFAULT_ROLLING_WAIT_SECONDS = 300;
/** RollingUpdatePolicy MaximumExecutionTimeoutInSeconds: 600–28800 (API_InferenceComponentRollingUpdatePolicy). */
export const MAX_ROLLING_TIMEOUT_SECONDS = 28_800;

/**
 * The specification UpdateInferenceComponent takes back, from Describe's summary: the container's
 * DeployedImage becomes Image (ResolvedImage, the digest that ran, so a rollback restores exactly
 * blue's image even if its tag moved since; SpecifiedImage when SageMaker resolved none).
 */
export function specificationOf(summary: InferenceComponentSpecificationSummary | undefined): InferenceComponentSpecification {
  if (!summary) return {};
  const { Container, ...rest } = summary;
  const spec: InferenceComponentSpecification = { ...rest };
  if (Container) {
    const { DeployedImage, ...container } = Container;
    const image = DeployedImage?.ResolvedImage ?? DeployedImage?.SpecifiedImage;
    spec.Container = { ...(image ? { Image: image } : {}), ...container };
  }
  return spec;
}

/**
 * Green's specification: blue's with green's model. Compute requirements, startup parameters,
 * instance type, caching and scheduling are kept, and so are the container's environment and metrics
 * settings; the container's image and artifact are blue's model's and go (green's model, from its
 * package, brings its own).
 */
export function greenSpecification(blue: InferenceComponentSpecification, modelName: string): InferenceComponentSpecification {
  const { Container, ...rest } = blue;
  const kept = Container ? { ...(Container.Environment ? { Environment: Container.Environment } : {}), ...(Container.ContainerMetricsConfig ? { ContainerMetricsConfig: Container.ContainerMetricsConfig } : {}) } : {};
  return { ...rest, ModelName: modelName, ...(Object.keys(kept).length > 0 ? { Container: kept } : {}) };
}

export interface RollingPlan {
  batchCopies: number;
  waitSeconds: number;
  rollbackBatchCopies?: number;
  /** Batches to replace every copy. */
  batches: number;
}

/** The largest whole batch within 50% of the copies (SageMaker's upper bound); 0 when none fits (one copy). */
export function defaultBatchCopies(copies: number): number {
  return Math.floor(copies / 2);
}

/** How the copies roll, or undefined when they cannot (one copy: no whole batch is ≤ 50%). */
export function rollingPlan(copies: number, rolling: RollingUpdateInput): RollingPlan | undefined {
  const batchCopies = rolling?.maximumBatchCopies ?? defaultBatchCopies(copies);
  if (copies < 2 || batchCopies < 1) return undefined;
  return {
    batchCopies,
    waitSeconds: rolling?.waitSeconds ?? DEFAULT_ROLLING_WAIT_SECONDS,
    ...(rolling?.rollbackMaximumBatchCopies !== undefined ? { rollbackBatchCopies: rolling.rollbackMaximumBatchCopies } : {}),
    batches: Math.ceil(copies / batchCopies),
  };
}

/** The rolling update's own baking, every batch's wait (the last one too: SageMaker "monitors alarms for each batch"). */
export function rollingSeconds(copies: number, rolling: RollingUpdateInput): number {
  const plan = rollingPlan(copies, rolling);
  return plan ? plan.batches * plan.waitSeconds : 0;
}

/**
 * UpdateInferenceComponent's DeploymentConfig, or undefined for a component that cannot roll.
 * `deadlineSeconds`: the workflow's own wait for the switch; SageMaker's MaximumExecutionTimeoutInSeconds
 * is twice it (the workflow decides, SageMaker's timeout is the backstop for a workflow no longer
 * there), within 600–28800. The alarms (at most 10, API_AutoRollbackConfig) include the abort alarm.
 */
export function componentDeploymentConfig(copies: number, rolling: RollingUpdateInput, alarmNames: string[], deadlineSeconds: number): Record<string, unknown> | undefined {
  const plan = rollingPlan(copies, rolling);
  if (!plan) return undefined;
  return {
    RollingUpdatePolicy: {
      MaximumBatchSize: { Type: 'COPY_COUNT', Value: plan.batchCopies },
      WaitIntervalInSeconds: plan.waitSeconds,
      MaximumExecutionTimeoutInSeconds: Math.min(MAX_ROLLING_TIMEOUT_SECONDS, Math.max(600, 2 * deadlineSeconds)),
      ...(plan.rollbackBatchCopies !== undefined ? { RollbackMaximumBatchSize: { Type: 'COPY_COUNT', Value: plan.rollbackBatchCopies } } : {}),
    },
    ...(alarmNames.length > 0 ? { AutoRollbackConfiguration: { Alarms: alarmNames.slice(0, MAX_ROLLBACK_ALARMS).map((AlarmName) => ({ AlarmName })) } } : {}),
  };
}

/** Why this component is switched the way it is, for the record and `plan`. */
export function rollingReason(copies: number, rolling: RollingUpdateInput): string {
  const plan = rollingPlan(copies, rolling);
  if (!plan) {
    return `${copies} cop${copies === 1 ? 'y' : 'ies'}: no whole batch is within SageMaker's 5–50% of the copy count, so the copies are replaced at once (UpdateInferenceComponent without DeploymentConfig) and the workflow's bake alone watches green`;
  }
  return `rolling update of ${copies} copies, ${plan.batchCopies} per batch (${plan.batches} batches), ${plan.waitSeconds} s baked each, SageMaker rolling back on the guardrail alarms`;
}

// ---- waiting -------------------------------------------------------------------------------------

export type ComponentVerdict =
  | { kind: 'ready' }
  | { kind: 'pending'; status: string }
  | { kind: 'failed'; error: 'GreenNotInService' | 'UnexpectedEndpointState' | 'DeadlineExceeded'; message: string; rolledBackBy?: string };

/** The alarm named in a FailureReason of SageMaker's auto-rollback, if any. */
export function alarmOfReason(reason: string | undefined): string | undefined {
  return reason ? /alarm (\S+)/i.exec(reason)?.[1] : undefined;
}

/**
 * Is the component serving `modelName` with its copies? InService alone is not enough: a rolled-back
 * update ends InService on the old specification with a FailureReason (naming the alarm when one fired).
 */
export function judgeComponent(c: DescribeInferenceComponentOutput | undefined, name: string, modelName: string, attempt: number, maxAttempts: number): ComponentVerdict {
  if (!c) return { kind: 'failed', error: 'GreenNotInService', message: `inference component ${name} does not exist (it was deleted while the promotion waited)` };
  const status = c.InferenceComponentStatus ?? 'Unknown';
  const reason = c.FailureReason ? `: ${c.FailureReason}` : '';
  if (status === 'Failed' || status === 'Deleting') return { kind: 'failed', error: 'GreenNotInService', message: `inference component ${name} is ${status}${reason}` };
  if (status === 'Creating' || status === 'Updating') {
    if (attempt >= maxAttempts) return { kind: 'failed', error: 'DeadlineExceeded', message: `inference component ${name} still ${status} after ${attempt} polls (deadline)` };
    return { kind: 'pending', status };
  }
  const running = c.Specification?.ModelName;
  if (running !== modelName) {
    return {
      kind: 'failed',
      error: c.FailureReason ? 'GreenNotInService' : 'UnexpectedEndpointState',
      message: `inference component ${name} is ${status} on model ${running}, expected ${modelName}; ${c.FailureReason ? `SageMaker reports: ${c.FailureReason}` : 'SageMaker rolled the update back without a FailureReason'}`,
      ...(alarmOfReason(c.FailureReason) ? { rolledBackBy: alarmOfReason(c.FailureReason) } : {}),
    };
  }
  if ((c.RuntimeConfig?.CurrentCopyCount ?? 0) === 0) return { kind: 'failed', error: 'GreenNotInService', message: `inference component ${name} is ${status} with no copy in service` };
  return { kind: 'ready' };
}

/** SageMaker's FailureReason for copies that do not fit the instances is undocumented: matched loosely. */
const CAPACITY_REASON = /capacity|insufficient|not enough (room|resources)|(cannot|could not|unable to) (be )?place/i;

/**
 * The fix to add when a component failed for want of room on the endpoint's instances (copies need
 * their ComputeResourceRequirements on one instance, beside the copies already there): the validation
 * copy at standUp, a rolling batch (all new copies, for a component that cannot roll) at the shift.
 */
export function componentCapacityHint(phase: string, reason: string | undefined): string {
  if (!reason || !CAPACITY_REASON.test(reason)) return '';
  const room = 'add instances to the variant, enable ManagedInstanceScaling (MaxInstanceCount above what the copies need)';
  if (phase === 'standUp') return ` (the validation copy needs room beside blue's copies on the endpoint's instances: ${room}, or set validation.mode off to skip the validation component)`;
  return ` (each rolling batch, or every new copy of a component that cannot roll, needs room beside the copies already there, the validation copy included until its deletion completes: ${room}, or a smaller rollingUpdate.maximumBatchCopies)`;
}

// ---- outside changes -----------------------------------------------------------------------------

/** What the promotion itself did to the target component: all the judge needs. */
export interface ComponentFootprint {
  name: string;
  blueModel: string;
  greenModel: string;
  /** Blue's desired copies: the promotion never changes them. */
  copies: number;
  /** The switch may have been asked (ArmGuardrails ran just before it): green's model is the promotion's own. */
  greenAsked: boolean;
  /** The promotion saw green serving the component (the shift's wait ready, or later). */
  sawGreen: boolean;
  rollingBack: boolean;
}

export function componentFootprintOf(state: PromotionState): ComponentFootprint | undefined {
  const component: BlueComponent | undefined = state.blue?.component;
  if (state.promotion.strategy !== 'component' || !component) return undefined;
  const { wait } = state;
  return {
    name: component.name,
    blueModel: component.modelName,
    greenModel: state.green?.modelName ?? state.promotion.names.model,
    copies: component.copyCount,
    greenAsked: state.shift !== undefined || state.bake !== undefined,
    sawGreen: (wait?.phase === 'shift' && wait.ready) || wait?.phase === 'finalize' || state.finalize !== undefined || state.revalidation !== undefined,
    rollingBack: state.failure !== undefined || state.rollback !== undefined || state.rollbackFailure !== undefined,
  };
}

export type ComponentChangeKind = 'deleted' | 'specification' | 'back-on-blue' | 'copies';

/**
 * Someone else's change to the target component, if any: deleted, a model that is neither blue's
 * nor (once the switch may have been asked) green's, blue's model back with no FailureReason after
 * the promotion saw green serving (not SageMaker's rollback), or a desired copy count the promotion
 * never set (only on a component without autoscaling: `scalable` says it has a scalable target).
 */
export function componentChange(c: DescribeInferenceComponentOutput | undefined, f: ComponentFootprint | undefined, scalable = false): { kind: ComponentChangeKind; change: string } | undefined {
  if (!f) return undefined;
  if (!c) return { kind: 'deleted', change: `inference component ${f.name} was deleted by someone else (DescribeInferenceComponent: not found)` };
  if (c.InferenceComponentStatus === 'Deleting') return { kind: 'deleted', change: `inference component ${f.name} is being deleted by someone else (Deleting)` };
  const model = c.Specification?.ModelName;
  const own = [f.blueModel, ...(f.greenAsked || f.rollingBack ? [f.greenModel] : [])];
  if (model === undefined || !own.includes(model)) {
    return {
      kind: 'specification',
      change: `inference component ${f.name} runs model ${model ?? 'none (a container image)'}, which is neither blue's (${f.blueModel}) nor this promotion's (${f.greenModel}): someone else updated it`,
    };
  }
  if (f.sawGreen && !f.rollingBack && model === f.blueModel && !c.FailureReason) {
    return { kind: 'back-on-blue', change: `inference component ${f.name} is back on blue's model ${f.blueModel} (no FailureReason, so not SageMaker's rollback) after this promotion had moved it to green: someone else updated it back` };
  }
  const desired = c.RuntimeConfig?.DesiredCopyCount;
  if (!scalable && desired !== undefined && desired !== f.copies) {
    return { kind: 'copies', change: `inference component ${f.name} wants ${desired} copies, expected ${f.copies}; it has no autoscaling, so someone else changed its runtime config` };
  }
  return undefined;
}

// ---- rollback ------------------------------------------------------------------------------------

export type ComponentRollbackAction =
  | { kind: 'done'; note: string }
  | { kind: 'tripAbortAlarm'; alarmName: string }
  | { kind: 'wait'; note: string }
  | { kind: 'updateToBlue' };

/**
 * The next action that brings the component back to blue's specification, from the component as it
 * is now. While SageMaker rolls green out, the abort alarm (in its AutoRollbackConfiguration) makes
 * SageMaker roll back itself; otherwise, once it settles on green, one UpdateInferenceComponent to
 * blue's specification (all copies at once: the fastest way back).
 */
export function nextComponentRollbackAction(
  c: DescribeInferenceComponentOutput | undefined,
  f: Pick<ComponentFootprint, 'name' | 'blueModel' | 'greenModel'>,
  abort?: { alarmName: string; tripped: boolean; watched: boolean },
): ComponentRollbackAction {
  if (!c) return { kind: 'done', note: `inference component ${f.name} no longer exists; nothing to roll back` };
  const status = c.InferenceComponentStatus ?? 'Unknown';
  const model = c.Specification?.ModelName;
  if (status === 'Updating' && model === f.greenModel && abort?.watched && !abort.tripped) return { kind: 'tripAbortAlarm', alarmName: abort.alarmName };
  if (status === 'Creating' || status === 'Updating' || status === 'Deleting') return { kind: 'wait', note: `inference component ${status}` };
  if (model === f.blueModel) return { kind: 'done', note: `inference component ${f.name} serves blue's model ${f.blueModel}${c.FailureReason ? ` (SageMaker: ${c.FailureReason})` : ''}` };
  // InService on green, or Failed on it (the update may refuse: the rollback then fails and says so).
  if (model === f.greenModel) return { kind: 'updateToBlue' };
  return { kind: 'done', note: `inference component ${f.name} is ${status} on model ${model}; left as it is` };
}

// ---- green -----------------------------------------------------------------------------------------

/**
 * Green for a component: green's model in blue's specification, validated on a short-lived
 * component (none when validation is off). No endpoint config: the endpoint keeps blue's, so
 * greenConfigName names it (what the endpoint runs throughout).
 */
export function componentGreenState(
  p: Pick<PromotionState['promotion'], 'names' | 'validation'>,
  blue: BlueComponent,
  endpointConfigName: string,
  created: string[],
  metricPublishSeconds: number | undefined,
): GreenState {
  return {
    modelName: p.names.model,
    variantName: blue.variantName,
    greenConfigName: endpointConfigName,
    ...(validatesOnEndpoint(p) ? { validationComponentName: p.names.validationComponent } : {}),
    componentSpecification: greenSpecification(blue.specification as InferenceComponentSpecification, p.names.model) as Record<string, unknown>,
    created,
    ...(metricPublishSeconds !== undefined ? { metricPublishSeconds } : {}),
  };
}
