import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteEndpointCommand } from '@aws-sdk/client-sagemaker';
import { SFNClient, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { cloudwatch } from '../../lambdas/shared/clients/cloudwatch';
import { sagemakerRuntime } from '../../lambdas/shared/clients/runtime';
import { s3 } from '../../lambdas/shared/clients/s3';
import { sagemaker } from '../../lambdas/shared/clients/sagemaker';
import { LOCK_SK, tableKey, type Outcome } from '../../lambdas/shared/contracts';
import { readLock, requestAbort } from '../../lambdas/shared/locks';
import { greenNames } from '../../lambdas/shared/naming';
import { startLocalAws, type LocalAws } from '../../local/aws';
import { Faults, type CallLogEntry, type ThrottleFault } from '../../local/emulator';
import type { ExecutionEvent } from '../../local/executor';
import { Seed } from '../../local/seed';
import { BAKE_SECONDS, cellsOf, GROUP, GROUPS, VALIDATION, type Cell, type CellContext, type Evidence, type Group, type StepEvent } from './cells';
import { AB_VARIANTS, COMPONENT_COPIES, CustomerQueue, kindLeftovers, leftoverResource, modelsInUse, sideServed } from './kinds-invariant';

/** One cell's verdict: what the promotion ended with and which clauses of the invariant failed. */
export interface CellResult {
  id: string;
  /** The history row's outcome, or how the execution ended when there is none. */
  outcome: Outcome | string;
  /**
   * What the endpoint serves once everything settled: blue, green, or neither (a violation); outside
   * actors' cells: also `operator` (the config or weights an operator set) or `deleted`.
   */
  serves: 'blue' | 'green' | 'neither' | 'operator' | 'deleted';
  reason?: string;
  violations: string[];
  held: boolean;
  ms: number;
}

const MOVING = new Set(['Creating', 'Updating', 'SystemUpdating', 'RollingBack', 'Deleting']);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------- the world

export interface MatrixWorld {
  aws: LocalAws;
  seed: Seed;
  v1: string;
  v2: string;
  group: Group;
  concurrent: boolean;
  dynamo: DynamoDBDocumentClient;
  sfn: SFNClient;
  scoped: ScopedThrottles;
  close(): Promise<void>;
}

/**
 * API errors confined to one endpoint. The emulator's throttle fault is per operation for every
 * caller; here each cell gets a `Faults` of its own (same `throttle({ operation, times, errorName })`
 * semantics) consulted for the calls that name its endpoint's resources: the endpoint, its
 * configs, models and inference components (`<endpoint>-…`), its alarms (`bluegreen-<endpoint>-…`)
 * or its S3 objects (keys under `<endpoint>/`: an asynchronous endpoint's outputs). The emulator logs
 * each call just before it takes a throttle, so the last call-log entry is the call being served.
 */
export class ScopedThrottles {
  private readonly cells = new Map<string, { faults: Faults; hits: number }>();
  /** The cell whose faults hit the calls that name no resource at all (one `alone` cell at a time). */
  private unnamed?: string;

  constructor(aws: LocalAws) {
    const faults = aws.emulator.faults;
    const global = faults.takeThrottle.bind(faults);
    faults.takeThrottle = (operation: string) => {
      const call = aws.emulator.callLog.at(-1);
      const cell = call?.operation === operation ? this.ownerOf(call.input) : undefined;
      const scoped = cell?.faults.takeThrottle(operation);
      if (cell && scoped) cell.hits += 1;
      return scoped ?? global(operation);
    };
  }

  /** `unnamed`: the fault hits the calls that name no resource (e.g. ListInferenceComponents by time) instead of the endpoint's. */
  throttle(endpointName: string, fault: ThrottleFault, unnamed = false): void {
    const cell = this.cells.get(endpointName) ?? { faults: new Faults(() => undefined), hits: 0 };
    cell.faults.throttle(fault);
    this.cells.set(endpointName, cell);
    if (unnamed) this.unnamed = endpointName;
  }

  hits(endpointName: string): number {
    return this.cells.get(endpointName)?.hits ?? 0;
  }

  clear(endpointName: string): void {
    this.cells.get(endpointName)?.faults.clear();
    if (this.unnamed === endpointName) this.unnamed = undefined;
  }

  private ownerOf(input: unknown): { faults: Faults; hits: number } | undefined {
    const i = (input ?? {}) as Record<string, unknown>;
    const names = [i.EndpointName, i.EndpointNameEquals, i.EndpointConfigName, i.ModelName, i.InferenceComponentName, i.AlarmName, ...(Array.isArray(i.AlarmNames) ? i.AlarmNames : [])].filter(
      (n): n is string => typeof n === 'string',
    );
    const key = typeof i.Key === 'string' ? i.Key : undefined;
    for (const [endpoint, cell] of this.cells) {
      if (names.some((n) => n === endpoint || n.startsWith(`${endpoint}-`) || n.startsWith(`bluegreen-${endpoint}-`))) return cell;
      if (key?.startsWith(`${endpoint}/`)) return cell;
    }
    return names.length === 0 && key === undefined && this.unnamed ? this.cells.get(this.unnamed) : undefined;
  }
}

/**
 * The SDK's retry backoff on the local clock. The clients' own retries (standard mode, 4 attempts,
 * retry quota) stay as deployed; only their sleeps are divided by the time scale, as the local AWS
 * does for Wait states and provisioning. Otherwise a persisting throttle costs ~3.5 s of real time
 * per attempt (1 s throttling base delay, 3 retries) — 35 simulated minutes — times 6 state machine attempts.
 */
export async function putSdkBackoffOnTheLocalClock(timeScale: number): Promise<void> {
  interface Backoff {
    setDelayBase(delay: number): void;
    computeNextBackoffDelay(attempt: number): number;
  }
  for (const client of [sagemaker, sagemakerRuntime, cloudwatch, s3]) {
    const strategy = (await client.config.retryStrategy()) as unknown as { retryBackoffStrategy?: Backoff };
    const own = strategy.retryBackoffStrategy;
    if (typeof own?.computeNextBackoffDelay !== 'function') {
      throw new Error('the SDK retry strategy no longer exposes retryBackoffStrategy: update putSdkBackoffOnTheLocalClock');
    }
    strategy.retryBackoffStrategy = {
      setDelayBase: (delay) => own.setDelayBase(delay),
      computeNextBackoffDelay: (attempt) => own.computeNextBackoffDelay(attempt) / timeScale,
    };
  }
}

/**
 * A local AWS with v1 (blue's, by hand) and v2 (Approved) of churn-models. A concurrent group
 * deploys every cell's hand-made blue up front; the sequential group deploys each just before its
 * cell and deletes it after, so every cleanup's scan of the account's endpoints stays short.
 */
export async function startMatrixWorld(group: Group, cells: Cell[]): Promise<MatrixWorld> {
  const names = cells.map((c) => c.endpointName);
  if (cells.some((c) => c.group !== group)) throw new Error(`startMatrixWorld(${group}) was given cells of another group`);
  for (const n of names) {
    const clash = names.find((m) => m !== n && m.startsWith(`${n}-`));
    if (clash) throw new Error(`endpoint ${clash} starts with ${n}-: the scoped faults would confuse them`);
  }
  const { concurrent, timeScale } = GROUPS[group];
  const aws = await startLocalAws({ provisioningSeconds: 30, timeScale });
  // Approving a churn-models version would also promote churn-prediction through the approval rule.
  for (const id of Object.keys(aws.workflow.rules)) if (id.includes('ApprovalRule')) delete aws.workflow.rules[id];
  await putSdkBackoffOnTheLocalClock(aws.timeScale);
  const seed = new Seed();
  await seed.group(GROUP);
  const v1 = await seed.register(GROUP);
  const v2 = await seed.register(GROUP);
  await seed.setApproval(v2, 'Approved');
  if (concurrent) await Promise.all(cells.map((c) => deployBlue(seed, c, v1)));
  return {
    aws,
    seed,
    v1,
    v2,
    group,
    concurrent,
    dynamo: DynamoDBDocumentClient.from(new DynamoDBClient({})),
    sfn: new SFNClient({}),
    scoped: new ScopedThrottles(aws),
    close: () => aws.close(),
  };
}

/** The cell's hand-made blue, of its kind (local/seed.ts). */
async function deployBlue(seed: Seed, cell: Cell, v1: string): Promise<void> {
  const name = cell.endpointName;
  switch (cell.blue) {
    case 'serverless':
      return seed.serverlessBlueEndpoint(name, v1);
    case 'asynchronous':
      await seed.asyncBlueEndpoint(name, v1);
      return;
    case 'inference-component':
      await seed.componentEndpoint(name, v1, COMPONENT_COPIES);
      return;
    case 'multi-variant':
      return seed.multiVariantEndpoint(name, v1, [...AB_VARIANTS]);
    default:
      return seed.blueEndpoint(name, v1);
  }
}

// ---------------------------------------------------------------------------- running a cell

type Execution = ReturnType<LocalAws['stepFunctions']['list']>[number];

class Context implements CellContext {
  readonly aws: LocalAws;
  readonly green;
  executionArn = '';
  private readonly callLogStart: number;
  private readonly globalFaults: ThrottleFault[] = [];

  constructor(
    private readonly world: MatrixWorld,
    readonly endpointName: string,
    readonly executionName: string,
    /** Its API errors hit the calls that name no resource (`Cell.unscoped`, an `alone` cell) rather than its own. */
    private readonly unnamed = false,
  ) {
    this.aws = world.aws;
    this.green = greenNames(endpointName, 2, executionName);
    this.callLogStart = world.aws.emulator.callLog.length;
  }

  throttle(fault: ThrottleFault): void {
    if (this.world.concurrent) return this.world.scoped.throttle(this.endpointName, fault, this.unnamed);
    this.globalFaults.push(fault);
    this.aws.emulator.faults.throttle(fault);
  }

  hits(): number {
    if (this.world.concurrent) return this.world.scoped.hits(this.endpointName);
    const calls = this.aws.emulator.callLog.slice(this.callLogStart);
    return calls.filter((c) => this.globalFaults.some((f) => f.operation === c.operation && f.errorName === c.error)).length;
  }

  /** Concurrent cells clear only their own API errors (fleet faults are scoped by model name and end on their own). */
  clearFaults(): void {
    if (this.world.concurrent) this.world.scoped.clear(this.endpointName);
    else this.aws.emulator.faults.clear();
  }

  execution(): Execution | undefined {
    return this.aws.stepFunctions.list().find((e) => e.arn === this.executionArn);
  }

  async untilState(state: string, times = 1): Promise<void> {
    for (;;) {
      const e = this.execution();
      if (e && e.events.filter((ev) => ev.type === 'StateEntered' && ev.state === state).length >= times) return;
      if (e && e.status !== 'RUNNING') throw new Error(`the promotion ended ${e.status} before entering ${state}`);
      await sleep(2);
    }
  }

  async untilBakeParked(): Promise<void> {
    for (;;) {
      const lock = await this.world.dynamo.send(
        new GetCommand({ TableName: this.aws.tableName, Key: { endpointName: tableKey(this.endpointName), sk: LOCK_SK }, ConsistentRead: true }),
      );
      if (lock.Item?.promotionId === this.executionName && lock.Item.bakeTaskToken) return;
      if (this.execution()?.status !== 'RUNNING') throw new Error('the promotion ended before its bake parked a task token');
      await sleep(5);
    }
  }

  async stop(error: string, cause: string): Promise<void> {
    await this.world.sfn.send(new StopExecutionCommand({ executionArn: this.executionArn, error, cause }));
  }

  crashStep(step: string, when: (event: StepEvent) => boolean = () => true): void {
    // LocalStepFunctions wraps these handlers (its own crashStep) for each execution it starts.
    const handlers = (this.aws.stepFunctions as unknown as { options?: { handlers?: Record<string, (event: unknown) => Promise<unknown>> } }).options?.handlers;
    if (!handlers) throw new Error('LocalStepFunctions no longer keeps its step handlers in options.handlers: update crashStep');
    const inner = handlers[step];
    if (!inner) throw new Error(`no step handler ${step}`);
    let armed = true;
    handlers[step] = async (event: unknown) => {
      if (!armed || promotionOf(event) !== this.executionName || !when(event as StepEvent)) return inner(event);
      armed = false;
      await inner(event);
      const crash = new Error(`RequestId: local Error: Runtime exited with error: signal: killed (injected crash of ${step})`);
      crash.name = 'Runtime.ExitError';
      throw crash;
    };
  }

  async abort(reason: string): Promise<void> {
    const lock = await readLock(this.world.dynamo, this.aws.tableName, this.endpointName);
    if (lock?.promotionId !== this.executionName) throw new Error(`no lock of ${this.executionName} to abort`);
    await requestAbort({ dynamo: this.world.dynamo, sfn: this.world.sfn }, this.aws.tableName, lock, { error: 'PromotionAborted', reason, at: new Date().toISOString() });
  }
}

/** The promotion a step's event belongs to: its state document's, or the execution a recovery recovers. */
export function promotionOf(event: unknown): string | undefined {
  // Recover's payload is { input: { recoverExecutionArn }, executionArn } (its own ARN: lib/definition.ts).
  const e = (event ?? {}) as { state?: { promotion?: { id?: string } }; promotion?: { id?: string }; input?: { recoverExecutionArn?: string } };
  return e.state?.promotion?.id ?? e.promotion?.id ?? e.input?.recoverExecutionArn?.split(':').pop();
}

/** Waits for the recovery rule's delivery for an ended execution, then for the recovery it started (if any). */
async function recoveryOf(world: MatrixWorld, ended: Execution): Promise<Execution | undefined> {
  if (ended.status === 'SUCCEEDED') return undefined;
  const delivery = world.aws.deliveries.find(
    (d) => d.target === 'on-execution-end' && (d.event as { detail?: { executionArn?: string; status?: string } }).detail?.executionArn === ended.arn,
  );
  if (!delivery) return undefined;
  while (!('result' in delivery) && delivery.error === undefined) await sleep(2);
  const action = (delivery.result as { action?: string } | undefined)?.action;
  if (action !== 'recovery-started') return undefined;
  const recovery = world.aws.stepFunctions.list().find((e) => e.name === `${ended.name}-recover`);
  if (!recovery) throw new Error(`on-execution-end reported ${action} but no execution ${ended.name}-recover exists`);
  await world.aws.stepFunctions.waitFor(recovery.arn);
  return recovery;
}

/**
 * An update in flight cannot be cancelled: let SageMaker finish it before judging what the endpoint
 * serves (and let the endpoint's own others, guardrails' validation endpoint or the validation
 * component, finish being deleted).
 */
export async function settled(world: Pick<MatrixWorld, 'aws'>, endpointName: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const endpoints = world.aws.emulator.inspect().endpoints;
    const moving = Object.entries(endpoints).filter(([n, e]) => (n === endpointName || n.startsWith(`${endpointName}-`)) && MOVING.has(e.EndpointStatus ?? ''));
    // Inference components too: a rolling update, the validation component being deleted.
    const components = Object.entries(world.aws.emulator.inspect().inferenceComponents).filter(
      ([n, c]) => n.startsWith(`${endpointName}-`) && MOVING.has(String((c as { InferenceComponentStatus?: string }).InferenceComponentStatus ?? '')),
    );
    if (moving.length === 0 && components.length === 0) return;
    await sleep(20);
  }
}

