import { readFileSync } from 'node:fs';
import { modelPackageParts, promotionInputSchema, type PromotionInput, type StrategyName } from '../lambdas/shared/input';
import { MAX_BAKE_REASON } from '../lambdas/shared/waits';
import { formatSeconds } from './duration';
import { UsageError } from './errors';
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
  deadlines: '--in-service-deadline',
  executionRoleArn: '--execution-role',
  instanceType: '--instance-type',
  initialInstanceCount: '--instance-count',
  requestedBy: '--requested-by',
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
  const raw: Record<string, unknown> = {
    endpointName,
    modelPackageArn: options.modelPackage,
    strategy: options.strategy,
    traffic: options.traffic,
    bakeSeconds: options.bake,
    validation: options.preValidation === false ? { ...fromFile, mode: 'off' } : fromFile,
    guardrailAlarmNames: options.alarm,
    executionRoleArn: options.executionRole,
    instanceType: options.instanceType,
    initialInstanceCount: options.instanceCount,
    deadlines: options.inServiceDeadline === undefined ? undefined : { inServiceSeconds: options.inServiceDeadline },
    requestedBy: options.requestedBy ?? `bluegreen-cli:${user}`,
  };
  for (const key of Object.keys(raw)) if (raw[key] === undefined) delete raw[key];
  const parsed = promotionInputSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const [field, ...rest] = issue.path.map(String);
    const option = FIELD_OPTION[field as keyof PromotionInput] ?? field ?? '(input)';
    if (field === 'bakeSeconds' && issue.code === 'too_big') {
      return `${option}: longer than the workflow accepts: a bake is at most ${formatSeconds(Number(issue.maximum))} (${String(issue.maximum)} s): ${MAX_BAKE_REASON}`;
    }
    if (field === 'traffic') return `${option}: ${[field, ...rest].join('.')}: ${issue.message}`;
    const where = field === 'validation' && options.validationFile !== undefined ? `${option} ${options.validationFile}: ${[field, ...rest].join('.')}` : option;
    return `${where}: ${issue.message}`;
  });
  throw new UsageError(`invalid promotion input, nothing was started:\n  ${problems.join('\n  ')}`);
}

/** Options that only the guardrails strategy reads: refused with `--strategy variant` rather than ignored. */
function checkStrategyOptions(options: PromotionOptions): void {
  if (options.strategy !== 'variant') return;
  const problems: string[] = [];
  if (options.traffic !== undefined) {
    problems.push("--traffic: traffic routing applies to the guardrails strategy (SageMaker moves the traffic); the variant strategy flips the weights at once: drop --traffic or use --strategy guardrails");
  }
  if (options.preValidation === false) {
    problems.push('--no-pre-validation: the validation endpoint belongs to the guardrails strategy; the variant strategy validates green in place (TargetVariant) before any traffic: drop it or use --strategy guardrails');
  }
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

/** `<endpoint>-v<version>-<yyyymmddhhmmss>` (UTC), the endpoint trimmed so the whole fits 80 characters. */
export function defaultExecutionName(endpointName: string, version: number, now: Date): string {
  const stamp = now.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  const tail = `-v${version}-${stamp}`;
  return `${endpointName.slice(0, MAX_EXECUTION_NAME - tail.length).replace(/-+$/, '')}${tail}`;
}

export function executionNameFor(input: PromotionInput, options: Pick<PromotionOptions, 'name'>, now: Date): string {
  if (options.name !== undefined) {
    checkExecutionName(options.name);
    return options.name;
  }
  return defaultExecutionName(input.endpointName, modelPackageParts(input.modelPackageArn).version, now);
}
