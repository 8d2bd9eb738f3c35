import { MAX_TERMINATION_WAIT_SECONDS, routingWaitSeconds } from '../lambdas/shared/decisions';
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
}

export interface Provision {
  fleet: 'validation-endpoint' | 'green-fleet' | 'pair-fleet' | 'green-only-fleet';
  instanceType: string;
  instances: number;
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
  const provisions: Provision[] = [];
  const lines: string[] = [];
  const terms: string[] = [];
  if (validationEndpoint) {
    provisions.push({ fleet: 'validation-endpoint', instanceType: type, instances: 1, extraInstanceMinutes: p, detail: 'one instance of green, validated, then deleted' });
    lines.push(`a 1-instance validation endpoint (${type}): ~${num(p)} min provisioning + validation, then deleted`);
    terms.push(`1 × ${num(p)}`);
  }
  // Both fleets are up from green's provisioning through the traffic shift and the termination wait.
  const overlap = [p, shiftSeconds / 60, terminationWait / 60].filter((m, i) => i === 0 || m > 0);
  const greenExtra = n * overlap.reduce((a, b) => a + b, 0);
  provisions.push({
    fleet: 'green-fleet',
    instanceType: type,
    instances: n,
    extraInstanceMinutes: round1(greenExtra),
    detail: "green's whole fleet, once, beside blue's until the termination wait ends",
  });
  terms.push(overlap.length > 1 ? `${n} × (${overlap.map(num).join(' + ')})` : `${n} × ${num(p)}`);
  lines.push(`green's fleet of ${n} × ${type}, provisioned once (one UpdateEndpoint with deployment guardrails; traffic ${describeTraffic(traffic)})`);
  const kept = shiftSeconds > 0 ? `the traffic shift (${formatSeconds(shiftSeconds)}) and the termination wait (${formatSeconds(terminationWait)})` : `the termination wait (${formatSeconds(terminationWait)})`;
  lines.push(`blue's fleet is kept for ${kept}, so an alarm rolls back without re-provisioning`);
  if (bakeSeconds > MAX_TERMINATION_WAIT_SECONDS) {
    const rest = formatSeconds(bakeSeconds - MAX_TERMINATION_WAIT_SECONDS);
    lines.push(
      `the rest of the bake (${rest}) runs under the workflow's watch once blue's fleet is gone (SageMaker keeps it at most ${formatSeconds(MAX_TERMINATION_WAIT_SECONDS)}): a rollback then provisions blue's fleet again (${n} × ${type}, ~${num(p)} min)`,
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
  return { strategy, provisions, cycles, extraInstanceMinutes: extra, formula, lines, notes };
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