const CELL_TIMEOUT_MS = 90_000;
const SEED_AHEAD = 5;

/** `ready`: the cell's hand-made blue being deployed (sequential group); concurrent groups deploy them all up front. */
export async function runCell(world: MatrixWorld, cell: Cell, ready?: Promise<unknown>): Promise<CellResult> {
  const started = Date.now();
  if (cell.unscoped && world.concurrent && !cell.alone) throw new Error(`cell ${cell.id}: an unscoped fault must run alone`);
  const ctx = new Context(world, cell.endpointName, cell.endpointName, cell.unscoped);
  const harness: string[] = [];
  let queue: CustomerQueue | undefined;
  let main: Execution | undefined;
  let recovery: Execution | undefined;
  try {
    await ready;
    cell.before?.(ctx);
    if (cell.queue) queue = new CustomerQueue(world.seed.s3, cell.endpointName);
    // Another kind of blue: its kind chooses the strategy.
    const strategy = cell.blue ? {} : { strategy: 'variant' };
    const input = { endpointName: cell.endpointName, modelPackageArn: world.v2, ...strategy, bakeSeconds: BAKE_SECONDS, validation: VALIDATION, ...cell.input };
    const out = await world.sfn.send(new StartExecutionCommand({ stateMachineArn: world.aws.stateMachineArn, name: ctx.executionName, input: JSON.stringify(input) }));
    ctx.executionArn = out.executionArn!;
    const during = (cell.during?.(ctx) ?? Promise.resolve()).catch((error: unknown) => {
      harness.push(`the cell could not inject its fault: ${error instanceof Error ? error.message : String(error)}`);
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), CELL_TIMEOUT_MS)));
    const ended = await Promise.race([world.aws.stepFunctions.waitFor(ctx.executionArn), timeout]).finally(() => clearTimeout(timer));
    if (ended === 'timeout') {
      harness.push(`the promotion did not end within ${CELL_TIMEOUT_MS / 1000} s`);
      await ctx.stop('MatrixTimeout', 'the matrix cell timed out');
    }
    await during;
    main = ctx.execution();
    recovery = main ? await recoveryOf(world, main) : undefined;
  } catch (error) {
    harness.push(`harness: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
  } finally {
    ctx.clearFaults();
    await queue?.stop();
  }
  await settled(world, cell.endpointName);
  if (queue) harness.push(...(await queue.problems()));
  const events = [...(main?.events ?? []), ...(recovery?.events ?? [])];
  const result = await judge(world, cell, ctx, { main, events, hits: ctx.hits(), harness, ms: Date.now() - started });
  if (!world.concurrent) await world.seed.sagemaker.send(new DeleteEndpointCommand({ EndpointName: cell.endpointName })).catch(() => undefined);
  return result;
}

/** Runs the cells (all at once then the `alone` ones, or one after the other); `onResult` sees each verdict as it comes. */
export function runGroup(world: MatrixWorld, cells: Cell[], onResult?: (r: CellResult) => void): Map<string, Promise<CellResult>> {
  const results = new Map<string, Promise<CellResult>>();
  const report = (p: Promise<CellResult>) => p.then((r) => (onResult?.(r), r));
  let previous: Promise<unknown> = Promise.resolve();
  if (world.concurrent) {
    const together = cells.filter((c) => !c.alone).map((cell) => {
      const result = report(runCell(world, cell));
      results.set(cell.id, result);
      return result;
    });
    previous = Promise.all(together).then(() => quiet(world));
  }
  const lane = world.concurrent ? cells.filter((c) => c.alone) : cells;
  // The sequential group deploys blues a few cells ahead, between cells (no fault armed), and
  // deletes each after its cell: every cleanup's scan of the account stays short.
  const deployed = new Map<string, Promise<void>>();
  const deployAhead = async (i: number): Promise<void> => {
    const own = lane[i]!.endpointName;
    if (!deployed.has(own)) {
      const batch = lane.slice(i, i + SEED_AHEAD).filter((c) => !deployed.has(c.endpointName));
      for (const c of batch) deployed.set(c.endpointName, deployBlue(world.seed, c, world.v1));
      await Promise.allSettled(batch.map((c) => deployed.get(c.endpointName)));
    }
    return deployed.get(own);
  };
  for (const [i, cell] of lane.entries()) {
    const next = previous.then(() => runCell(world, cell, world.concurrent ? undefined : deployAhead(i)));
    results.set(cell.id, report(next));
    previous = next.then(() => quiet(world));
  }
  return results;
}

/** Sequential cells start only once every execution and event delivery of the previous one has ended. */
async function quiet(world: MatrixWorld): Promise<void> {
  for (;;) {
    const running = world.aws.stepFunctions.list().filter((e) => e.status === 'RUNNING');
    const delivering = world.aws.deliveries.filter((d) => !('result' in d) && d.error === undefined);
    if (running.length === 0 && delivering.length === 0) return;
    await Promise.all(running.map((e) => world.aws.stepFunctions.waitFor(e.arn)));
    await sleep(5);
  }
}

// ---------------------------------------------------------------------------- the invariant

interface HistoryRow {
  outcome?: string;
  reason?: string;
  failedWith?: string;
  leftovers?: Array<{ resource: string; reason: string }> | null;
  rollbackActions?: string[] | null;
}

/**
 * THE INVARIANT, once the promotion (and its recovery) ended and any update in flight finished:
 * (a) the endpoint is InService serving blue fully (its hand-made config, AllTraffic at weight 1)
 *     or green fully (green's config alone, green's variant at weight 1: guardrails keeps AllTraffic);
 * (b) the lock is free;
 * (c) the outcome is recorded: a history row promoted | rolled_back | failed, with a reason;
 * (d) no unrecorded leftovers: every model, endpoint config, alarm and other endpoint (guardrails'
 *     validation endpoint) of this endpoint is in use by it or named in the history row's leftovers;
 * (e) nothing an endpoint used was deleted (the emulator's hazard log: SageMaker accepts the delete).
 */
async function judge(
  world: MatrixWorld,
  cell: Cell,
  ctx: Context,
  run: { main?: Execution; events: ExecutionEvent[]; hits: number; harness: string[]; ms: number },
): Promise<CellResult> {
  const { aws } = world;
  const name = cell.endpointName;
  const violations = [...run.harness];
  const snap = aws.emulator.inspect();
  // (e) Nothing an endpoint uses is deleted: SageMaker accepts such a delete, so only the emulator's hazard log shows it.
  for (const h of aws.emulator.hazards().filter((x) => [x.endpointName, x.resourceName].some((n) => n.toLowerCase().startsWith(name.toLowerCase())))) {
    violations.push(`(e) ${h.operation} of ${h.resourceName}, which endpoint ${h.endpointName} was using (${h.usage.join(', ')})`);
  }

  // (a) By kind (kinds-invariant.ts): a component's specification and copies, every variant's model and weight.
  const endpoint = snap.endpoints[name];
  let serves: 'blue' | 'green' | 'neither' = 'neither';
  if (!endpoint) {
    violations.push('(a) the endpoint no longer exists');
  } else {
    const variants = (endpoint.ProductionVariants ?? []).map((v) => `${v.VariantName}@${v.CurrentWeight}`).join(', ');
    const greenVariant = cell.input?.strategy === 'guardrails' ? 'AllTraffic' : ctx.green.variant;
    const { side, problems } = sideServed(cell.blue, snap, endpoint as Record<string, unknown>, name, ctx.green, greenVariant);
    serves = side;
    violations.push(...problems);
    if (endpoint.EndpointStatus !== 'InService') violations.push(`(a) the endpoint is ${endpoint.EndpointStatus}${endpoint.FailureReason ? ` (${endpoint.FailureReason})` : ''}`);
    if (serves === 'neither' && problems.length === 0) violations.push(`(a) the endpoint serves neither side fully: config ${endpoint.EndpointConfigName}, variants ${variants || 'none'}`);
  }

  // (b)
  const lock = await world.dynamo.send(new GetCommand({ TableName: aws.tableName, Key: { endpointName: tableKey(name), sk: LOCK_SK }, ConsistentRead: true }));
  if (lock.Item) violations.push(`(b) the lock is still held by ${String(lock.Item.promotionId)}`);

  // (c)
  const rows = await world.dynamo.send(
    new QueryCommand({ TableName: aws.tableName, KeyConditionExpression: 'endpointName = :e', ExpressionAttributeValues: { ':e': tableKey(name) }, ConsistentRead: true }),
  );
  const row = (rows.Items ?? []).find((r) => r.sk !== LOCK_SK && r.promotionId === ctx.executionName) as HistoryRow | undefined;
  const main = run.main;
  // A failure before the lock (AWS errors that outlast the retries included) ends in Rejected by design:
  // nothing was created or locked, and the execution's own failure, naming the error, is the record.
  const rejectedBeforeLock = main?.status === 'FAILED' && run.events.some((e) => e.type === 'StateEntered' && e.state === 'Rejected') && !run.events.some((e) => e.type === 'StateExited' && e.state === 'AcquireLock');
  if (rejectedBeforeLock && !row && !main?.error) violations.push('(c) rejected before the lock without an error name');
  if (!row) {
    if (!rejectedBeforeLock) violations.push(`(c) no history row (the execution ended ${main?.status ?? '?'}${main?.error ? ` ${main.error}` : ''})`);
  } else if (!['promoted', 'rolled_back', 'failed'].includes(row.outcome ?? '')) violations.push(`(c) the history row's outcome is ${row.outcome}`);
  else if (!row.reason) violations.push('(c) the history row gives no reason');

  // (d)
  const inUseConfig = endpoint?.EndpointConfigName;
  const inUseModels = modelsInUse(snap, name, inUseConfig);
  // By kind and name ("alarms a, b" names two alarms): guardrails' validation endpoint and its config share a name.
  const listed = new Set(
    (row?.leftovers ?? []).flatMap((l) => {
      const [kind = '', ...names] = leftoverResource(l.resource).split(/[\s,]+/).filter(Boolean);
      return names.map((n) => `${kind.replace(/s$/, '')} ${n}`);
    }),
  );
  const own = (n: string) => n === name || n.startsWith(`${name}-`);
  const left = [
    ...Object.keys(snap.endpointConfigs).filter((c) => own(c) && c !== inUseConfig).map((c) => `config ${c}`),
    ...Object.keys(snap.models).filter((m) => own(m) && !inUseModels.has(m)).map((m) => `model ${m}`),
    ...Object.keys(snap.alarms).filter((a) => a.startsWith(`bluegreen-${name}-`)).map((a) => `alarm ${a}`),
    ...Object.keys(snap.endpoints).filter((e) => own(e) && e !== name).map((e) => `endpoint ${e}`),
    ...kindLeftovers(snap, name),
  ].filter((r) => !listed.has(r));
  if (left.length > 0) violations.push(`(d) left over and not recorded: ${left.join(', ')}`);

  const evidence: Evidence = {
    hits: run.hits,
    events: run.events,
    failedWith: row?.failedWith,
    reason: row?.reason,
    rollbackActions: row?.rollbackActions ?? [],
  };
  const outcome = row?.outcome ?? `none (${main?.status ?? '?'}${main?.error ? ` ${main.error}` : ''})`;
  // How the promotion ended says why a fault was not reached (e.g. green failed validation first).
  if (!cell.fired(evidence)) {
    const left = (row?.leftovers ?? []).map((l) => `${l.resource} (${l.reason})`).join('; ');
    violations.push(
      `the injected fault never fired (the promotion ended ${outcome}${row?.reason ? `: ${row.reason}` : ''}): the cell proves nothing; ${callsNaming(aws.emulator.callLog, name)}${left ? `; leftovers: ${left}` : ''}`,
    );
  }
  if (cell.expect && outcome !== cell.expect) violations.push(`expected outcome ${cell.expect}, got ${outcome}`);
  return { id: cell.id, outcome, serves, reason: row?.reason, violations, held: violations.length === 0, ms: run.ms };
}

/**
 * What the emulator served for the endpoint's resources, per operation (`!` counts errors), so a cell
 * whose fault never fired says which calls the promotion did make.
 */
function callsNaming(callLog: readonly CallLogEntry[], endpointName: string): string {
  const counts = new Map<string, { calls: number; errors: number }>();
  for (const c of callLog) {
    if (!JSON.stringify(c.input ?? {}).includes(endpointName)) continue;
    const n = counts.get(c.operation) ?? { calls: 0, errors: 0 };
    n.calls += 1;
    if (c.error) n.errors += 1;
    counts.set(c.operation, n);
  }
  return `calls naming ${endpointName}: ${[...counts].map(([op, n]) => `${op} ${n.calls}${n.errors ? ` (${n.errors}!)` : ''}`).join(', ') || 'none'}`;
}

/** One group's run, for a jest file: `start` in beforeAll, `result` per test, `close` in afterAll. */
export interface GroupRun<C = Cell> {
  cells: C[];
  start(): Promise<void>;
  result(id: string): Promise<CellResult>;
  close(): Promise<void>;
}

/** A group's run from how its world starts and how its cells run in it (the fault cells', the outside actors'). */
export function groupRunWith<C, W extends { close(): Promise<void> }>(
  group: Group,
  cells: C[],
  startWorld: (group: Group, cells: C[]) => Promise<W>,
  runCells: (world: W, cells: C[]) => Map<string, Promise<CellResult>>,
): GroupRun<C> {
  let world: W | undefined;
  let results = new Map<string, Promise<CellResult>>();
  return {
    cells,
    async start() {
      world = await startWorld(group, cells);
      results = runCells(world, cells);
    },
    async result(id) {
      const result = results.get(id);
      if (!result) throw new Error(`no cell ${id} in group ${group} (did start() run?)`);
      return result;
    },
    async close() {
      await Promise.allSettled(results.values());
      await world?.close();
    },
  };
}

export function groupRun(group: Group, cells: Cell[] = cellsOf(group)): GroupRun {
  return groupRunWith(group, cells, startMatrixWorld, runGroup);
}
