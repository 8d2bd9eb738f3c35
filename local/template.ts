import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { type AppConfig, parseAppConfig } from '../lib/config';
import { STEP_ENV, type FunctionName, type StepName } from '../lib/functions';
import { BlueGreenStack } from '../lib/stack';
import { CONFIG_FILE, type FunctionConfig } from '../lambdas/shared/settings';

export const LOCAL_ACCOUNT = '111122223333';
export const LOCAL_REGION = 'us-east-1';

type CfnValue = string | number | boolean | null | CfnValue[] | { [key: string]: CfnValue };
export interface CfnTemplate {
  Resources: Record<string, { Type: string; Properties?: Record<string, CfnValue>; Metadata?: Record<string, unknown> }>;
}

/**
 * Where synthesizeTemplate copies each function's bluegreen.json (read from its staged code asset)
 * into the template it returns: the local runner hands the functions the very document deployed
 * beside their code, and a cached template carries it along.
 */
export const LOCAL_CONFIG_METADATA = 'sagemaker-bluegreen:local-config';

/**
 * The state machine as it would be deployed, read from a synthesized template, plus
 * each function's step and environment. Nothing is hand-copied: a change to the
 * definition or the construct changes what runs locally.
 */
export interface SynthesizedWorkflow {
  definition: Record<string, unknown>;
  /** Task state name → the step its function runs. */
  taskSteps: Record<string, StepName>;
  /** Every function of the template: ARN → the handler folder it runs (steps and triggers). */
  functions: Record<string, FunctionName>;
  /** Each function's own environment variables (Refs resolved), by handler folder. */
  functionEnvironments: Partial<Record<FunctionName, Record<string, string>>>;
  waitStates: string[];
  /** Task states of the optimized EventBridge integration (`arn:aws:states:::events:putEvents`): the lifecycle events. */
  putEventsStates: string[];
  /** The environment the template gives the functions (Refs resolved to local names). */
  environment: Record<string, string>;
  /** The configuration documents the construct wrote beside the functions' code (bluegreen.json), as one. */
  config: FunctionConfig;
  /** The state machine's ARN as the template's Refs resolve locally (what trigger functions and rules name). */
  stateMachineArn: string;
  /** The history table's name (its logical ID; the local DynamoDB table is created under it). */
  tableName: string;
  /** EventBridge rules of the template: logical ID → pattern (or schedule expression) and target. */
  rules: Record<string, { pattern: Record<string, unknown>; schedule?: string; targetArn?: string; input?: unknown; eventBusName: string }>;
  /** CloudWatch dashboards of the template: name → DashboardBody (a JSON string, Refs resolved to local names). */
  dashboards: Record<string, string>;
  template: CfnTemplate;
}

/**
 * Synthesizes the app's stack in-process (no bundling, no credentials, no network). With
 * no config and BLUEGREEN_TEMPLATE_CACHE set (the test suite's global setup), reads the
 * template synthesized once for the whole run.
 */
export function synthesizeTemplate(config?: AppConfig | unknown): CfnTemplate {
  const cache = process.env.BLUEGREEN_TEMPLATE_CACHE;
  if (config === undefined && cache && existsSync(cache)) return JSON.parse(readFileSync(cache, 'utf8')) as CfnTemplate;
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const parsed = parseAppConfig(config ?? defaultLocalConfig());
  const stack = new BlueGreenStack(app, 'SageMakerBlueGreen', { config: parsed, env: { account: LOCAL_ACCOUNT, region: LOCAL_REGION } });
  const assembly = app.synth();
  const template = assembly.getStackByName(stack.stackName).template as CfnTemplate;
  for (const resource of Object.values(template.Resources)) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const key = (resource.Properties?.Code as { S3Key?: string } | undefined)?.S3Key;
    const asset = key ? join(assembly.directory, `asset.${key.replace(/\.zip$/, '')}`, CONFIG_FILE) : undefined;
    if (asset && existsSync(asset)) resource.Metadata = { ...resource.Metadata, [LOCAL_CONFIG_METADATA]: JSON.parse(readFileSync(asset, 'utf8')) };
  }
  return template;
}

