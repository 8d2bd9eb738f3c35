import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { DescribeStateMachineCommand } from '@aws-sdk/client-sfn';
import { modelPackageParts, promotionInputSchema, type PromotionInput, type StrategyName } from '../lambdas/shared/input';
import { executionFitProblems, inputSizeProblem, packageLocationProblem, stackLocationOf, type StackLocation } from '../lambdas/shared/limits';
import { DEFAULT_IN_SERVICE_SECONDS, MAX_BAKE_REASON } from '../lambdas/shared/waits';
import type { AwsClients } from './aws';
import { formatSeconds } from './duration';
import { NotFoundError, UsageError } from './errors';
import type { Traffic } from './traffic';

/** What `promote` and `plan` accept besides the endpoint (commander has parsed durations and counts). */
export interface PromotionOptions {
  modelPackage: string;
  strategy?: StrategyName;
  traffic?: Traffic;
  /** false with --no-pre-validation. */
  preValidation?: boolean;
  bake?: number;
  validationFile?: string;
  alarm?: string[];
  name?: string;
  executionRole?: string;
  instanceType?: string;
  instanceCount?: number;
  inServiceDeadline?: number;
  requestedBy?: string;
  /** --variant: the production variant to promote on a multi-variant endpoint. */
  variant?: string;
  /** --inference-component: the component to promote on an inference-component endpoint. */
  inferenceComponent?: string;
  /** --batch-copies / --batch-wait: the component strategy's rolling update. */
  batchCopies?: number;
  batchWait?: number;
  /** --async-output-timeout: seconds each asynchronous validation output may take. */
  asyncOutputTimeout?: number;
}

/** Each input field, as the operator spells it on the command line. */
const FIELD_OPTION: Record<keyof PromotionInput, string> = {
  endpointName: '<endpoint>',
  modelPackageArn: '--model-package',
  strategy: '--strategy',
  traffic: '--traffic',
  bakeSeconds: '--bake',
  validation: '--validation-file',
  guardrailAlarmNames: '--alarm',
  greenAlarms: '(greenAlarms)',
  bakeTraffic: '(bakeTraffic)',
  approval: '(approval)',
  deadlines: '--in-service-deadline',
  executionRoleArn: '--execution-role',
  instanceType: '--instance-type',
  initialInstanceCount: '--instance-count',
  requestedBy: '--requested-by',
  variantName: '--variant',
  inferenceComponentName: '--inference-component',
  rollingUpdate: '--batch-copies/--batch-wait',
};

/** Nested fields whose option is not their parent's. */
const NESTED_OPTION: Record<string, string> = {
  'rollingUpdate.maximumBatchCopies': '--batch-copies',
  'rollingUpdate.waitSeconds': '--batch-wait',
};

function readValidationFile(path: string): PromotionInput['validation'] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`--validation-file: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? String(error)}); give the path of a JSON file`, { cause: error });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UsageError(
      `--validation-file: ${path} is not valid JSON (${(error as Error).message}); it holds the input's "validation" object, e.g. {"samples": [{"name": "typical", "body": "{\\"x\\": 1}"}]}`,
      { cause: error },
    );
  }
  // A bare list is taken as the samples: the common case needs nothing else.
  return (Array.isArray(parsed) ? { samples: parsed } : parsed) as PromotionInput['validation'];
}

/**
 * The execution input of a promotion, validated with the workflow's own schema before
 * anything is called; every problem is reported at once, each naming its option.
 */
