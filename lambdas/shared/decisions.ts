/**
 * Pure decisions: no SDK calls, no clock, no environment. Handlers gather facts with
 * the SDK, ask these functions what to do, and do it. Tested without mocks.
 * SDK types are imported for their shapes only.
 */
import type {
  CreateEndpointConfigInput,
  DescribeEndpointConfigOutput,
  DescribeEndpointOutput,
  ProductionVariant,
} from '@aws-sdk/client-sagemaker';
import type { MetricAlarm } from '@aws-sdk/client-cloudwatch';
import { isDeepStrictEqual } from 'node:util';
import type { BlueState, GreenState, Outcome, OutcomeResult, Promotion, PromotionState, WaitPhase } from './contracts';
import { isOwnName } from './naming';
import { switchesConfig } from './kinds';
import { validationServerlessConfig, watchesColdStarts } from './serverless';

/**
 * Why this workflow cannot promote onto an endpoint config (empty: it can). Every kind of endpoint
 * has a strategy (kinds.ts); a shadow test is someone else's experiment in progress.
 */
export function unsupportedReasons(config: DescribeEndpointConfigOutput): string[] {
  const reasons: string[] = [];
  if ((config.ProductionVariants ?? []).length === 0) reasons.push(`blue config ${config.EndpointConfigName} has no production variant`);
  if ((config.ShadowProductionVariants ?? []).length > 0) {
    reasons.push('blue has shadow variants; stop the shadow test before promoting');
  }
  return reasons;
}

/** Targets the endpoint is on or moving to: while Updating, DescribeEndpoint still names the old config and the new one is pending. */
export function configsOf(endpoint: DescribeEndpointOutput | undefined): string[] {
  return [endpoint?.EndpointConfigName, endpoint?.PendingDeploymentSummary?.EndpointConfigName].filter((n): n is string => n !== undefined);
}

/** Settings of a config that are not per variant, copied as they are from blue. */
function configSettings(blue: DescribeEndpointConfigOutput): Partial<CreateEndpointConfigInput> {
  return {
    DataCaptureConfig: blue.DataCaptureConfig,
    KmsKeyId: blue.KmsKeyId,
    AsyncInferenceConfig: blue.AsyncInferenceConfig,
    ExplainerConfig: blue.ExplainerConfig,
    ExecutionRoleArn: blue.ExecutionRoleArn,
    VpcConfig: blue.VpcConfig,
    EnableNetworkIsolation: blue.EnableNetworkIsolation,
    MetricsConfig: blue.MetricsConfig,
  };
}

export interface GreenConfigs {
  green: CreateEndpointConfigInput;
  pair: CreateEndpointConfigInput;
}

/**
 * Green's configs, copied from blue's: every setting of the config and of blue's
 * variant is kept (instance type, volume, data capture, KMS key, timeouts, routing…);
 * only the model and the variant name change. Green is sized like blue's fleet as it
 * runs now (autoscaling may have moved it away from the config's initial count).
 */
export function greenConfigsFromBlue(
  blueConfig: DescribeEndpointConfigOutput,
  blueEndpoint: DescribeEndpointOutput,
  names: { greenConfig: string; pairConfig: string; variant: string; model: string },
  tags: Array<{ Key: string; Value: string }>,
): GreenConfigs {
  const blueVariants = blueConfig.ProductionVariants ?? [];
  const template = blueVariants[0];
  if (!template) throw new Error(`blue config ${blueConfig.EndpointConfigName} has no production variant`);
  const running = blueEndpoint.ProductionVariants?.find((v) => v.VariantName === template.VariantName);
  const greenVariant: ProductionVariant = {
    ...template,
    VariantName: names.variant,
    ModelName: names.model,
    InitialInstanceCount: running?.CurrentInstanceCount ?? template.InitialInstanceCount,
  };
  const settings = configSettings(blueConfig);
  return {
    green: {
      ...settings,
      EndpointConfigName: names.greenConfig,
      ProductionVariants: [{ ...greenVariant, InitialVariantWeight: 1 }],
      Tags: tags,
    },
    pair: {
      ...settings,
      EndpointConfigName: names.pairConfig,
      ProductionVariants: [
        ...blueVariants.map((v) => {
          const current = blueEndpoint.ProductionVariants?.find((r) => r.VariantName === v.VariantName);
          return {
            ...v,
            InitialVariantWeight: current?.CurrentWeight ?? v.InitialVariantWeight ?? 1,
            InitialInstanceCount: current?.CurrentInstanceCount ?? v.InitialInstanceCount,
          };
        }),
        { ...greenVariant, InitialVariantWeight: 0 },
      ],
      Tags: tags,
    },
  };
}