/** The app's own configuration, from cdk.json: locally the same stack runs as `cdk synth` builds. */
export function defaultLocalConfig(): AppConfig {
  const cdkJson = JSON.parse(readFileSync(join(__dirname, '..', 'cdk.json'), 'utf8')) as { context?: { bluegreen?: unknown } };
  return parseAppConfig(cdkJson.context?.bluegreen);
}

/** Writes a configuration document where the functions will read it (a new file each call: functions read a file once). */
export function writeFunctionConfig(config: FunctionConfig): string {
  const file = join(mkdtempSync(join(tmpdir(), 'bluegreen-config-')), CONFIG_FILE);
  writeFileSync(file, JSON.stringify(config));
  return file;
}

function resolve(value: CfnValue, names: (logicalId: string, attr?: string) => string): CfnValue {
  if (Array.isArray(value)) return value.map((v) => resolve(v, names));
  if (value === null || typeof value !== 'object') return value;
  const keys = Object.keys(value);
  if (keys.length === 1) {
    const [key] = keys as [string];
    const arg = value[key]!;
    switch (key) {
      case 'Fn::Join': {
        const [sep, parts] = arg as [string, CfnValue[]];
        return parts.map((p) => resolve(p, names)).join(sep);
      }
      case 'Ref':
        return names(arg as string);
      case 'Fn::GetAtt': {
        const [id, attr] = arg as [string, string];
        return names(id, attr);
      }
      case 'Fn::Sub':
        return String(arg).replace(/\$\{([^}]+)\}/g, (_m, ref: string) => names(ref.split('.')[0]!, ref.split('.')[1]));
    }
  }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolve(v, names)]));
}

/** The optimized EventBridge integration's resource (request-response). */
export const PUT_EVENTS = 'arn:aws:states:::events:putEvents';

/** A bus's name from a name or an ARN (…:event-bus/<name>); none is the default bus, as in EventBridge. */
export function busName(nameOrArn: string | undefined): string {
  if (!nameOrArn) return 'default';
  const arn = /:event-bus\/(.+)$/.exec(nameOrArn);
  return arn ? arn[1]! : nameOrArn;
}