export function buildPromotionInput(endpointName: string, options: PromotionOptions, user: string): PromotionInput {
  checkStrategyOptions(options);
  const fromFile = options.validationFile === undefined ? undefined : readValidationFile(options.validationFile);
  const extra = {
    ...(options.preValidation === false ? { mode: 'off' } : {}),
    ...(options.asyncOutputTimeout === undefined ? {} : { asyncOutputSeconds: options.asyncOutputTimeout }),
  };
  // The file's object as it is (the schema judges it), the options' fields added to it.
  const validation = Object.keys(extra).length === 0 ? fromFile : { ...fromFile, ...extra };
  const rollingUpdate = { maximumBatchCopies: options.batchCopies, waitSeconds: options.batchWait };
  for (const key of ['maximumBatchCopies', 'waitSeconds'] as const) if (rollingUpdate[key] === undefined) delete rollingUpdate[key];
  const raw: Record<string, unknown> = {
    endpointName,
    modelPackageArn: options.modelPackage,
    strategy: options.strategy,
    traffic: options.traffic,
    variantName: options.variant,
    inferenceComponentName: options.inferenceComponent,
    rollingUpdate: Object.keys(rollingUpdate).length > 0 ? rollingUpdate : undefined,
    bakeSeconds: options.bake,
    validation,
    guardrailAlarmNames: options.alarm,
    executionRoleArn: options.executionRole,
    instanceType: options.instanceType,
    initialInstanceCount: options.instanceCount,
    deadlines: options.inServiceDeadline === undefined ? undefined : { inServiceSeconds: options.inServiceDeadline },
    requestedBy: options.requestedBy ?? `bluegreen-cli:${user}`,
  };
  for (const key of Object.keys(raw)) if (raw[key] === undefined) delete raw[key];
  const parsed = promotionInputSchema.safeParse(raw);
  // The workflow's own limit on the input (Step Functions' payload quota), in the same words.
  const size = inputSizeProblem(raw, '--validation-file');
  if (parsed.success && !size) return parsed.data;
  const problems = (parsed.success ? [] : parsed.error.issues).map((issue) => {
    const [field, ...rest] = issue.path.map(String);
    const option = NESTED_OPTION[[field, ...rest].slice(0, 2).join('.')] ?? FIELD_OPTION[field as keyof PromotionInput] ?? field ?? '(input)';
    if (field === 'bakeSeconds' && issue.code === 'too_big') {
      return `${option}: longer than the workflow accepts: a bake is at most ${formatSeconds(Number(issue.maximum))} (${String(issue.maximum)} s): ${MAX_BAKE_REASON}`;
    }
    if (field === 'traffic' || field === 'rollingUpdate') return `${option}: ${[field, ...rest].join('.')}: ${issue.message}`;
    const fromOption = field === 'validation' && rest[0] === 'asyncOutputSeconds' && options.asyncOutputTimeout !== undefined;
    if (fromOption) return `--async-output-timeout: ${issue.message}`;
    const where = field === 'validation' && options.validationFile !== undefined ? `${FIELD_OPTION.validation} ${options.validationFile}: ${[field, ...rest].join('.')}` : option;
    return `${where}: ${issue.message}`;
  });
  if (size) problems.push(`${options.validationFile === undefined ? '(input)' : `--validation-file ${options.validationFile}`}: ${size}`);
  throw new UsageError(`invalid promotion input, nothing was started:\n  ${problems.join('\n  ')}`);
}

/** Which strategies read an option, why, and what to do instead: an option no strategy of the promotion reads is refused, never ignored. */
const STRATEGY_OPTIONS: Array<{ option: string; given: (o: PromotionOptions) => boolean; strategies: readonly StrategyName[]; why: string }> = [
  { option: '--traffic', given: (o) => o.traffic !== undefined, strategies: ['guardrails'], why: "traffic routing is how SageMaker's deployment guardrails move the traffic" },
  {
    option: '--no-pre-validation',
    given: (o) => o.preValidation === false,
    strategies: ['guardrails', 'replace', 'component'],
    why: 'it has no validation endpoint to skip: green is validated in place, TargetVariant, before any traffic',
  },
  { option: '--batch-copies', given: (o) => o.batchCopies !== undefined, strategies: ['component'], why: "only an inference component's rolling update replaces copies in batches" },
  { option: '--batch-wait', given: (o) => o.batchWait !== undefined, strategies: ['component'], why: "only an inference component's rolling update bakes batches of copies" },
  { option: '--inference-component', given: (o) => o.inferenceComponent !== undefined, strategies: ['component'], why: 'only inference-component endpoints host components' },
  { option: '--variant', given: (o) => o.variant !== undefined, strategies: ['guardrails', 'variant', 'replace'], why: 'a component is named with --inference-component, not by its variant' },
  {
    option: '--async-output-timeout',
    given: (o) => o.asyncOutputTimeout !== undefined,
    strategies: ['guardrails'],
    why: 'only asynchronous endpoints answer through S3, and guardrails promotes them',
  },
];

