import { missingAlarms } from '../../lambdas/shared/alarms';
import {
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  DescribeInferenceComponentCommand,
  DescribeModelPackageCommand,
  paginateListEndpoints,
  paginateListInferenceComponents,
  type DescribeEndpointConfigOutput,
  type DescribeModelPackageOutput,
} from '@aws-sdk/client-sagemaker';
import { sameEndpoint, type BlueState, type GreenState, type Promotion, type PromotionState } from '../../lambdas/shared/contracts';
import { abortAlarmName, cleanupPlan, MAX_ROLLBACK_ALARMS, MAX_TERMINATION_WAIT_SECONDS, unsupportedReasons } from '../../lambdas/shared/decisions';
import { isNotFound } from '../../lambdas/shared/errors';
import { chooseComponent, componentProblem } from '../../lambdas/shared/component-target';
import { DEFAULT_ASYNC_OUTPUT_SECONDS, modelPackageParts, type PromotionInput, type StrategyName } from '../../lambdas/shared/input';
import { chooseStrategy, endpointKindOf, KIND_STRATEGIES, kindPhrase, sageMakerWatchesAlarms, targetVariant, type EndpointKind } from '../../lambdas/shared/kinds';
import { promotionInProgressMessage } from '../../lambdas/shared/locks';
import { greenNames, type GreenNames } from '../../lambdas/shared/naming';
import type { AwsClients, StackOptions } from '../aws';
import type { Context } from '../context';
import { formatSeconds } from '../duration';
import { describeEndpointView, type EndpointView } from '../endpoint';
import { EXIT } from '../errors';
import {
  ASSUMED_DEFAULT_BAKE_SECONDS,
  ASSUMED_DEFAULT_STRATEGY,
  buildPromotionInput,
  executionNameFor,
  readStackLimits,
  stackLimitChecks,
  strategyOptionProblems,
  type PromotionOptions,
} from '../promotion-input';
import { inFlightPromotion } from '../promotions';
import { ASSUMED_PROVISIONING_MINUTES, componentPlan, serverlessPlan, strategyPlan, type Provision, type StrategyPlan } from '../strategy-plan';
import { describeTraffic } from '../traffic';


export type PlanOptions = StackOptions & PromotionOptions;

export interface PlanStep {
  action: string;
  resource: string;
  detail: string;
}

export interface PromotionPlan {
  accepted: boolean;
  endpointName: string;
  modelPackageArn: string;
  modelPackageVersion: number;
  executionName: string;
  names: GreenNames;
  firstDeployment: boolean;
  /** What the endpoint is (lambdas/shared/kinds.ts endpointKindOf); a first deployment creates a real-time one. */
  kind: EndpointKind;
  strategy: StrategyName;
  /**
   * `input`: --strategy; `kind`: the endpoint's kind allows only this one; `assumed`: a real-time endpoint's
   * stack default, as plan assumes it (guardrails unless configured).
   */
  strategySource: 'input' | 'assumed' | 'kind';
  /** Why this strategy (lambdas/shared/kinds.ts chooseStrategy, as the workflow records it). */
  strategyReason: string;
  /** What green replaces: a production variant, or an inference component (with its copies and the variant it runs on). */
  target?: { variantName?: string; inferenceComponentName?: string; copies?: number };
  /** How the strategy is billed, and what the plan cannot price (serverless, components). */
  billing?: StrategyPlan['billing'];
  costUnknown?: string;
  /** What SageMaker stands up on the way to green, and what each adds above blue's steady fleet. */
  provisions: Provision[];
  cycles: number;
  extraInstanceMinutes: number;
  /** The arithmetic of extraInstanceMinutes, and what it assumes. */
  cost?: { formula: string; provisioningMinutes: number; bakeSeconds: number; bakeAssumed: boolean };
  /** The strategy's provisioning, one sentence each (the human report's Strategy section). */
  strategyLines: string[];
  blue?: {
    configName?: string;
    variants: Array<{
      variantName: string;
      modelName?: string;
      modelPackageVersion?: string;
      weight: number;
      instances?: number;
      instanceType?: string;
      serverless?: { memorySizeInMb?: number; maxConcurrency?: number; provisionedConcurrency?: number };
    }>;
    /** Inference-component endpoints: the targeted component as it runs. */
    component?: { name: string; variantName?: string; modelName?: string; copies: number; status?: string };
  };
  create: PlanStep[];
  change: PlanStep[];
  delete: PlanStep[];
  keep: Array<{ resource: string; reason: string }>;
  onRollback: string[];
  refusals: string[];
  notes: string[];
}

