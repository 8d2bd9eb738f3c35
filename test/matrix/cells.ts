import type { Outcome } from '../../lambdas/shared/contracts';
import type { PromotionInput } from '../../lambdas/shared/input';
import type { GreenNames } from '../../lambdas/shared/naming';
import type { ExecutionEvent } from '../../local/executor';
import type { LocalAws } from '../../local/aws';
import type { ThrottleFault } from '../../local/emulator';

/**
 * The fault-injection matrix: each cell is one whole promotion of v2 onto a hand-made blue
 * endpoint serving v1, with one fault injected. The jest files (test/matrix/*.test.ts) and
 * `npm run matrix` run these same cells and judge them with the same invariant (harness.ts).
 *
 * Faults are global to the emulator, so cells run in groups, one local AWS (one jest file) each:
 * - `concurrent-a`, `concurrent-b`: faults confined to one cell's endpoint (API errors scoped by
 *   the resource names in the request, fleet faults by model name) — all cells of the group at
 *   once, then the deadline cells one by one (`alone`: their held fleet is released by clearing every
 *   fault, see holdGreen);
 * - `sequential`, one cell at a time with the emulator's own global faults: handler crashes
 *   (`crashStep` crashes whoever runs the step next) and API errors on calls that name no endpoint
 *   (DescribeModelPackage, ListEndpoints) or that every cleanup makes for every endpoint
 *   (DescribeEndpoint, DescribeEndpointConfig);
 * - `guardrails`: the guardrails strategy's own calls, waits, crashes and stop (guardrails-cells.ts),
 *   run like a concurrent group (crashes confined to a cell by `CellContext.crashStep`);
 * - `kinds`: the calls of the other endpoint kinds (kinds-cells.ts): serverless (`replace`), asynchronous
 *   (InvokeEndpointAsync and S3, scoped by the key's `<endpoint>/` prefix), inference components
 *   (`component`), multi-variant; run like `guardrails`, a call that names no resource (`unscoped`) alone;
 * - `outside-guardrails`, `outside-variant`: no fault, an outside actor (an operator, the Model
 *   Registry, the console) acting during one phase (outside-cells.ts, judged by outside-harness.ts),
 *   all cells at once on a local AWS whose config routes each registry cell's own model package group.
 */
export type Group = 'concurrent-a' | 'concurrent-b' | 'sequential' | 'guardrails' | 'kinds' | 'outside-guardrails' | 'outside-variant';
/**
 * How each group runs, and its clock (simulated seconds per real second). The sequential group
 * has no deadline to meet, so it runs on a faster clock: its cells spend less time in Wait states.
 */
export const GROUPS: Record<Group, { concurrent: boolean; timeScale: number }> = {
  'concurrent-a': { concurrent: true, timeScale: 600 },
  'concurrent-b': { concurrent: true, timeScale: 600 },
  sequential: { concurrent: false, timeScale: 1200 },
  guardrails: { concurrent: true, timeScale: 600 },
  kinds: { concurrent: true, timeScale: 600 },
  'outside-guardrails': { concurrent: true, timeScale: 600 },
  'outside-variant': { concurrent: true, timeScale: 600 },
};
export type Category = 'api' | 'wait' | 'crash' | 'stop' | 'outside';
/** The hand-made blue a cell promotes onto, when it is not a one-variant real-time endpoint (local/seed.ts). */
export type BlueKind = 'serverless' | 'asynchronous' | 'inference-component' | 'multi-variant';

/** What a cell can do to the world while its promotion runs. */
export interface CellContext {
  readonly aws: LocalAws;
  readonly endpointName: string;
  readonly green: GreenNames;
  /** `faults.throttle`, confined to this cell's endpoint in the concurrent group, global otherwise. */
  throttle(fault: ThrottleFault): void;
  /** Resolves once the promotion has entered `state` (`times` times); rejects if it ends first. */
  untilState(state: string, times?: number): Promise<void>;
  /** Resolves once the bake has parked its task token on the lock, where the alarm trigger finds it. */
  untilBakeParked(): Promise<void>;
  /** StopExecution through @aws-sdk/client-sfn, as from the console. */
  stop(error: string, cause: string): Promise<void>;
  /** Asks the promotion to roll back, as `bluegreen rollback` does (the lock's abort flag, the bake's task token). */
  abort(reason: string): Promise<void>;
  /**
   * Crashes (after its work, as `stepFunctions.crashStep` does) the first run of `step` for this
   * cell's promotion whose event `when` accepts (e.g. wait-for-endpoint's phase); other promotions'
   * runs are untouched. Call it before the promotion starts (`before`): each execution takes the
   * step handlers as they are when it starts (a recovery execution too).
   */
  crashStep(step: string, when?: (event: StepEvent) => boolean): void;
}

