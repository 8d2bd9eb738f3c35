import { EventEmitter } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { AppConfig } from '../lib/config';
import type { FunctionName } from '../lib/functions';
import { CONFIG_FILE_ENV } from '../lambdas/shared/settings';
import { startEmulator, type Emulator } from './emulator';
import { putEvents, throwIfFailedEntries, type BusEvent, type PutEventsOutcome } from './eventbridge';
import { startEventBridgeServer } from './eventbridge-server';
import { loadHandler, loadHandlers, type PutEventsHandler } from './executor';
import { matchesPattern, type EventPattern } from './event-pattern';
import { LocalStepFunctions } from './stepfunctions';
import { LOCAL_ACCOUNT, LOCAL_REGION, synthesizeTemplate, workflowFromTemplate, writeFunctionConfig, type SynthesizedWorkflow } from './template';

/** Seconds between two runs of an EventBridge `rate(n unit)` schedule. */
function rateSeconds(expression: string): number | undefined {
  const m = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (!m) return undefined;
  const unit = m[2]!.startsWith('minute') ? 60 : m[2]!.startsWith('hour') ? 3600 : 86_400;
  return Number(m[1]) * unit;
}

export interface LocalAwsOptions {
  /** The app configuration to synthesize (default: cdk.json's). */
  config?: AppConfig;
  /**
   * The compressed clock: simulated seconds per real second (default 600). Wait states,
   * provisioning, alarm periods and metric windows all run on it, so a 30-minute bake
   * takes 3 seconds and the workflow's deadlines keep their meaning.
   */
  timeScale?: number;
  /** Simulated seconds a new fleet (or new instances) takes to provision (default 300, as real fleets take minutes). */
  provisioningSeconds?: number;
  /** Simulated provisioning seconds per instance type, where it differs (e.g. GPU instances). */
  provisioningSecondsByInstanceType?: Record<string, number>;
  /** Simulated seconds an endpoint takes to delete, its instances billed until then (default 120: undocumented by AWS). */
  deletionSeconds?: number;
}

export interface Delivery {
  rule: string;
  target: FunctionName | 'state-machine';
  event: unknown;
  at: number;
  result?: unknown;
  error?: string;
}

/**
 * The embedded "local AWS": the synthesized stack running offline. SageMaker, Runtime
 * and CloudWatch are the emulator (local/emulator), DynamoDB is dynalite, Step Functions
 * is the synthesized definition on aws-local-stepfunctions behind a local SFN endpoint,
 * and EventBridge is the template's rules matched against the events those services emit.
 * Everything is reached by the real AWS SDK v3 clients through AWS_ENDPOINT_URL_<SERVICE>.
 */
export interface LocalAws {
  workflow: SynthesizedWorkflow;
  emulator: Emulator;
  stepFunctions: LocalStepFunctions;
  stateMachineArn: string;
  tableName: string;
  timeScale: number;
  /** Environment variables that point SDK clients (and the `bluegreen` CLI) at this local AWS. */
  env: Record<string, string>;
  /** Every event delivered to a rule target, in order. */
  deliveries: Delivery[];
  /** Puts an event on a local bus (default: the default bus) and delivers it to that bus's matching rules' targets. */
  putEvent(event: unknown, eventBusName?: string): Promise<Delivery[]>;
  /** The lifecycle events published (PutEvents states, and the approval gate's client), in order (as EventBridge delivers them). */
  lifecycleEvents(): BusEvent[];
  /** Emits 'lifecycle' with each lifecycle event (a BusEvent) as it is published. */
  bus: EventEmitter;
  /**
   * Loses the next event `match` selects before any rule sees it (tests only). Step Functions and
   * SageMaker deliver their events to EventBridge best effort (EventBridge events reference): this
   * is how a test shows what happens when one never comes.
   */
  dropNextEvent(match: (event: unknown) => boolean): void;
  /** The events lost that way, in order. */
  dropped: unknown[];
  /** Simulated seconds → real milliseconds on this clock. */
  ms(simulatedSeconds: number): number;
  close(): Promise<void>;
}

// dynalite ships no types: a function returning an http.Server.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynalite = require('dynalite') as (options: Record<string, unknown>) => Server;

