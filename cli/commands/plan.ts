import { missingAlarms } from '../../lambdas/shared/alarms';
import {
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  DescribeModelPackageCommand,
  paginateListEndpoints,
  type DescribeModelPackageOutput,
} from '@aws-sdk/client-sagemaker';
import { sameEndpoint, type BlueState, type GreenState, type Promotion, type PromotionState } from '../../lambdas/shared/contracts';
import { abortAlarmName, cleanupPlan, MAX_ROLLBACK_ALARMS, MAX_TERMINATION_WAIT_SECONDS, unsupportedReasons } from '../../lambdas/shared/decisions';
import { isNotFound } from '../../lambdas/shared/errors';
import { modelPackageParts, type PromotionInput, type StrategyName } from '../../lambdas/shared/input';
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
  type PromotionOptions,
} from '../promotion-input';
import { inFlightPromotion } from '../promotions';
import { ASSUMED_PROVISIONING_MINUTES, strategyPlan, type Provision } from '../strategy-plan';
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
  strategy: StrategyName;
  /** `input`: --strategy; `assumed`: the stack's default as plan assumes it (guardrails unless configured). */
  strategySource: 'input' | 'assumed';
  /** What SageMaker stands up on the way to green, and what each adds above blue's steady fleet. */
  provisions: Provision[];
  cycles: number;
  extraInstanceMinutes: number;
  /** The arithmetic of extraInstanceMinutes, and what it assumes. */
  cost?: { formula: string; provisioningMinutes: number; bakeSeconds: number; bakeAssumed: boolean };
  /** The strategy's provisioning, one sentence each (the human report's Strategy section). */
  strategyLines: string[];
  blue?: { configName?: string; variants: Array<{ variantName: string; modelName?: string; modelPackageVersion?: string; weight: number; instances?: number; instanceType?: string }> };
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

/** Blue → green for an endpoint that exists: the steps of the strategy, what it provisions, and cleanup. */
async function planOntoBlue(ctx: Context, plan: PromotionPlan, input: PromotionInput, view: EndpointView, role: string | undefined): Promise<void> {
  const config = view.config;
  if (view.status !== 'InService') {
    plan.refusals.push(`endpoint ${view.endpointName} is ${view.status}; a promotion starts only from InService (wait, or fix the endpoint first)`);
  }
  if (!config) {
    plan.refusals.push(`endpoint ${view.endpointName} runs config ${view.configName ?? '?'}, which cannot be described`);
    return;
  }
  for (const reason of unsupportedReasons(config, plan.strategy)) plan.refusals.push(`endpoint ${view.endpointName}: ${reason}`);
  const blueVariants = config.ProductionVariants ?? [];
  if (blueVariants.length > 1) {
    plan.refusals.push(
      `--strategy ${plan.strategy}: promoting one variant of several is not supported yet (the ${plan.strategy === 'guardrails' ? 'variant' : 'guardrails'} strategy refuses it too); serve one production variant before promoting`,
    );
  }
  const running = (name: string | undefined) => view.variants.find((v) => v.variantName === name);
  plan.blue = {
    configName: view.configName,
    variants: blueVariants.map((v) => {
      const live = running(v.VariantName);
      return {
        variantName: v.VariantName ?? '',
        modelName: v.ModelName,
        modelPackageVersion: live?.versionTag ?? live?.packageVersion?.toString(),
        weight: live?.currentWeight ?? v.InitialVariantWeight ?? 1,
        instances: live?.currentInstanceCount ?? v.InitialInstanceCount,
        instanceType: v.InstanceType,
      };
    }),
  };
  if (plan.blue.variants.some((v) => v.modelPackageVersion === String(plan.modelPackageVersion))) {
    plan.notes.push(`blue already serves version ${plan.modelPackageVersion}; the promotion would replace it with a copy of itself`);
  }
  const blueModelRole = [...view.models.values()][0]?.ExecutionRoleArn;
  plan.create.push({ action: 'CreateModel', resource: plan.names.model, detail: `from ${plan.modelPackageArn}, role ${role ?? blueModelRole ?? "the stack's first model execution role"}` });
  if (plan.strategy === 'guardrails') guardrailsSteps(plan, input, view);
  else variantSteps(plan, input, view);
  strategyCost(plan, input);

  const { names } = plan;
  const greenConfigs = plan.strategy === 'guardrails' ? [names.greenConfig, ...(!preValidates(input) ? [] : [names.validationConfig])] : [names.greenConfig, names.pairConfig];
  plan.onRollback.push(`delete green: model ${names.model}, configs ${greenConfigs.join(' and ')}, its alarms`);
  const blue: BlueState = {
    exists: true,
    endpointConfigName: view.configName,
    variants: plan.blue.variants.map((v) => ({ variantName: v.variantName, modelName: v.modelName ?? '', currentWeight: v.weight })),
    modelNames: [...new Set(plan.blue.variants.map((v) => v.modelName).filter((n): n is string => !!n))],
  };
  const green: GreenState =
    plan.strategy === 'guardrails'
      ? {
          modelName: names.model,
          variantName: plan.blue.variants[0]?.variantName ?? names.variant,
          greenConfigName: names.greenConfig,
          ...(!preValidates(input) ? {} : { validationConfigName: names.validationConfig, validationEndpointName: names.validationEndpoint }),
          created: [],
        }
      : { modelName: names.model, variantName: names.variant, greenConfigName: names.greenConfig, pairConfigName: names.pairConfig, created: [] };
  const createdAlarms = [`${names.alarmPrefix}-5xx`, `${names.alarmPrefix}-latency`];
  const promotion = { endpointName: plan.endpointName, strategy: plan.strategy, names } as Promotion;
  if (plan.strategy === 'guardrails') createdAlarms.push(abortAlarmName(promotion));
  // cleanupPlan reads the endpoint name, strategy and names of the promotion and the blue/green/bake pieces only.
  const state = { promotion, blue, green, bake: { createdAlarms } } as PromotionState;
  const cleanup = cleanupPlan('blue', state, await usedByOtherEndpoints(ctx.clients, plan.endpointName));
  const configDetail = (name: string) => (name === names.pairConfig ? 'the stand-up config' : name === names.validationConfig ? "the validation endpoint's config" : "blue's config");
  for (const name of cleanup.configs) {
    // The workflow's cleanup also looks for a validation config a crash might have left; a plan without one says nothing of it.
    if (name === names.validationConfig && !preValidates(input)) continue;
    plan.delete.push({ action: 'DeleteEndpointConfig', resource: name, detail: configDetail(name) });
  }
  for (const name of cleanup.models) plan.delete.push({ action: 'DeleteModel', resource: name, detail: "blue's model" });
  plan.delete.push({ action: 'DeleteAlarms', resource: cleanup.alarms.join(', '), detail: "green's guardrail alarms, once the bake is over" });
  plan.keep.push(...cleanup.kept);
}

