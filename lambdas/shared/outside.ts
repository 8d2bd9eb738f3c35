/**
 * Outside changes: what someone or something else did to the endpoint while a promotion ran (an
 * operator's UpdateEndpoint or weights call, a deleted endpoint, another deployment tool). Pure:
 * no SDK call, no clock. An outside change wins: the promotion stops acting on the endpoint
 * (issue 11; Argo Rollouts, CodeDeploy and SageMaker's own guardrails treat it the same way).
 *
 * The judge compares DescribeEndpoint with what the promotion itself last did (its Footprint, from
 * the state document). What is NOT an outside change:
 * - SageMaker's own rollbacks. A failed UpdateEndpoint leaves the endpoint InService on the old config
 *   with FailureReason set ("If the status of the endpoint is Failed, or the status is InService but
 *   update operation fails, this provides the reason why it failed": API_DescribeEndpoint,
 *   https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeEndpoint.html); deployment
 *   guardrails' auto-rollback ends the same way, naming the alarm. The reason is cleared by the next
 *   update (local/emulator/sagemaker: UpdateEndpoint and UpdateEndpointWeightsAndCapacities clear it,
 *   as the ACK SageMaker controller observes: "the failure reason only stays if the endpoint is in
 *   InService state and disappears as soon as a new update is applied"). Those rollbacks happen to an
 *   update the promotion has not yet seen complete, so they stay what they are (GreenNotInService,
 *   GuardrailAlarm, UnexpectedEndpointState: a rollback). Only once the promotion has seen its own
 *   config serving does blue's config coming back, with no FailureReason, mean someone else's update.
 * - Autoscaling: Application Auto Scaling changes instance counts of a scalable variant; counts are
 *   only judged on variants with no scalable target (and no managed instance scaling).
 * - The promotion's own steps in flight: an update it asked for (its configs), weights it set (while
 *   they settle, DesiredWeight is its own), the rollback heading back to blue, a first deployment's
 *   rollback deleting the endpoint it created.
 */
import type { DescribeEndpointOutput, ProductionVariantSummary } from '@aws-sdk/client-sagemaker';
import type { PromotionState } from './contracts';
import { switchesConfig } from './kinds';

/** What the promotion itself last did to its endpoint: all the judge needs, small enough to park on the lock. */
export interface Footprint {
  endpointName: string;
  /** No blue: the promotion deploys the endpoint for the first time. */
  firstDeployment: boolean;
  /** Blue's config; absent at a first deployment. */
  blueConfig?: string;
  /** The configs this promotion creates (green's, the pair, the validation config). */
  ownConfigs: string[];
  /** First deployment: the promotion created the endpoint (CreateEndpoint), so its absence now is news. */
  created: boolean;
  /** The promotion saw its own config serving the endpoint (variant: the pair; guardrails: green after SageMaker's deployment). */
  offBlue: boolean;
  /** Rolling back: blue's config and blue's weights are where the promotion itself is heading. */
  rollingBack: boolean;
  /** The first deployment's rollback deleted the endpoint. */
  deletedByPromotion: boolean;
  /** Per config: the traffic splits (variant → weight) the promotion may have set on it. */
  weights: Record<string, Array<Record<string, number>>>;
  /** Variant → the instance count it must keep, for variants without autoscaling. */
  instances: Record<string, number>;
}

/** Facts a handler gathers only when the judge needs them: the variants with a scalable target now. */
export interface OutsideFacts {
  scalableVariants?: string[];
}

export type ChangeKind = 'deleted' | 'config' | 'back-on-blue' | 'weights' | 'instances';

/** A change the promotion did not make, named exactly. */
export interface FoundChange {
  kind: ChangeKind;
  change: string;
}

/** Statuses in which the variants shown are settled or a weights/capacity change of the current fleet (no new config pending). */
const COMPARABLE = new Set(['InService', 'Updating']);

