import { CreateEndpointConfigCommand, DescribeEndpointCommand, SageMakerClient, type DescribeEndpointOutput } from '@aws-sdk/client-sagemaker';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { LOCK_SK, tableKey } from '../../lambdas/shared/contracts';
import { isNotFound } from '../../lambdas/shared/errors';
import { greenNames } from '../../lambdas/shared/naming';
import { QUEUE_SK } from '../../lambdas/shared/queue';
import type { AppConfig } from '../../lib/config';
import { startLocalAws, type Delivery, type LocalAws } from '../../local/aws';
import { Seed } from '../../local/seed';
import { defaultLocalConfig } from '../../local/template';
import { BAKE_SECONDS, GROUP, GROUPS, type Group } from './cells';
import { groupRunWith, promotionOf, putSdkBackoffOnTheLocalClock, settled, type CellResult, type GroupRun } from './harness';
import { outsideCellsOf, type Acted, type OutsideCell, type OutsideContext, type Registry } from './outside-cells';

/**
 * Runs the outside-actors cells (outside-cells.ts) on a local AWS of their own and judges each with
 * THE OUTSIDE INVARIANT (`judge` below). The world's config is the app's (cdk.json) plus one model
 * package group per registry cell, routed to that cell's endpoint only, so the approval rule and
 * lambdas/on-approval handle each cell's registry decisions as deployed. Kept deployable: Lambda
 * allows 4 KB of environment variables per function (Lambda quotas), and the routes travel in
 * on-approval's, so a route names its endpoint (and `onNewerApproval`) and nothing else.
 */

type Execution = ReturnType<LocalAws['stepFunctions']['list']>[number];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Lambda quota: "4 KB, for all environment variables associated with the function, in aggregate". */
const LAMBDA_ENVIRONMENT_BYTES = 4096;
const MUTATING = new Set(['CreateEndpoint', 'UpdateEndpoint', 'UpdateEndpointWeightsAndCapacities', 'DeleteEndpoint']);
const CELL_TIMEOUT_MS = 90_000;

export interface OutsideWorld {
  aws: LocalAws;
  group: Group;
  seed: Seed;
  /** churn-models' versions, for the cells with no registry actor. */
  v1: string;
  v2: string;
  registries: Map<string, Registry>;
  dynamo: DynamoDBDocumentClient;
  sfn: SFNClient;
  /** The operators' and other systems' own SageMaker client. */
  operator: SageMakerClient;
  close(): Promise<void>;
}

function outsideConfig(group: Group, cells: OutsideCell[]): AppConfig {
  const base = defaultLocalConfig();
  const routes = Object.fromEntries(
    cells
      .filter((c) => c.registryGroup)
      .map((c) => [c.registryGroup!, { endpoints: [c.endpointName], ...(c.actor.onNewerApproval === 'supersede' ? { onNewerApproval: 'supersede' as const } : {}) }]),
  );
  return {
    ...base,
    // The routes name no strategy: the stack's is the group's. A queued approval bakes a minute.
    strategy: group === 'outside-variant' ? 'variant' : 'guardrails',
    bakeMinutes: 1,
    modelPackageGroups: { ...base.modelPackageGroups, ...routes },
  };
}

function environmentBytes(env: Record<string, string> | undefined): number {
  return Object.entries(env ?? {}).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
}

/** Seeds with the approval rule off: approving the starting versions must start nothing. */
async function withoutApprovalRule<T>(aws: LocalAws, seed: () => Promise<T>): Promise<T> {
  const id = Object.keys(aws.workflow.rules).find((r) => r.includes('ApprovalRule'));
  if (!id) throw new Error('the template has no approval rule');
  const rule = aws.workflow.rules[id]!;
  delete aws.workflow.rules[id];
  try {
    return await seed();
  } finally {
    aws.workflow.rules[id] = rule;
  }
}