/** Configs and models other endpoints run: cleanup never deletes those (as lambdas/cleanup decides). Read-only. */
async function usedByOtherEndpoints(clients: AwsClients, endpointName: string): Promise<{ configs: Set<string>; models: Set<string> }> {
  const configs = new Set<string>();
  const models = new Set<string>();
  for await (const page of paginateListEndpoints({ client: clients.sagemaker }, { MaxResults: 100 })) {
    for (const summary of page.Endpoints ?? []) {
      if (summary.EndpointName && sameEndpoint(summary.EndpointName, endpointName)) continue;
      try {
        const endpoint = await clients.sagemaker.send(new DescribeEndpointCommand({ EndpointName: summary.EndpointName }));
        if (!endpoint.EndpointConfigName || configs.has(endpoint.EndpointConfigName)) continue;
        configs.add(endpoint.EndpointConfigName);
        const config = await clients.sagemaker.send(new DescribeEndpointConfigCommand({ EndpointConfigName: endpoint.EndpointConfigName }));
        for (const v of config.ProductionVariants ?? []) if (v.ModelName) models.add(v.ModelName);
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    }
  }
  return { configs, models };
}

async function describePackage(clients: AwsClients, arn: string): Promise<{ described?: DescribeModelPackageOutput; problem?: string }> {
  try {
    return { described: await clients.sagemaker.send(new DescribeModelPackageCommand({ ModelPackageName: arn })) };
  } catch (error) {
    if (error instanceof Error && (error.name === 'ValidationException' || isNotFound(error))) {
      return { problem: `--model-package: ${arn} cannot be described (${error.message}); check the group, the version and the region` };
    }
    throw error;
  }
}


/** guardrails stands a validation endpoint up only when there are samples to send it (as create-green does). */
function preValidates(input: { validation?: { mode?: string; samples?: unknown[] } }): boolean {
  return input.validation?.mode !== 'off' && (input.validation?.samples?.length ?? 0) > 0;
}

function describeValidation(input: PromotionInput): string {
  const samples = input.validation?.samples ?? [];
  return samples.length > 0
    ? `send ${samples.length} validation request(s) to green only (InvokeEndpoint TargetVariant): ${samples.map((s, i) => s.name ?? `sample-${i + 1}`).join(', ')}`
    : 'no validation requests (none given): green goes live on InService alone';
}

function bakeText(input: PromotionInput): string {
  // The stack's default lives in its functions' configuration, which the CLI does not read: say the value plan assumes.
  return input.bakeSeconds === undefined
    ? `the stack's default bake (${formatSeconds(ASSUMED_DEFAULT_BAKE_SECONDS)} unless the stack's bakeDuration says otherwise; pass --bake to be sure)`
    : `a bake of ${formatSeconds(input.bakeSeconds)}`;
}

/** The input's field names in a workflow message, as the operator spells them on the command line. */
function inOptions(message: string): string {
  return message
    .replace(/\brollingUpdate\.maximumBatchCopies\b/g, '--batch-copies')
    .replace(/\binferenceComponentName\b/g, '--inference-component')
    .replace(/\bvariantName\b/g, '--variant')
    .replace(/^strategy: /, '--strategy: ');
}

/**
 * The strategy the endpoint's kind takes (lambdas/shared/kinds.ts chooseStrategy, as validate-input
 * decides it): --strategy when it fits, else the kind's; a real-time endpoint's default is the
 * stack's, which plan assumes. False when --strategy does not fit: nothing more to plan.
 */
function chooseKindStrategy(plan: PromotionPlan, input: PromotionInput, options: PromotionOptions): boolean {
  const { strategies, why } = KIND_STRATEGIES[plan.kind];
  const choice = chooseStrategy(plan.kind, input.strategy, ASSUMED_DEFAULT_STRATEGY);
  if ('problem' in choice) {
    plan.strategyReason = why;
    plan.refusals.push(inOptions(choice.problem));
    return false;
  }
  plan.strategy = choice.strategy;
  plan.strategyReason = choice.why;
  plan.strategySource = input.strategy !== undefined ? 'input' : strategies.length > 1 ? 'assumed' : 'kind';
  // An explicit --strategy had its options checked before any call; a chosen one is checked now.
  if (input.strategy === undefined) plan.refusals.push(...strategyOptionProblems(plan.strategy, options));
  return true;
}

/** The asynchronous output deadline given for an endpoint that answers synchronously: refused, as validate-input does. */
function asyncOutputProblem(plan: PromotionPlan, input: PromotionInput, options: PromotionOptions): void {
  if (input.validation?.asyncOutputSeconds === undefined || plan.kind === 'asynchronous') return;
  const where = options.asyncOutputTimeout !== undefined ? '--async-output-timeout' : `--validation-file: validation.asyncOutputSeconds`;
  plan.refusals.push(`${where}: ${plan.endpointName} is a ${plan.kind} endpoint, which answers synchronously; drop it`);
}

/** The production variant green replaces (targetVariant, as validate-input decides it). False: refused. */
function chooseVariant(plan: PromotionPlan, input: PromotionInput, config: DescribeEndpointConfigOutput): boolean {
  if (input.inferenceComponentName !== undefined) {
    plan.refusals.push(`--inference-component: ${plan.endpointName} is a ${plan.kind} endpoint with no inference components; drop --inference-component`);
  }
  const target = targetVariant(config, plan.endpointName, input.variantName);
  if ('problem' in target) {
    plan.refusals.push(inOptions(target.problem));
    return false;
  }
  plan.target = { variantName: target.variantName };
  return true;
}

/** The inference component green replaces (chooseComponent and componentProblem, as validate-input decides them). Read-only. */
async function chooseInferenceComponent(ctx: Context, plan: PromotionPlan, input: PromotionInput): Promise<boolean> {
  if (input.variantName !== undefined) {
    plan.refusals.push(`--variant: ${plan.endpointName} hosts inference components, which a promotion targets with --inference-component; drop --variant`);
  }
  const hosted: string[] = [];
  for await (const page of paginateListInferenceComponents({ client: ctx.clients.sagemaker }, { EndpointNameEquals: plan.endpointName })) {
    for (const c of page.InferenceComponents ?? []) if (c.InferenceComponentName) hosted.push(c.InferenceComponentName);
  }
  const choice = chooseComponent(plan.endpointName, hosted, input.inferenceComponentName);
  if ('problem' in choice) {
    plan.refusals.push(inOptions(choice.problem));
    return false;
  }
  const described = await ctx.clients.sagemaker.send(new DescribeInferenceComponentCommand({ InferenceComponentName: choice.name }));
  const copies = described.RuntimeConfig?.CurrentCopyCount ?? described.RuntimeConfig?.DesiredCopyCount ?? 0;
  const problem = componentProblem(choice.name, described.InferenceComponentStatus, copies, input.rollingUpdate);
  if (problem) plan.refusals.push(inOptions(problem));
  plan.target = { inferenceComponentName: choice.name, copies, variantName: described.VariantName };
  if (plan.blue) {
    plan.blue.component = { name: choice.name, variantName: described.VariantName, modelName: described.Specification?.ModelName, copies, status: described.InferenceComponentStatus };
  }
  return true;
}

/** Blue as it runs: each variant (instances, or serverless settings) with its model and version. */
function blueOf(view: EndpointView, config: DescribeEndpointConfigOutput): NonNullable<PromotionPlan['blue']> {
  const running = (name: string | undefined) => view.variants.find((v) => v.variantName === name);
  return {
    configName: view.configName,
    variants: (config.ProductionVariants ?? []).map((v) => {
      const live = running(v.VariantName);
      const serverless = v.ServerlessConfig;
      return {
        variantName: v.VariantName ?? '',
        modelName: v.ModelName,
        modelPackageVersion: live?.versionTag ?? live?.packageVersion?.toString(),
        weight: live?.currentWeight ?? v.InitialVariantWeight ?? 1,
        instances: serverless ? undefined : (live?.currentInstanceCount ?? v.InitialInstanceCount),
        instanceType: v.InstanceType,
        ...(serverless
          ? { serverless: { memorySizeInMb: serverless.MemorySizeInMB, maxConcurrency: serverless.MaxConcurrency, provisionedConcurrency: serverless.ProvisionedConcurrency } }
          : {}),
      };
    }),
  };
}

/** The variant green replaces, as blue runs it. */
function targetOfBlue(plan: PromotionPlan): NonNullable<PromotionPlan['blue']>['variants'][number] | undefined {
  return plan.blue?.variants.find((v) => v.variantName === plan.target?.variantName) ?? plan.blue?.variants[0];
}

/** Blue → green for an endpoint that exists: its kind, the strategy and target, the steps, what it provisions, and cleanup. */
async function planOntoBlue(ctx: Context, plan: PromotionPlan, input: PromotionInput, options: PromotionOptions, view: EndpointView, role: string | undefined): Promise<void> {
  const config = view.config;
  if (view.status !== 'InService') {
    plan.refusals.push(`endpoint ${view.endpointName} is ${view.status}; a promotion starts only from InService (wait, or fix the endpoint first)`);
  }
  if (!config) {
    plan.refusals.push(`endpoint ${view.endpointName} runs config ${view.configName ?? '?'}, which cannot be described`);
    return;
  }
  for (const reason of unsupportedReasons(config)) plan.refusals.push(`endpoint ${view.endpointName}: ${reason}`);
  plan.blue = blueOf(view, config);
  plan.kind = endpointKindOf(config);
  asyncOutputProblem(plan, input, options);
  if (!chooseKindStrategy(plan, input, options)) return;
  const targeted = plan.kind === 'inference-component' ? await chooseInferenceComponent(ctx, plan, input) : chooseVariant(plan, input, config);
  if (!targeted) return;
  const blueVersions = plan.blue.component ? [] : [targetOfBlue(plan)?.modelPackageVersion];
  if (blueVersions.includes(String(plan.modelPackageVersion))) {
    plan.notes.push(`blue already serves version ${plan.modelPackageVersion}; the promotion would replace it with a copy of itself`);
  }
  const blueModelRole = [...view.models.values()][0]?.ExecutionRoleArn;
  plan.create.push({ action: 'CreateModel', resource: plan.names.model, detail: `from ${plan.modelPackageArn}, role ${role ?? blueModelRole ?? "blue's model role (else the stack's first model execution role)"}` });
  if (plan.strategy === 'guardrails') guardrailsSteps(plan, input, view);
  else if (plan.strategy === 'variant') variantSteps(plan, input, view);
  else if (plan.strategy === 'replace') replaceSteps(plan, input, view);
  else componentSteps(plan, input);
  strategyCost(plan, input);
  await cleanupSteps(ctx, plan, input);
}

/** What cleanup would delete once green serves alone, and keep (lambdas/shared/decisions.ts cleanupPlan). Read-only. */
async function cleanupSteps(ctx: Context, plan: PromotionPlan, input: PromotionInput): Promise<void> {
  const { names } = plan;
  const component = plan.strategy === 'component';
  const validates = preValidates(input);
  // replace swaps blue's config for green's as guardrails does: the same pieces to clean up.
  const configsLike = plan.strategy === 'variant' ? 'variant' : 'guardrails';
  const greenConfigs = component ? [] : configsLike === 'guardrails' ? [names.greenConfig, ...(validates ? [names.validationConfig] : [])] : [names.greenConfig, names.pairConfig];
  plan.onRollback.push(`delete green: model ${names.model}${greenConfigs.length > 0 ? `, configs ${greenConfigs.join(' and ')}` : ''}, its alarms`);
  const targetModel = component ? plan.blue?.component?.modelName : targetOfBlue(plan)?.modelName;
  const blue: BlueState = {
    exists: true,
    endpointConfigName: component ? undefined : plan.blue?.configName,
    variants: (plan.blue?.variants ?? []).map((v) => ({ variantName: v.variantName, modelName: v.modelName ?? '', currentWeight: v.weight })),
    // Only the replaced model goes: the other variants keep theirs.
    modelNames: targetModel ? [targetModel] : [],
  };
  const green: GreenState =
    configsLike === 'guardrails'
      ? {
          modelName: names.model,
          variantName: plan.target?.variantName ?? names.variant,
          greenConfigName: names.greenConfig,
          ...(!validates ? {} : { validationConfigName: names.validationConfig, validationEndpointName: names.validationEndpoint }),
          created: [],
        }
      : { modelName: names.model, variantName: names.variant, greenConfigName: names.greenConfig, pairConfigName: names.pairConfig, created: [] };
  const createdAlarms = [`${names.alarmPrefix}-5xx`, `${names.alarmPrefix}-latency`];
  const promotion = { endpointName: plan.endpointName, strategy: configsLike, names } as Promotion;
  if (sageMakerWatchesAlarms(plan.strategy)) createdAlarms.push(abortAlarmName(promotion));
  // cleanupPlan reads the endpoint name, strategy and names of the promotion and the blue/green/bake pieces only.
  const state = { promotion, blue, green, bake: { createdAlarms } } as PromotionState;
  const inUse = await usedByOtherEndpoints(ctx.clients, plan.endpointName);
  // Another variant of this endpoint running the same model keeps it.
  const others = (plan.blue?.variants ?? []).filter((v) => v.variantName !== plan.target?.variantName && v.modelName === targetModel);
  const cleanup = cleanupPlan('blue', state, inUse);
  const configDetail = (name: string) => (name === names.pairConfig ? 'the stand-up config' : name === names.validationConfig ? "the validation endpoint's config" : "blue's config");
  for (const name of cleanup.configs) {
    // The workflow's cleanup also looks for a validation config a crash might have left; a plan without one says nothing of it.
    if (name === names.validationConfig && (!validates || component)) continue;
    plan.delete.push({ action: 'DeleteEndpointConfig', resource: name, detail: configDetail(name) });
  }
  for (const name of cleanup.models) {
    if (others.length > 0) plan.keep.push({ resource: `model ${name}`, reason: `still used by variant ${others.map((v) => v.variantName).join(', ')}` });
    else plan.delete.push({ action: 'DeleteModel', resource: name, detail: component ? "blue's model (the component's)" : "blue's model" });
  }
  plan.delete.push({ action: 'DeleteAlarms', resource: cleanup.alarms.join(', '), detail: "green's guardrail alarms, once the bake is over" });
  plan.keep.push(...cleanup.kept);
}

function alarmsText(input: PromotionInput): string {
  return [...(input.guardrailAlarmNames ?? []), "the stack's guardrail alarms", "green's own alarms"].join(', ');
}

/** Asynchronous endpoints answer through S3: the validation requests say so. */
function asyncValidation(plan: PromotionPlan, input: PromotionInput): string | undefined {
  if (plan.kind !== 'asynchronous') return undefined;
  return `InvokeEndpointAsync, each output (or failure) awaited in S3 up to ${formatSeconds(input.validation?.asyncOutputSeconds ?? DEFAULT_ASYNC_OUTPUT_SECONDS)}`;
}

/**
 * guardrails: green's config is blue's with the target variant's model changed, validated on its own
 * endpoint, then one UpdateEndpoint with SageMaker's deployment guardrails. Multi-variant: the other
 * variants keep their models and weights; asynchronous: validation through InvokeEndpointAsync.
 */
function guardrailsSteps(plan: PromotionPlan, input: PromotionInput, view: EndpointView): void {
  const { names } = plan;
  const blue = targetOfBlue(plan);
  const blueVariant = blue?.variantName ?? '?';
  const others = (plan.blue?.variants ?? []).filter((v) => v.variantName !== blueVariant);
  const size = `${blue?.instanceType ?? '?'} ×${blue?.instances ?? '?'} (as blue runs now)`;
  const validationEndpoint = preValidates(input);
  const traffic = input.traffic ?? { type: 'ALL_AT_ONCE' as const };
  const bake = input.bakeSeconds ?? ASSUMED_DEFAULT_BAKE_SECONDS;
  const termination = Math.min(bake, MAX_TERMINATION_WAIT_SECONDS);
  const ownAlarms = input.greenAlarms?.enabled === false ? 1 : 3;
  const named = input.guardrailAlarmNames?.length ?? 0;
  const asyncVia = asyncValidation(plan, input);
  if (named + ownAlarms > MAX_ROLLBACK_ALARMS) {
    plan.refusals.push(
      `--alarm: SageMaker's auto-rollback takes at most ${MAX_ROLLBACK_ALARMS} alarms and the guardrails strategy adds ${ownAlarms} of its own; name at most ${MAX_ROLLBACK_ALARMS - ownAlarms} (the stack's default alarms count too), or combine them in a composite alarm`,
    );
  }
  const instances = blue?.instances ?? 1;
  if (traffic.type !== 'ALL_AT_ONCE' && instances < 2) {
    plan.refusals.push(`--traffic: ${traffic.type.toLowerCase()} needs at least 2 instances (a step is at most 50% of them) and ${view.endpointName} runs ${instances}; use all-at-once or scale blue out first`);
  }
  const detail =
    others.length === 0
      ? `blue's config with only the model changed: variant ${blueVariant} kept (its autoscaling keeps working), ${size}`
      : `blue's config with only variant ${blueVariant}'s model changed (its autoscaling keeps working), ${size}; variants ${others.map((v) => v.variantName).join(', ')} keep their models and weights`;
  plan.create.push({ action: 'CreateEndpointConfig', resource: names.greenConfig, detail });
  if (validationEndpoint) {
    plan.create.push(
      { action: 'CreateEndpointConfig', resource: names.validationConfig, detail: `the same at one instance, without data capture${asyncVia ? ', asynchronous as blue' : ''}` },
      { action: 'CreateEndpoint', resource: names.validationEndpoint, detail: `the short-lived validation endpoint, 1 × ${blue?.instanceType ?? '?'}, deleted after validation` },
    );
  }
  plan.create.push({
    action: 'PutMetricAlarm',
    resource: `${names.alarmPrefix}-5xx, ${names.alarmPrefix}-latency, ${abortAlarmName({ names })}`,
    detail: "green's own guardrail alarms (unless the stack disables them) and the abort alarm only the workflow sets, to make SageMaker roll back",
  });
  if (validationEndpoint) {
    const detail = describeValidation(input).replace('green only (InvokeEndpoint TargetVariant)', asyncVia ? `the validation endpoint with ${asyncVia}` : 'the validation endpoint');
    plan.change.push(
      { action: asyncVia ? 'InvokeEndpointAsync' : 'InvokeEndpoint', resource: names.validationEndpoint, detail },
      { action: 'DeleteEndpoint', resource: names.validationEndpoint, detail: 'once validated (or failed)' },
    );
  }
  plan.change.push(
    {
      action: 'UpdateEndpoint',
      resource: plan.endpointName,
      detail: `to ${names.greenConfig} with deployment guardrails: blue/green, traffic ${describeTraffic(traffic)}, TerminationWaitInSeconds ${termination}, auto-rollback on ${alarmsText(input)}${
        others.length > 0 ? `; SageMaker re-provisions every variant's instances (${[blueVariant, ...others.map((v) => v.variantName)].join(', ')})` : ''
      }${asyncVia ? "; requests queued by InvokeEndpointAsync are kept through the switch (the queue is the endpoint's)" : ''}`,
    },
    {
      action: 'Bake',
      resource: plan.endpointName,
      detail:
        bake > MAX_TERMINATION_WAIT_SECONDS
          ? `${bakeText(input)}: the first ${formatSeconds(MAX_TERMINATION_WAIT_SECONDS)} watched by SageMaker with blue's fleet kept, the rest by the workflow`
          : `${bakeText(input)}, watched by SageMaker (the termination wait) with blue's fleet kept`,
    },
  );
  if (input.validation?.samples?.length) {
    plan.change.push({
      action: asyncVia ? 'InvokeEndpointAsync' : 'InvokeEndpoint',
      resource: plan.endpointName,
      detail: `re-validation on the serving fleet: the same ${input.validation.samples.length} request(s)${asyncVia ? ` with ${asyncVia}` : ''}${others.length > 0 ? ` (TargetVariant ${blueVariant})` : ''}`,
    });
  }
  plan.onRollback.push(
    validationEndpoint ? 'before the UpdateEndpoint (a failed validation): delete the validation endpoint; blue is untouched' : 'before the UpdateEndpoint: blue is untouched',
    `during the deployment and the termination wait: the workflow sets ${abortAlarmName({ names })} (or a guardrail alarm fires) and SageMaker moves the traffic back to blue's fleet, still there`,
  );
  if (bake > MAX_TERMINATION_WAIT_SECONDS) plan.onRollback.push(`after the termination wait: UpdateEndpoint back to ${view.configName ?? "blue's config"} (a new fleet of blue)`);
}

