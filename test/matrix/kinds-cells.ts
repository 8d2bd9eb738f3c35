import type { Outcome } from '../../lambdas/shared/contracts';
import type { PromotionInput } from '../../lambdas/shared/input';
import {
  DEADLINE_INPUT,
  ERROR_NAMES,
  KIND_ABBR,
  holdGreenFrom,
  TIMES,
  crashed,
  failedWith,
  throttleInjection,
  greenModel,
  untilGreenCanary,
  type BlueKind,
  type Cell,
  type CellContext,
  type Evidence,
  type FaultKind,
  type NotApplicable,
  type Service,
  type StepEvent,
} from './cells';
import { AB_TARGET, blueComponent } from './kinds-invariant';

/**
 * The matrix for the other endpoint kinds (group `kinds`, test/matrix/kinds.test.ts): the same
 * promotion of v2, the same invariant (harness.ts, with kinds-invariant.ts for what "serving blue"
 * means per kind), on a hand-made blue of each kind (local/seed.ts), no strategy in the input (the
 * kind chooses it). Per kind, on the calls only that kind makes: throttling that clears (retried,
 * the promotion completes) and a non-retryable error (the promotion ends on blue, or green fully,
 * and records what it could not clean), a handler crash after its work in the kind's own steps,
 * a deadline where one applies, a console stop during the switch. Each cell its own endpoint
 * `demo-mx<k>-*`; API errors scoped by the resource names in the request (S3: the key's
 * `<endpoint>/` prefix), crashes by `CellContext.crashStep`; all at once, then the `alone` cells.
 */

// ---------------------------------------------------------------------------- per kind

interface Kind {
  blue: BlueKind;
  /** In the cell ids. */
  label: string;
  /** In the endpoint names: demo-mx<abbr>-… */
  abbr: string;
  input?: Partial<PromotionInput>;
  /** Green fails its pre-traffic validation: the promotion fails before blue is touched. */
  failValidation(ctx: CellContext): void;
}

const SERVERLESS: Kind = {
  blue: 'serverless',
  label: 'serverless',
  abbr: 's',
  failValidation: (ctx) => ctx.aws.emulator.faults.variantErrors({ endpointName: ctx.green.validationEndpoint, statusCode: 500 }),
};
const ASYNC: Kind = {
  blue: 'asynchronous',
  label: 'async',
  abbr: 'a',
  failValidation: (ctx) => ctx.aws.emulator.faults.variantErrors({ endpointName: ctx.green.validationEndpoint, statusCode: 500 }),
};
/** Two copies roll one at a time; a short wait between batches keeps the group fast (600×: 60 s ≈ 0.1 s). */
const ROLLING: Partial<PromotionInput> = { rollingUpdate: { maximumBatchCopies: 1, waitSeconds: 60 } };
const COMPONENT: Kind = {
  blue: 'inference-component',
  label: 'component',
  abbr: 'c',
  input: ROLLING,
  // The validation component runs green's model on the endpoint itself (InvokeEndpoint InferenceComponentName).
  failValidation: (ctx) => ctx.aws.emulator.faults.variantErrors({ endpointName: ctx.endpointName, modelPackageVersion: 2, statusCode: 500 }),
};
const MULTI_VARIANT: Kind = {
  blue: 'multi-variant',
  label: 'multi-variant',
  abbr: 'm',
  input: { variantName: AB_TARGET },
  failValidation: (ctx) => ctx.aws.emulator.faults.variantErrors({ endpointName: ctx.green.validationEndpoint, statusCode: 500 }),
};

/** Rolls the promotion back from the workflow's bake, as green's 5xx alarm does. */
async function alarmDuringBake(ctx: CellContext): Promise<void> {
  await ctx.untilBakeParked();
  ctx.aws.emulator.faults.setAlarmState({ alarmName: `${ctx.green.alarmPrefix}-5xx`, state: 'ALARM', reason: 'matrix: green breached its 5xx guardrail' });
}
const recovered = (e: Evidence) => e.events.some((ev) => ev.state === 'Recover' && ev.type === 'StateEntered');

// ---------------------------------------------------------------------------- API errors