export function workflowFromTemplate(template: CfnTemplate): SynthesizedWorkflow {
  const resources = template.Resources;
  const names = (logicalId: string, attr?: string): string => {
    const pseudo: Record<string, string> = {
      'AWS::Partition': 'aws',
      'AWS::Region': LOCAL_REGION,
      'AWS::AccountId': LOCAL_ACCOUNT,
      'AWS::URLSuffix': 'amazonaws.com',
      'AWS::StackName': 'SageMakerBlueGreen',
    };
    if (pseudo[logicalId]) return pseudo[logicalId];
    const resource = resources[logicalId];
    if (!resource) throw new Error(`template references unknown resource ${logicalId}`);
    switch (resource.Type) {
      case 'AWS::Lambda::Function':
        return `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${logicalId}`;
      case 'AWS::StepFunctions::StateMachine':
        return `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${logicalId}`;
      case 'AWS::DynamoDB::Table':
        return attr === 'Arn' ? `arn:aws:dynamodb:${LOCAL_REGION}:${LOCAL_ACCOUNT}:table/${logicalId}` : logicalId;
      default:
        return attr ? `arn:aws:local:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${logicalId}/${attr}` : logicalId;
    }
  };

  const machines = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::StepFunctions::StateMachine');
  if (machines.length !== 1) throw new Error(`expected one state machine in the template, found ${machines.length}`);
  const [machineId, machine] = machines[0]!;
  const definition = JSON.parse(String(resolve(machine.Properties!.DefinitionString!, names))) as Record<string, unknown>;

  const stepByArn = new Map<string, StepName>();
  const functions: Record<string, FunctionName> = {};
  const functionEnvironments: SynthesizedWorkflow['functionEnvironments'] = {};
  let environment: Record<string, string> = {};
  let config: FunctionConfig | undefined;
  for (const [id, r] of Object.entries(resources)) {
    if (r.Type !== 'AWS::Lambda::Function') continue;
    // Every function has the same settings; the routes are on-approval's, the routed groups on-execution-end's.
    const document = r.Metadata?.[LOCAL_CONFIG_METADATA] as FunctionConfig | undefined;
    if (document && config && JSON.stringify(document.settings) !== JSON.stringify(config.settings)) throw new Error(`function ${id} has other settings in its ${CONFIG_FILE} than the others`);
    if (document) {
      config = {
        settings: document.settings,
        approvalRoutes: { ...config?.approvalRoutes, ...document.approvalRoutes },
        registryGroups: [...new Set([...(config?.registryGroups ?? []), ...document.registryGroups])],
      };
    }
    const env = resolve((r.Properties?.Environment as { Variables?: CfnValue } | undefined)?.Variables ?? {}, names) as Record<string, string>;
    const name = env[STEP_ENV] as FunctionName | undefined;
    if (!name) continue;
    functions[names(id, 'Arn')] = name;
    stepByArn.set(names(id, 'Arn'), name as StepName);
    const { [STEP_ENV]: _step, ...own } = env;
    functionEnvironments[name] = own;
    environment = { ...environment, ...own };
  }

  const taskSteps: Record<string, StepName> = {};
  const waitStates: string[] = [];
  const putEventsStates: string[] = [];
  const states = definition.States as Record<string, { Type: string; Resource?: string; Parameters?: { FunctionName?: string } }>;
  for (const [name, state] of Object.entries(states)) {
    if (state.Type === 'Wait') waitStates.push(name);
    if (state.Type !== 'Task') continue;
    if (state.Resource === PUT_EVENTS) {
      putEventsStates.push(name);
      continue;
    }
    const viaIntegration = state.Resource?.startsWith('arn:aws:states:::lambda:invoke');
    const arn = viaIntegration ? state.Parameters?.FunctionName : state.Resource;
    const step = arn ? stepByArn.get(arn) : undefined;
    if (!step) throw new Error(`task state ${name} calls ${arn}, which is no step function of the template`);
    taskSteps[name] = step;
  }

  if (!config) throw new Error(`no function of the template has its ${CONFIG_FILE} (synthesize with synthesizeTemplate)`);
  const tableId = Object.entries(resources).find(([, r]) => r.Type === 'AWS::DynamoDB::Table')?.[0];
  if (!tableId) throw new Error('no DynamoDB table in the template');

  const rules: SynthesizedWorkflow['rules'] = {};
  for (const [id, r] of Object.entries(resources)) {
    if (r.Type !== 'AWS::Events::Rule') continue;
    const props = resolve(r.Properties ?? {}, names) as { EventPattern?: Record<string, unknown>; ScheduleExpression?: string; Targets?: Array<{ Arn?: string; Input?: string }>; EventBusName?: string };
    rules[id] = { pattern: props.EventPattern ?? {}, schedule: props.ScheduleExpression, targetArn: props.Targets?.[0]?.Arn, input: props.Targets?.[0]?.Input, eventBusName: busName(props.EventBusName) };
  }
  const dashboards: SynthesizedWorkflow['dashboards'] = {};
  for (const [id, r] of Object.entries(resources)) {
    if (r.Type !== 'AWS::CloudWatch::Dashboard') continue;
    const props = resolve(r.Properties ?? {}, names) as { DashboardName?: string; DashboardBody?: string };
    dashboards[props.DashboardName ?? id] = props.DashboardBody ?? '{"widgets":[]}';
  }
  return { definition, taskSteps, functions, functionEnvironments, waitStates, putEventsStates, environment, config, stateMachineArn: names(machineId), tableName: tableId, rules, dashboards, template };
}