/** variant: green joins as a zero-weight variant (the pair config), the weights flip, then green alone. */
function variantSteps(plan: PromotionPlan, input: PromotionInput, view: EndpointView): void {
  const { names } = plan;
  const blueVariants = plan.blue?.variants ?? [];
  const template = blueVariants[0];
  const size = template ? `${template.instanceType ?? 'serverless'} ×${template.instances ?? '?'} (as blue runs now)` : 'as blue';
  const blueNames = blueVariants.map((v) => v.variantName);
  plan.create.push(
    { action: 'CreateEndpointConfig', resource: names.greenConfig, detail: `green alone: variant ${names.variant}, ${size}, blue's other settings copied` },
    { action: 'CreateEndpointConfig', resource: names.pairConfig, detail: `blue as it is (${blueNames.join(', ')}) + green ${names.variant} at weight 0` },
    { action: 'PutMetricAlarm', resource: `${names.alarmPrefix}-5xx, ${names.alarmPrefix}-latency`, detail: "green's own guardrail alarms (unless the stack disables them)" },
  );
  plan.change.push(
    { action: 'UpdateEndpoint', resource: plan.endpointName, detail: `to ${names.pairConfig}: green stands up beside blue at weight 0, then waits for InService` },
    { action: 'InvokeEndpoint', resource: names.variant, detail: describeValidation(input) },
    {
      action: 'UpdateEndpointWeightsAndCapacities',
      resource: plan.endpointName,
      detail: `${blueVariants.map((v) => `${v.variantName} ${v.weight} → 0`).join(', ')}, ${names.variant} 0 → 1`,
    },
    { action: 'Bake', resource: plan.endpointName, detail: `${bakeText(input)}, watching ${alarmsText(input)}` },
    { action: 'UpdateEndpoint', resource: plan.endpointName, detail: `to ${names.greenConfig}: green alone (variants ${blueNames.join(', ')} removed)` },
  );
  if (input.validation?.samples?.length) {
    plan.change.push({ action: 'InvokeEndpoint', resource: plan.endpointName, detail: `re-validation on the new green-only fleet: the same ${input.validation.samples.length} request(s)` });
  }
  plan.onRollback.push(`traffic back to blue (${blueNames.map((n) => `${n}=1`).join(', ')}, one UpdateEndpointWeightsAndCapacities), then UpdateEndpoint to ${view.configName}`);
}