/** Each service's non-retryable error: S3 refuses with AccessDenied (403). */
const S3_ERRORS: Record<'throttle-clears' | 'refused-once', string> = { 'throttle-clears': 'ThrottlingException', 'refused-once': 'AccessDenied' };
type KindFault = 'throttle-clears' | 'validation-once';

interface KindCall {
  kind: Kind;
  operation: string;
  service: Service | 's3';
  /** Which call of the operation, in the cell's id. */
  what: string;
  abbr: string;
  /** The outcome once a throttling clears. */
  clears: Outcome;
  input?: Partial<PromotionInput>;
  /** Arm the fault when the promotion enters this state (the operation is called earlier too). */
  armAt?: string;
  /** Arm it for this many calls (default: TIMES of the fault kind). */
  times?: number;
  before?(ctx: CellContext): void;
  during?(ctx: CellContext): Promise<void>;
  alone?: boolean;
  unscoped?: boolean;
  queue?: boolean;
}

const BAKE_ALARM: Pick<KindCall, 'armAt' | 'during' | 'input'> = { armAt: 'Bake', during: alarmDuringBake, input: { bakeSeconds: 3600 } };

/** The calls only these kinds make (the others are the real-time cells' OPERATIONS and the guardrails CALLS). */
const CALLS: KindCall[] = [
  // serverless (replace)
  { kind: SERVERLESS, operation: 'CreateEndpoint', service: 'sagemaker', what: 'serverless validation endpoint', abbr: 'ce', clears: 'promoted' },
  { kind: SERVERLESS, operation: 'UpdateEndpoint', service: 'sagemaker', what: 'the switch, without DeploymentConfig', abbr: 'ue', clears: 'promoted' },
  { kind: SERVERLESS, operation: 'UpdateEndpoint', service: 'sagemaker', what: "back to blue's config, alarm in the bake", abbr: 'ueback', clears: 'rolled_back', ...BAKE_ALARM },
  // asynchronous (guardrails): the validation's requests and its S3 objects
  { kind: ASYNC, operation: 'InvokeEndpointAsync', service: 'runtime', what: 'validation sample', abbr: 'iea', clears: 'promoted' },
  { kind: ASYNC, operation: 'PutObject', service: 's3', what: 'inline sample uploaded', abbr: 'put', clears: 'promoted' },
  // Armed once queued: the waiter's HeadObject polls, then GetObject reads the answer.
  { kind: ASYNC, operation: 'HeadObject', service: 's3', what: "waiting for green's answer", abbr: 'head', clears: 'promoted' },
  { kind: ASYNC, operation: 'GetObject', service: 's3', what: "green's answer", abbr: 'get', clears: 'promoted' },
  { kind: ASYNC, operation: 'DeleteObject', service: 's3', what: "the workflow's own objects, once read", abbr: 'del', clears: 'promoted' },
  // inference components (component)
  { kind: COMPONENT, operation: 'CreateInferenceComponent', service: 'sagemaker', what: 'validation component', abbr: 'cic', clears: 'promoted' },
  { kind: COMPONENT, operation: 'InvokeEndpoint', service: 'runtime', what: 'InferenceComponentName', abbr: 'ie', clears: 'promoted' },
  { kind: COMPONENT, operation: 'DeleteInferenceComponent', service: 'sagemaker', what: 'validation component, at the switch', abbr: 'dic', clears: 'promoted' },
  { kind: COMPONENT, operation: 'UpdateInferenceComponent', service: 'sagemaker', what: 'rolling update', abbr: 'uic', clears: 'promoted' },
  { kind: COMPONENT, operation: 'UpdateInferenceComponent', service: 'sagemaker', what: "back to blue's specification, alarm in the bake", abbr: 'uicback', clears: 'rolled_back', ...BAKE_ALARM },
  // Armed after the lock: ValidateInput describes the component too.
  { kind: COMPONENT, operation: 'DescribeInferenceComponent', service: 'sagemaker', what: 'after the lock', abbr: 'dsc', clears: 'promoted', armAt: 'DescribeBlue' },
  // ValidateInput's: which components the endpoint hosts (a refusal ends in Rejected, nothing created).
  { kind: COMPONENT, operation: 'ListInferenceComponents', service: 'sagemaker', what: 'EndpointNameEquals, ValidateInput', abbr: 'lic', clears: 'promoted' },
  // multi-variant: the target variant's switch
  { kind: MULTI_VARIANT, operation: 'UpdateEndpoint', service: 'sagemaker', what: `${AB_TARGET}'s switch`, abbr: 'ue', clears: 'promoted' },
];