export async function startLocalAws(options: LocalAwsOptions = {}): Promise<LocalAws> {
  const timeScale = options.timeScale ?? 600;
  const ms = (seconds: number) => (seconds * 1000) / timeScale;
  const workflow = workflowFromTemplate(synthesizeTemplate(options.config));
  const emulator = await startEmulator({
    provisioningMs: ms(options.provisioningSeconds ?? 300),
    provisioningMsByInstanceType: Object.fromEntries(
      Object.entries(options.provisioningSecondsByInstanceType ?? {}).map(([type, seconds]) => [type, ms(seconds)]),
    ),
    // Assumed: a weights-only change, and one traffic move between fleets, take ~10 s (SageMaker
    // documents no duration; nothing is provisioned); a serverless cold start ~10 s.
    weightsUpdateMs: ms(10),
    trafficShiftMs: ms(10),
    deletionMs: ms(options.deletionSeconds ?? 120),
    serverlessColdStartMs: ms(10),
    timeScale,
    alarmEvaluationMs: Math.max(20, ms(10)),
  });
  const dynamo = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => dynamo.listen(0, '127.0.0.1', resolve));
  try {
    return await wire(workflow, emulator, dynamo, timeScale, ms);
  } catch (error) {
    // Nothing left listening when start-up fails half-way (a test would hang instead of failing).
    await emulator.close();
    await new Promise<void>((resolve) => dynamo.close(() => resolve()));
    throw error;
  }
}