/**
 * replace (serverless): green's config is blue's serverless variant with the model changed, validated
 * on a serverless validation endpoint, then one UpdateEndpoint without DeploymentConfig (deployment
 * guardrails do not apply to serverless endpoints) and the whole bake watched by the workflow.
 */
function replaceSteps(plan: PromotionPlan, input: PromotionInput, view: EndpointView): void {
  const { names } = plan;
  const blue = targetOfBlue(plan);
  const sl = blue?.serverless;
  const settings = `${sl?.memorySizeInMb ?? '?'} MB, max concurrency ${sl?.maxConcurrency ?? '?'}${sl?.provisionedConcurrency === undefined ? '' : `, provisioned concurrency ${sl.provisionedConcurrency}`}`;
  const validationEndpoint = preValidates(input);
  plan.create.push({ action: 'CreateEndpointConfig', resource: names.greenConfig, detail: `blue's serverless variant ${blue?.variantName ?? '?'} with only the model changed (${settings})` });
  if (validationEndpoint) {
    plan.create.push(
      {
        action: 'CreateEndpointConfig',
        resource: names.validationConfig,
        detail: `serverless, blue's memory, max concurrency 1${sl?.provisionedConcurrency === undefined ? '' : ', provisioned concurrency 1 (warm, as blue)'}`,
      },
      { action: 'CreateEndpoint', resource: names.validationEndpoint, detail: 'the short-lived serverless validation endpoint, deleted after validation' },
    );
  }
  plan.create.push({ action: 'PutMetricAlarm', resource: `${names.alarmPrefix}-5xx, ${names.alarmPrefix}-latency`, detail: "green's own guardrail alarms (unless the stack disables them), watched by the workflow" });
  if (validationEndpoint) {
    plan.change.push(
      { action: 'InvokeEndpoint', resource: names.validationEndpoint, detail: describeValidation(input).replace('green only (InvokeEndpoint TargetVariant)', 'the validation endpoint') },
      { action: 'DeleteEndpoint', resource: names.validationEndpoint, detail: 'once validated (or failed)' },
    );
  }
  plan.change.push(
    {
      action: 'UpdateEndpoint',
      resource: plan.endpointName,
      detail: `to ${names.greenConfig} with no deployment guardrails (they do not apply to serverless endpoints): all traffic at once, the container re-initialized (cold starts)`,
    },
    { action: 'Bake', resource: plan.endpointName, detail: `${bakeText(input)}, the whole of it watched by the workflow (${alarmsText(input)})` },
  );
  if (input.validation?.samples?.length) {
    plan.change.push({ action: 'InvokeEndpoint', resource: plan.endpointName, detail: `re-validation once green serves: the same ${input.validation.samples.length} request(s)` });
  }
  plan.onRollback.push(
    validationEndpoint ? 'before the UpdateEndpoint (a failed validation): delete the validation endpoint; blue is untouched' : 'before the UpdateEndpoint: blue is untouched',
    `after it, during the bake: UpdateEndpoint back to ${view.configName ?? "blue's config"}, which re-initializes blue's container: users meet cold starts again`,
  );
}