/**
 * guardrails: green's config is blue's with only the target variant's model changed: same variant
 * names (SageMaker's deployment guardrails require them, and a scalable target registered on a
 * name keeps working: endpoint-auto-scaling-delete allows a model-only update), every variant sized
 * and weighted as it runs now, so the other variants of a multi-variant endpoint keep their models
 * and weights. The validation config is the target variant alone at one instance, for the
 * short-lived validation endpoint (a serverless variant keeps its ServerlessConfig: it has no count).
 */
export function guardrailsConfigsFromBlue(
  blueConfig: DescribeEndpointConfigOutput,
  blueEndpoint: DescribeEndpointOutput,
  names: { greenConfig: string; validationConfig: string; model: string },
  tags: Array<{ Key: string; Value: string }>,
  target: string | undefined = blueConfig.ProductionVariants?.[0]?.VariantName,
): { green: CreateEndpointConfigInput; validation: CreateEndpointConfigInput } {
  const blueVariants = blueConfig.ProductionVariants ?? [];
  const variants: ProductionVariant[] = blueVariants.map((v) => {
    const running = blueEndpoint.ProductionVariants?.find((r) => r.VariantName === v.VariantName);
    return {
      ...v,
      ...(v.VariantName === target ? { ModelName: names.model } : {}),
      ...(v.ServerlessConfig ? {} : { InitialInstanceCount: running?.CurrentInstanceCount ?? v.InitialInstanceCount }),
      ...(blueVariants.length > 1 ? { InitialVariantWeight: running?.CurrentWeight ?? v.InitialVariantWeight } : {}),
    };
  });
  const greenVariant = variants.find((v) => v.VariantName === target);
  if (!greenVariant) throw new Error(`blue config ${blueConfig.EndpointConfigName} has no production variant ${target}`);
  const settings = configSettings(blueConfig);
  return {
    green: { ...settings, EndpointConfigName: names.greenConfig, ProductionVariants: variants, Tags: tags },
    validation: {
      ...settings,
      // No data capture on the validation endpoint: its requests are the workflow's samples, not customers'.
      DataCaptureConfig: undefined,
      EndpointConfigName: names.validationConfig,
      // Serverless (replace): blue's memory, one container, warm when blue's are (lambdas/shared/serverless.ts says why).
      ProductionVariants: [
        { ...greenVariant, ...(greenVariant.ServerlessConfig ? { ServerlessConfig: validationServerlessConfig(greenVariant.ServerlessConfig) } : { InitialInstanceCount: 1 }), InitialVariantWeight: 1, ManagedInstanceScaling: undefined },
      ],
      Tags: tags,
    },
  };
}

/** guardrails: is green validated on a short-lived validation endpoint before any user traffic? */
export function validatesOnEndpoint(p: Pick<Promotion, 'validation'>): boolean {
  return p.validation.mode === 'endpoint' && p.validation.samples.length > 0;
}

/** Deployment guardrails' limits (API_BlueGreenUpdatePolicy, API_AutoRollbackConfig). */
export const MAX_TERMINATION_WAIT_SECONDS = 3600;
export const MAX_ROLLBACK_ALARMS = 10;

/** The part of the bake SageMaker watches itself (TerminationWaitInSeconds), the rest is the workflow's. */
export function terminationWaitSeconds(p: Pick<Promotion, 'bakeSeconds'>): number {
  return Math.min(p.bakeSeconds, MAX_TERMINATION_WAIT_SECONDS);
}