/** What a step handler receives: the state document, or the state beside a phase or target (wait-for-endpoint, validate-green, cleanup). */
export type StepEvent = Record<string, unknown> & { phase?: string; target?: string };

/** What the judge saw, for a cell to tell whether its fault actually fired. */
export interface Evidence {
  /** Calls answered with the injected API error. */
  hits: number;
  /** The promotion's events, then its recovery's. */
  events: ExecutionEvent[];
  failedWith?: string;
  reason?: string;
  rollbackActions: string[];
}

export interface Cell {
  /** Unique; the test name and the table's first column. */
  id: string;
  category: Category;
  group: Group;
  endpointName: string;
  /** In a concurrent group: runs by itself once the group's other cells have ended. */
  alone?: boolean;
  /** The kind of blue (default: real-time, one variant); the kind then chooses the strategy (no `strategy` in the input). */
  blue?: BlueKind;
  /** Its API errors hit the calls that name no resource at all (e.g. ListInferenceComponents by time), so the cell must be `alone`. */
  unscoped?: boolean;
  /** asynchronous: customers queue requests during the promotion, and the invariant checks every one was answered. */
  queue?: boolean;
  /** Added to the execution input (default: bakeSeconds 30, one validation sample). */
  input?: Partial<PromotionInput>;
  /** An outcome the cell must end with, where the matrix says so (throttling that clears → promoted). */
  expect?: Outcome;
  /** Before StartExecution. */
  before?(ctx: CellContext): void;
  /** While the promotion runs. */
  during?(ctx: CellContext): Promise<void>;
  /** Did the fault fire? A cell whose fault never fired proves nothing, so it does not hold. */
  fired(e: Evidence): boolean;
}

/** Cells the matrix names but SageMaker's model (or this workflow on an existing blue) cannot produce. */
export interface NotApplicable {
  id: string;
  why: string;
}

export const GROUP = 'churn-models';
/**
 * The validation sample every cell sends green (so InvokeEndpoint is part of every promotion).
 * The latency ceiling is the highest the input accepts: validate-green times the request in real
 * milliseconds, which a loaded test machine stretches while the compressed clock does not, and a
 * stack default of 2 s failed green's validation under load before any guardrail alarm existed —
 * so a cell whose fault sits at the end (DeleteAlarms in the cleanup) never saw it fire. No cell
 * is about latency; status and body are still checked.
 */
export const VALIDATION: NonNullable<PromotionInput['validation']> = {
  maxLatencyMs: 60_000,
  samples: [{ name: 'typical-customer', body: '{"customer_id": "C-1001", "tenure_months": 14}', expectContains: 'modelPackageVersion' }],
};
export const BAKE_SECONDS = 30;

// ---------------------------------------------------------------------------- API errors

export type Service = 'sagemaker' | 'runtime' | 'cloudwatch';
export type FaultKind = 'throttle-clears' | 'throttle-persists' | 'internal-persists' | 'limit-once' | 'validation-once';

interface Operation {
  operation: string;
  service: Service;
  abbr: string;
  group: Group;
  /** The workflow makes this call only on the rollback path: green must fail validation first. */
  needsRollback?: boolean;
  /** ValidateInput makes this call before the lock: the fault is also armed once the input is valid, to hit the steps after it. */
  beforeTheLock?: boolean;
}

/**
 * Every SageMaker, SageMaker Runtime and CloudWatch call the workflow makes on an existing blue
 * (lambdas/*: validate-input, describe-blue, create-green, stand-up-green, wait-for-endpoint,
 * validate-green, shift-traffic, start-bake, check-guardrails, finalize, cleanup, rollback).
 * A fault hits the first call(s) of the operation in the promotion; for the calls ValidateInput
 * makes, a second cell arms it once the input is valid (state InputValid), for the steps after the lock.
 */
