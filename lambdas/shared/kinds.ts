/**
 * The kinds of SageMaker endpoint a promotion can target, and the strategy each one gets. Pure: the
 * handlers describe the endpoint, these functions say what it is and what may be done to it.
 *
 * - real-time, one production variant: `guardrails` (default) or `variant`.
 * - real-time, several production variants (an A/B test): `guardrails` on the variant named by the
 *   input's `variantName`: green's config is blue's with only that variant's model changed, so the
 *   other variants keep their models and weights (SageMaker's blue/green still re-provisions every
 *   variant's instances: deployment-guardrails-blue-green). `variant` would have to drop the
 *   others at finalize, so it is refused.
 * - asynchronous (AsyncInferenceConfig; one variant): `guardrails` ("deployment guardrails only apply
 *   to Asynchronous inference and Real-time inference endpoint types", deployment-guardrails.html).
 * - serverless (ServerlessConfig; one variant): `replace`: one UpdateEndpoint without DeploymentConfig
 *   (guardrails do not apply), the whole bake watched by the workflow, a rollback updates back to blue's
 *   config (a new container: cold starts again).
 * - inference components (the endpoint's variants name no model): `component`, on the component named
 *   by `inferenceComponentName` (or the endpoint's only one): UpdateInferenceComponent with a rolling
 *   update (no blue/green for components, API_InferenceComponentDeploymentConfig).
 */
import type { DescribeEndpointConfigOutput } from '@aws-sdk/client-sagemaker';
import type { StrategyName } from './strategy-names';

export const ENDPOINT_KINDS = ['real-time', 'multi-variant', 'asynchronous', 'serverless', 'inference-component'] as const;
export type EndpointKind = (typeof ENDPOINT_KINDS)[number];

/** Each kind's strategies, the first its default, and why. */
export const KIND_STRATEGIES: Record<EndpointKind, { strategies: readonly StrategyName[]; why: string }> = {
  'real-time': {
    strategies: ['guardrails', 'variant'],
    why: 'a single-variant real-time endpoint: SageMaker deployment guardrails (blue/green, one fleet) by default, or a zero-weight variant',
  },
  'multi-variant': {
    strategies: ['guardrails'],
    why: "several production variants: only the named variant's model changes, through deployment guardrails, and the other variants keep their models and weights (the variant strategy would replace the config with green alone)",
  },
  asynchronous: {
    strategies: ['guardrails'],
    why: 'an asynchronous endpoint holds one production variant, and deployment guardrails apply to asynchronous endpoints (deployment-guardrails)',
  },
  serverless: {
    strategies: ['replace'],
    why: 'a serverless endpoint holds one production variant and deployment guardrails do not apply to it (deployment-guardrails): one UpdateEndpoint, the bake watched by the workflow',
  },
  'inference-component': {
    strategies: ['component'],
    why: "an inference component is updated in place with a rolling update and SageMaker's auto-rollback (UpdateInferenceComponent; components have no blue/green)",
  },
};

/** What an endpoint config says the endpoint is. */
export function endpointKindOf(config: Pick<DescribeEndpointConfigOutput, 'ProductionVariants' | 'AsyncInferenceConfig'>): EndpointKind {
  const variants = config.ProductionVariants ?? [];
  if (variants.length > 0 && variants.every((v) => v.ModelName === undefined && v.ServerlessConfig === undefined)) return 'inference-component';
  if (variants.some((v) => v.ServerlessConfig)) return 'serverless';
  if (config.AsyncInferenceConfig) return 'asynchronous';
  return variants.length > 1 ? 'multi-variant' : 'real-time';
}

/** "a serverless endpoint", "an asynchronous endpoint": the kind with its article, for messages. */
export function kindPhrase(kind: EndpointKind): string {
  return `${/^[aeiou]/.test(kind) ? 'an' : 'a'} ${kind} endpoint`;
}

export type StrategyChoice = { strategy: StrategyName; why: string } | { problem: string };

/**
 * The strategy a promotion of this kind uses: the input's (or its route's) when it fits, else a
 * problem naming the fix; without one, the stack's default for a real-time endpoint, the kind's own
 * strategy for the others.
 */
export function chooseStrategy(kind: EndpointKind, explicit: StrategyName | undefined, stackDefault: StrategyName): StrategyChoice {
  const { strategies, why } = KIND_STRATEGIES[kind];
  if (explicit !== undefined) {
    if (strategies.includes(explicit)) return { strategy: explicit, why: `strategy ${explicit} from the input; ${why}` };
    return {
      problem: `strategy: ${explicit} does not fit ${kindPhrase(kind)} (${why}); use strategy ${strategies.join(' or ')}, or leave strategy out to have it chosen`,
    };
  }
  if (strategies.includes(stackDefault)) return { strategy: stackDefault, why: `the stack's default strategy ${stackDefault}; ${why}` };
  const chosen = strategies[0]!;
  return { strategy: chosen, why: `chosen for ${kindPhrase(kind)}: ${why}` };
}

/** The variants' names of a config, for messages. */
export function variantNamesOf(config: Pick<DescribeEndpointConfigOutput, 'ProductionVariants'>): string[] {
  return (config.ProductionVariants ?? []).map((v) => v.VariantName ?? '');
}

/**
 * The production variant a promotion of this endpoint targets: the input's `variantName`, which must
 * be one of blue's, or blue's only one. A problem names the fix.
 */
export function targetVariant(
  config: Pick<DescribeEndpointConfigOutput, 'EndpointConfigName' | 'ProductionVariants'>,
  endpointName: string,
  variantName: string | undefined,
): { variantName: string } | { problem: string } {
  const names = variantNamesOf(config);
  if (variantName !== undefined) {
    if (names.includes(variantName)) return { variantName };
    return { problem: `variantName: ${endpointName} has no production variant ${variantName} (it serves ${names.join(', ')}); name one of them` };
  }
  if (names.length === 1) return { variantName: names[0]! };
  return {
    problem: `variantName: ${endpointName} serves ${names.length} production variants (${names.join(', ')}); name the one to promote in variantName (the others keep their models and weights)`,
  };
}

/** Strategies whose switch SageMaker watches with an AutoRollbackConfiguration (at most 10 alarms). */
export function sageMakerWatchesAlarms(strategy: StrategyName): boolean {
  return strategy === 'guardrails' || strategy === 'component';
}

/**
 * Strategies where green's config keeps blue's variant name, a short-lived validation endpoint answers
 * the samples, and ONE UpdateEndpoint switches the endpoint to green's config: `guardrails` (with
 * SageMaker's DeploymentConfig) and `replace` (serverless: without). What is truly SageMaker's
 * deployment guardrails (DeploymentConfig, TerminationWait, the abort alarm, routing waits) stays
 * `strategy === 'guardrails'`.
 */
export function switchesConfig(strategy: StrategyName): boolean {
  return strategy === 'guardrails' || strategy === 'replace';
}