/** Simulated seconds SageMaker's traffic routing waits before the last shift (canary wait, or each linear step's). */
export function routingWaitSeconds(traffic: Promotion['traffic']): number {
  const wait = traffic.waitSeconds ?? 300;
  if (traffic.type === 'CANARY') return wait;
  if (traffic.type === 'LINEAR') return wait * (Math.ceil(100 / (traffic.percent ?? 25)) - 1);
  return 0;
}

/** How long a wait phase may take before its deadline: guardrails' shift is SageMaker's whole deployment (routing and termination waits included). */
export function waitDeadlineSeconds(phase: WaitPhase, p: Pick<Promotion, 'strategy' | 'traffic' | 'bakeSeconds' | 'inServicePolls' | 'pollSeconds'>): number {
  const base = p.inServicePolls * p.pollSeconds;
  if (phase !== 'shift' || p.strategy !== 'guardrails') return base;
  return base + routingWaitSeconds(p.traffic) + terminationWaitSeconds(p);
}

/**
 * guardrails: UpdateEndpoint's DeploymentConfig. Blue/green with the input's traffic routing,
 * the bake (up to SageMaker's 3600 s) as TerminationWaitInSeconds, the deadline as
 * MaximumExecutionTimeoutInSeconds (600–28800), and the guardrail alarms, green's own scoped to
 * its config, plus the abort alarm, as AutoRollbackConfiguration (1–10 alarms).
 */
export function deploymentConfigFor(p: Promotion, alarmNames: string[]): Record<string, unknown> {
  const t = p.traffic;
  const wait = t.waitSeconds ?? 300;
  const routing =
    t.type === 'CANARY'
      ? { Type: 'CANARY', CanarySize: { Type: 'CAPACITY_PERCENT', Value: t.percent ?? 10 }, WaitIntervalInSeconds: wait }
      : t.type === 'LINEAR'
        ? { Type: 'LINEAR', LinearStepSize: { Type: 'CAPACITY_PERCENT', Value: t.percent ?? 25 }, WaitIntervalInSeconds: wait }
        : { Type: 'ALL_AT_ONCE', WaitIntervalInSeconds: 0 };
  const termination = terminationWaitSeconds(p);
  // Twice the workflow's own deadline: the workflow decides (and aborts through the abort alarm);
  // SageMaker's timeout is only the backstop for a workflow that is no longer there to decide.
  const deadline = 2 * waitDeadlineSeconds('shift', p);
  return {
    BlueGreenUpdatePolicy: {
      TrafficRoutingConfiguration: routing,
      TerminationWaitInSeconds: termination,
      MaximumExecutionTimeoutInSeconds: Math.min(28_800, Math.max(600, deadline)),
    },
    ...(alarmNames.length > 0 ? { AutoRollbackConfiguration: { Alarms: alarmNames.slice(0, MAX_ROLLBACK_ALARMS).map((AlarmName) => ({ AlarmName })) } } : {}),
  };
}

/** The variant name of a first deployment (SageMaker's conventional one); guardrails promotions keep it. */
export const FIRST_VARIANT = 'AllTraffic';

export function firstDeploymentConfig(
  names: { greenConfig: string; variant: string; model: string },
  instanceType: string,
  instanceCount: number,
  tags: Array<{ Key: string; Value: string }>,
): CreateEndpointConfigInput {
  return {
    EndpointConfigName: names.greenConfig,
    ProductionVariants: [
      {
        VariantName: names.variant,
        ModelName: names.model,
        InstanceType: instanceType as ProductionVariant['InstanceType'],
        InitialInstanceCount: instanceCount,
        InitialVariantWeight: 1,
      },
    ],
    Tags: tags,
  };
}

export interface Expectation {
  /** The endpoint to look at, when not the promotion's (guardrails' validation endpoint). */
  endpointName?: string;
  /** Nothing to wait for (guardrails without a validation endpoint). */
  none?: boolean;
  configName: string;
  /** variant name → CurrentWeight it must have; omitted variants are not checked. */
  weights: Record<string, number>;
}