export const OPERATIONS: Operation[] = [
  { operation: 'DescribeModelPackage', beforeTheLock: true, service: 'sagemaker', abbr: 'dmp', group: 'sequential' },
  { operation: 'DescribeEndpoint', beforeTheLock: true, service: 'sagemaker', abbr: 'de', group: 'sequential' },
  { operation: 'DescribeEndpointConfig', beforeTheLock: true, service: 'sagemaker', abbr: 'dec', group: 'sequential' },
  { operation: 'DescribeModel', service: 'sagemaker', abbr: 'dm', group: 'concurrent-a' },
  { operation: 'CreateModel', service: 'sagemaker', abbr: 'cm', group: 'concurrent-a' },
  { operation: 'CreateEndpointConfig', service: 'sagemaker', abbr: 'cec', group: 'concurrent-a' },
  { operation: 'UpdateEndpoint', service: 'sagemaker', abbr: 'ue', group: 'concurrent-a' },
  { operation: 'UpdateEndpointWeightsAndCapacities', service: 'sagemaker', abbr: 'uewc', group: 'concurrent-a' },
  { operation: 'ListEndpoints', service: 'sagemaker', abbr: 'le', group: 'sequential' },
  { operation: 'DeleteEndpointConfig', service: 'sagemaker', abbr: 'delec', group: 'concurrent-a' },
  { operation: 'DeleteModel', service: 'sagemaker', abbr: 'delm', group: 'concurrent-b', needsRollback: true },
  { operation: 'InvokeEndpoint', service: 'runtime', abbr: 'ie', group: 'concurrent-b' },
  { operation: 'PutMetricAlarm', service: 'cloudwatch', abbr: 'pma', group: 'concurrent-b' },
  { operation: 'DescribeAlarms', service: 'cloudwatch', abbr: 'da', group: 'concurrent-b' },
  { operation: 'DeleteAlarms', service: 'cloudwatch', abbr: 'dela', group: 'concurrent-b' },
];

/** Each service's own error names (local/emulator/errors.ts, cloudwatch.ts; the runtime's validation shape is ValidationError). */
export const ERROR_NAMES: Record<FaultKind, Record<Service, string>> = {
  'throttle-clears': { sagemaker: 'ThrottlingException', runtime: 'ThrottlingException', cloudwatch: 'Throttling' },
  'throttle-persists': { sagemaker: 'ThrottlingException', runtime: 'ThrottlingException', cloudwatch: 'Throttling' },
  // Persisting rather than once: a single 500 is absorbed by the SDK's own retry, like a throttling that clears.
  'internal-persists': { sagemaker: 'InternalFailure', runtime: 'InternalFailure', cloudwatch: 'InternalServiceError' },
  // InvokeEndpoint documents no limit error; the SageMaker name is injected as is.
  'limit-once': { sagemaker: 'ResourceLimitExceeded', runtime: 'ResourceLimitExceeded', cloudwatch: 'LimitExceeded' },
  'validation-once': { sagemaker: 'ValidationException', runtime: 'ValidationError', cloudwatch: 'ValidationException' },
};
export const TIMES: Record<FaultKind, number> = {
  'throttle-clears': 2,
  'throttle-persists': Infinity,
  'internal-persists': Infinity,
  'limit-once': 1,
  'validation-once': 1,
};
export const KIND_ABBR: Record<FaultKind, string> = {
  'throttle-clears': 'thr2',
  'throttle-persists': 'thrinf',
  'internal-persists': 'err500',
  'limit-once': 'limit',
  'validation-once': 'valid',
};
export const FAULT_KINDS = Object.keys(TIMES) as FaultKind[];

/** Green answers its validation requests with 500: the promotion rolls back after green was stood up. */
function failGreenValidation(ctx: CellContext): void {
  ctx.aws.emulator.faults.variantErrors({ endpointName: ctx.endpointName, variantName: ctx.green.variant, statusCode: 500 });
}

/** How an API cell injects its error: the call's own setup, the throttle from the start or once the promotion enters `armAt`. */
export interface ThrottledCall {
  armAt?: string;
  before?(ctx: CellContext): void;
  during?(ctx: CellContext): Promise<void>;
}

