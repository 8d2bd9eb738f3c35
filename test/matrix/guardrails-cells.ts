import type { Outcome } from '../../lambdas/shared/contracts';
import type { PromotionInput } from '../../lambdas/shared/input';
import {
  CANARY_TRAFFIC,
  CRASHES,
  DEADLINE_INPUT,
  ERROR_NAMES,
  FAULT_KINDS,
  KIND_ABBR,
  holdGreen,
  releaseInRollback,
  holdGreenFrom,
  TIMES,
  crashed,
  failedWith,
  throttleInjection,
  greenModel,
  untilGreenCanary,
  type Cell,
  type CellContext,
  type CrashSpec,
  type Evidence,
  type FaultKind,
  type NotApplicable,
  type Service,
  type StepEvent,
} from './cells';

/**
 * The matrix for the guardrails strategy (group `guardrails`, test/matrix/guardrails.test.ts):
 * the same promotion of v2 onto a hand-made blue, the same invariant (harness.ts), with
 * `strategy: 'guardrails'` — green validated on its short-lived validation endpoint, then ONE
 * UpdateEndpoint with SageMaker's blue/green deployment, rolled back through the abort alarm.
 * Each cell its own endpoint `demo-mxg-*`, its API errors and crashes confined to it. Cells run
 * all at once, then the `alone` ones one by one: deadlines (a busy process stretches polls) and
 * DescribeEndpoint (every cleanup describes every endpoint of the account).
 */
const GUARDRAILS: Partial<PromotionInput> = { strategy: 'guardrails' };
const CANARY: Partial<PromotionInput> = { ...GUARDRAILS, traffic: CANARY_TRAFFIC };

/** Green answers 500 on its validation endpoint: the promotion fails before blue is touched. */
function failValidationEndpoint(ctx: CellContext): void {
  ctx.aws.emulator.faults.variantErrors({ endpointName: ctx.green.validationEndpoint, statusCode: 500 });
}

/** Resolves once green's fleet on the promoted endpoint has part of the traffic (the canary step). */
const untilCanary = (ctx: CellContext) => untilGreenCanary(ctx.aws, ctx.endpointName, ctx.green.model);

/** An operator's `bluegreen rollback` during the canary step: the rollback must trip the abort alarm. */
async function abortDuringCanary(ctx: CellContext): Promise<void> {
  await untilCanary(ctx);
  await ctx.abort('matrix: operator abort during the canary step');
}

// ---------------------------------------------------------------------------- API errors

interface GuardrailsCall {
  operation: string;
  service: Service;
  /** Which call of the operation, in the cell's id. */
  what: string;
  abbr: string;
  /** The outcome once a throttling clears. */
  clears: Outcome;
  input?: Partial<PromotionInput>;
  /** Arm the fault when the promotion enters this state (the operation is called earlier too). */
  armAt?: string;
  before?(ctx: CellContext): void;
  during?(ctx: CellContext): Promise<void>;
  alone?: boolean;
}

/** The calls only the guardrails strategy makes (the others are the variant cells' OPERATIONS). */
const CALLS: GuardrailsCall[] = [
  { operation: 'CreateEndpoint', service: 'sagemaker', what: 'validation endpoint', abbr: 'ce', clears: 'promoted' },
  { operation: 'DeleteEndpoint', service: 'sagemaker', what: 'validation endpoint, at the shift', abbr: 'de-shift', clears: 'promoted' },
  // Green fails on its validation endpoint, so the only DeleteEndpoint is CleanupGreen's.
  { operation: 'DeleteEndpoint', service: 'sagemaker', what: 'validation endpoint, at cleanup', abbr: 'de-clean', clears: 'failed', before: failValidationEndpoint },
  { operation: 'UpdateEndpoint', service: 'sagemaker', what: 'with DeploymentConfig', abbr: 'ue', clears: 'promoted' },
  // Green's own alarms off: the abort alarm is the only PutMetricAlarm.
  { operation: 'PutMetricAlarm', service: 'cloudwatch', what: 'abort alarm', abbr: 'pma', clears: 'promoted', input: { greenAlarms: { enabled: false } } },
  { operation: 'SetAlarmState', service: 'cloudwatch', what: 'abort alarm, rollback while SageMaker deploys', abbr: 'sas', clears: 'rolled_back', input: CANARY, during: abortDuringCanary },
  // Armed once SageMaker deploys: every CheckTrafficOnGreen poll describes the endpoint.
  { operation: 'DescribeEndpoint', service: 'sagemaker', what: 'deployment wait', abbr: 'desc', clears: 'promoted', armAt: 'WaitForTrafficOnGreen', alone: true },
];