function alarmsText(input: PromotionInput): string {
  return [...(input.guardrailAlarmNames ?? []), "the stack's guardrail alarms", "green's own alarms"].join(', ');
}

/** guardrails: green's config is blue's with the model changed, validated on its own endpoint, then one UpdateEndpoint with SageMaker's deployment guardrails. */
function guardrailsSteps(plan: PromotionPlan, input: PromotionInput, view: EndpointView): void {
  const { names } = plan;
  const blue = plan.blue?.variants[0];
  const blueVariant = blue?.variantName ?? '?';
  const size = `${blue?.instanceType ?? 'serverless'} ×${blue?.instances ?? '?'} (as blue runs now)`;
  const validationEndpoint = preValidates(input);
  const traffic = input.traffic ?? { type: 'ALL_AT_ONCE' as const };
  const bake = input.bakeSeconds ?? ASSUMED_DEFAULT_BAKE_SECONDS;
  const termination = Math.min(bake, MAX_TERMINATION_WAIT_SECONDS);
  const ownAlarms = input.greenAlarms?.enabled === false ? 1 : 3;
  const named = input.guardrailAlarmNames?.length ?? 0;
  if (named + ownAlarms > MAX_ROLLBACK_ALARMS) {
    plan.refusals.push(
      `--alarm: SageMaker's auto-rollback takes at most ${MAX_ROLLBACK_ALARMS} alarms and the guardrails strategy adds ${ownAlarms} of its own; name at most ${MAX_ROLLBACK_ALARMS - ownAlarms} (the stack's default alarms count too), or combine them in a composite alarm`,
    );
  }
  const instances = blue?.instances ?? 1;
  if (traffic.type !== 'ALL_AT_ONCE' && instances < 2) {
    plan.refusals.push(`--traffic: ${traffic.type.toLowerCase()} needs at least 2 instances (a step is at most 50% of them) and ${view.endpointName} runs ${instances}; use all-at-once or scale blue out first`);
  }
  plan.create.push({ action: 'CreateEndpointConfig', resource: names.greenConfig, detail: `blue's config with only the model changed: variant ${blueVariant} kept (its autoscaling keeps working), ${size}` });
  if (validationEndpoint) {
    plan.create.push(
      { action: 'CreateEndpointConfig', resource: names.validationConfig, detail: 'the same at one instance, without data capture' },
      { action: 'CreateEndpoint', resource: names.validationEndpoint, detail: `the short-lived validation endpoint, 1 × ${blue?.instanceType ?? '?'}, deleted after validation` },
    );
  }
  plan.create.push({
    action: 'PutMetricAlarm',
    resource: `${names.alarmPrefix}-5xx, ${names.alarmPrefix}-latency, ${abortAlarmName({ names })}`,
    detail: "green's own guardrail alarms (unless the stack disables them) and the abort alarm only the workflow sets, to make SageMaker roll back",
  });
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
      detail: `to ${names.greenConfig} with deployment guardrails: blue/green, traffic ${describeTraffic(traffic)}, TerminationWaitInSeconds ${termination}, auto-rollback on ${alarmsText(input)}`,
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
    plan.change.push({ action: 'InvokeEndpoint', resource: plan.endpointName, detail: `re-validation on the serving fleet: the same ${input.validation.samples.length} request(s)` });
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

/** The strategy's fleets and their cost above blue's steady fleet, from blue as it runs. */
function strategyCost(plan: PromotionPlan, input: PromotionInput): void {
  const blue = plan.blue?.variants[0];
  if (!blue?.instanceType) {
    plan.notes.push('no cost estimate: blue has no instance type (serverless)');
    return;
  }
  const bakeSeconds = input.bakeSeconds ?? ASSUMED_DEFAULT_BAKE_SECONDS;
  const cost = strategyPlan({
    strategy: plan.strategy,
    instanceType: blue.instanceType,
    instanceCount: blue.instances ?? 1,
    bakeSeconds,
    traffic: input.traffic,
    validationMode: preValidates(input) ? 'endpoint' : 'off',
  });
  plan.provisions = cost.provisions;
  plan.cycles = cost.cycles;
  plan.extraInstanceMinutes = cost.extraInstanceMinutes;
  plan.cost = { formula: cost.formula, provisioningMinutes: ASSUMED_PROVISIONING_MINUTES, bakeSeconds, bakeAssumed: input.bakeSeconds === undefined };
  plan.strategyLines.push(...cost.lines);
  plan.notes.push(...cost.notes, `instance counts as blue runs now (${blue.instances ?? '?'} × ${blue.instanceType}); autoscaling may change them before the promotion starts`);
  if (input.bakeSeconds === undefined) plan.notes.push(`bake: the stack's default, assumed ${formatSeconds(ASSUMED_DEFAULT_BAKE_SECONDS)} here; pass --bake to plan the exact one`);
}

function planFirstDeployment(plan: PromotionPlan, input: PromotionInput, described: DescribeModelPackageOutput | undefined, role: string | undefined): void {
  const { names } = plan;
  plan.notes.push(`first deployment: endpoint ${plan.endpointName} does not exist; the promotion would create it from green, and there is nothing to roll back to (a failed validation deletes the endpoint again)`);
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
      lines.push(`  variant ${v.variantName}: weight ${v.weight}, ${v.instanceType ?? '?'} ×${v.instances ?? '?'}, model ${v.modelName ?? '-'} (version ${v.modelPackageVersion ?? 'unknown'})`);
    }
  }
  const source = plan.strategySource === 'input' ? '--strategy' : "the stack's default, assumed guardrails unless configured: pass --strategy to be sure";
  lines.push(`Strategy: ${plan.strategy} (${source})`);
  if (plan.strategyLines.length > 0) {
    lines.push(`Provisions (provisioning assumed ${plan.cost?.provisioningMinutes ?? ASSUMED_PROVISIONING_MINUTES} min per fleet):`, ...plan.strategyLines.map((l) => `  - ${l}`));
  }
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
    strategy: input.strategy ?? ASSUMED_DEFAULT_STRATEGY,
    strategySource: input.strategy === undefined ? 'assumed' : 'input',
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

  if (view) await planOntoBlue(ctx, result, input, view, input.executionRoleArn);
  else {
    result.firstDeployment = true;
    planFirstDeployment(result, input, described, input.executionRoleArn);
  }
  result.accepted = result.refusals.length === 0;

  ctx.out.document(result);
  if (!ctx.out.json) for (const line of renderPlan(result)) ctx.out.line(line);
  return result.accepted ? EXIT.ok : EXIT.usage;
}
