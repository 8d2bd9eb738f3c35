import {
  DeleteEndpointCommand,
  UpdateEndpointCommand,
  UpdateEndpointWeightsAndCapacitiesCommand,
  UpdateModelPackageCommand,
  type DescribeEndpointOutput,
  type SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import type { Outcome } from '../../lambdas/shared/contracts';
import type { PromotionInput, StrategyName } from '../../lambdas/shared/input';
import type { GreenNames } from '../../lambdas/shared/naming';
import type { StepName } from '../../lib/functions';
import type { LocalAws } from '../../local/aws';
import { CANARY_TRAFFIC, untilGreenCanary, VALIDATION, type Group, type NotApplicable, type StepEvent } from './cells';

/**
 * The fault matrix's outside-actors dimension (issue 11): no fault, but someone or something
 * outside the promotion acts while it runs — an operator through the SageMaker API, the Model
 * Registry, the Step Functions console — in one phase of the promotion. Each actor acts as a real
 * one would: through the real SDK against the local AWS (UpdateEndpointWeightsAndCapacities,
 * UpdateEndpoint to a config it made, UpdateEndpoint back to blue's config, DeleteEndpoint,
 * StopExecution), or in the registry (UpdateModelPackage, whose "SageMaker Model Package State
 * Change" event the approval rule routes to lambdas/on-approval). It acts only when SageMaker would
 * accept its call: an update (UpdateEndpoint, UpdateEndpointWeightsAndCapacities) sets the endpoint
 * Updating until it is InService again (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateEndpoint.html)
 * and another update is refused meanwhile, so within a phase such an actor waits for InService;
 * DeleteEndpoint is refused only while the endpoint is already Deleting or SystemUpdating ("cannot be
 * updated or deleted": EndpointStatus, https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeEndpoint.html),
 * a status the local AWS never enters.
 *
 * Where in a phase an actor acts is deterministic: just before the workflow's step of that phase
 * runs for this promotion (the step's Lambda is invoked, then the actor acts, then the handler
 * runs — as if the actor were a moment quicker than the Lambda), or, in the bake, while the bake's
 * task token is parked. The harness (outside-harness.ts) judges every cell with one invariant.
 */

export type ActorKey = 'weights' | 'update-other' | 'update-blue' | 'delete' | 'approve' | 'supersede' | 'reject' | 'stop';
export type PhaseKey = 'standUp' | 'validation' | 'shift' | 'bake' | 'finalize' | 'cleanup' | 'rollback';
export const OUTSIDE_STRATEGIES = ['guardrails', 'variant'] as const satisfies readonly StrategyName[];
export type OutsideStrategy = (typeof OUTSIDE_STRATEGIES)[number];

/** The model package group of a registry cell: its own, routed to its endpoint only, so its approvals reach no other cell. */
export interface Registry {
  group: string;
  /** Blue's version (Approved, deployed by hand), the one promoted (Approved), the newer one (PendingManualApproval until an actor approves it). */
  v1: string;
  v2: string;
  v3: string;
}

/** What an actor can see and use. Its SageMaker client is its own (an operator's), not the workflow's. */
export interface OutsideContext {
  readonly aws: LocalAws;
  readonly endpointName: string;
  readonly strategy: OutsideStrategy;
  readonly phase: PhaseKey;
  /** The names of the promotion in flight (version 2). */
  readonly green: GreenNames;
  readonly blueConfig: string;
  /** The config an operator made to update the endpoint to (`ops-<endpoint>`: no name of the promotion's). */
  readonly operatorConfig: string;
  readonly registry?: Registry;
  readonly sagemaker: SageMakerClient;
  readonly executionArn: string;
  describe(): Promise<DescribeEndpointOutput | undefined>;
  /** StopExecution through @aws-sdk/client-sfn, as from the console. */
  stop(error: string, cause: string): Promise<void>;
  /** Sends one mutating call and returns the call-log window [before, after) it was served in. */
  logged(call: () => Promise<unknown>): Promise<[number, number]>;
}

/** What the endpoint must be at the end for an endpoint actor: exactly what it set. */
export type EndpointExpectation = { deleted: true } | { deleted: false; config: string; weights: Record<string, number> };

export interface Acted {
  /** What the actor did, in words. */
  did: string;
  /** Endpoint actors: their call and the call-log window it was served in (the workflow's calls after it are judged). */
  operation?: string;
  window?: [number, number];
  endpoint?: EndpointExpectation;
  /** The console stop: the step the actor preceded never runs (a stopped execution invokes nothing more). */
  skipStep?: boolean;
}

export interface Actor {
  key: ActorKey;
  /** In endpoint names: letters only, so no cell's name is another's plus a dash. */
  abbr: string;
  label: string;
  kind: 'endpoint' | 'registry' | 'console';
  /** SageMaker accepts the call only while the endpoint is InService. */
  needsInService: boolean;
  /** Registry actors: the route's `onNewerApproval`. */
  onNewerApproval?: 'queue' | 'supersede';
  act(ctx: OutsideContext): Promise<Acted>;
}

const weights = (w: Record<string, number>) =>
  Object.entries(w)
    .map(([variant, weight]) => `${variant}=${weight}`)
    .join(', ');

const need = <T>(value: T | undefined, what: string): T => {
  if (value === undefined) throw new Error(`the actor found no ${what}`);
  return value;
};

export const ACTORS: Actor[] = [
  {
    key: 'weights',
    abbr: 'wts',
    label: 'weights moved back to blue (UpdateEndpointWeightsAndCapacities)',
    kind: 'endpoint',
    needsInService: true,
    async act(ctx) {
      const endpoint = need(await ctx.describe(), 'endpoint');
      const set = Object.fromEntries((endpoint.ProductionVariants ?? []).map((v) => [v.VariantName!, v.VariantName === ctx.green.variant ? 0 : 1]));
      const window = await ctx.logged(() =>
        ctx.sagemaker.send(
          new UpdateEndpointWeightsAndCapacitiesCommand({
            EndpointName: ctx.endpointName,
            DesiredWeightsAndCapacities: Object.entries(set).map(([VariantName, DesiredWeight]) => ({ VariantName, DesiredWeight })),
          }),
        ),
      );
      return { did: `weights set to ${weights(set)}`, operation: 'UpdateEndpointWeightsAndCapacities', window, endpoint: { deleted: false, config: need(endpoint.EndpointConfigName, 'config'), weights: set } };
    },
  },
  {
    key: 'update-other',
    abbr: 'ueo',
    label: 'UpdateEndpoint to another config',
    kind: 'endpoint',
    needsInService: true,
    async act(ctx) {
      const window = await ctx.logged(() => ctx.sagemaker.send(new UpdateEndpointCommand({ EndpointName: ctx.endpointName, EndpointConfigName: ctx.operatorConfig })));
      return { did: `UpdateEndpoint to ${ctx.operatorConfig}`, operation: 'UpdateEndpoint', window, endpoint: { deleted: false, config: ctx.operatorConfig, weights: { AllTraffic: 1 } } };
    },
  },
  {
    key: 'update-blue',
    abbr: 'ueb',
    label: "UpdateEndpoint back to blue's config",
    kind: 'endpoint',
    needsInService: true,
    async act(ctx) {
      const window = await ctx.logged(() => ctx.sagemaker.send(new UpdateEndpointCommand({ EndpointName: ctx.endpointName, EndpointConfigName: ctx.blueConfig })));
      return { did: `UpdateEndpoint back to ${ctx.blueConfig}`, operation: 'UpdateEndpoint', window, endpoint: { deleted: false, config: ctx.blueConfig, weights: { AllTraffic: 1 } } };
    },
  },
  {
    key: 'delete',
    abbr: 'del',
    label: 'endpoint deleted (DeleteEndpoint)',
    kind: 'endpoint',
    needsInService: false,
    async act(ctx) {
      const window = await ctx.logged(() => ctx.sagemaker.send(new DeleteEndpointCommand({ EndpointName: ctx.endpointName })));
      return { did: `DeleteEndpoint ${ctx.endpointName}`, operation: 'DeleteEndpoint', window, endpoint: { deleted: true } };
    },
  },
  {
    key: 'approve',
    abbr: 'apq',
    label: 'newer approval (queued)',
    kind: 'registry',
    needsInService: false,
    onNewerApproval: 'queue',
    act: approveNewer,
  },
  {
    key: 'supersede',
    abbr: 'aps',
    label: 'newer approval (onNewerApproval: supersede)',
    kind: 'registry',
    needsInService: false,
    onNewerApproval: 'supersede',
    act: approveNewer,
  },
  {
    key: 'reject',
    abbr: 'rej',
    label: 'rejection of the version in flight',
    kind: 'registry',
    needsInService: false,
    async act(ctx) {
      const r = need(ctx.registry, 'model package group');
      await ctx.sagemaker.send(new UpdateModelPackageCommand({ ModelPackageArn: r.v2, ModelApprovalStatus: 'Rejected', ApprovalDescription: 'matrix: rejected while it is promoted' }));
      return { did: `version 2 of ${r.group} rejected in the Model Registry` };
    },
  },
  {
    key: 'stop',
    abbr: 'stop',
    label: 'console stop (StopExecution)',
    kind: 'console',
    needsInService: false,
    async act(ctx) {
      await ctx.stop('OperatorStop', `matrix: stopped from the console during ${ctx.phase}`);
      return { did: 'StopExecution', skipStep: true };
    },
  },
];

async function approveNewer(ctx: OutsideContext): Promise<Acted> {
  const r = need(ctx.registry, 'model package group');
  await ctx.sagemaker.send(new UpdateModelPackageCommand({ ModelPackageArn: r.v3, ModelApprovalStatus: 'Approved', ApprovalDescription: 'matrix: approved while version 2 is promoted' }));
  return { did: `version 3 of ${r.group} approved in the Model Registry` };
}

// ---------------------------------------------------------------------------- phases

/** Where an actor acts: before the first run of `step` for this promotion that `when` accepts; or while the bake's token is parked. */
export type ActAt = { step: StepName; when(e: StepEvent): boolean } | 'bake';

export interface Phase {
  key: PhaseKey;
  abbr: string;
  label: string;
  /** Added to the execution input. */
  input(strategy: OutsideStrategy): Partial<PromotionInput>;
  at(strategy: OutsideStrategy): ActAt;
  /** Before StartExecution: what makes the phase happen (green failing validation). */
  setup?(ctx: OutsideContext): void;
  /** While the promotion runs, besides the actor (the alarm that starts guardrails' rollback). */
  during?(ctx: OutsideContext): Promise<void>;
  /** Blue already touched when the actor acts: a rollback then ends `rolled_back`, otherwise `failed` (blue untouched). */
  blueTouched(strategy: OutsideStrategy): boolean;
  /** How the promotion ends with no actor. */
  baseline: Outcome;
}

const GUARDRAILS_INPUT: Partial<PromotionInput> = { strategy: 'guardrails' };
const VARIANT_INPUT: Partial<PromotionInput> = { strategy: 'variant' };
const strategyInput = (s: OutsideStrategy) => (s === 'guardrails' ? GUARDRAILS_INPUT : VARIANT_INPUT);
/** A bake long enough for the actor to act while it waits (1800 s: 3 s at 600×); guardrails bakes the first 3600 s in SageMaker's termination wait. */
export const BAKE_WAIT_SECONDS = 1800;
/** guardrails: a canary step long enough (1200 s: 2 s at 600×) for green's alarm to fire while SageMaker deploys. */
const CANARY: Partial<PromotionInput> = { traffic: CANARY_TRAFFIC };

/** Green answers its validation requests with 500 (variant: on the pair's zero-weight variant). */
function failGreenValidation(ctx: OutsideContext): void {
  ctx.aws.emulator.faults.variantErrors({ endpointName: ctx.endpointName, variantName: ctx.green.variant, statusCode: 500 });
}

/** guardrails: once green's fleet has its canary share, green's 5xx alarm fires: the promotion rolls back while SageMaker deploys. */
async function alarmInTheCanaryStep(ctx: OutsideContext): Promise<void> {
  await untilGreenCanary(ctx.aws, ctx.endpointName, ctx.green.model);
  ctx.aws.emulator.faults.setAlarmState({ alarmName: `${ctx.green.alarmPrefix}-5xx`, state: 'ALARM', reason: 'matrix: green breached its 5xx guardrail in the canary step' });
}

const wait = (phase: string) => ({ step: 'wait-for-endpoint' as const, when: (e: StepEvent) => e.phase === phase });

export const PHASES: Phase[] = [
  {
    key: 'standUp',
    abbr: 'up',
    label: 'stand-up',
    input: strategyInput,
    // guardrails: the validation endpoint is being created, the endpoint untouched; variant: the endpoint moves to the pair.
    at: () => wait('standUp'),
    blueTouched: (s) => s === 'variant',
    baseline: 'promoted',
  },
  {
    key: 'validation',
    abbr: 'val',
    label: 'validation',
    input: strategyInput,
    at: () => ({ step: 'validate-green', when: (e) => e.target === undefined }),
    blueTouched: (s) => s === 'variant',
    baseline: 'promoted',
  },
  {
    key: 'shift',
    abbr: 'shift',
    label: 'shift',
    input: strategyInput,
    // guardrails: SageMaker's blue/green deployment (Updating until it ends); variant: the weights call settling.
    at: () => wait('shift'),
    blueTouched: () => true,
    baseline: 'promoted',
  },
  {
    key: 'bake',
    abbr: 'bake',
    label: 'bake',
    // guardrails: SageMaker bakes the first 3600 s (TerminationWaitInSeconds), the workflow the rest.
    input: (s) => ({ ...strategyInput(s), bakeSeconds: s === 'guardrails' ? 3600 + BAKE_WAIT_SECONDS : BAKE_WAIT_SECONDS }),
    at: () => 'bake',
    blueTouched: () => true,
    baseline: 'promoted',
  },
  {
    key: 'finalize',
    abbr: 'fin',
    label: 'finalize',
    input: strategyInput,
    // guardrails: Finalize has nothing left to do (green alone serves); variant: it would update to green's config alone.
    at: () => ({ step: 'finalize', when: () => true }),
    blueTouched: () => true,
    baseline: 'promoted',
  },
  {
    key: 'cleanup',
    abbr: 'clean',
    label: 'cleanup',
    input: strategyInput,
    at: () => ({ step: 'cleanup', when: (e) => e.target === 'blue' }),
    blueTouched: () => true,
    baseline: 'promoted',
  },
  {
    key: 'rollback',
    abbr: 'rb',
    label: 'rollback',
    // variant: green fails validation on the pair, the loop takes the endpoint back to blue's config;
    // guardrails: green's alarm in the canary step, the loop trips the abort alarm and waits out SageMaker's rollback.
    input: (s) => (s === 'guardrails' ? { ...GUARDRAILS_INPUT, ...CANARY } : VARIANT_INPUT),
    at: () => ({ step: 'rollback', when: () => true }),
    setup: (ctx) => {
      if (ctx.strategy === 'variant') failGreenValidation(ctx);
    },
    during: (ctx) => (ctx.strategy === 'guardrails' ? alarmInTheCanaryStep(ctx) : Promise.resolve()),
    blueTouched: () => true,
    baseline: 'rolled_back',
  },
];

// ---------------------------------------------------------------------------- cells

export interface OutsideCell {
  id: string;
  category: 'outside';
  group: Group;
  endpointName: string;
  strategy: OutsideStrategy;
  actor: Actor;
  phase: Phase;
  /** Registry cells: the cell's own model package group (a route of the world's config). */
  registryGroup?: string;
  input: Partial<PromotionInput>;
  /** The outcome of the promotion in flight; `consistent`: whatever the recovery decides, as long as it names what serves. */
  expect: Outcome | 'consistent';
  /** What the history row's reason (or interruption) must name. */
  names?: (ctx: Pick<OutsideContext, 'operatorConfig' | 'blueConfig'>) => RegExp;
  /** A newer approval: version 3 is promoted once the promotion in flight has ended. */
  thenPromotesV3: boolean;
  /** A rejection: at the end the endpoint serves no rejected version. */
  rejectsV2: boolean;
}

/**
 * Actor × phase pairs that SageMaker, or the strategy, cannot produce — with the reason (no
 * `actors`: any actor; no `phases`: any phase). The variant cells cover the phases that happen
 * differently with that strategy: every one but the cleanup, where both have green's config alone
 * serving and delete blue's unused configs and models.
 */
export interface OutsideNotApplicable extends NotApplicable {
  strategy: OutsideStrategy;
  actors?: ActorKey[];
  phases?: PhaseKey[];
}

export const OUTSIDE_NOT_APPLICABLE: OutsideNotApplicable[] = [
  {
    strategy: 'guardrails',
    actors: ['weights'],
    id: 'outside guardrails: weights moved back to blue × any phase',
    why: "one production variant: blue and green are fleets of the same variant, SageMaker moves traffic between them; there are no blue weights to move back to (an operator does UpdateEndpoint back to blue's config instead, a cell of its own)",
  },
  {
    strategy: 'guardrails',
    actors: ['update-blue'],
    phases: ['standUp', 'validation', 'rollback'],
    id: "outside guardrails: UpdateEndpoint back to blue's config × stand-up, validation, rollback",
    why: "the endpoint already runs blue's config (before the shift, and once SageMaker's auto-rollback has put it back): a redeploy of what serves is no decision against the promotion, and \"to update an endpoint, you must create a new EndpointConfig\" (API_UpdateEndpoint)",
  },
  {
    strategy: 'variant',
    actors: ['weights'],
    phases: ['standUp', 'validation', 'rollback'],
    id: 'outside variant: weights moved back to blue × stand-up, validation, rollback (green failed validation)',
    why: "before the shift the pair's weights already are blue's (blue 1, green 0): the call changes nothing DescribeEndpoint can tell from no call",
  },
  {
    strategy: 'variant',
    phases: ['cleanup'],
    id: 'outside variant: any actor × cleanup',
    why: "the same phase as guardrails' (green's config alone serves, CleanupBlue deletes blue's unused configs and models): the guardrails cells cover it",
  },
];

const notApplicable = (s: OutsideStrategy, a: ActorKey, p: PhaseKey) =>
  OUTSIDE_NOT_APPLICABLE.some((n) => n.strategy === s && (n.actors?.includes(a) ?? true) && (n.phases?.includes(p) ?? true));

function expectedOutcome(actor: Actor, phase: Phase, strategy: OutsideStrategy): OutsideCell['expect'] {
  switch (actor.kind) {
    case 'console':
      return 'consistent';
    case 'endpoint':
      // The rollback's own destination: the loop waits the operator's update out, nothing of it is undone.
      if (actor.key === 'update-blue' && phase.key === 'rollback') return 'rolled_back';
      // Before the promotion has seen its own config serve, an operator's update back to blue looks exactly like
      // SageMaker's silent rollback (InService on the old config, no FailureReason; the emulator's silentRollback
      // fault): recorded as a rollback, which finds blue serving and undoes nothing (lambdas/shared/outside.ts).
      if (actor.key === 'update-blue' && (strategy === 'guardrails' ? phase.key === 'shift' : phase.key === 'standUp')) return 'rolled_back';
      return 'interrupted';
    case 'registry':
      if (actor.key === 'approve' || phase.key === 'rollback') return phase.baseline;
      // Green alone serves and blue's configs are being deleted: nothing left to roll back to.
      if (phase.key === 'cleanup') return 'promoted';
      return phase.blueTouched(strategy) ? 'rolled_back' : 'failed';
  }
}

const NAMES: Partial<Record<ActorKey, OutsideCell['names']>> = {
  weights: () => /weight/i,
  'update-other': (c) => new RegExp(c.operatorConfig),
  'update-blue': (c) => new RegExp(c.blueConfig),
  delete: () => /delet|no longer exists|could not find|not found/i,
  supersede: () => /supersed/i,
  reject: () => /reject/i,
};

function cell(strategy: OutsideStrategy, actor: Actor, phase: Phase): OutsideCell {
  const s = strategy === 'guardrails' ? 'g' : 'v';
  const expect = expectedOutcome(actor, phase, strategy);
  return {
    id: `outside ${strategy}: ${actor.label} × ${phase.label}`,
    category: 'outside',
    group: strategy === 'guardrails' ? 'outside-guardrails' : 'outside-variant',
    endpointName: `demo-mxo-${s}-${phase.abbr}-${actor.abbr}`,
    strategy,
    actor,
    phase,
    registryGroup: actor.kind === 'registry' ? `mxo-${s}-${phase.abbr}-${actor.abbr}` : undefined,
    input: { validation: VALIDATION, ...phase.input(strategy) },
    expect,
    // What happened is named where the promotion itself ended because of the actor.
    names: expect === 'interrupted' || (actor.key === 'update-blue' && phase.key !== 'rollback') || (actor.kind === 'registry' && expect !== phase.baseline && expect !== 'promoted') ? NAMES[actor.key] : undefined,
    thenPromotesV3: actor.key === 'approve' || actor.key === 'supersede',
    rejectsV2: actor.key === 'reject',
  };
}

export const OUTSIDE_CELLS: OutsideCell[] = OUTSIDE_STRATEGIES.flatMap((strategy) =>
  PHASES.flatMap((phase) => ACTORS.filter((actor) => !notApplicable(strategy, actor.key, phase.key)).map((actor) => cell(strategy, actor, phase))),
);

export const outsideCellsOf = (group: Group): OutsideCell[] => OUTSIDE_CELLS.filter((c) => c.group === group);