/** The weights the rollback loop sets on the pair (nextRollbackAction): blue's as described, everything else 0. */
function blueWeights(state: PromotionState, variantNames: string[]): Record<string, number> {
  const blue = new Map((state.blue?.variants ?? []).map((b) => [b.variantName, b.currentWeight || 1]));
  return Object.fromEntries(variantNames.map((name) => [name, blue.get(name) ?? 0]));
}

/** Did the promotion see its own config serving? variant: the pair InService (validation then runs on it); guardrails and replace: green after the shift's wait. */
function sawOwnConfigServing(state: PromotionState): boolean {
  const { wait } = state;
  if (switchesConfig(state.promotion.strategy)) {
    return (wait?.phase === 'shift' && wait.ready) || wait?.phase === 'finalize' || state.finalize !== undefined || state.revalidation !== undefined;
  }
  return (wait !== undefined && (wait.phase !== 'standUp' || wait.ready)) || state.validation !== undefined || state.shift !== undefined;
}

/**
 * The footprint of a promotion from its state document; undefined before DescribeBlue (the
 * promotion has not looked at the endpoint yet, so there is nothing to compare with).
 */
export function footprintOf(state: PromotionState): Footprint | undefined {
  const { promotion: p, blue, green } = state;
  if (!blue) return undefined;
  const actions = state.rollback?.actions ?? [];
  const rollingBack = state.failure !== undefined || state.rollback !== undefined || state.rollbackFailure !== undefined;
  // guardrails and replace: no pair, a validation config of their own.
  const guardrails = switchesConfig(p.strategy);
  const greenConfig = green?.greenConfigName ?? p.names.greenConfig;
  const pairConfig = blue.exists && !guardrails ? (green?.pairConfigName ?? p.names.pairConfig) : undefined;
  const validationConfig = blue.exists && guardrails ? (green?.validationConfigName ?? p.names.validationConfig) : undefined;
  const ownConfigs = [greenConfig, ...(pairConfig ? [pairConfig] : []), ...(validationConfig ? [validationConfig] : [])];

  const weights: Footprint['weights'] = {};
  // Green's config: green alone, or on a multi-variant endpoint every variant at the weight blue's had (guardrails keeps them).
  if (green) weights[greenConfig] = [blue.variants.length > 1 ? Object.fromEntries(blue.variants.map((v) => [v.variantName, v.currentWeight])) : { [green.variantName]: 1 }];
  if (green && pairConfig) {
    const variants = [...blue.variants.map((v) => v.variantName), green.variantName];
    const standUp = { ...Object.fromEntries(blue.variants.map((v) => [v.variantName, v.currentWeight])), [green.variantName]: 0 };
    const shifted = { ...Object.fromEntries(blue.variants.map((v) => [v.variantName, 0])), [green.variantName]: 1 };
    // ArmGuardrails runs just before ShiftTraffic: from then on the shift's weights may be set even if its result was not stored.
    const shiftAsked = state.shift !== undefined || state.bake !== undefined;
    const trafficBackOnBlue = actions.some((a) => a.startsWith('traffic back to blue'));
    weights[pairConfig] = [
      ...(state.shift === undefined ? [standUp] : []),
      ...(shiftAsked && !trafficBackOnBlue ? [shifted] : []),
      ...(rollingBack ? [blueWeights(state, variants)] : []),
    ];
  }

  const instances: Footprint['instances'] = {};
  if (!blue.scaling) {
    for (const v of blue.variants) if (v.currentInstanceCount !== undefined) instances[v.variantName] = v.currentInstanceCount;
    // Green is sized as blue runs (create-green); a first deployment as its input says.
    const target = blue.variants.find((v) => v.variantName === p.variantName) ?? blue.variants[0];
    const greenCount = blue.exists ? target?.currentInstanceCount : (p.initialInstanceCount ?? 1);
    if (green && greenCount !== undefined) instances[green.variantName] = greenCount;
  }

  return {
    endpointName: p.endpointName,
    firstDeployment: !blue.exists,
    blueConfig: blue.exists ? blue.endpointConfigName : undefined,
    ownConfigs,
    created: !blue.exists && (state.standUp !== undefined || state.wait !== undefined),
    // component: the endpoint stays on blue's config throughout (the component is judged by component-decisions.ts componentChange).
    offBlue: blue.exists && p.strategy !== 'component' && sawOwnConfigServing(state),
    rollingBack,
    deletedByPromotion: actions.some((a) => a.startsWith('first deployment: deleted')),
    weights,
    instances,
  };
}