/** What each wait phase expects the endpoint to run once it is InService. */
export function expectationFor(phase: WaitPhase, state: PromotionState): Expectation {
  const { blue, green } = state;
  if (!green) throw new Error(`wait phase ${phase} needs $.green`);
  const blueVariants = blue?.variants ?? [];
  // component: the endpoint keeps blue's config and weights throughout; the component is judged on its own (component-actions.ts).
  if (state.promotion.strategy === 'component' && blue?.exists) return { configName: green.greenConfigName, weights: {} };
  if (switchesConfig(state.promotion.strategy) && blue?.exists) {
    // Green keeps blue's variant name and gets all traffic through one UpdateEndpoint (guardrails: SageMaker's own deployment).
    if (phase === 'standUp') {
      if (!green.validationEndpointName) return { none: true, configName: green.greenConfigName, weights: {} };
      return { endpointName: green.validationEndpointName, configName: green.validationConfigName ?? green.greenConfigName, weights: {} };
    }
    // Several variants: each keeps the weight it had (an A/B test goes on, green in the target's place).
    const weights = blueVariants.length > 1 ? Object.fromEntries(blueVariants.map((v) => [v.variantName, v.currentWeight])) : { [green.variantName]: 1 };
    return { configName: green.greenConfigName, weights };
  }
  switch (phase) {
    case 'standUp':
      if (!blue?.exists) return { configName: green.greenConfigName, weights: { [green.variantName]: 1 } };
      return {
        configName: green.pairConfigName ?? green.greenConfigName,
        weights: { ...Object.fromEntries(blueVariants.map((v) => [v.variantName, v.currentWeight])), [green.variantName]: 0 },
      };
    case 'shift':
      return {
        configName: green.pairConfigName ?? green.greenConfigName,
        weights: { ...Object.fromEntries(blueVariants.map((v) => [v.variantName, 0])), [green.variantName]: 1 },
      };
    case 'finalize':
      return { configName: green.greenConfigName, weights: { [green.variantName]: 1 } };
  }
}

export type EndpointVerdict =
  | { kind: 'ready' }
  | { kind: 'pending'; status: string }
  | { kind: 'failed'; error: 'GreenNotInService' | 'UnexpectedEndpointState' | 'DeadlineExceeded'; message: string };

/** Transitional statuses: the endpoint is still moving, so keep polling (until the deadline). */
const MOVING = new Set(['Creating', 'Updating', 'SystemUpdating', 'RollingBack']);

/**
 * Is the endpoint running what we asked for? SageMaker can end an update InService on
 * the *old* config (a failed or silently rolled-back update), so InService alone is
 * never enough: the config name and the variants' current weights must match.
 */
export function judgeEndpoint(
  endpoint: DescribeEndpointOutput | undefined,
  expected: Expectation,
  attempt: number,
  maxAttempts: number,
): EndpointVerdict {
  const name = endpoint?.EndpointName ?? 'endpoint';
  if (!endpoint) {
    return { kind: 'failed', error: 'GreenNotInService', message: `${name} does not exist (it was deleted while the promotion waited)` };
  }
  const status = endpoint.EndpointStatus ?? 'Unknown';
  if (status === 'Failed' || status === 'UpdateRollbackFailed' || status === 'Deleting' || status === 'OutOfService') {
    return {
      kind: 'failed',
      error: 'GreenNotInService',
      message: `endpoint ${name} is ${status}${endpoint.FailureReason ? `: ${endpoint.FailureReason}` : ''}`,
    };
  }
  if (MOVING.has(status)) {
    if (attempt >= maxAttempts) {
      return { kind: 'failed', error: 'DeadlineExceeded', message: `endpoint ${name} still ${status} after ${attempt} polls (deadline)` };
    }
    return { kind: 'pending', status };
  }
  if (endpoint.EndpointConfigName !== expected.configName) {
    const why = endpoint.FailureReason
      ? `SageMaker reports: ${endpoint.FailureReason}`
      : 'SageMaker rolled the update back without a FailureReason';
    return {
      kind: 'failed',
      error: endpoint.FailureReason ? 'GreenNotInService' : 'UnexpectedEndpointState',
      message: `endpoint ${name} is ${status} on config ${endpoint.EndpointConfigName}, expected ${expected.configName}; ${why}`,
    };
  }
  const running = new Map((endpoint.ProductionVariants ?? []).map((v) => [v.VariantName, v]));
  for (const [variant, weight] of Object.entries(expected.weights)) {
    const actual = running.get(variant);
    if (!actual) {
      return { kind: 'failed', error: 'UnexpectedEndpointState', message: `endpoint ${name} has no variant ${variant}` };
    }
    if (actual.CurrentWeight !== weight) {
      if (actual.DesiredWeight === weight && attempt < maxAttempts) return { kind: 'pending', status: `${status} (weights settling)` };
      return {
        kind: 'failed',
        error: 'UnexpectedEndpointState',
        message: `endpoint ${name} variant ${variant} has weight ${actual.CurrentWeight}, expected ${weight}`,
      };
    }
  }
  return { kind: 'ready' };
}