/**
 * The options given that the strategy does not read, each naming the option and the fix. Pure: the
 * CLI refuses them for an explicit --strategy, and plan for the strategy the endpoint's kind chose.
 */
export function strategyOptionProblems(strategy: StrategyName, options: PromotionOptions): string[] {
  return STRATEGY_OPTIONS.filter((o) => o.given(options) && !o.strategies.includes(strategy)).map(
    (o) => `${o.option}: the ${strategy} strategy does not read it (${o.why}); drop ${o.option}, or promote with --strategy ${o.strategies.join(' or ')}`,
  );
}

/** An explicit --strategy: the options it does not read are refused before anything is called. */
function checkStrategyOptions(options: PromotionOptions): void {
  if (options.strategy === undefined) return;
  const problems = strategyOptionProblems(options.strategy, options);
  if (problems.length > 0) throw new UsageError(`invalid promotion input, nothing was started:\n  ${problems.join('\n  ')}`);
}

/** Step Functions execution names: 1–80 characters, none of whitespace, < > { } [ ] ? * " # % \ ^ | ~ ` $ & , ; : / or control characters. */
// eslint-disable-next-line no-control-regex -- the API reference forbids control characters in names
const NAME_FORBIDDEN = /[\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]/;
const MAX_EXECUTION_NAME = 80;

export function checkExecutionName(name: string): void {
  if (name.length < 1 || name.length > MAX_EXECUTION_NAME || NAME_FORBIDDEN.test(name)) {
    throw new UsageError(
      `--name: "${name}" is not a valid execution name; use 1–80 letters, digits, hyphens or underscores (Step Functions forbids spaces and < > { } [ ] ? * " # % \\ ^ | ~ \` $ & , ; : /)`,
    );
  }
}

/**
 * `<endpoint>-v<version>-<yyyymmddhhmmss>-<6 hex>` (UTC), the endpoint trimmed so the whole fits 80
 * characters. The random part keeps two promotes in the same second apart: Step Functions answers a
 * second StartExecution of the same name and input with the first execution, and of another input
 * with ExecutionAlreadyExists (API_StartExecution), so a clock-only name would merge or refuse them.
 */
export function defaultExecutionName(endpointName: string, version: number, now: Date, unique: string = randomBytes(3).toString('hex')): string {
  const stamp = now.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  const tail = `-v${version}-${stamp}-${unique}`;
  return `${endpointName.slice(0, MAX_EXECUTION_NAME - tail.length).replace(/-+$/, '')}${tail}`;
}

export function executionNameFor(input: PromotionInput, options: Pick<PromotionOptions, 'name'>, now: Date): string {
  if (options.name !== undefined) {
    checkExecutionName(options.name);
    return options.name;
  }
  return defaultExecutionName(input.endpointName, modelPackageParts(input.modelPackageArn).version, now);
}

/**
 * The stack's defaults live in its functions' environment, which the CLI cannot read (no Lambda
 * permission needed to plan or promote): without the option, the construct's defaults are assumed.
 */
export const ASSUMED_DEFAULT_STRATEGY: StrategyName = 'guardrails';
export const ASSUMED_DEFAULT_BAKE_SECONDS = 1800;