/**
 * component: green is the component's specification with the new model, validated on a one-copy
 * validation component, then UpdateInferenceComponent: a rolling update with SageMaker's auto-rollback,
 * or a one-copy component replaced at once with the workflow watching.
 */
function componentSteps(plan: PromotionPlan, input: PromotionInput): void {
  const { names } = plan;
  const component = plan.blue?.component;
  const name = component?.name ?? plan.target?.inferenceComponentName ?? '?';
  const copies = component?.copies ?? 0;
  const validation = preValidates(input);
  if (validation) {
    plan.create.push({
      action: 'CreateInferenceComponent',
      resource: names.validationComponent,
      detail: `one copy of ${name}'s specification with the new model, on variant ${component?.variantName ?? '?'} of ${plan.endpointName}, deleted after validation`,
    });
  }
  const rolls = copies >= 2;
  plan.create.push({
    action: 'PutMetricAlarm',
    resource: [`${names.alarmPrefix}-5xx`, `${names.alarmPrefix}-latency`, ...(rolls ? [abortAlarmName({ names })] : [])].join(', '),
    detail: rolls ? "green's own alarms (unless the stack disables them) and the abort alarm only the workflow sets, to make SageMaker roll back" : "green's own alarms (unless the stack disables them), watched by the workflow",
  });
  if (validation) {
    plan.change.push(
      { action: 'InvokeEndpoint', resource: names.validationComponent, detail: describeValidation(input).replace('green only (InvokeEndpoint TargetVariant)', 'the validation component (InferenceComponentName)') },
      { action: 'DeleteInferenceComponent', resource: names.validationComponent, detail: 'once validated (or failed)' },
    );
  }
  plan.change.push(
    {
      action: 'UpdateInferenceComponent',
      resource: name,
      detail: rolls
        ? `to the new model: a rolling update of its ${copies} copies, auto-rollback on ${alarmsText(input)}`
        : `to the new model: its one copy replaced at once (no rolling batch fits 5–50% of one copy), the workflow watching ${alarmsText(input)}`,
    },
    { action: 'Bake', resource: name, detail: `${bakeText(input)}, watched by the workflow` },
  );
  if (input.validation?.samples?.length) {
    plan.change.push({ action: 'InvokeEndpoint', resource: name, detail: `re-validation once green serves: the same ${input.validation.samples.length} request(s) (InferenceComponentName)` });
  }
  plan.onRollback.push(
    validation ? 'before the update (a failed validation): delete the validation component; blue is untouched' : 'before the update: blue is untouched',
    rolls
      ? `during the rolling update: the workflow sets ${abortAlarmName({ names })} (or a guardrail alarm fires) and SageMaker rolls the copies back to blue's`
      : "during the update: the workflow waits for it to end, then updates back",
    `after it, during the bake: UpdateInferenceComponent back to blue's specification (model ${component?.modelName ?? '?'}, ${copies} copies)`,
  );
}