/** An API cell's before/during/fired: the throttle armed at the start or at `armAt`; it fired if a call took it. */
export function throttleInjection(call: ThrottledCall, throttle: ThrottleFault): Pick<Cell, 'before' | 'during' | 'fired'> {
  return {
    before(ctx) {
      call.before?.(ctx);
      if (!call.armAt) ctx.throttle(throttle);
    },
    async during(ctx) {
      const arming = call.armAt ? ctx.untilState(call.armAt).then(() => ctx.throttle(throttle)) : Promise.resolve();
      await Promise.all([arming, call.during?.(ctx)]);
    },
    fired: (e) => e.hits > 0,
  };
}

function apiCell(op: Operation, kind: FaultKind, afterTheLock = false): Cell {
  const errorName = ERROR_NAMES[kind][op.service];
  const times = TIMES[kind];
  const fault = { operation: op.operation, times, errorName };
  const note = afterTheLock ? ' (armed after the lock)' : op.beforeTheLock ? ' (first call: ValidateInput)' : op.needsRollback ? ' (green fails validation)' : '';
  return {
    id: `${op.operation} × ${errorName} ×${times === Infinity ? '∞' : times}${note}`,
    category: 'api',
    group: op.group,
    endpointName: `demo-mx-${afterTheLock ? 'locked-' : ''}${op.abbr}-${KIND_ABBR[kind]}`,
    expect: kind === 'throttle-clears' ? (op.needsRollback ? 'rolled_back' : 'promoted') : undefined,
    ...throttleInjection({ armAt: afterTheLock ? 'InputValid' : undefined, before: op.needsRollback ? failGreenValidation : undefined }, fault),
  };
}

// ---------------------------------------------------------------------------- waits

/** A deadline of 4 polls (pollSeconds 30): the rollback loop then has 2 × 4 + 2 polls. */
export const DEADLINE_INPUT: Partial<PromotionInput> = { deadlines: { inServiceSeconds: 120 } };
/**
 * Real ms a slowed fleet takes (clock 600×: one 30 s poll ≈ 50 ms + the handler's own time): for a
 * rollback's blue fleet that must outlast the rollback's polls (a lower bound only).
 */
export const SLOW_FLEET_MS = 500;
/**
 * Green's deployments are held (slowFleet -1) until the workflow is in its rollback, then they finish:
 * past the deadline by construction, and within the rollback's polls, however a loaded machine stretches
 * the polls (a wall-clock slow fleet raced them both ways). The release clears every fault: `alone` cells only.
 */
export const holdGreen = (ctx: CellContext): void => ctx.aws.emulator.faults.slowFleet({ ...greenModel(ctx), provisioningMs: -1 });
export async function releaseInRollback(ctx: CellContext): Promise<void> {
  await ctx.untilState('RollBack');
  ctx.aws.emulator.faults.clear();
}
/** A cell's `during`: green's deployments held from `state` on (earlier ones, with green's model too, run free), released in the rollback. */
export const holdGreenFrom =
  (state: string) =>
  async (ctx: CellContext): Promise<void> => {
    await ctx.untilState(state);
    holdGreen(ctx);
    await releaseInRollback(ctx);
  };
export const failedWith = (error: string, phase: string) => (e: Evidence) => e.failedWith === error && (e.reason ?? '').includes(`${phase}:`);

/** Rolls the promotion back from the bake, as a guardrail alarm does (via the alarm rule and the task token). */
async function alarmDuringBake(ctx: CellContext): Promise<void> {
  await ctx.untilBakeParked();
  ctx.aws.emulator.faults.setAlarmState({ alarmName: `${ctx.green.alarmPrefix}-5xx`, state: 'ALARM', reason: 'matrix: green breached its 5xx guardrail' });
}
const blueModel = (ctx: CellContext) => `${ctx.endpointName}-handmade-model`;
export const greenModel = (ctx: CellContext) => ({ modelName: ctx.green.model });

