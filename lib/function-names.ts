/** Every workflow step, by the folder of its handler under lambdas/. */
export const STEPS = [
  'validate-input',
  'acquire-lock',
  'describe-blue',
  'create-green',
  'stand-up-green',
  'wait-for-endpoint',
  'await-endpoint',
  'validate-green',
  'shift-traffic',
  'approval-gate',
  'start-bake',
  'await-guardrails',
  'check-guardrails',
  'finalize',
  'cleanup',
  'rollback',
  'record-outcome',
  'recover',
] as const;
export type StepName = (typeof STEPS)[number];

/** Functions that start or steer promotions from events (EventBridge targets), by folder under lambdas/. */
export const TRIGGERS = ['on-approval', 'on-alarm', 'on-execution-end', 'on-endpoint-change', 'on-backstop'] as const;
export type TriggerName = (typeof TRIGGERS)[number];
export type FunctionName = StepName | TriggerName;
export const FUNCTION_NAMES: readonly FunctionName[] = [...STEPS, ...TRIGGERS];