export interface SampleResponse {
  status: number;
  latencyMs: number;
  body: string;
  error?: string;
}

/**
 * A problem quotes the model's answer or the expectation; at most this many characters of it travel
 * in the state, which Step Functions caps at 256 KiB (limits.ts MAX_INPUT_BYTES counts on it).
 */
export const MAX_PROBLEM_CHARS = 300;

/** Did green answer this validation request well? Returns the problem (at most MAX_PROBLEM_CHARS), or undefined. */
export function judgeSample(
  sample: { expectedStatus?: number; expectContains?: string; expectJson?: Record<string, unknown> },
  response: SampleResponse,
  maxLatencyMs: number,
): string | undefined {
  const problem = sampleProblem(sample, response, maxLatencyMs);
  return problem === undefined || problem.length <= MAX_PROBLEM_CHARS ? problem : `${problem.slice(0, MAX_PROBLEM_CHARS - 1)}…`;
}

function sampleProblem(
  sample: { expectedStatus?: number; expectContains?: string; expectJson?: Record<string, unknown> },
  response: SampleResponse,
  maxLatencyMs: number,
): string | undefined {
  const expectedStatus = sample.expectedStatus ?? 200;
  if (response.status !== expectedStatus) {
    return `status ${response.status}, expected ${expectedStatus}${response.error ? ` (${response.error})` : ''}`;
  }
  if (response.latencyMs > maxLatencyMs) return `latency ${response.latencyMs} ms over the ${maxLatencyMs} ms ceiling`;
  if (sample.expectContains !== undefined && !response.body.includes(sample.expectContains)) {
    return `response does not contain ${JSON.stringify(sample.expectContains)}`;
  }
  if (sample.expectJson !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(response.body);
    } catch {
      return 'response is not JSON but expectJson was given';
    }
    for (const [key, value] of Object.entries(sample.expectJson)) {
      const actual = (parsed as Record<string, unknown> | null)?.[key];
      if (!isDeepStrictEqual(actual, value)) return `response.${key} is ${JSON.stringify(actual)}, expected ${JSON.stringify(value)}`;
    }
  }
  return undefined;
}


export type GuardrailVerdict =
  | { kind: 'clear' }
  | { kind: 'alarm'; alarmName: string; reason: string }
  | { kind: 'missing'; alarmNames: string[] };

export function judgeGuardrails(names: string[], alarms: Pick<MetricAlarm, 'AlarmName' | 'StateValue' | 'StateReason'>[]): GuardrailVerdict {
  const firing = alarms.find((a) => a.StateValue === 'ALARM');
  if (firing) return { kind: 'alarm', alarmName: firing.AlarmName ?? '?', reason: firing.StateReason ?? 'no reason given' };
  const found = new Set(alarms.map((a) => a.AlarmName));
  const missing = names.filter((n) => !found.has(n));
  return missing.length > 0 ? { kind: 'missing', alarmNames: missing } : { kind: 'clear' };
}