const EPSILON = 1e-9;
const sameWeights = (actual: Record<string, number>, expected: Record<string, number>) =>
  Object.entries(expected).every(([variant, weight]) => Math.abs((actual[variant] ?? Number.NaN) - weight) < EPSILON);
const render = (weights: Record<string, number>) =>
  Object.entries(weights)
    .map(([variant, weight]) => `${variant}=${weight}`)
    .join(', ');

/** The newest ask wins: while a weights/capacity change runs, Desired* is what someone asked for. */
function weightOf(v: ProductionVariantSummary): number | undefined {
  return v.DesiredWeight ?? v.CurrentWeight;
}
function countOf(v: ProductionVariantSummary): number | undefined {
  return v.DesiredInstanceCount ?? v.CurrentInstanceCount;
}

function deleted(endpoint: DescribeEndpointOutput | undefined, f: Footprint): FoundChange | undefined {
  // A first deployment rolling back deletes the endpoint itself (its delete may have run before its result was stored).
  if (f.deletedByPromotion || (f.firstDeployment && f.rollingBack)) return undefined;
  // Blue existed, or the promotion created the endpoint: either way it was there.
  const wasThere = !f.firstDeployment || f.created;
  if (!endpoint && wasThere) return { kind: 'deleted', change: `endpoint ${f.endpointName} was deleted by someone else (DescribeEndpoint: not found)` };
  if (endpoint?.EndpointStatus === 'Deleting') return { kind: 'deleted', change: `endpoint ${f.endpointName} is being deleted by someone else (Deleting)` };
  return undefined;
}

function foreignConfig(endpoint: DescribeEndpointOutput, f: Footprint): FoundChange | undefined {
  const known = new Set([...(f.blueConfig ? [f.blueConfig] : []), ...f.ownConfigs]);
  const current = endpoint.EndpointConfigName;
  const pending = endpoint.PendingDeploymentSummary?.EndpointConfigName;
  const foreign = [current, pending].find((c) => c !== undefined && !known.has(c));
  if (foreign === undefined) return undefined;
  const where = foreign === pending ? `is updating to config ${pending} (from ${current})` : `runs config ${current}`;
  return {
    kind: 'config',
    change: `endpoint ${f.endpointName} ${where}, which is neither blue's (${f.blueConfig ?? 'none: first deployment'}) nor this promotion's (${f.ownConfigs.join(', ')}): someone else updated it`,
  };
}

function backOnBlue(endpoint: DescribeEndpointOutput, f: Footprint): FoundChange | undefined {
  if (f.rollingBack || !f.blueConfig) return undefined;
  const pending = endpoint.PendingDeploymentSummary?.EndpointConfigName;
  if (pending === f.blueConfig) {
    return { kind: 'back-on-blue', change: `endpoint ${f.endpointName} is updating back to blue's config ${f.blueConfig}, which this promotion did not ask for: someone else updated it` };
  }
  if (f.offBlue && pending === undefined && endpoint.EndpointConfigName === f.blueConfig && !endpoint.FailureReason) {
    return {
      kind: 'back-on-blue',
      change: `endpoint ${f.endpointName} is back on blue's config ${f.blueConfig} (${endpoint.EndpointStatus}, no FailureReason, so not SageMaker's rollback) after this promotion had moved it off blue: someone else updated it back`,
    };
  }
  return undefined;
}