function apiCell(call: GuardrailsCall, kind: FaultKind): Cell {
  const errorName = ERROR_NAMES[kind][call.service];
  const times = TIMES[kind];
  const fault = { operation: call.operation, times, errorName };
  return {
    id: `guardrails: ${call.operation} (${call.what}) × ${errorName} ×${times === Infinity ? '∞' : times}`,
    category: 'api',
    group: 'guardrails',
    alone: call.alone,
    endpointName: `demo-mxg-${call.abbr}-${KIND_ABBR[kind]}`,
    input: { ...GUARDRAILS, ...call.input },
    expect: kind === 'throttle-clears' ? call.clears : undefined,
    ...throttleInjection(call, fault),
  };
}

// ---------------------------------------------------------------------------- waits, alarm, stop

const WAIT_CELLS: Cell[] = [
  {
    id: 'guardrails: wait validation endpoint × deadline (slowFleet)',
    category: 'wait',
    group: 'guardrails',
    alone: true,
    endpointName: 'demo-mxg-wait-val-deadline',
    input: { ...GUARDRAILS, ...DEADLINE_INPUT },
    // The rollback does not wait for the validation endpoint: it is deleted while Creating.
    before: holdGreen,
    during: releaseInRollback,
    fired: failedWith('DeadlineExceeded', 'standUp'),
  },
  {
    id: 'guardrails: wait validation endpoint × Failed (failFleet)',
    category: 'wait',
    group: 'guardrails',
    endpointName: 'demo-mxg-wait-val-failed',
    input: GUARDRAILS,
    before: (ctx) => ctx.aws.emulator.faults.failFleet(greenModel(ctx)),
    fired: failedWith('GreenNotInService', 'standUp'),
  },
  {
    id: 'guardrails: wait deployment × deadline (slowFleet)',
    category: 'wait',
    group: 'guardrails',
    alone: true,
    endpointName: 'demo-mxg-wait-deploy-deadline',
    input: { ...GUARDRAILS, ...DEADLINE_INPUT },
    // Armed once the validation endpoint (green's model too) served its samples.
    during: holdGreenFrom('ArmGuardrails'),
    fired: failedWith('DeadlineExceeded', 'shift'),
  },
  {
    id: 'guardrails: wait deployment × Failed (failFleet)',
    category: 'wait',
    group: 'guardrails',
    endpointName: 'demo-mxg-wait-deploy-failed',
    input: GUARDRAILS,
    async during(ctx) {
      await ctx.untilState('ArmGuardrails');
      ctx.aws.emulator.faults.failFleet(greenModel(ctx));
    },
    fired: failedWith('GreenNotInService', 'shift'),
  },
  {
    id: 'guardrails: green\'s 5xx alarm during the canary step',
    category: 'wait',
    group: 'guardrails',
    endpointName: 'demo-mxg-alarm-canary',
    input: CANARY,
    expect: 'rolled_back',
    async during(ctx) {
      await untilCanary(ctx);
      ctx.aws.emulator.faults.setAlarmState({ alarmName: `${ctx.green.alarmPrefix}-5xx`, state: 'ALARM', reason: 'matrix: green breached its 5xx guardrail in the canary step' });
    },
    fired: (e) => e.failedWith === 'GuardrailAlarm',
  },
];

async function stopMidDeployment(ctx: CellContext): Promise<void> {
  await untilCanary(ctx);
  await ctx.stop('OperatorStop', 'stopped from the console while SageMaker deploys');
}
const recovered = (e: Evidence) => e.events.some((ev) => ev.state === 'Recover' && ev.type === 'StateEntered');

/**
 * The recovery decides from the endpoint as it is (lambdas/recover): a deployment still in motion is
 * rolled back, one SageMaker already finished is green serving alone. The canary step and the
 * termination wait at their longest (3600 s each: 12 s at 600×) keep SageMaker deploying until the
 * recovery looks, however slowly a loaded machine delivers the stop's event (with a 1200 s canary and
 * a 30 s bake, SageMaker sometimes finished first and the recovery rightly recorded `promoted`).
 */