/** The strategy's fleets (or copies, or serverless containers) and their cost above blue's steady fleet, from blue as it runs. */
function strategyCost(plan: PromotionPlan, input: PromotionInput): void {
  const blue = targetOfBlue(plan);
  const bakeSeconds = input.bakeSeconds ?? ASSUMED_DEFAULT_BAKE_SECONDS;
  const validationMode = preValidates(input) ? ('endpoint' as const) : ('off' as const);
  let cost: StrategyPlan;
  if (plan.strategy === 'replace') {
    cost = serverlessPlan({ ...blue?.serverless, bakeSeconds, validationMode });
  } else if (plan.strategy === 'component') {
    const host = plan.blue?.variants.find((v) => v.variantName === plan.blue?.component?.variantName);
    cost = componentPlan({
      componentName: plan.blue?.component?.name ?? '?',
      copies: plan.blue?.component?.copies ?? 0,
      instanceType: host?.instanceType,
      instances: host?.instances,
      bakeSeconds,
      rollingUpdate: input.rollingUpdate,
      validationMode,
    });
  } else if (!blue?.instanceType) {
    plan.notes.push(`no cost estimate: variant ${blue?.variantName ?? '?'} has no instance type`);
    return;
  } else {
    const others = plan.strategy === 'guardrails' ? (plan.blue?.variants ?? []).filter((v) => v !== blue) : [];
    cost = strategyPlan({
      strategy: plan.strategy,
      instanceType: blue.instanceType,
      instanceCount: blue.instances ?? 1,
      bakeSeconds,
      traffic: input.traffic,
      validationMode,
      otherVariants: others.map((v) => ({ variantName: v.variantName, instanceType: v.instanceType ?? '?', instances: v.instances ?? 1 })),
      ...(plan.kind === 'asynchronous' ? { asyncOutputSeconds: input.validation?.asyncOutputSeconds ?? DEFAULT_ASYNC_OUTPUT_SECONDS } : {}),
    });
    plan.notes.push(`instance counts as blue runs now (${[blue, ...others].map((v) => `${v.instances ?? '?'} × ${v.instanceType ?? '?'}`).join(', ')}); autoscaling may change them before the promotion starts`);
  }
  plan.provisions = cost.provisions;
  plan.cycles = cost.cycles;
  plan.extraInstanceMinutes = cost.extraInstanceMinutes;
  plan.billing = cost.billing;
  if (cost.costUnknown) plan.costUnknown = cost.costUnknown;
  plan.cost = { formula: cost.formula, provisioningMinutes: ASSUMED_PROVISIONING_MINUTES, bakeSeconds, bakeAssumed: input.bakeSeconds === undefined };
  plan.strategyLines.push(...cost.lines);
  plan.notes.push(...cost.notes);
  if (input.bakeSeconds === undefined) plan.notes.push(`bake: the stack's default, assumed ${formatSeconds(ASSUMED_DEFAULT_BAKE_SECONDS)} here; pass --bake to plan the exact one`);
}