export type RollbackAction =
  | { kind: 'done'; note: string }
  | { kind: 'tripAbortAlarm'; alarmName: string }
  | { kind: 'wait'; note: string }
  | { kind: 'weightsToBlue'; weights: Array<{ VariantName: string; DesiredWeight: number }> }
  | { kind: 'updateToBlue'; configName: string }
  | { kind: 'deleteEndpoint' };

/**
 * The next action that brings the endpoint back to blue, from the endpoint as it is now.
 * Called in a loop until `done`, so it converges from any point of failure:
 * traffic first (one weights call, seconds), then the config (UpdateEndpoint, minutes).
 */
export function nextRollbackAction(
  endpoint: DescribeEndpointOutput | undefined,
  blue: BlueState | undefined,
  green: GreenState | undefined,
  abort?: { alarmName: string; tripped: boolean },
): RollbackAction {
  if (!blue?.exists) {
    // First deployment: there is nothing to go back to but "no endpoint".
    if (!endpoint) return { kind: 'done', note: 'no endpoint left behind' };
    if (endpoint.EndpointStatus === 'Deleting') return { kind: 'wait', note: 'endpoint deleting' };
    if (endpoint.EndpointConfigName !== green?.greenConfigName) {
      return { kind: 'done', note: `endpoint ${endpoint.EndpointName} runs ${endpoint.EndpointConfigName}, which this promotion did not create; left alone` };
    }
    if (MOVING.has(endpoint.EndpointStatus ?? '')) return { kind: 'wait', note: `endpoint ${endpoint.EndpointStatus}` };
    return { kind: 'deleteEndpoint' };
  }
  if (!endpoint) return { kind: 'done', note: 'endpoint no longer exists; nothing to roll back' };
  const status = endpoint.EndpointStatus ?? 'Unknown';
  // SageMaker has no call that cancels a deployment: the alarm in its auto-rollback list that only
  // this workflow sets makes SageMaker move traffic back to blue's fleet, which is still there.
  const deploying = status === 'Updating' && green !== undefined && endpoint.PendingDeploymentSummary?.EndpointConfigName === green.greenConfigName;
  if (deploying && abort && !abort.tripped) return { kind: 'tripAbortAlarm', alarmName: abort.alarmName };
  if (MOVING.has(status)) return { kind: 'wait', note: `endpoint ${status}` };
  const blueConfig = blue.endpointConfigName;
  // Both SageMaker's deployment and its auto-rollback failed: a mix of both fleets serves, whatever the config says.
  if (status === 'UpdateRollbackFailed' && blueConfig) return { kind: 'updateToBlue', configName: blueConfig };
  if (endpoint.EndpointConfigName === blueConfig) {
    return { kind: 'done', note: `endpoint serves blue config ${blueConfig}` };
  }
  const blueNames = new Set(blue.variants.map((v) => v.variantName));
  const variants = endpoint.ProductionVariants ?? [];
  const hasBlue = variants.some((v) => blueNames.has(v.VariantName ?? ''));
  const blueCarriesTraffic = variants.every((v) => (blueNames.has(v.VariantName ?? '') ? true : (v.CurrentWeight ?? 0) === 0));
  if (status === 'InService' && hasBlue && !blueCarriesTraffic) {
    return {
      kind: 'weightsToBlue',
      weights: variants.map((v) => {
        const b = blue.variants.find((x) => x.variantName === v.VariantName);
        return { VariantName: v.VariantName ?? '', DesiredWeight: b ? b.currentWeight || 1 : 0 };
      }),
    };
  }
  if (!blueConfig) return { kind: 'done', note: 'blue config unknown; endpoint left as it is' };
  return { kind: 'updateToBlue', configName: blueConfig };
}

