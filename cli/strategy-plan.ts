import { MAX_TERMINATION_WAIT_SECONDS, routingWaitSeconds } from '../lambdas/shared/decisions';
import { rollingPlan, rollingReason } from '../lambdas/shared/component-decisions';
import type { StrategyName } from '../lambdas/shared/input';
import { formatSeconds } from './duration';
import { describeTraffic, type Traffic } from './traffic';

/**
 * Minutes SageMaker takes to stand a fleet up: an assumption (typical of CPU instances with a
 * small model; GPU instances and large containers take longer), stated wherever it is used.
 */
export const ASSUMED_PROVISIONING_MINUTES = 8;

export interface StrategyPlanInput {
  strategy: StrategyName;
  instanceType: string;
  /** Blue's instances as it runs now (CurrentInstanceCount): green is sized the same. */
  instanceCount: number;
  bakeSeconds: number;
  /** @default ASSUMED_PROVISIONING_MINUTES */
  provisioningMinutes?: number;
  /** guardrails only. @default ALL_AT_ONCE */
  traffic?: Traffic;
  /** guardrails only: `off` skips the validation endpoint. @default 'endpoint' */
  validationMode?: 'endpoint' | 'off';
  /**
   * guardrails on a multi-variant endpoint: the variants not promoted. SageMaker's blue/green
   * re-provisions every variant's instances (deployment-guardrails-blue-green); their models and weights are kept.
   */
  otherVariants?: Array<{ variantName: string; instanceType: string; instances: number }>;
  /** guardrails on an asynchronous endpoint: how long each validation output may take (validation through InvokeEndpointAsync). */
  asyncOutputSeconds?: number;
}

export interface Provision {
  fleet:
    | 'validation-endpoint'
    | 'green-fleet'
    | 'other-variant-fleet'
    | 'pair-fleet'
    | 'green-only-fleet'
    | 'serverless-validation-endpoint'
    | 'serverless-green'
    | 'validation-component'
    | 'component-copies';
  /** `serverless` for serverless endpoints; the endpoint's instance type for an inference component's copies. */
  instanceType: string;
  /** Instances SageMaker provisions (0: serverless, or copies placed on the endpoint's instances). */
  instances: number;
  /** Inference components: the copies placed on the endpoint's instances. */
  copies?: number;
  /** What this fleet adds above blue's steady fleet, in instance-minutes. */
  extraInstanceMinutes: number;
  detail: string;
}

export interface StrategyPlan {
  strategy: StrategyName;
  provisions: Provision[];
  /** Fleets SageMaker stands up on the way to green (each one a provisioning wait). */
  cycles: number;
  /** Instance-minutes above blue's steady fleet, on the success path. */
  extraInstanceMinutes: number;
  /** The arithmetic behind extraInstanceMinutes, e.g. `1 × 8 + 2 × (8 + 30) = 84`. */
  formula: string;
  /** How the strategy is billed: new instances, serverless compute (per request and provisioned concurrency), or copies on the endpoint's own instances. */
  billing: 'instance-minutes' | 'serverless' | 'shared-instances';
  /** What the plan cannot price, and why (absent: extraInstanceMinutes is the whole extra cost). */
  costUnknown?: string;
  /** What the promotion provisions and keeps, and what a rollback provisions, one sentence each. */
  lines: string[];
  notes: string[];
}