function errorNameOf(call: KindCall, fault: KindFault): string {
  if (call.service === 's3') return S3_ERRORS[fault === 'throttle-clears' ? 'throttle-clears' : 'refused-once'];
  return ERROR_NAMES[fault as FaultKind][call.service];
}

function apiCell(call: KindCall, fault: KindFault): Cell {
  const { kind } = call;
  const errorName = errorNameOf(call, fault);
  const times = call.times ?? TIMES[fault];
  const throttle = { operation: call.operation, times, errorName };
  return {
    id: `kinds: ${kind.label}: ${call.operation} (${call.what}) × ${errorName} ×${times === Infinity ? '∞' : times}`,
    category: 'api',
    group: 'kinds',
    blue: kind.blue,
    alone: call.alone,
    unscoped: call.unscoped,
    queue: call.queue,
    endpointName: `demo-mx${kind.abbr}-${call.abbr}-${fault === 'throttle-clears' ? KIND_ABBR[fault] : 'refused'}`,
    input: { ...kind.input, ...call.input },
    expect: fault === 'throttle-clears' ? call.clears : undefined,
    ...throttleInjection(call, throttle),
  };
}

/**
 * A call that names no resource: the cleanup's ListInferenceComponents by LastModifiedTimeAfter (which
 * models other endpoints' components run). Made only for models the promotion created, so green fails
 * validation and CleanupGreen makes it. Alone: its fault hits every call of the operation that names nothing.
 */
const UNSCOPED: Omit<KindCall, 'times'> = {
  kind: COMPONENT,
  operation: 'ListInferenceComponents',
  service: 'sagemaker',
  what: 'LastModifiedTimeAfter, at cleanup, green fails validation',
  abbr: 'licall',
  clears: 'failed',
  armAt: 'CleanupGreen',
  before: (ctx) => COMPONENT.failValidation(ctx),
  alone: true,
  unscoped: true,
};
const UNSCOPED_CELLS: Cell[] = [apiCell(UNSCOPED, 'throttle-clears'), apiCell({ ...UNSCOPED, times: Infinity }, 'validation-once')];

// ---------------------------------------------------------------------------- crashes

/** Which run of a step that runs more than once is the state's. */
const RUN_OF: Record<string, (e: StepEvent) => boolean> = {
  CheckGreenInService: (e) => e.phase === 'standUp',
  CheckTrafficOnGreen: (e) => e.phase === 'shift',
  ValidateGreen: (e) => e.target === undefined,
  RevalidateGreen: (e) => e.target === 'serving',
};

interface KindCrash {
  kind: Kind;
  state: string;
  step: string;
  /** What the step does for this kind, in the cell's id. */
  what: string;
  input?: Partial<PromotionInput>;
  during?(ctx: CellContext): Promise<void>;
  queue?: boolean;
}