const WAIT_CELLS: Cell[] = [
  {
    id: 'wait stand-up × deadline (slowFleet)',
    category: 'wait',
    group: 'concurrent-b',
    alone: true,
    endpointName: 'demo-mx-wait-standup-deadline',
    input: DEADLINE_INPUT,
    before: holdGreen,
    during: releaseInRollback,
    fired: failedWith('DeadlineExceeded', 'standUp'),
  },
  {
    id: 'wait stand-up × Failed (failFleet)',
    category: 'wait',
    group: 'concurrent-b',
    endpointName: 'demo-mx-wait-standup-failed',
    before: (ctx) => ctx.aws.emulator.faults.failFleet(greenModel(ctx)),
    fired: failedWith('GreenNotInService', 'standUp'),
  },
  {
    id: 'wait finalize × deadline (slowFleet)',
    category: 'wait',
    group: 'concurrent-b',
    alone: true,
    endpointName: 'demo-mx-wait-finalize-deadline',
    input: DEADLINE_INPUT,
    // Armed in the bake: the stand-up deploys green's model too.
    during: holdGreenFrom('BakeDone?'),
    fired: failedWith('DeadlineExceeded', 'finalize'),
  },
  {
    id: 'wait finalize × Failed (failFleet)',
    category: 'wait',
    group: 'concurrent-b',
    endpointName: 'demo-mx-wait-finalize-failed',
    input: { bakeSeconds: 600 },
    async during(ctx) {
      await ctx.untilState('BakeDone?');
      ctx.aws.emulator.faults.failFleet(greenModel(ctx));
    },
    fired: failedWith('GreenNotInService', 'finalize'),
  },
  {
    id: 'wait rollback × deadline (slowFleet, alarm in the bake)',
    category: 'wait',
    group: 'concurrent-b',
    alone: true,
    endpointName: 'demo-mx-wait-rollback-deadline',
    // A 2-poll deadline: the rollback loop gives up after 6 polls; blue's fleet takes far longer.
    input: { bakeSeconds: 3600, deadlines: { inServiceSeconds: 60 } },
    async during(ctx) {
      await ctx.untilState('BakeDone?');
      ctx.aws.emulator.faults.slowFleet({ modelName: blueModel(ctx), provisioningMs: 3 * SLOW_FLEET_MS });
      await alarmDuringBake(ctx);
    },
    fired: (e) => e.failedWith === 'GuardrailAlarm' && (e.reason ?? '').includes('did not get back to blue'),
  },
  {
    id: 'wait rollback × Failed (failFleet, alarm in the bake)',
    category: 'wait',
    group: 'concurrent-b',
    endpointName: 'demo-mx-wait-rollback-failed',
    input: { bakeSeconds: 3600 },
    async during(ctx) {
      await ctx.untilState('BakeDone?');
      ctx.aws.emulator.faults.failFleet({ modelName: blueModel(ctx) });
      await alarmDuringBake(ctx);
    },
    fired: (e) => e.rollbackActions.filter((a) => a.startsWith('endpoint back to blue config')).length >= 2,
  },
];

// ---------------------------------------------------------------------------- crashes and stop

export const crashed = (state: string) => (e: Evidence) => e.events.some((ev) => ev.state === state && ev.error === 'Runtime.ExitError');

export interface CrashSpec {
  state: string;
  step: string;
  /** Arm when the promotion enters this state (the step runs more than once per promotion). */
  armAt?: string;
  rollback?: boolean;
}
export const CRASHES: CrashSpec[] = [
  { state: 'DescribeBlue', step: 'describe-blue' },
  { state: 'CreateGreen', step: 'create-green' },
  { state: 'StandUpGreen', step: 'stand-up-green' },
  { state: 'CheckGreenInService', step: 'wait-for-endpoint' },
  { state: 'ValidateGreen', step: 'validate-green' },
  { state: 'ArmGuardrails', step: 'start-bake' },
  { state: 'ShiftTraffic', step: 'shift-traffic' },
  { state: 'CheckTrafficOnGreen', step: 'wait-for-endpoint', armAt: 'ShiftTraffic' },
  { state: 'Bake', step: 'await-guardrails' },
  { state: 'CheckGuardrails', step: 'check-guardrails' },
  { state: 'Finalize', step: 'finalize' },
  { state: 'CheckGreenAlone', step: 'wait-for-endpoint', armAt: 'Finalize' },
  { state: 'RevalidateGreen', step: 'validate-green', armAt: 'CheckGreenAlone' },
  { state: 'CleanupBlue', step: 'cleanup' },
  { state: 'RecordPromotion', step: 'record-outcome' },
  { state: 'RollBack', step: 'rollback', rollback: true },
  { state: 'CleanupGreen', step: 'cleanup', rollback: true },
  { state: 'RecordRollback', step: 'record-outcome', rollback: true },
];