/** What the CLI can know of the stack: its account and region (the state machine's ARN), its timeout and poll interval (its definition). */
export interface StackLimits {
  location: StackLocation;
  /** The definition's TimeoutSeconds; absent when the definition cannot be read. */
  executionTimeoutSeconds?: number;
  /** The rollback loop's Wait state polls every pollInterval (lib/definition.ts): the stack's poll. */
  pollSeconds?: number;
}

export function stateMachineNotFound(stateMachineArn: string, cause: unknown): NotFoundError {
  return new NotFoundError(`state machine ${stateMachineArn} does not exist; check --state-machine-arn, BLUEGREEN_STATE_MACHINE_ARN or --stack, and AWS_REGION`, { cause });
}

export async function readStackLimits(clients: AwsClients, stateMachineArn: string): Promise<StackLimits> {
  const location = stackLocationOf(stateMachineArn);
  let definition: { TimeoutSeconds?: unknown; States?: Record<string, { Type?: string; Seconds?: unknown }> };
  try {
    const described = await clients.sfn.send(new DescribeStateMachineCommand({ stateMachineArn }));
    definition = JSON.parse(described.definition ?? '{}') as typeof definition;
  } catch (error) {
    if (error instanceof Error && error.name === 'StateMachineDoesNotExist') throw stateMachineNotFound(stateMachineArn, error);
    // Not allowed to read the definition: the workflow's first state checks the timeout itself.
    if (error instanceof Error && /AccessDenied/.test(error.name)) return { location };
    throw error;
  }
  const poll = definition.States?.WaitForRollback?.Seconds;
  return {
    location,
    executionTimeoutSeconds: typeof definition.TimeoutSeconds === 'number' ? definition.TimeoutSeconds : undefined,
    pollSeconds: typeof poll === 'number' ? poll : undefined,
  };
}

/** The CLI's options for the fields a plan that does not fit the execution must change. */
const CLI_FIT_FIELDS = { bake: '--bake', deadline: '--in-service-deadline' };

/**
 * The limits the workflow's first state checks, from what the CLI knows of the stack, in the same
 * words (lambdas/shared/limits.ts): refusals (exit 2, nothing started) and notes. A problem that
 * rests on a default the CLI only assumes is a note: the workflow decides it with the real one.
 */
export function stackLimitChecks(input: PromotionInput, stack: StackLimits): { refusals: string[]; notes: string[] } {
  const refusals: string[] = [];
  const notes: string[] = [];
  const location = packageLocationProblem(input.modelPackageArn, stack.location);
  if (location) refusals.push(`--model-package: ${location}`);
  if (stack.executionTimeoutSeconds === undefined) {
    notes.push("no check of the bake and deadlines against the execution timeout: the state machine's definition could not be read (the workflow's first state checks them)");
    return { refusals, notes };
  }
  const assumed = { bake: input.bakeSeconds === undefined, deadline: input.deadlines?.inServiceSeconds === undefined, poll: stack.pollSeconds === undefined };
  const plan = {
    strategy: input.strategy ?? ASSUMED_DEFAULT_STRATEGY,
    traffic: input.traffic ?? { type: 'ALL_AT_ONCE' as const },
    bakeSeconds: input.bakeSeconds ?? ASSUMED_DEFAULT_BAKE_SECONDS,
    inServiceSeconds: input.deadlines?.inServiceSeconds ?? DEFAULT_IN_SERVICE_SECONDS,
    pollSeconds: stack.pollSeconds ?? 30,
    // Event-driven waits poll least: assumed, so no start is refused for history events it would not write.
    eventDriven: true,
  };
  for (const problem of executionFitProblems(plan, stack.executionTimeoutSeconds, CLI_FIT_FIELDS)) {
    const restsOnAssumption = problem.limit === 'time' ? assumed.bake || assumed.deadline : assumed.deadline || assumed.poll;
    if (restsOnAssumption) notes.push(`${problem.message} (the construct's defaults assumed where an option is not given; the workflow checks the stack's own)`);
    else refusals.push(problem.message);
  }
  return { refusals, notes };
}