/** The kinds' own steps: each one crashed after its work, confined to the cell's promotion. */
const CRASHES: KindCrash[] = [
  { kind: SERVERLESS, state: 'StandUpGreen', step: 'stand-up-green', what: 'CreateEndpoint of the serverless validation endpoint' },
  { kind: SERVERLESS, state: 'ShiftTraffic', step: 'shift-traffic', what: 'UpdateEndpoint without DeploymentConfig' },
  { kind: SERVERLESS, state: 'RollBack', step: 'rollback', what: "UpdateEndpoint back to blue's config, alarm in the bake", input: { bakeSeconds: 3600 }, during: alarmDuringBake },
  { kind: ASYNC, state: 'ValidateGreen', step: 'validate-green', what: 'InvokeEndpointAsync to the validation endpoint' },
  { kind: ASYNC, state: 'RevalidateGreen', step: 'validate-green', what: 'InvokeEndpointAsync to the serving endpoint' },
  { kind: ASYNC, state: 'ShiftTraffic', step: 'shift-traffic', what: 'UpdateEndpoint with guardrails, customers queueing', queue: true },
  { kind: COMPONENT, state: 'StandUpGreen', step: 'stand-up-green', what: 'CreateInferenceComponent of the validation component' },
  { kind: COMPONENT, state: 'ValidateGreen', step: 'validate-green', what: 'InvokeEndpoint InferenceComponentName' },
  { kind: COMPONENT, state: 'ShiftTraffic', step: 'shift-traffic', what: 'UpdateInferenceComponent, rolling' },
  { kind: COMPONENT, state: 'CheckTrafficOnGreen', step: 'wait-for-endpoint', what: 'the rolling update watched' },
  { kind: COMPONENT, state: 'RollBack', step: 'rollback', what: "UpdateInferenceComponent back to blue's specification, alarm in the bake", input: { bakeSeconds: 3600 }, during: alarmDuringBake },
  { kind: COMPONENT, state: 'CleanupBlue', step: 'cleanup', what: 'models no component runs' },
  { kind: MULTI_VARIANT, state: 'ShiftTraffic', step: 'shift-traffic', what: `UpdateEndpoint of ${AB_TARGET} alone` },
];

function crashCell(c: KindCrash): Cell {
  return {
    id: `kinds: ${c.kind.label}: crash ${c.state} (${c.what}; after its work)`,
    category: 'crash',
    group: 'kinds',
    blue: c.kind.blue,
    queue: c.queue,
    endpointName: `demo-mx${c.kind.abbr}-crash-${c.state.toLowerCase()}`,
    input: { ...c.kind.input, ...c.input },
    before: (ctx) => ctx.crashStep(c.step, RUN_OF[c.state]),
    during: c.during,
    fired: crashed(c.state),
  };
}

// ---------------------------------------------------------------------------- waits and stops

const WAIT_CELLS: Cell[] = [
  {
    // Held past the 4-poll deadline, released in the rollback: SageMaker cannot cancel the update, the rollback waits it out and updates back.
    id: 'kinds: serverless: wait the switch × deadline (slowFleet)',
    category: 'wait',
    group: 'kinds',
    blue: 'serverless',
    alone: true,
    endpointName: 'demo-mxs-wait-shift-deadline',
    input: DEADLINE_INPUT,
    during: holdGreenFrom('ArmGuardrails'),
    fired: (e) => failedWith('DeadlineExceeded', 'shift')(e) && e.rollbackActions.some((a) => a.startsWith('endpoint back to blue config')),
  },
  {
    // Real seconds: the S3 waiter's deadline (validation.asyncOutputSeconds) is wall-clock, so no poll is stretched.
    id: 'kinds: async: validation × asyncOutputSeconds deadline (green answers late)',
    category: 'wait',
    group: 'kinds',
    blue: 'asynchronous',
    endpointName: 'demo-mxa-wait-output-deadline',
    input: { validation: { maxLatencyMs: 60_000, asyncOutputSeconds: 1, samples: [{ name: 'typical-customer', body: '{"customer_id": "C-1001"}' }] } },
    before: (ctx) => ctx.aws.emulator.faults.variantErrors({ endpointName: ctx.green.validationEndpoint, latencyMs: 4000, realDelay: true }),
    expect: 'failed',
    fired: (e) => (e.reason ?? '').includes('no output within validation.asyncOutputSeconds'),
  },
  {
    // The validation component never comes up: the deadline counts polls of a component that stays Creating.
    id: 'kinds: component: wait validation component × deadline (slowFleet)',
    category: 'wait',
    group: 'kinds',
    blue: 'inference-component',
    endpointName: 'demo-mxc-wait-standup-deadline',
    input: { ...ROLLING, ...DEADLINE_INPUT },
    before: (ctx) => ctx.aws.emulator.faults.slowFleet({ ...greenModel(ctx), provisioningMs: 600_000 }),
    expect: 'failed',
    fired: failedWith('DeadlineExceeded', 'standUp'),
  },
];