/** The promotion's outcome from what the state document recorded; `causes` turns a caught error into its message. */
export function decideOutcome(
  state: PromotionState,
  causes: (caught: { Error: string; Cause?: string }) => string,
): { outcome: Outcome; reason: string; error: OutcomeResult['error'] } {
  const reason = state.failure ? `${state.failure.Error}: ${causes(state.failure)}` : undefined;
  // Someone else changed the endpoint: the promotion stopped acting on it, whatever it was doing (a rollback included).
  if (state.interruption) {
    return {
      outcome: 'interrupted',
      error: 'PromotionInterrupted',
      reason: `OutsideChange: ${causes(state.interruption)}${reason ? `; the promotion was rolling back after ${reason}` : ''}; the endpoint is left as that change set it`,
    };
  }
  if (state.rollbackFailure) {
    return {
      outcome: 'failed',
      error: 'RollbackFailed',
      reason: `rollback did not complete (${causes(state.rollbackFailure)}) after ${reason ?? 'an unknown failure'}; check the endpoint`,
    };
  }
  if (!state.failure) {
    const version = state.promotion.modelPackageVersion;
    return {
      outcome: 'promoted',
      error: 'None',
      reason: state.blue?.exists ? `version ${version} promoted` : `first deployment of version ${version}`,
    };
  }
  // Blue stays untouched until green is stood up beside it; after that a failure is a rollback.
  // (A crash right after UpdateEndpoint stores no standUp; the rollback's own actions tell.)
  const rollbackActed = (state.rollback?.actions ?? []).some((a) => /^(traffic back to blue|endpoint back to blue config|inference component \S+ back to blue|first deployment: deleted|abort alarm)/.test(a));
  // guardrails stands green up on a validation endpoint of its own: blue is touched from the shift on.
  const standUpTouchedBlue = state.standUp !== undefined && (state.standUp.action === 'UpdateEndpoint' || state.standUp.action === 'CreateEndpoint');
  const touched = standUpTouchedBlue || state.shift !== undefined || rollbackActed;
  return touched
    ? { outcome: 'rolled_back', error: 'PromotionRolledBack', reason: reason! }
    : { outcome: 'failed', error: 'PromotionFailed', reason: reason! };
}

export interface CleanupPlan {
  configs: string[];
  models: string[];
  alarms: string[];
  kept: Array<{ resource: string; reason: string }>;
}

/**
 * What one side leaves behind once the endpoint runs the other side: after a promotion
 * blue's configs and models, after a rollback green's. Anything some endpoint still
 * runs (this one or another) is kept, with the reason.
 */
export function cleanupPlan(target: 'blue' | 'green', state: PromotionState, inUse: { configs: Set<string>; models: Set<string> }): CleanupPlan {
  const { blue, green, bake } = state;
  // A step can fail after creating something but before its result is stored (a crash, retries
  // exhausted half-way): the promotion's deterministic names cover what it may have created.
  const names = state.promotion.names;
  // guardrails and replace: no pair, a validation config instead.
  const switches = switchesConfig(state.promotion.strategy);
  // component: no config of its own (the endpoint keeps blue's); only models, which components reference.
  const component = state.promotion.strategy === 'component';
  const pair = switches || component ? undefined : green ? green.pairConfigName : blue?.exists ? names.pairConfig : undefined;
  const configs: string[] = pair ? [pair] : [];
  if (switches && blue?.exists) configs.push(green?.validationConfigName ?? names.validationConfig);
  const models: string[] = [];
  if (target === 'blue') {
    if (blue?.endpointConfigName && !component) configs.push(blue.endpointConfigName);
    // A multi-variant endpoint: only the promoted variant's model was replaced; the others' still serve.
    const target = (blue?.variants.length ?? 0) > 1 ? blue?.variants.find((v) => v.variantName === state.promotion.variantName) : undefined;
    models.push(...(target ? [target.modelName] : (blue?.modelNames ?? [])));
  } else {
    if (!component) configs.push(green?.greenConfigName ?? names.greenConfig);
    models.push(green?.modelName ?? names.model);
  }
  const kept: CleanupPlan['kept'] = [];
  const keepIfUsed = (kind: 'config' | 'model', candidates: string[], used: Set<string>) =>
    candidates.filter((name) => {
      if (used.has(name)) {
        kept.push({ resource: `${kind} ${name}`, reason: 'still used by an endpoint' });
        return false;
      }
      if (!isOwnName(state.promotion.endpointName, name)) {
        kept.push({ resource: `${kind} ${name}`, reason: 'not created by sagemaker-bluegreen; delete it yourself once you no longer need it' });
        return false;
      }
      return true;
    });
  return {
    configs: keepIfUsed('config', [...new Set(configs)], inUse.configs),
    models: keepIfUsed('model', [...new Set(models)], inUse.models),
    // A first deployment never bakes, so it never creates alarms.
    alarms: bake?.createdAlarms ?? (blue?.exists ? [...greenAlarmNames(state), ...(state.promotion.strategy === 'guardrails' || component ? [abortAlarmName(state.promotion)] : [])] : []),
    kept,
  };
}