function planFirstDeployment(plan: PromotionPlan, input: PromotionInput, described: DescribeModelPackageOutput | undefined, role: string | undefined): void {
  const { names } = plan;
  plan.notes.push(`first deployment: endpoint ${plan.endpointName} does not exist; the promotion would create it from green, and there is nothing to roll back to (a failed validation deletes the endpoint again)`);
  const named = [...(input.variantName ? ['--variant'] : []), ...(input.inferenceComponentName ? ['--inference-component'] : [])];
  if (named.length > 0) {
    plan.refusals.push(`${named.join(', ')}: endpoint ${plan.endpointName} does not exist yet, so there is nothing of it to target; a first deployment creates a single-variant real-time endpoint: drop ${named.join(' and ')}`);
  }
  const instanceType = input.instanceType ?? described?.InferenceSpecification?.SupportedRealtimeInferenceInstanceTypes?.[0];
  if (!instanceType && described) {
    plan.refusals.push(`--instance-type: endpoint ${plan.endpointName} does not exist yet and ${plan.modelPackageArn} lists no realtime instance type; pass --instance-type for the first deployment`);
  }
  plan.create.push(
    { action: 'CreateModel', resource: names.model, detail: `from ${plan.modelPackageArn}, role ${role ?? "the stack's first model execution role"}` },
    { action: 'CreateEndpointConfig', resource: names.greenConfig, detail: `variant ${names.variant}, ${instanceType ?? '?'} ×${input.initialInstanceCount ?? 1}` },
    { action: 'CreateEndpoint', resource: plan.endpointName, detail: `with ${names.greenConfig}, then waits for InService` },
  );
  plan.change.push({ action: 'InvokeEndpoint', resource: names.variant, detail: describeValidation(input) });
  plan.onRollback.push(`delete endpoint ${plan.endpointName}, then green's model and config`);
  const count = input.initialInstanceCount ?? 1;
  plan.provisions.push({ fleet: 'green-fleet', instanceType: instanceType ?? '?', instances: count, extraInstanceMinutes: 0, detail: 'the new endpoint: there is no blue to run beside' });
  plan.cycles = 1;
  plan.strategyLines.push(`first deployment: the ${plan.strategy} strategy does not apply (no blue); the endpoint is created with green's fleet of ${count} × ${instanceType ?? '?'}, nothing runs beside it`);
}

