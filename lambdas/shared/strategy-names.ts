/**
 * How green gets traffic: see README "Strategies". A module of its own, with no import, so the CLI
 * offers the choices without loading the input schema (zod) before a command runs.
 */
export const STRATEGIES = ['guardrails', 'variant'] as const;
export type StrategyName = (typeof STRATEGIES)[number];