/**
 * Since when another endpoint could run one of the configs or models a cleanup would delete,
 * given their creation times (undefined: already gone). An endpoint runs a config only from the
 * CreateEndpoint or UpdateEndpoint that named it, which sets its LastModifiedTime, and a config
 * can name a model only once the model exists: endpoints last modified before the oldest of them
 * cannot run any. One second earlier, as ListEndpoints' LastModifiedTimeAfter is strict and the
 * timestamps may be whole seconds. Undefined: nothing left to check.
 */
export function usageWindowStart(created: Array<Date | undefined>): Date | undefined {
  const times = created.filter((t): t is Date => t !== undefined).map((t) => t.getTime());
  return times.length === 0 ? undefined : new Date(Math.min(...times) - 1000);
}

/**
 * The other endpoints whose configs a cleanup must read, from a ListEndpoints page: not the
 * promotion's own (already described, in any spelling) and not one being deleted (a validation
 * endpoint): it runs nothing that needs keeping.
 */
export function otherEndpointsToCheck(summaries: Array<{ EndpointName?: string; EndpointStatus?: string }>, endpointName: string): string[] {
  return summaries
    .filter((s) => s.EndpointStatus !== 'Deleting' && s.EndpointName !== undefined && s.EndpointName.toLowerCase() !== endpointName.toLowerCase())
    .map((s) => s.EndpointName!);
}

/** The alarms a promotion creates on green's own metrics (named by ArmGuardrails), whether or not its result was stored. */
export function greenAlarmNames(state: PromotionState): string[] {
  const prefix = state.promotion.names.alarmPrefix;
  const coldStarts = watchesColdStarts(state.promotion.kind, state.promotion.greenAlarms) ? [`${prefix}-setup`] : [];
  return state.promotion.greenAlarms.enabled ? [`${prefix}-5xx`, `${prefix}-latency`, ...coldStarts] : [];
}

/** guardrails: the alarm the workflow sets to ALARM to make SageMaker roll its deployment back. */
export function abortAlarmName(p: Pick<Promotion, 'names'>): string {
  return `${p.names.alarmPrefix}-abort`;
}

/** Every resource a cleanup would have looked at, for the record when the cleanup itself failed. */
export function cleanupLeftovers(target: 'blue' | 'green', state: PromotionState, failure: string): Array<{ resource: string; reason: string }> {
  const plan = cleanupPlan(target, state, { configs: new Set(), models: new Set() });
  const reason = `cleanup failed (${failure}); may remain: delete it once nothing uses it`;
  // guardrails and replace: the cleanup deletes the validation endpoint first (normally already gone at the shift).
  const validationEndpoint = switchesConfig(state.promotion.strategy) && state.blue?.exists ? [`endpoint ${state.green?.validationEndpointName ?? state.promotion.names.validationEndpoint}`] : [];
  // component: the validation component likewise.
  const validationComponent = state.promotion.strategy === 'component' && state.blue?.exists ? [`inference component ${state.green?.validationComponentName ?? state.promotion.names.validationComponent}`] : [];
  const toDelete = [...validationEndpoint, ...validationComponent, ...plan.configs.map((c) => `config ${c}`), ...plan.models.map((m) => `model ${m}`), ...plan.alarms.map((a) => `alarm ${a}`)];
  return [...plan.kept, ...toDelete.map((resource) => ({ resource, reason }))];
}