function movedWeights(endpoint: DescribeEndpointOutput, f: Footprint): FoundChange | undefined {
  const config = endpoint.EndpointConfigName;
  const allowed = config === undefined ? undefined : f.weights[config];
  // No variants shown: nothing to compare.
  if (!allowed || allowed.length === 0 || (endpoint.ProductionVariants ?? []).length === 0) return undefined;
  const actual = Object.fromEntries((endpoint.ProductionVariants ?? []).map((v) => [v.VariantName ?? '?', weightOf(v) ?? Number.NaN]));
  if (allowed.some((w) => sameWeights(actual, w))) return undefined;
  return { kind: 'weights', change: `weights moved on ${config}: ${render(actual)}, expected ${allowed.map(render).join(' or ')} (this promotion did not set them)` };
}

function changedInstances(endpoint: DescribeEndpointOutput, f: Footprint, facts: OutsideFacts): FoundChange | undefined {
  const config = endpoint.EndpointConfigName;
  // On blue's config after the promotion left it (or while its rollback returns to it) the config's own counts apply, which the state does not hold.
  const judged = config !== undefined && (f.ownConfigs.includes(config) || (config === f.blueConfig && !f.offBlue && !f.rollingBack));
  if (!judged) return undefined;
  const scalable = new Set(facts.scalableVariants ?? []);
  for (const v of endpoint.ProductionVariants ?? []) {
    const name = v.VariantName ?? '?';
    const expected = f.instances[name];
    if (expected === undefined || scalable.has(name) || v.ManagedInstanceScaling?.Status === 'ENABLED') continue;
    const count = countOf(v);
    if (count !== undefined && count !== expected) {
      return {
        kind: 'instances',
        change: `instance count of variant ${name} changed to ${count} (current ${v.CurrentInstanceCount ?? '?'}, desired ${v.DesiredInstanceCount ?? '?'}), expected ${expected}; the variant has no autoscaling, so someone else changed it`,
      };
    }
  }
  return undefined;
}

/**
 * The change someone else made to the endpoint, if any, comparing it (DescribeEndpoint, undefined
 * when it does not exist) with the promotion's footprint. Checked in this order: deleted, a config
 * that is neither blue's nor the promotion's, blue's config back (or coming back) when the promotion
 * did not ask for it, weights the promotion did not set on its own config, instance counts changed on
 * a variant without autoscaling. Weights and counts only while no new config is being deployed.
 */
export function changeFrom(endpoint: DescribeEndpointOutput | undefined, f: Footprint | undefined, facts: OutsideFacts = {}): FoundChange | undefined {
  if (!f) return undefined;
  const gone = deleted(endpoint, f);
  if (gone || !endpoint) return gone;
  const config = foreignConfig(endpoint, f) ?? backOnBlue(endpoint, f);
  if (config) return config;
  if (!COMPARABLE.has(endpoint.EndpointStatus ?? '') || endpoint.PendingDeploymentSummary) return undefined;
  return movedWeights(endpoint, f) ?? changedInstances(endpoint, f, facts);
}

/** `changeFrom` with the footprint of this state document. */
export function outsideChange(endpoint: DescribeEndpointOutput | undefined, state: PromotionState, facts: OutsideFacts = {}): FoundChange | undefined {
  return changeFrom(endpoint, footprintOf(state), facts);
}

/** What the history records of an interruption: the change, and which check saw it when. */
export interface Interruption {
  change: string;
  detectedBy: string;
  detectedAt: string;
}

const SUFFIX = / \(detected by (\S+) at (\S+)\)$/;

/** The OutsideChange error's message (and an abort's reason): the change, then who saw it and when, in a shape `interruptionOf` reads back. */
export function interruptionReason(change: string, detectedBy: string, detectedAt: string): string {
  return `${change} (detected by ${detectedBy} at ${detectedAt})`;
}

/** Reads back an OutsideChange message; a message in another shape is the change itself, seen at `fallbackAt`. */
export function interruptionOf(message: string, fallbackAt: string): Interruption {
  const m = SUFFIX.exec(message);
  if (!m) return { change: message, detectedBy: 'unknown', detectedAt: fallbackAt };
  return { change: message.slice(0, m.index), detectedBy: m[1]!, detectedAt: m[2]! };
}
