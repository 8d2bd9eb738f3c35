/**
 * How green gets traffic: see README "Strategies" and "Endpoint kinds". A module of its own, with no
 * import, so the CLI offers the choices without loading the input schema (zod) before a command runs.
 * - guardrails: real-time (one or several variants) and asynchronous endpoints: one UpdateEndpoint with
 *   SageMaker's deployment guardrails.
 * - variant: single-variant real-time endpoints: a zero-weight variant, then weights.
 * - replace: serverless endpoints (deployment guardrails apply to real-time and asynchronous endpoints
 *   only): one UpdateEndpoint without DeploymentConfig, the whole bake watched by the workflow.
 * - component: an inference component: UpdateInferenceComponent with a rolling update and auto-rollback.
 */
export const STRATEGIES = ['guardrails', 'variant', 'replace', 'component'] as const;
export type StrategyName = (typeof STRATEGIES)[number];

/** The strategies a stack may default to: the choice for single-variant real-time endpoints (other kinds have one each). */
export const REALTIME_STRATEGIES = ['guardrails', 'variant'] as const satisfies readonly StrategyName[];
export type RealtimeStrategy = (typeof REALTIME_STRATEGIES)[number];
