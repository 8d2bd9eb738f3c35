import { missingAlarms } from '../../lambdas/shared/alarms';
import {
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  DescribeModelPackageCommand,
  paginateListEndpoints,
  type DescribeModelPackageOutput,
} from '@aws-sdk/client-sagemaker';
import type { BlueState, GreenState, Promotion, PromotionState } from '../../lambdas/shared/contracts';
import { cleanupPlan, unsupportedReasons } from '../../lambdas/shared/decisions';
import { isNotFound } from '../../lambdas/shared/errors';
import { modelPackageParts, type PromotionInput } from '../../lambdas/shared/input';
import { greenNames, type GreenNames } from '../../lambdas/shared/naming';
import type { AwsClients, StackOptions } from '../aws';
import type { Context } from '../context';
import { formatSeconds } from '../duration';
import { describeEndpointView, type EndpointView } from '../endpoint';
import { EXIT } from '../errors';
import { buildPromotionInput, executionNameFor, type PromotionOptions } from '../promotion-input';
import { inFlightPromotion } from '../promotions';

export interface PlanOptions extends StackOptions, PromotionOptions {
  json?: boolean;
}

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
      if (summary.EndpointName === endpointName) continue;
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

function describeValidation(input: PromotionInput): string {
  const samples = input.validation?.samples ?? [];
  return samples.length > 0
    ? `send ${samples.length} validation request(s) to green only (InvokeEndpoint TargetVariant): ${samples.map((s, i) => s.name ?? `sample-${i + 1}`).join(', ')}`
    : 'no validation requests (none given): green goes live on InService alone';
}

function bakeText(input: PromotionInput): string {
  return input.bakeSeconds === undefined ? "the stack's default bake" : `a bake of ${formatSeconds(input.bakeSeconds)}`;
}

/** Blue → green for an endpoint that exists: mirrors create-green, stand-up, shift, finalize and cleanup. */
async function planOntoBlue(ctx: Context, plan: PromotionPlan, input: PromotionInput, view: EndpointView, role: string | undefined): Promise<void> {
  const { names } = plan;
  const config = view.config;
  if (view.status !== 'InService') {
    plan.refusals.push(`endpoint ${view.endpointName} is ${view.status}; a promotion starts only from InService (wait, or fix the endpoint first)`);
  }
  if (!config) {
    plan.refusals.push(`endpoint ${view.endpointName} runs config ${view.configName ?? '?'}, which cannot be described`);
    return;
  }
  for (const reason of unsupportedReasons(config)) plan.refusals.push(`endpoint ${view.endpointName}: ${reason}`);
  const blueVariants = config.ProductionVariants ?? [];
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
  const template = plan.blue.variants[0];
  const size = template ? `${template.instanceType ?? 'serverless'} ×${template.instances ?? '?'} (as blue runs now)` : 'as blue';
  const blueModelRole = [...view.models.values()][0]?.ExecutionRoleArn;
  plan.create.push(
    { action: 'CreateModel', resource: names.model, detail: `from ${plan.modelPackageArn}, role ${role ?? blueModelRole ?? "the stack's first model execution role"}` },
    { action: 'CreateEndpointConfig', resource: names.greenConfig, detail: `green alone: variant ${names.variant}, ${size}, blue's other settings copied` },
    {
      action: 'CreateEndpointConfig',
      resource: names.pairConfig,
      detail: `blue as it is (${blueVariants.map((v) => v.VariantName).join(', ')}) + green ${names.variant} at weight 0`,
    },
    { action: 'PutMetricAlarm', resource: `${names.alarmPrefix}-5xx, ${names.alarmPrefix}-latency`, detail: "green's own guardrail alarms (unless the stack disables them)" },
  );
  const blueNames = plan.blue.variants.map((v) => v.variantName);
  plan.change.push(
    { action: 'UpdateEndpoint', resource: plan.endpointName, detail: `to ${names.pairConfig}: green stands up beside blue at weight 0, then waits for InService` },
    { action: 'InvokeEndpoint', resource: names.variant, detail: describeValidation(input) },
    {
      action: 'UpdateEndpointWeightsAndCapacities',
      resource: plan.endpointName,
      detail: `${plan.blue.variants.map((v) => `${v.variantName} ${v.weight} → 0`).join(', ')}, ${names.variant} 0 → 1`,
    },
    {
      action: 'Bake',
      resource: plan.endpointName,
      detail: `${bakeText(input)}, watching ${[...(input.guardrailAlarmNames ?? []), "the stack's guardrail alarms", "green's own alarms"].join(', ')}`,
    },
    { action: 'UpdateEndpoint', resource: plan.endpointName, detail: `to ${names.greenConfig}: green alone (variants ${blueNames.join(', ')} removed)` },
  );
  const blue: BlueState = {
    exists: true,
    endpointConfigName: view.configName,
    variants: plan.blue.variants.map((v) => ({ variantName: v.variantName, modelName: v.modelName ?? '', currentWeight: v.weight })),
    modelNames: [...new Set(plan.blue.variants.map((v) => v.modelName).filter((n): n is string => !!n))],
  };
  const green: GreenState = { modelName: names.model, variantName: names.variant, greenConfigName: names.greenConfig, pairConfigName: names.pairConfig, created: [] };
  const createdAlarms = [`${names.alarmPrefix}-5xx`, `${names.alarmPrefix}-latency`];
  // cleanupPlan reads the endpoint name of the promotion and the blue/green/bake pieces only.
  const state = { promotion: { endpointName: plan.endpointName } as Promotion, blue, green, bake: { createdAlarms } } as PromotionState;
  const cleanup = cleanupPlan('blue', state, await usedByOtherEndpoints(ctx.clients, plan.endpointName));
  for (const name of cleanup.configs) plan.delete.push({ action: 'DeleteEndpointConfig', resource: name, detail: name === names.pairConfig ? 'the stand-up config' : "blue's config" });
  for (const name of cleanup.models) plan.delete.push({ action: 'DeleteModel', resource: name, detail: "blue's model" });
  plan.delete.push({ action: 'DeleteAlarms', resource: cleanup.alarms.join(', '), detail: "green's guardrail alarms, once the bake is over" });
  plan.keep.push(...cleanup.kept);
  plan.onRollback.push(
    `traffic back to blue (${blueNames.map((n) => `${n}=1`).join(', ')}, one UpdateEndpointWeightsAndCapacities), then UpdateEndpoint to ${view.configName}`,
    `delete green: model ${names.model}, configs ${names.greenConfig} and ${names.pairConfig}, its alarms`,
  );
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
}