export function renderPlan(plan: PromotionPlan): string[] {
  const lines = [`Plan: promote ${plan.endpointName} to version ${plan.modelPackageVersion} (${plan.modelPackageArn})`, 'Read-only: nothing was created, changed or deleted.', ''];
  if (plan.blue) {
    lines.push(`Blue (serving now): config ${plan.blue.configName ?? '-'}`);
    for (const v of plan.blue.variants) {
      const size = v.serverless
        ? `serverless ${v.serverless.memorySizeInMb ?? '?'} MB, max concurrency ${v.serverless.maxConcurrency ?? '?'}${v.serverless.provisionedConcurrency === undefined ? '' : `, provisioned concurrency ${v.serverless.provisionedConcurrency}`}`
        : `${v.instanceType ?? '?'} ×${v.instances ?? '?'}`;
      const model = v.modelName === undefined && plan.kind === 'inference-component' ? 'hosts inference components' : `model ${v.modelName ?? '-'} (version ${v.modelPackageVersion ?? 'unknown'})`;
      lines.push(`  variant ${v.variantName}: weight ${v.weight}, ${size}, ${model}`);
    }
    const c = plan.blue.component;
    if (c) lines.push(`  inference component ${c.name}: ${c.copies} cop${c.copies === 1 ? 'y' : 'ies'} on variant ${c.variantName ?? '?'}, model ${c.modelName ?? '-'}, ${c.status ?? '?'}`);
  }
  lines.push(`Kind: ${plan.kind}${plan.firstDeployment ? ' (a first deployment creates one)' : ''}`);
  const source =
    plan.strategySource === 'input'
      ? '--strategy'
      : plan.strategySource === 'kind'
        ? `the only one for ${kindPhrase(plan.kind)}`
        : "the stack's default, assumed guardrails unless configured: pass --strategy to be sure";
  lines.push(`Strategy: ${plan.strategy} (${source})`, `  why: ${plan.strategyReason}`);
  const target = plan.target;
  if (target?.inferenceComponentName) lines.push(`Target: inference component ${target.inferenceComponentName} (${target.copies ?? '?'} copies, on variant ${target.variantName ?? '?'})`);
  else if (target?.variantName) lines.push(`Target: variant ${target.variantName}${(plan.blue?.variants.length ?? 0) > 1 ? ' (the other variants keep their models and weights)' : ''}`);
  if (plan.strategyLines.length > 0) {
    const header = plan.billing === undefined || plan.billing === 'instance-minutes' ? `Provisions (provisioning assumed ${plan.cost?.provisioningMinutes ?? ASSUMED_PROVISIONING_MINUTES} min per fleet):` : 'Provisions:';
    lines.push(header, ...plan.strategyLines.map((l) => `  - ${l}`));
  }
  if (plan.costUnknown) lines.push(`Cost the plan cannot price: ${plan.costUnknown}`);
  lines.push(
    `Green: names end in a hash of the execution name "${plan.executionName}"; every start gets new ones unless you pass the same --name.`,
    '',
    'Would create:',
    ...plan.create.map((s) => `  ${s.action} ${s.resource}: ${s.detail}`),
    'Would change, in order:',
    ...plan.change.map((s, i) => `  ${i + 1}. ${s.action} ${s.resource}: ${s.detail}`),
  );
  if (plan.delete.length > 0) lines.push('Would delete, once green serves alone:', ...plan.delete.map((s) => `  ${s.action} ${s.resource}: ${s.detail}`));
  if (plan.keep.length > 0) lines.push('Would keep:', ...plan.keep.map((k) => `  ${k.resource}: ${k.reason}`));
  if (plan.onRollback.length > 0) lines.push('On a failure or alarm instead (rollback):', ...plan.onRollback.map((s) => `  ${s}`));
  if (plan.notes.length > 0) lines.push('Notes:', ...plan.notes.map((n) => `  - ${n}`));
  lines.push('');
  if (plan.refusals.length === 0) {
    lines.push(`Accepted: the promotion would start. Run it: bluegreen promote ${plan.endpointName} --model-package ${plan.modelPackageArn}`);
  } else {
    lines.push('Refused: the workflow would not promote, because:', ...plan.refusals.map((r) => `  - ${r}`));
  }
  return lines;
}

export async function plan(ctx: Context, endpointName: string, options: PlanOptions): Promise<number> {
  const input = buildPromotionInput(endpointName, options, ctx.user);
  const executionName = executionNameFor(input, options, ctx.now());
  const version = modelPackageParts(input.modelPackageArn).version;
  const result: PromotionPlan = {
    accepted: false,
    endpointName,
    modelPackageArn: input.modelPackageArn,
    modelPackageVersion: version,
    executionName,
    names: greenNames(endpointName, version, executionName),
    firstDeployment: false,
    // A first deployment creates a real-time endpoint; an endpoint that exists says its kind.
    kind: 'real-time',
    strategy: input.strategy ?? ASSUMED_DEFAULT_STRATEGY,
    strategySource: input.strategy === undefined ? 'assumed' : 'input',
    strategyReason: 'a first deployment: CreateEndpoint of a single-variant real-time endpoint',
    provisions: [],
    cycles: 0,
    extraInstanceMinutes: 0,
    strategyLines: [],
    create: [],
    change: [],
    delete: [],
    keep: [],
    onRollback: [],
    refusals: [],
    notes: [],
  };

  const [{ described, problem }, view, missing, tableName, stateMachineArn] = await Promise.all([
    describePackage(ctx.clients, input.modelPackageArn),
    describeEndpointView(ctx.clients, endpointName),
    missingAlarms(ctx.clients.cloudwatch, input.guardrailAlarmNames ?? []),
    ctx.targets.tableNameIfKnown(),
    ctx.targets.stateMachineArnIfKnown(),
  ]);
  // The workflow's first state answers a busy endpoint before anything else: so does plan.
  if (tableName) {
    const inFlight = await inFlightPromotion(ctx.clients, tableName, endpointName);
    if (inFlight) result.refusals.push(promotionInProgressMessage(endpointName, inFlight.lock));
  } else {
    result.notes.push('no promotion-in-flight check: the history table is unknown (pass --table, set BLUEGREEN_TABLE or pass --stack)');
  }
  if (stateMachineArn) {
    const limits = stackLimitChecks(input, await readStackLimits(ctx.clients, stateMachineArn));
    result.refusals.push(...limits.refusals);
    result.notes.push(...limits.notes);
  } else {
    result.notes.push("no check of the package's account and region, nor of the bake against the execution timeout: the state machine is unknown (pass --state-machine-arn, set BLUEGREEN_STATE_MACHINE_ARN or pass --stack)");
  }
  if (problem) result.refusals.push(problem);
  if (described && described.ModelApprovalStatus !== 'Approved') {
    result.refusals.push(
      `--model-package: ${input.modelPackageArn} is ${described.ModelApprovalStatus ?? 'without approval status'}; only Approved model packages are deployed (approve it in the Model Registry first)`,
    );
  }
  if (missing.length > 0) result.refusals.push(`--alarm: no CloudWatch alarm named ${missing.join(', ')}; create it or leave it out`);
  result.notes.push("the stack also checks that the endpoint and model package group are ones it manages, and the execution role; plan cannot see the stack's settings");
  if (!input.validation?.samples?.length) result.notes.push('no validation samples: pass --validation-file so green is tested with real requests before it gets traffic');

  if (view) await planOntoBlue(ctx, result, input, options, view, input.executionRoleArn);
  else {
    result.firstDeployment = true;
    planFirstDeployment(result, input, described, input.executionRoleArn);
  }
  result.accepted = result.refusals.length === 0;

  ctx.out.document(result);
  if (!ctx.out.json) for (const line of renderPlan(result)) ctx.out.line(line);
  return result.accepted ? EXIT.ok : EXIT.usage;
}