async function wire(workflow: SynthesizedWorkflow, emulator: Emulator, dynamo: Server, timeScale: number, ms: (s: number) => number): Promise<LocalAws> {
  const dynamoUrl = `http://127.0.0.1:${(dynamo.address() as AddressInfo).port}`;

  const env: Record<string, string> = {
    AWS_REGION: LOCAL_REGION,
    // The AWS CLI v1 (botocore) reads only AWS_DEFAULT_REGION; the SDKs and CLI v2 read AWS_REGION first.
    AWS_DEFAULT_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'local',
    AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'local',
    AWS_ENDPOINT_URL_SAGEMAKER: emulator.url,
    AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME: emulator.url,
    AWS_ENDPOINT_URL_CLOUDWATCH: emulator.url,
    AWS_ENDPOINT_URL_APPLICATION_AUTO_SCALING: emulator.url,
    // Path-style without forcePathStyle: the SDK uses it for an IP-address endpoint (emulator.url is 127.0.0.1).
    AWS_ENDPOINT_URL_S3: emulator.url,
    AWS_ENDPOINT_URL_DYNAMODB: dynamoUrl,
  };
  // The functions' configuration, as deployed beside their code (a new file per local AWS: functions read a file once).
  env[CONFIG_FILE_ENV] = writeFunctionConfig(workflow.config);
  // The functions' environment from the template (Powertools settings stay the caller's if set).
  for (const [key, value] of Object.entries(workflow.environment)) {
    if (!(key.startsWith('POWERTOOLS_') && process.env[key] !== undefined)) process.env[key] = value;
  }
  Object.assign(process.env, env);

  const table = workflow.template.Resources[workflow.tableName]!.Properties as Record<string, never>;
  await new DynamoDBClient({ endpoint: dynamoUrl }).send(
    new CreateTableCommand({
      TableName: workflow.tableName,
      KeySchema: table.KeySchema,
      AttributeDefinitions: table.AttributeDefinitions,
      GlobalSecondaryIndexes: table.GlobalSecondaryIndexes,
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );

  // The lifecycle events put on the local bus, by the state machine's PutEvents states or by a function's
  // own client over HTTP (the approval gate's Approval Needed); targets run asynchronously, as in EventBridge.
  const lifecycle: BusEvent[] = [];
  const bus = new EventEmitter();
  const published = (accepted: PutEventsOutcome['accepted']) => {
    for (const { bus: busName, event } of accepted) {
      lifecycle.push(event);
      bus.emit('lifecycle', event);
      deliverAsync(event, busName);
    }
  };
  const putFromStateMachine: PutEventsHandler = async (parameters, context) => {
    const { response, accepted } = putEvents(parameters, { ...context, account: LOCAL_ACCOUNT, region: LOCAL_REGION });
    published(accepted);
    throwIfFailedEntries(response);
    return response;
  };
  const eventBridge = await startEventBridgeServer({ account: LOCAL_ACCOUNT, region: LOCAL_REGION, publish: published });
  env.AWS_ENDPOINT_URL_EVENTBRIDGE = eventBridge.url;
  process.env.AWS_ENDPOINT_URL_EVENTBRIDGE = eventBridge.url;
  const stepFunctions = new LocalStepFunctions({ workflow, handlers: loadHandlers(), secondsToMs: ms, putEvents: putFromStateMachine });
  env.AWS_ENDPOINT_URL_SFN = await stepFunctions.listen();
  process.env.AWS_ENDPOINT_URL_SFN = env.AWS_ENDPOINT_URL_SFN;
  // Trigger functions' own variables (STATE_MACHINE_ARN): the template's, Refs resolved locally.
  for (const own of Object.values(workflow.functionEnvironments)) {
    for (const [key, value] of Object.entries(own ?? {})) if (!key.startsWith('POWERTOOLS_')) process.env[key] = value;
  }

  const deliveries: Delivery[] = [];
  const drops: Array<(event: unknown) => boolean> = [];
  const dropped: unknown[] = [];
  const putEvent = async (event: unknown, eventBusName = 'default'): Promise<Delivery[]> => {
    const delivered: Delivery[] = [];
    const drop = drops.findIndex((match) => match(event));
    if (drop >= 0) {
      drops.splice(drop, 1);
      dropped.push(event);
      return delivered;
    }
    for (const [rule, r] of Object.entries(workflow.rules)) {
      if (r.schedule || r.eventBusName !== eventBusName || !matchesPattern(event, r.pattern as EventPattern)) continue;
      const target = r.targetArn ? workflow.functions[r.targetArn] : undefined;
      if (!target) continue;
      const delivery: Delivery = { rule, target, event, at: Date.now() };
      deliveries.push(delivery);
      delivered.push(delivery);
      try {
        delivery.result = await loadHandler(target)(event as never);
      } catch (error) {
        delivery.error = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      }
    }
    return delivered;
  };
  const pending = new Set<Promise<unknown>>();
  const deliverAsync = (event: unknown, eventBusName?: string) => {
    const p = putEvent(event, eventBusName).finally(() => pending.delete(p));
    pending.add(p);
  };
  emulator.events.on('event', deliverAsync);
  stepFunctions.events.on('event', deliverAsync);

  // Scheduled rules (rate expressions) fire on the compressed clock; a run still going skips the next tick.
  const timers: NodeJS.Timeout[] = [];
  for (const [rule, r] of Object.entries(workflow.rules)) {
    const target = r.targetArn ? workflow.functions[r.targetArn] : undefined;
    const seconds = r.schedule ? rateSeconds(r.schedule) : undefined;
    if (!target || seconds === undefined) continue;
    let running: Promise<unknown> | undefined;
    timers.push(
      setInterval(() => {
        if (running) return;
        const event = { version: '0', id: crypto.randomUUID(), 'detail-type': 'Scheduled Event', source: 'aws.events', account: LOCAL_ACCOUNT, time: new Date().toISOString(), region: LOCAL_REGION, resources: [rule], detail: {} };
        const delivery: Delivery = { rule, target, event, at: Date.now() };
        deliveries.push(delivery);
        running = loadHandler(target)(event as never)
          .then((result) => (delivery.result = result))
          .catch((error: unknown) => (delivery.error = error instanceof Error ? `${error.name}: ${error.message}` : String(error)))
          .finally(() => {
            pending.delete(running!);
            running = undefined;
          });
        pending.add(running);
      }, Math.max(1, ms(seconds))),
    );
  }

  return {
    workflow,
    emulator,
    stepFunctions,
    stateMachineArn: workflow.stateMachineArn,
    tableName: workflow.tableName,
    timeScale,
    env,
    deliveries,
    putEvent,
    lifecycleEvents: () => [...lifecycle],
    bus,
    dropNextEvent: (match) => void drops.push(match),
    dropped,
    ms,
    async close() {
      for (const timer of timers) clearInterval(timer);
      emulator.events.off('event', deliverAsync);
      stepFunctions.events.off('event', deliverAsync);
      await Promise.allSettled([...pending]);
      await stepFunctions.close();
      await eventBridge.close();
      await emulator.close();
      await new Promise<void>((resolve) => dynamo.close(() => resolve()));
    },
  };
}