export async function startOutsideWorld(group: Group, cells: OutsideCell[]): Promise<OutsideWorld> {
  if (cells.some((c) => c.group !== group)) throw new Error(`startOutsideWorld(${group}) was given cells of another group`);
  const aws = await startLocalAws({ config: outsideConfig(group, cells), provisioningSeconds: 30, timeScale: GROUPS[group].timeScale });
  try {
    const bytes = environmentBytes(aws.workflow.functionEnvironments['on-approval']);
    if (bytes > LAMBDA_ENVIRONMENT_BYTES) throw new Error(`on-approval's environment is ${bytes} bytes, over Lambda's 4 KB: this config would not deploy; route fewer groups`);
    await putSdkBackoffOnTheLocalClock(aws.timeScale);
    const seed = new Seed();
    const registries = new Map<string, Registry>();
    const { v1, v2 } = await withoutApprovalRule(aws, async () => {
      await seed.group(GROUP);
      const churn = { v1: await seed.register(GROUP), v2: await seed.register(GROUP) };
      await seed.setApproval(churn.v2, 'Approved');
      await Promise.all(
        cells
          .filter((c) => c.registryGroup)
          .map(async (c) => {
            const name = c.registryGroup!;
            await seed.group(name);
            const r = { group: name, v1: await seed.register(name), v2: await seed.register(name), v3: await seed.register(name) };
            // v1 served before (the registry's latest other approved version when v2 is rejected); v3 waits for its actor.
            await seed.setApproval(r.v1, 'Approved');
            await seed.setApproval(r.v2, 'Approved');
            registries.set(c.endpointName, r);
          }),
      );
      return churn;
    });
    await Promise.all(cells.map((c) => seed.blueEndpoint(c.endpointName, registries.get(c.endpointName)?.v1 ?? v1)));
    return {
      aws,
      group,
      seed,
      v1,
      v2,
      registries,
      dynamo: DynamoDBDocumentClient.from(new DynamoDBClient({})),
      sfn: new SFNClient({}),
      operator: new SageMakerClient({}),
      close: () => aws.close(),
    };
  } catch (error) {
    await aws.close();
    throw error;
  }
}

// ---------------------------------------------------------------------------- running a cell

interface Run {
  cell: OutsideCell;
  ctx: OutsideContext;
  acted?: Acted;
  harness: string[];
  main?: Execution;
}

function contextOf(world: OutsideWorld, cell: OutsideCell, run: { executionArn: string }): OutsideContext {
  const name = cell.endpointName;
  const log = world.aws.emulator.callLog;
  return {
    aws: world.aws,
    endpointName: name,
    strategy: cell.strategy,
    phase: cell.phase.key,
    green: greenNames(name, 2, name),
    blueConfig: `${name}-handmade-config`,
    operatorConfig: `ops-${name}`,
    registry: world.registries.get(name),
    sagemaker: world.operator,
    get executionArn() {
      return run.executionArn;
    },
    async describe(): Promise<DescribeEndpointOutput | undefined> {
      try {
        return await world.operator.send(new DescribeEndpointCommand({ EndpointName: name }));
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    },
    async stop(error, cause) {
      await world.sfn.send(new StopExecutionCommand({ executionArn: run.executionArn, error, cause }));
    },
    async logged(call) {
      const before = log.length;
      await call();
      return [before, log.length];
    },
  };
}

/** The registry decision has reached lambdas/on-approval and been handled (as EventBridge delivers it, within the phase). */
async function untilRegistryDecisionHandled(world: OutsideWorld, group: string, since: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const d = world.aws.deliveries.slice(since).find((x) => x.target === 'on-approval' && (x.event as { detail?: { ModelPackageGroupName?: string } }).detail?.ModelPackageGroupName === group);
    if (d && ('result' in d || d.error !== undefined)) return;
    if (Date.now() > deadline) throw new Error(`the Model Registry's event for ${group} never reached on-approval`);
    await sleep(5);
  }
}