export function renderPlan(plan: PromotionPlan): string[] {
  const lines = [`Plan: promote ${plan.endpointName} to version ${plan.modelPackageVersion} (${plan.modelPackageArn})`, 'Read-only: nothing was created, changed or deleted.', ''];
  if (plan.blue) {
    lines.push(`Blue (serving now): config ${plan.blue.configName ?? '-'}`);
    for (const v of plan.blue.variants) {
      lines.push(`  variant ${v.variantName}: weight ${v.weight}, ${v.instanceType ?? '?'} ×${v.instances ?? '?'}, model ${v.modelName ?? '-'} (version ${v.modelPackageVersion ?? 'unknown'})`);
    }
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
    create: [],
    change: [],
    delete: [],
    keep: [],
    onRollback: [],
    refusals: [],
    notes: [],
  };

  const [{ described, problem }, view, missing, tableName] = await Promise.all([
    describePackage(ctx.clients, input.modelPackageArn),
    describeEndpointView(ctx.clients, endpointName),
    missingAlarms(ctx.clients.cloudwatch, input.guardrailAlarmNames ?? []),
    ctx.targets.tableNameIfKnown(),
  ]);
  if (problem) result.refusals.push(problem);
  if (described && described.ModelApprovalStatus !== 'Approved') {
    result.refusals.push(
      `--model-package: ${input.modelPackageArn} is ${described.ModelApprovalStatus ?? 'without approval status'}; only Approved model packages are deployed (approve it in the Model Registry first)`,
    );
  }
  if (missing.length > 0) result.refusals.push(`--alarm: no CloudWatch alarm named ${missing.join(', ')}; create it or leave it out`);
  if (tableName) {
    const inFlight = await inFlightPromotion(ctx.clients, tableName, endpointName);
    if (inFlight) {
      result.refusals.push(
        `endpoint ${endpointName} is being promoted by ${inFlight.promotionId} (version ${inFlight.modelPackageVersion ?? '?'}, since ${inFlight.since}); wait for it to end or abort it with "bluegreen rollback ${endpointName}"`,
      );
    }
  } else {
    result.notes.push('no promotion-in-flight check: the history table is unknown (pass --table, set BLUEGREEN_TABLE or pass --stack)');
  }
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