/** Resolves once the endpoint is Updating (SageMaker deploying the switch). */
async function untilUpdating(ctx: CellContext): Promise<void> {
  for (;;) {
    if (ctx.aws.emulator.inspect().endpoints[ctx.endpointName]?.EndpointStatus === 'Updating') return;
    await new Promise((r) => setTimeout(r, 5));
  }
}
/** Resolves once the component rolls: Updating with green's model on some copies. */
async function untilRolling(ctx: CellContext): Promise<void> {
  for (;;) {
    const c = ctx.aws.emulator.inspect().inferenceComponents[blueComponent(ctx.endpointName)] as { InferenceComponentStatus?: string } | undefined;
    if (c?.InferenceComponentStatus === 'Updating') return;
    await new Promise((r) => setTimeout(r, 5));
  }
}
const stop = (ctx: CellContext) => ctx.stop('OperatorStop', 'stopped from the console during the switch');

const STOP_CELLS: Cell[] = [
  {
    // green's serverless container slow to start: the stop lands while SageMaker updates the endpoint.
    id: 'kinds: serverless: stop during the switch (StopExecution while Updating)',
    category: 'stop',
    group: 'kinds',
    blue: 'serverless',
    endpointName: 'demo-mxs-stop',
    input: { bakeSeconds: 3600 },
    async during(ctx) {
      await ctx.untilState('ArmGuardrails');
      ctx.aws.emulator.faults.slowFleet({ ...greenModel(ctx), provisioningMs: 3000 });
      await untilUpdating(ctx);
      await stop(ctx);
    },
    fired: recovered,
  },
  {
    id: 'kinds: async: stop during the switch (StopExecution while SageMaker deploys, customers queueing)',
    category: 'stop',
    group: 'kinds',
    blue: 'asynchronous',
    queue: true,
    endpointName: 'demo-mxa-stop',
    // One instance: ALL_AT_ONCE (a canary needs 2); the termination wait at its longest (3600 s: 6 s at 600×) keeps SageMaker
    // deploying, and the workflow's hour of bake after it keeps the stop, should a loaded machine deliver it late, before green earned it.
    input: { bakeSeconds: 7200 },
    async during(ctx) {
      await untilGreenCanary(ctx.aws, ctx.endpointName, ctx.green.model);
      await stop(ctx);
    },
    expect: 'rolled_back',
    fired: recovered,
  },
  {
    // One copy per batch, the longest wait between batches (3600 s: 6 s at 600×): the stop lands mid-roll.
    id: 'kinds: component: stop during the rolling update (StopExecution)',
    category: 'stop',
    group: 'kinds',
    blue: 'inference-component',
    endpointName: 'demo-mxc-stop',
    input: { rollingUpdate: { maximumBatchCopies: 1, waitSeconds: 3600 }, bakeSeconds: 3600 },
    async during(ctx) {
      await untilRolling(ctx);
      await stop(ctx);
    },
    fired: recovered,
  },
];

// ---------------------------------------------------------------------------- the matrix

export const KINDS_CELLS: Cell[] = [
  ...CALLS.flatMap((call) => (['throttle-clears', 'validation-once'] as const).map((fault) => apiCell(call, fault))),
  ...UNSCOPED_CELLS,
  ...CRASHES.map(crashCell),
  ...WAIT_CELLS,
  ...STOP_CELLS,
];

export const KINDS_NOT_APPLICABLE: NotApplicable[] = [
  { id: 'kinds: serverless: UpdateEndpointWeightsAndCapacities, DeploymentConfig × any', why: 'replace never calls them: one UpdateEndpoint without DeploymentConfig (deployment guardrails do not apply to serverless)' },
  { id: 'kinds: async: UpdateEndpoint, CreateEndpoint × any', why: 'the guardrails strategy\'s own calls, the same on an asynchronous endpoint: the guardrails cells' },
  { id: 'kinds: multi-variant: every call × any', why: 'no call of its own (guardrails on the named variant): two cells on the target variant judge its invariant (every variant\'s model and weight)' },
  { id: 'kinds: component: UpdateEndpoint, CreateEndpoint × any', why: 'component never touches the endpoint: copies run on its instances' },
];

/**
 * Cells that do not hold because of a defect they found, not yet fixed (reported to the lead): the
 * jest file expects them to fail (`test.failing`), so fixing the defect turns them red until they
 * are taken off this list; `npm run matrix` shows them ✗ as they are.
 */
export const KNOWN_DEFECTS: Record<string, string> = {};