/** The actor acts once; what it did (or why it could not) is recorded on the run. */
async function act(world: OutsideWorld, run: Run): Promise<Acted | undefined> {
  const since = world.aws.deliveries.length;
  try {
    run.acted = await run.cell.actor.act(run.ctx);
    if (run.cell.registryGroup) await untilRegistryDecisionHandled(world, run.cell.registryGroup, since);
    return run.acted;
  } catch (error) {
    run.harness.push(`the actor could not act: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
    return undefined;
  }
}

/**
 * Waits, within the phase, until SageMaker would accept the actor's call: UpdateEndpoint and
 * UpdateEndpointWeightsAndCapacities need an InService endpoint (one Updating refuses them), so such
 * an actor waits out an update in flight, as a person would; the others act at once.
 */
async function untilAccepted(run: Run, timeoutMs = 30_000): Promise<void> {
  if (!run.cell.actor.needsInService) return;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = (await run.ctx.describe())?.EndpointStatus;
    if (status === 'InService') return;
    if (status === undefined || ['Failed', 'Deleting', 'OutOfService'].includes(status)) throw new Error(`SageMaker would refuse the call: the endpoint is ${status ?? 'gone'}`);
    if (Date.now() > deadline) throw new Error(`the endpoint was still ${status} after ${timeoutMs / 1000} s`);
    await sleep(10);
  }
}

/**
 * The actor acts just before the first run of the phase's step for this promotion that the phase
 * accepts: the step's Lambda was invoked, the actor is a moment quicker (having waited, if it must,
 * for SageMaker to accept its call). Each execution takes the step handlers as they are when it
 * starts, so this is set before it starts.
 */
function actBeforeStep(world: OutsideWorld, run: Run, at: Exclude<ReturnType<OutsideCell['phase']['at']>, 'bake'>): void {
  const handlers = (world.aws.stepFunctions as unknown as { options?: { handlers?: Record<string, (event: unknown) => Promise<unknown>> } }).options?.handlers;
  if (!handlers) throw new Error('LocalStepFunctions no longer keeps its step handlers in options.handlers: update actBeforeStep');
  const inner = handlers[at.step];
  if (!inner) throw new Error(`no step handler ${at.step}`);
  let armed = true;
  handlers[at.step] = async (event: unknown) => {
    if (armed && promotionOf(event) === run.ctx.endpointName && at.when(event as never)) {
      armed = false;
      const acted = await untilAccepted(run).then(
        () => act(world, run),
        (error: unknown) => void run.harness.push(`the actor could not act in the ${run.cell.phase.label}: ${error instanceof Error ? error.message : String(error)}`),
      );
      if (acted?.skipStep) throw new Error(`the execution was stopped before ${at.step} ran`);
    }
    return inner(event);
  };
}

/** In the bake: once its task token is parked on the lock (and SageMaker accepts the call). */
async function actInTheBake(world: OutsideWorld, run: Run): Promise<void> {
  for (;;) {
    const items = await tableItemsOf(world, run.ctx.endpointName);
    const lock = items.find((i) => i.sk === LOCK_SK);
    if (lock?.promotionId === run.ctx.endpointName && lock.bakeTaskToken) break;
    if (run.main?.status !== undefined && run.main.status !== 'RUNNING') throw new Error('the promotion ended before its bake parked a task token');
    await sleep(5);
  }
  await untilAccepted(run);
  await act(world, run);
}

const inputOf = (e: Execution): { endpointName?: string; modelPackageArn?: string; recoverExecutionArn?: string } => {
  try {
    return JSON.parse(e.input) as never;
  } catch {
    return {};
  }
};

/** The cell's executions: its promotions (this endpoint, any spelling) and the recoveries of any of them. */
function executionsOf(world: OutsideWorld, endpointName: string): Execution[] {
  const all = world.aws.stepFunctions.list();
  const mine = all.filter((e) => tableKey(inputOf(e).endpointName ?? '') === tableKey(endpointName));
  for (let grew = true; grew; ) {
    const arns = new Set(mine.map((e) => e.arn));
    const more = all.filter((e) => !arns.has(e.arn) && arns.has(inputOf(e).recoverExecutionArn ?? ''));
    mine.push(...more);
    grew = more.length > 0;
  }
  return mine;
}

function deliveryOf(d: Delivery, cell: OutsideCell, arns: Set<string>): boolean {
  const detail = (d.event as { detail?: Record<string, unknown> }).detail ?? {};
  if (d.target === 'on-execution-end') return arns.has(String(detail.executionArn));
  if (d.target === 'on-approval') return detail.ModelPackageGroupName === cell.registryGroup;
  if (d.target === 'on-endpoint-change') {
    // The endpoint itself or one of its promotions' validation endpoints (`<endpoint>-v<n>-<hash>-val`).
    const name = tableKey(String(detail.EndpointName ?? ''));
    return name === cell.endpointName || name.startsWith(`${cell.endpointName}-`);
  }
  return false;
}

/** Waits until none of the cell's executions runs and no event of its is being delivered (a recovery or a queued promotion may start from one). */
async function untilQuiet(world: OutsideWorld, cell: OutsideCell, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const executions = executionsOf(world, cell.endpointName);
    const arns = new Set(executions.map((e) => e.arn));
    const running = executions.filter((e) => e.status === 'RUNNING');
    const delivering = world.aws.deliveries.filter((d) => !('result' in d) && d.error === undefined && deliveryOf(d, cell, arns));
    if (running.length === 0 && delivering.length === 0) return;
    if (Date.now() > deadline) throw new Error(`still running ${timeoutMs / 1000} s after the promotion ended: ${running.map((e) => e.name).join(', ') || 'event deliveries'}`);
    // Never a bare microtask loop: a delivery in flight needs the event loop's turns to finish.
    await (running.length > 0 ? Promise.race([Promise.all(running.map((e) => world.aws.stepFunctions.waitFor(e.arn))), sleep(50)]) : sleep(10));
  }
}

export async function runOutsideCell(world: OutsideWorld, cell: OutsideCell): Promise<CellResult> {
  const started = Date.now();
  const ids = { executionArn: '' };
  const run: Run = { cell, ctx: contextOf(world, cell, ids), harness: [] };
  try {
    if (cell.actor.key === 'update-other') {
      // The operator's own config: blue's model on one instance (blue runs two), a name of no promotion's.
      await world.operator.send(
        new CreateEndpointConfigCommand({
          EndpointConfigName: run.ctx.operatorConfig,
          ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: `${cell.endpointName}-handmade-model`, InstanceType: 'ml.m5.large', InitialInstanceCount: 1, InitialVariantWeight: 1 }],
        }),
      );
    }
    cell.phase.setup?.(run.ctx);
    const at = cell.phase.at(cell.strategy);
    if (at !== 'bake') actBeforeStep(world, run, at);
    const input = { endpointName: cell.endpointName, modelPackageArn: run.ctx.registry?.v2 ?? world.v2, bakeSeconds: BAKE_SECONDS, ...cell.input };
    const out = await world.sfn.send(new StartExecutionCommand({ stateMachineArn: world.aws.stateMachineArn, name: cell.endpointName, input: JSON.stringify(input) }));
    ids.executionArn = out.executionArn!;
    run.main = world.aws.stepFunctions.list().find((e) => e.arn === ids.executionArn);
    const during = Promise.all([cell.phase.during?.(run.ctx), at === 'bake' ? actInTheBake(world, run) : undefined]).catch((error: unknown) => {
      run.harness.push(`the phase could not be reached: ${error instanceof Error ? error.message : String(error)}`);
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), CELL_TIMEOUT_MS)));
    const ended = await Promise.race([world.aws.stepFunctions.waitFor(ids.executionArn), timeout]).finally(() => clearTimeout(timer));
    if (ended === 'timeout') {
      run.harness.push(`the promotion did not end within ${CELL_TIMEOUT_MS / 1000} s`);
      await run.ctx.stop('MatrixTimeout', 'the matrix cell timed out');
    }
    await during;
    await untilQuiet(world, cell);
  } catch (error) {
    run.harness.push(`harness: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
  }
  await settled(world, cell.endpointName);
  return judge(world, run, Date.now() - started);
}

/** Runs every cell of the group at once; `onResult` sees each verdict as it comes. */
export function runOutsideGroup(world: OutsideWorld, cells: OutsideCell[], onResult?: (r: CellResult) => void): Map<string, Promise<CellResult>> {
  return new Map(cells.map((cell) => [cell.id, runOutsideCell(world, cell).then((r) => (onResult?.(r), r))]));
}

// ---------------------------------------------------------------------------- the outside invariant

interface Row {
  sk: string;
  promotionId?: string;
  outcome?: string;
  reason?: string;
  interruption?: { change?: string } | null;
  leftovers?: Array<{ resource: string; reason: string }> | null;
}

/** Every item of the endpoint in the table: its lock, its queued approval, its history rows. */
async function tableItemsOf(world: OutsideWorld, endpointName: string): Promise<Array<Row & Record<string, unknown>>> {
  const out = await world.dynamo.send(
    new QueryCommand({
      TableName: world.aws.tableName,
      KeyConditionExpression: 'endpointName = :e',
      ExpressionAttributeValues: { ':e': tableKey(endpointName) },
      ConsistentRead: true,
    }),
  );
  return (out.Items ?? []) as never;
}

/** A promotion of this cell: its execution, the version it promotes and the names it creates. */
interface Promotion {
  execution: Execution;
  version: number;
  greenConfig: string;
  greenVariant: string;
}

function promotionsOf(world: OutsideWorld, cell: OutsideCell): Promotion[] {
  return executionsOf(world, cell.endpointName)
    .filter((e) => inputOf(e).modelPackageArn)
    .map((execution) => {
      const version = Number(/\/(\d+)$/.exec(inputOf(execution).modelPackageArn!)?.[1]);
      const names = greenNames(cell.endpointName, version, execution.name);
      return { execution, version, greenConfig: names.greenConfig, greenVariant: cell.strategy === 'guardrails' ? 'AllTraffic' : names.variant };
    });
}

/**
 * THE OUTSIDE INVARIANT, once the promotion, its recovery and any promotion queued behind it ended:
 * (o) the actor acted (else the cell proves nothing);
 * (a) the outside decision stands: an endpoint actor's endpoint is exactly what it set (its config
 *     and weights, InService, or still deleted); otherwise the endpoint serves all-blue or all-green
 *     (one promotion's green config alone) — v3 after a newer approval, not v2 after a rejection;
 * (b) the lock is free and nothing is left queued;
 * (c) the outcome names what happened: the promotion's history row has the cell's outcome (a console
 *     stop: `promoted` exactly when green serves), its reason naming the actor's change; a newer
 *     approval's promotion started after it ended and is recorded promoted;
 * (d) nothing of the promotions' own is left unrecorded: their models, configs, validation endpoints
 *     and alarms are in use or in a history row's leftovers;
 * (e) endpoint actors: after the actor's call the workflow made no call that changes the endpoint.
 */
async function judge(world: OutsideWorld, run: Run, ms: number): Promise<CellResult> {
  const { cell, ctx, acted } = run;
  const name = cell.endpointName;
  const violations = [...run.harness];
  const snap = world.aws.emulator.inspect();
  // (e) Nothing an endpoint uses is deleted: SageMaker accepts such a delete, so only the emulator's hazard log shows it.
  for (const h of world.aws.emulator.hazards().filter((x) => [x.endpointName, x.resourceName].some((n) => n.toLowerCase().startsWith(name.toLowerCase())))) {
    violations.push(`(e) ${h.operation} of ${h.resourceName}, which endpoint ${h.endpointName} was using (${h.usage.join(', ')})`);
  }
  const items = await tableItemsOf(world, name);
  const rows = items.filter((r) => r.sk.startsWith('PROMOTION#'));
  const promotions = promotionsOf(world, cell);
  const main = promotions.find((p) => p.execution.name === name);
  const mainRow = rows.find((r) => r.promotionId === name);
  const outcome = mainRow?.outcome ?? `none (${main?.execution.status ?? '?'}${main?.execution.error ? ` ${main.execution.error}` : ''})`;

  // (o)
  if (!acted) violations.push(`(o) the actor never acted in the ${cell.phase.label} (the promotion ended ${outcome}): the cell proves nothing`);

  // (a)
  const endpoint = snap.endpoints[name];
  const variants = (endpoint?.ProductionVariants ?? []).map((v) => `${v.VariantName}@${v.CurrentWeight}`).sort().join(', ');
  let serves: CellResult['serves'] = 'neither';
  let servedVersion: number | undefined;
  const expected = acted?.endpoint;
  if (expected?.deleted) {
    if (endpoint) violations.push(`(a) the operator deleted the endpoint, but it exists again: ${endpoint.EndpointStatus} on ${endpoint.EndpointConfigName}`);
    else serves = 'deleted';
  } else if (!endpoint) {
    violations.push('(a) the endpoint no longer exists');
  } else {
    if (endpoint.EndpointStatus !== 'InService') violations.push(`(a) the endpoint is ${endpoint.EndpointStatus}${endpoint.FailureReason ? ` (${endpoint.FailureReason})` : ''}`);
    if (expected) {
      const want = Object.entries(expected.weights)
        .map(([v, w]) => `${v}@${w}`)
        .sort()
        .join(', ');
      if (endpoint.EndpointConfigName === expected.config && variants === want) serves = 'operator';
      else violations.push(`(a) the operator's decision did not stand: ${acted?.did}, but the endpoint runs ${endpoint.EndpointConfigName} with ${variants || 'no variants'}`);
    } else if (endpoint.EndpointConfigName === ctx.blueConfig && variants === 'AllTraffic@1') {
      serves = 'blue';
      servedVersion = 1;
    } else {
      const green = promotions.find((p) => endpoint.EndpointConfigName === p.greenConfig && variants === `${p.greenVariant}@1`);
      if (green) {
        serves = 'green';
        servedVersion = green.version;
      } else violations.push(`(a) the endpoint serves neither side fully: config ${endpoint.EndpointConfigName}, variants ${variants || 'none'}`);
    }
    const config = snap.endpointConfigs[endpoint.EndpointConfigName];
    if (!config) violations.push(`(a) the config it runs, ${endpoint.EndpointConfigName}, was deleted`);
    for (const v of (config?.ProductionVariants ?? []) as Array<{ ModelName?: string }>) {
      if (v.ModelName && !snap.models[v.ModelName]) violations.push(`(a) the model it runs, ${v.ModelName}, was deleted`);
    }
  }
  if (cell.thenPromotesV3 && serves !== 'neither' && servedVersion !== 3) violations.push(`(a) version 3 was approved, but the endpoint serves version ${servedVersion ?? '?'} (${serves})`);
  if (cell.rejectsV2 && servedVersion === 2) violations.push('(a) version 2 was rejected in the Model Registry, but the endpoint serves it');

  // (b)
  const lock = items.find((i) => i.sk === LOCK_SK);
  if (lock) violations.push(`(b) the lock is still held by ${String(lock.promotionId)}`);
  const queued = items.find((i) => i.sk === QUEUE_SK);
  if (queued) violations.push(`(b) an approval is still queued: ${JSON.stringify(queued).slice(0, 200)}`);

  // (c)
  if (!mainRow) violations.push(`(c) no history row (the execution ended ${main?.execution.status ?? '?'})`);
  else {
    const expect = cell.expect === 'consistent' ? (serves === 'green' && servedVersion === 2 ? 'promoted' : ['rolled_back', 'failed']) : cell.expect;
    const ok = Array.isArray(expect) ? expect.includes(mainRow.outcome ?? '') : mainRow.outcome === expect;
    if (!ok) violations.push(`(c) expected outcome ${Array.isArray(expect) ? expect.join(' or ') : expect}${cell.expect === 'consistent' ? ` (the endpoint serves ${serves})` : ''}, got ${mainRow.outcome}: ${mainRow.reason ?? 'no reason'}`);
    if (!mainRow.reason) violations.push('(c) the history row gives no reason');
    const told = `${mainRow.reason ?? ''} ${mainRow.interruption?.change ?? ''}`;
    const names = cell.names?.(ctx);
    if (ok && names && !names.test(told)) violations.push(`(c) the history row does not say what happened (${acted?.did ?? cell.actor.label}): ${told.trim()}`);
  }
  if (cell.thenPromotesV3) {
    const v3 = promotions.find((p) => p.version === 3);
    const v3Row = v3 && rows.find((r) => r.promotionId === v3.execution.name);
    if (!v3) violations.push('(c) version 3 was approved, but no promotion of it started');
    else if (main?.execution.stopDate && v3.execution.startDate < main.execution.stopDate) violations.push('(c) the promotion of version 3 started before the one in flight ended');
    if (v3 && v3Row?.outcome !== 'promoted') violations.push(`(c) the promotion of version 3 ended ${v3Row?.outcome ?? `with no history row (${v3.execution.status})`}: ${v3Row?.reason ?? ''}`);
  }

  // (d)
  const inUseConfig = endpoint?.EndpointConfigName;
  const inUseModels = new Set(((inUseConfig ? snap.endpointConfigs[inUseConfig]?.ProductionVariants : undefined) as Array<{ ModelName?: string }> | undefined)?.map((v) => v.ModelName) ?? []);
  const listed = new Set(
    rows.flatMap((r) =>
      (r.leftovers ?? []).flatMap((l) => {
        const [kind = '', ...named] = l.resource.split(/[\s,]+/).filter(Boolean);
        return named.map((n) => `${kind.replace(/s$/, '')} ${n}`);
      }),
    ),
  );
  const own = (n: string) => n.startsWith(`${name}-v`);
  const left = [
    ...Object.keys(snap.endpointConfigs).filter((c) => own(c) && c !== inUseConfig).map((c) => `config ${c}`),
    ...Object.keys(snap.models).filter((m) => own(m) && !inUseModels.has(m)).map((m) => `model ${m}`),
    ...Object.keys(snap.alarms).filter((a) => a.startsWith(`bluegreen-${name}-`)).map((a) => `alarm ${a}`),
    ...Object.keys(snap.endpoints).filter((e) => own(e)).map((e) => `endpoint ${e}`),
  ].filter((r) => !listed.has(r));
  if (left.length > 0) violations.push(`(d) left over and not recorded: ${left.join(', ')}`);

  // (e)
  if (acted?.window) {
    const [from, to] = acted.window;
    const onIt = (c: { operation: string; input: unknown }) => MUTATING.has(c.operation) && tableKey(String((c.input as { EndpointName?: unknown } | undefined)?.EndpointName ?? '')) === tableKey(name);
    const during = world.aws.emulator.callLog.slice(from, to).filter(onIt);
    const after = world.aws.emulator.callLog.slice(to).filter(onIt);
    // The actor's own call is one in its window; any other there, or any after it, is the workflow's.
    const own = during.findIndex((c) => c.operation === acted.operation);
    const workflow = [...during.filter((_, i) => i !== own), ...after];
    if (workflow.length > 0) violations.push(`(e) after the operator's change the workflow changed the endpoint: ${workflow.map((c) => `${c.operation} ${JSON.stringify(c.input).slice(0, 160)}`).join('; ')}`);
  }

  return { id: cell.id, outcome, serves, reason: mainRow?.reason, violations, held: violations.length === 0, ms };
}

/** One group's run, for a jest file: `start` in beforeAll, `result` per test, `close` in afterAll. */
export function outsideGroupRun(group: Group, cells: OutsideCell[] = outsideCellsOf(group)): GroupRun<OutsideCell> {
  return groupRunWith(group, cells, startOutsideWorld, runOutsideGroup);
}