/** 8, 2.5: minutes as the formula shows them. */
function num(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

const round1 = (n: number) => Math.round(n * 10) / 10;

function guardrailsPlan(input: StrategyPlanInput, p: number): StrategyPlan {
  const { instanceType: type, instanceCount: n, bakeSeconds } = input;
  const traffic = input.traffic ?? { type: 'ALL_AT_ONCE' };
  const validationEndpoint = (input.validationMode ?? 'endpoint') === 'endpoint';
  const shiftSeconds = routingWaitSeconds(traffic);
  const terminationWait = Math.min(bakeSeconds, MAX_TERMINATION_WAIT_SECONDS);
  const others = input.otherVariants ?? [];
  const asyncOutput = input.asyncOutputSeconds;
  const provisions: Provision[] = [];
  const lines: string[] = [];
  const terms: string[] = [];
  if (validationEndpoint) {
    provisions.push({ fleet: 'validation-endpoint', instanceType: type, instances: 1, extraInstanceMinutes: p, detail: 'one instance of green, validated, then deleted' });
    lines.push(
      asyncOutput === undefined
        ? `a 1-instance validation endpoint (${type}): ~${num(p)} min provisioning + validation, then deleted`
        : `a 1-instance asynchronous validation endpoint (${type}): ~${num(p)} min provisioning + validation through InvokeEndpointAsync (each output or failure awaited up to ${formatSeconds(asyncOutput)}), then deleted`,
    );
    terms.push(`1 × ${num(p)}`);
  }
  // Every fleet is up beside its blue from green's provisioning through the traffic shift and the termination wait.
  const overlap = [p, shiftSeconds / 60, terminationWait / 60].filter((m, i) => i === 0 || m > 0);
  const minutes = overlap.reduce((a, b) => a + b, 0);
  provisions.push({
    fleet: 'green-fleet',
    instanceType: type,
    instances: n,
    extraInstanceMinutes: round1(n * minutes),
    detail: "green's whole fleet, once, beside blue's until the termination wait ends",
  });
  for (const other of others) {
    provisions.push({
      fleet: 'other-variant-fleet',
      instanceType: other.instanceType,
      instances: other.instances,
      extraInstanceMinutes: round1(other.instances * minutes),
      detail: `variant ${other.variantName} re-provisioned by SageMaker's blue/green, its model and weight kept`,
    });
  }
  const total = n + others.reduce((sum, o) => sum + o.instances, 0);
  terms.push(overlap.length > 1 ? `${total} × (${overlap.map(num).join(' + ')})` : `${total} × ${num(p)}`);
  lines.push(`green's fleet of ${n} × ${type}, provisioned once (one UpdateEndpoint with deployment guardrails; traffic ${describeTraffic(traffic)})`);
  if (others.length > 0) {
    lines.push(
      `the other variants are re-provisioned too, SageMaker's blue/green replacing every variant's instances: ${others.map((o) => `${o.variantName} ${o.instances} × ${o.instanceType}`).join(', ')}, their models and weights kept`,
    );
  }
  const kept = shiftSeconds > 0 ? `the traffic shift (${formatSeconds(shiftSeconds)}) and the termination wait (${formatSeconds(terminationWait)})` : `the termination wait (${formatSeconds(terminationWait)})`;
  lines.push(`blue's fleet is kept for ${kept}, so an alarm rolls back without re-provisioning`);
  if (asyncOutput !== undefined) lines.push("requests queued by InvokeEndpointAsync are kept through the switch: the queue is the endpoint's, and the serving fleet works through it");
  if (bakeSeconds > MAX_TERMINATION_WAIT_SECONDS) {
    const rest = formatSeconds(bakeSeconds - MAX_TERMINATION_WAIT_SECONDS);
    lines.push(
      `the rest of the bake (${rest}) runs under the workflow's watch once blue's fleet is gone (SageMaker keeps it at most ${formatSeconds(MAX_TERMINATION_WAIT_SECONDS)}): a rollback then provisions blue's fleet again (${total} × ${type}, ~${num(p)} min)`,
    );
  }
  lines.push('after the deployment, the serving fleet is re-validated with the same samples');
  const notes: string[] = [];
  if (!validationEndpoint) notes.push("no validation endpoint (--no-pre-validation, or no samples): green's first requests are users', the samples (if any) run only once it serves");
  return finish('guardrails', provisions, terms, lines, notes);
}

function variantPlan(input: StrategyPlanInput, p: number): StrategyPlan {
  const { instanceType: type, instanceCount: n, bakeSeconds } = input;
  const bake = bakeSeconds / 60;
  // Both UpdateEndpoints are all at once without baking, "where you are only billed for one fleet
  // during the course of the update" (deployment-guardrails-blue-green): the pair's extra n instances
  // cost from its switch through validation and the bake; the green-only update costs the pair's
  // extra n while green's fleet provisions.
  const provisions: Provision[] = [
    {
      fleet: 'pair-fleet',
      instanceType: type,
      instances: 2 * n,
      extraInstanceMinutes: round1(n * bake),
      detail: "blue's variant as it is + green at weight 0, a new fleet of both, through validation and the bake",
    },
    { fleet: 'green-only-fleet', instanceType: type, instances: n, extraInstanceMinutes: round1(n * p), detail: 'green alone, a new fleet, re-validated once it serves' },
  ];
  const terms = [...(bake > 0 ? [`${n} × ${num(bake)}`] : []), `${n} × ${num(p)}`];
  const lines = [
    `a pair fleet (blue ${n} + green ${n} = ${2 * n} × ${type}), all new, for provisioning (~${num(p)} min) + validation + the bake (${formatSeconds(bakeSeconds)})`,
    `then a green-only fleet (${n} × ${type}), new again (~${num(p)} min): the serving fleet after finalize is not the one validated, so it is re-validated after it takes traffic`,
    `a rollback during the bake: one weights call puts the traffic back on blue's variant (seconds), then UpdateEndpoint back to blue's config provisions a new fleet of ${n} × ${type} (~${num(p)} min)`,
  ];
  const notes = ["green's variant has a new name: blue's scalable target and policies are copied onto it before the shift and blue's deregistered before finalize (restored on rollback)"];
  return finish('variant', provisions, terms, lines, notes);
}

function finish(strategy: StrategyName, provisions: Provision[], terms: string[], lines: string[], notes: string[]): StrategyPlan {
  const extra = round1(provisions.reduce((sum, f) => sum + f.extraInstanceMinutes, 0));
  const formula = `${terms.join(' + ')} = ${num(extra)}`;
  const cycles = provisions.length;
  lines.push(`${cycles} provisioning cycle${cycles === 1 ? '' : 's'}; cost above blue's steady fleet ≈ ${formula} instance-minutes`);
  return { strategy, provisions, cycles, extraInstanceMinutes: extra, formula, billing: 'instance-minutes', lines, notes };
}

/** Blue's serverless variant (ProductionVariantServerlessConfig). */
export interface ServerlessPlanInput {
  memorySizeInMb?: number;
  maxConcurrency?: number;
  provisionedConcurrency?: number;
  bakeSeconds: number;
  /** `off`, or no samples: no validation endpoint. @default 'endpoint' */
  validationMode?: 'endpoint' | 'off';
}

const SERVERLESS_COST =
  "serverless endpoints are billed per request (compute time × memory) and per hour of provisioned concurrency, not per instance-minute; the plan cannot know the traffic, so it prices nothing";

/**
 * replace (serverless): deployment guardrails do not apply, so one UpdateEndpoint without
 * DeploymentConfig, the whole bake watched by the workflow; updating re-initializes the container
 * (cold starts, serverless-endpoints-update), a rollback too. Green keeps blue's serverless settings
 * and the validation endpoint runs one container (lambdas/shared/serverless.ts).
 */
export function serverlessPlan(input: ServerlessPlanInput): StrategyPlan {
  const settings = [
    `${input.memorySizeInMb ?? '?'} MB`,
    `max concurrency ${input.maxConcurrency ?? '?'}`,
    ...(input.provisionedConcurrency === undefined ? [] : [`provisioned concurrency ${input.provisionedConcurrency}`]),
  ].join(', ');
  const provisions: Provision[] = [];
  const lines: string[] = [];
  if ((input.validationMode ?? 'endpoint') === 'endpoint') {
    const warm = input.provisionedConcurrency === undefined ? 'on demand, so it meets a cold start as users do' : 'provisioned concurrency 1, warm as blue is';
    provisions.push({ fleet: 'serverless-validation-endpoint', instanceType: 'serverless', instances: 0, extraInstanceMinutes: 0, detail: `blue's memory, max concurrency 1, ${warm}; deleted after validation` });
    lines.push(`a serverless validation endpoint (${input.memorySizeInMb ?? '?'} MB, max concurrency 1, ${warm}): validated, then deleted`);
  }
  provisions.push({ fleet: 'serverless-green', instanceType: 'serverless', instances: 0, extraInstanceMinutes: 0, detail: `blue's serverless settings (${settings}) with the new model` });
  lines.push(
    `one UpdateEndpoint to green (blue's settings: ${settings}) with no deployment guardrails: they do not apply to serverless endpoints, so SageMaker neither shifts the traffic gradually nor rolls back on alarms`,
    `the workflow watches the alarms through the whole bake (${formatSeconds(input.bakeSeconds)}); blue keeps no capacity meanwhile`,
    "a rollback is another UpdateEndpoint back to blue's config: it re-initializes the container, so users meet cold starts again (serverless-endpoints-update)",
    `${provisions.length} container initialization${provisions.length === 1 ? '' : 's'} (cold starts until warm); no instance-minutes (see the cost below)`,
  );
  return { strategy: 'replace', provisions, cycles: provisions.length, extraInstanceMinutes: 0, formula: 'not priced', billing: 'serverless', costUnknown: SERVERLESS_COST, lines, notes: [] };
}

/** Blue's inference component as it runs. */
export interface ComponentPlanInput {
  componentName: string;
  copies: number;
  /** The instances of the endpoint's variant the copies run on. */
  instanceType?: string;
  instances?: number;
  bakeSeconds: number;
  rollingUpdate?: { maximumBatchCopies?: number; waitSeconds?: number; rollbackMaximumBatchCopies?: number };
  /** `off`, or no samples: no validation component. @default 'endpoint' */
  validationMode?: 'endpoint' | 'off';
}

/**
 * component: copies, not fleets. A one-copy validation component, then UpdateInferenceComponent: a
 * rolling update in batches of 5–50% of the copies with SageMaker's auto-rollback
 * (API_InferenceComponentRollingUpdatePolicy), or, for one copy, a replacement at once the workflow
 * watches. No new fleet: copies run on the endpoint's instances.
 */
export function componentPlan(input: ComponentPlanInput): StrategyPlan {
  const { componentName: name, copies } = input;
  const hosts = `${input.instanceType ?? '?'} ×${input.instances ?? '?'}`;
  const provisions: Provision[] = [];
  const lines: string[] = [];
  if ((input.validationMode ?? 'endpoint') === 'endpoint') {
    provisions.push({ fleet: 'validation-component', instanceType: input.instanceType ?? '?', instances: 0, copies: 1, extraInstanceMinutes: 0, detail: `one copy of green beside ${name}, validated, then deleted` });
    lines.push(`a validation component of one copy (${name}'s compute requirements, the new model) on the endpoint's instances, validated with InvokeEndpoint InferenceComponentName, then deleted`);
  }
  // The workflow's own rolling decisions (lambdas/shared/component-decisions.ts), in the workflow's words.
  const rolling = rollingPlan(copies, input.rollingUpdate);
  if (rolling) {
    provisions.push({
      fleet: 'component-copies',
      instanceType: input.instanceType ?? '?',
      instances: 0,
      copies,
      extraInstanceMinutes: 0,
      detail: `${rolling.batches} batch(es) of at most ${rolling.batchCopies} new copies, each beside the copies it replaces`,
    });
    lines.push(
      `UpdateInferenceComponent ${name}: ${rollingReason(copies, input.rollingUpdate)}`,
      `a rollback during the update is SageMaker's auto-rollback: blue's copies come back ${rolling.rollbackBatchCopies === undefined ? 'all at once' : `${rolling.rollbackBatchCopies} at a time`}`,
    );
  } else {
    provisions.push({ fleet: 'component-copies', instanceType: input.instanceType ?? '?', instances: 0, copies, extraInstanceMinutes: 0, detail: 'replaced at once' });
    lines.push(`UpdateInferenceComponent ${name}: ${rollingReason(copies, input.rollingUpdate)}`);
  }
  lines.push(
    `then the bake (${formatSeconds(input.bakeSeconds)}) under the workflow's watch; a rollback after the update is UpdateInferenceComponent back to blue's specification (new copies of blue's model)`,
    `no new fleet: the copies run on the endpoint's instances (${hosts}); the validation copy and each batch's new copies need room beside the old ones`,
  );
  const costUnknown =
    "copies share the endpoint's instances, so nothing is added while they fit; whether they fit, and whether SageMaker then scales the endpoint out (managed instance scaling, billed per instance-minute), the plan cannot tell";
  return { strategy: 'component', provisions, cycles: provisions.length, extraInstanceMinutes: 0, formula: 'no new instances', billing: 'shared-instances', costUnknown, lines, notes: [] };
}

/**
 * What a promotion onto a running blue provisions and what it costs above blue's steady fleet,
 * per strategy, from blue's size and the bake. Pure: plan feeds it what it described.
 */
export function strategyPlan(input: StrategyPlanInput): StrategyPlan {
  const p = input.provisioningMinutes ?? ASSUMED_PROVISIONING_MINUTES;
  const plan = input.strategy === 'guardrails' ? guardrailsPlan(input, p) : variantPlan(input, p);
  plan.notes.push(
    `provisioning assumed ${num(p)} min per fleet (CPU instances, a small model; GPU instances and large containers take longer); the validation requests' own time is not counted`,
  );
  return plan;
}