function crashCell(c: CrashSpec): Cell {
  return {
    id: `crash ${c.state} (after its work)${c.rollback ? ' (green fails validation)' : ''}`,
    category: 'crash',
    group: 'sequential',
    endpointName: `demo-mx-crash-${c.state.toLowerCase()}`,
    before(ctx) {
      if (c.rollback) failGreenValidation(ctx);
      if (!c.armAt) ctx.aws.stepFunctions.crashStep(c.step, 1, { afterHandler: true });
    },
    async during(ctx) {
      if (!c.armAt) return;
      await ctx.untilState(c.armAt);
      ctx.aws.stepFunctions.crashStep(c.step, 1, { afterHandler: true });
    },
    fired: crashed(c.state),
  };
}

async function stopMidBake(ctx: CellContext): Promise<void> {
  // The bake is one wait: stop while it waits.
  await ctx.untilState('Bake');
  await ctx.stop('OperatorStop', 'stopped from the console mid-bake');
}

const STOP_CELLS: Cell[] = [
  {
    id: 'stop mid-bake (StopExecution)',
    category: 'stop',
    group: 'concurrent-b',
    endpointName: 'demo-mx-stop',
    input: { bakeSeconds: 3600 },
    during: stopMidBake,
    fired: (e) => e.events.some((ev) => ev.state === 'Recover' && ev.type === 'StateEntered'),
  },
  {
    id: 'crash Recover (after its work) after a stop mid-bake',
    category: 'crash',
    group: 'sequential',
    endpointName: 'demo-mx-crash-recover',
    input: { bakeSeconds: 3600 },
    async during(ctx) {
      ctx.aws.stepFunctions.crashStep('recover', 1, { afterHandler: true });
      await stopMidBake(ctx);
    },
    fired: crashed('Recover'),
  },
];

// ---------------------------------------------------------------------------- the matrix

export const CELLS: Cell[] = [
  ...OPERATIONS.flatMap((op) => FAULT_KINDS.map((kind) => apiCell(op, kind))),
  ...OPERATIONS.filter((op) => op.beforeTheLock).flatMap((op) => FAULT_KINDS.map((kind) => apiCell(op, kind, true))),
  ...WAIT_CELLS,
  ...CRASHES.map(crashCell),
  ...STOP_CELLS,
];

export const NOT_APPLICABLE: NotApplicable[] = [
  {
    id: 'wait shift × deadline',
    why: 'a weights change provisions nothing (UpdateEndpointWeightsAndCapacities applies in seconds); slowFleet slows Create/UpdateEndpoint deployments only',
  },
  { id: 'wait shift × Failed', why: 'a weights change has no fleet to fail: SageMaker reports no FailureReason for it' },
  { id: 'CreateEndpoint × any', why: 'variant: first deployment only; every cell promotes onto an existing blue (guardrails: its validation endpoint, in the guardrails cells)' },
  { id: 'DeleteEndpoint × any', why: 'variant: rollback of a first deployment only; every cell promotes onto an existing blue (guardrails: its validation endpoint, in the guardrails cells)' },
];

export const cellsOf = (group: Group): Cell[] => CELLS.filter((c) => c.group === group);

/**
 * A canary step long enough for a cell to act while SageMaker deploys: 3600 s, the longest wait
 * interval SageMaker takes (API_TrafficRoutingConfig WaitIntervalInSeconds, 0–3600), 6 s at 600×
 * (a 2 s step was missed on a loaded CI machine).
 */
export const CANARY_TRAFFIC = { type: 'CANARY', percent: 50, waitSeconds: 3600 } as const;

/** Resolves once green's fleet (running `greenModel`) on the endpoint has part of the traffic: SageMaker's canary step. */
export async function untilGreenCanary(aws: LocalAws, endpointName: string, greenModel: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const fleets = aws.emulator.meter().endpoints[endpointName]?.fleets ?? [];
    if (fleets.some((f) => f.status === 'InService' && f.trafficShare > 0 && f.variants.some((v) => v.modelName === greenModel))) return;
    if (Date.now() > deadline) throw new Error("green never got traffic from SageMaker's deployment");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