const LONG_DEPLOYMENT: Partial<PromotionInput> = { ...GUARDRAILS, traffic: CANARY_TRAFFIC, bakeSeconds: 3600 };

const STOP_CELLS: Cell[] = [
  {
    id: 'guardrails: stop mid-deployment (StopExecution in the canary step)',
    category: 'stop',
    group: 'guardrails',
    endpointName: 'demo-mxg-stop',
    input: LONG_DEPLOYMENT,
    expect: 'rolled_back',
    during: stopMidDeployment,
    fired: recovered,
  },
];

// ---------------------------------------------------------------------------- crashes

/**
 * The variant cells' crash list, on the guardrails path. Bake and CheckGuardrails are not entered:
 * SageMaker bakes a bake up to 3600 s itself (TerminationWaitInSeconds). RollBack also crashes
 * where only guardrails gets: after tripping the abort alarm while SageMaker deploys. Each crash
 * is confined to its cell's promotion (and to the step's run in that state), so the crash cells
 * run all at once with the others: arming a crash when a state is entered would race the no-op
 * Finalize of this strategy.
 */
const NOT_ENTERED = new Set(['Bake', 'CheckGuardrails']);
/** Which run of a step that runs more than once is the state's. */
const RUN_OF: Record<string, (e: StepEvent) => boolean> = {
  CheckGreenInService: (e) => e.phase === 'standUp',
  CheckTrafficOnGreen: (e) => e.phase === 'shift',
  CheckGreenAlone: (e) => e.phase === 'finalize',
  ValidateGreen: (e) => e.target === undefined,
  RevalidateGreen: (e) => e.target === 'serving',
};

interface GuardrailsCrash extends CrashSpec {
  /** Added to the cell's id and endpoint name. */
  variant?: { id: string; endpoint: string };
  input?: Partial<PromotionInput>;
  during?(ctx: CellContext): Promise<void>;
}

function crashCell(c: GuardrailsCrash): Cell {
  return {
    id: `guardrails: crash ${c.state} (after its work)${c.rollback ? ' (green fails validation)' : ''}${c.variant?.id ?? ''}`,
    category: 'crash',
    group: 'guardrails',
    endpointName: `demo-mxg-crash-${c.state.toLowerCase()}${c.variant?.endpoint ?? ''}`,
    input: { ...GUARDRAILS, ...c.input },
    before(ctx) {
      if (c.rollback) failValidationEndpoint(ctx);
      ctx.crashStep(c.step, RUN_OF[c.state]);
    },
    during: c.during,
    fired: crashed(c.state),
  };
}

const CRASH_CELLS: Cell[] = [
  ...CRASHES.filter((c) => !NOT_ENTERED.has(c.state)).map((c) => crashCell(c)),
  crashCell({ state: 'RollBack', step: 'rollback', variant: { id: ' (operator abort while SageMaker deploys)', endpoint: 'deploying' }, input: CANARY, during: abortDuringCanary }),
  crashCell({ state: 'Recover', step: 'recover', variant: { id: ' after a stop mid-deployment', endpoint: '' }, input: CANARY, during: stopMidDeployment }),
];

// ---------------------------------------------------------------------------- the matrix

export const GUARDRAILS_CELLS: Cell[] = [
  ...CALLS.flatMap((call) => FAULT_KINDS.map((kind) => apiCell(call, kind))),
  ...WAIT_CELLS,
  ...STOP_CELLS,
  ...CRASH_CELLS,
];

export const GUARDRAILS_NOT_APPLICABLE: NotApplicable[] = [
  { id: 'guardrails: crash Bake, crash CheckGuardrails', why: 'not entered: SageMaker bakes a bake of up to 3600 s itself (TerminationWaitInSeconds); the workflow\'s own bake is only the rest' },
  { id: 'guardrails: UpdateEndpointWeightsAndCapacities × any', why: 'the guardrails strategy never calls it: SageMaker\'s deployment moves the traffic, its auto-rollback moves it back' },
  { id: 'guardrails: wait finalize × any', why: 'Finalize changes nothing: SageMaker\'s deployment already runs green\'s config alone' },
];
