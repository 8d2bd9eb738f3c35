import { modelPackageParts } from './arns';
import { executionProblems, type ExecutionPlan } from './waits';

/**
 * Limits a promotion must fit before anything starts, shared by the first state (ValidateInput),
 * `bluegreen plan` and `bluegreen promote`, so all three refuse the same inputs in the same words.
 * Pure: no SDK, no environment.
 */

/**
 * Step Functions' quota on an execution's input and on every state's input and output: 256 KiB
 * of UTF-8 ("Maximum input or output size for a task, state, or execution", Step Functions
 * service quotas, https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html).
 */
export const STATE_PAYLOAD_QUOTA_BYTES = 262_144;

/**
 * The largest execution input a promotion accepts: a quarter of the quota. The input is only the
 * start of the state document: the validated promotion carries it (its validation samples
 * inline), and the steps add their results beside it: the validation and re-validation results
 * (one entry per sample, each problem clipped to MAX_PROBLEM_CHARS in decisions.ts), a failure's Cause quoting
 * those problems (escaped twice: the Lambda error's JSON inside the state's JSON), blue's
 * description, the rollback's actions, the outcome's reason. With the 50 samples the schema allows
 * those add well under 100 KiB, so an input of 64 KiB leaves the document inside the quota with
 * room to spare on every path (test/scenarios/limits.test.ts runs the largest accepted input
 * through a promotion and through a validation that fails every sample: about 80 and 105 KB).
 */
export const MAX_INPUT_BYTES = 64 * 1024;

/** The size Step Functions counts: the input as JSON, in UTF-8 bytes. */
export function inputBytes(input: unknown): number {
  return Buffer.byteLength(JSON.stringify(input) ?? '', 'utf8');
}

/**
 * Refuses an input over MAX_INPUT_BYTES, naming the limit and the fix; `samplesField` is how the
 * caller spells the samples (the input's `validation.samples`, the CLI's `--validation-file`).
 */
export function inputSizeProblem(input: unknown, samplesField = 'validation.samples'): string | undefined {
  const bytes = inputBytes(input);
  if (bytes <= MAX_INPUT_BYTES) return undefined;
  return (
    `the promotion input is ${bytes} bytes, over the ${MAX_INPUT_BYTES}-byte (${MAX_INPUT_BYTES / 1024} KiB) limit: ` +
    `Step Functions holds an execution's input and every state's data to ${STATE_PAYLOAD_QUOTA_BYTES / 1024} KiB, and the workflow's state carries the input plus every step's results; ` +
    `move the large ${samplesField} bodies to S3 (s3Uri) or send fewer samples`
  );
}

/** Where the stack runs: the account and region of its state machine. */
export interface StackLocation {
  account: string;
  region: string;
}

const STATES_ARN = /^arn:aws[a-z-]*:states:([a-z0-9-]+):(\d{12}):(?:stateMachine|execution):/;

/** The stack's account and region, from its state machine's ARN or one of its executions' (`$$.Execution.Id`). */
export function stackLocationOf(arn: string): StackLocation {
  const match = STATES_ARN.exec(arn);
  if (!match) throw new Error(`not a Step Functions state machine or execution ARN: ${arn}`);
  return { region: match[1]!, account: match[2]! };
}

/**
 * A model package of another region or account cannot be promoted by this stack. SageMaker
 * resources are regional: the functions call SageMaker in the stack's region, where a package of
 * another region does not exist. A package of another account is readable only through a
 * resource policy on its group (PutModelPackageGroupPolicy,
 * https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_PutModelPackageGroupPolicy.html)
 * plus grants on the stack's side, and the stack grants SageMaker access to its own account's
 * packages only (lib/promotion.ts): refused with the reason rather than failing at CreateModel.
 */
export function packageLocationProblem(modelPackageArn: string, stack: StackLocation): string | undefined {
  const pkg = modelPackageParts(modelPackageArn);
  if (pkg.region !== stack.region) {
    return `${modelPackageArn} is a model package of region ${pkg.region}, and this stack runs in ${stack.region}: SageMaker deploys a package only in its own region; register the version in a model package group of ${stack.region} (or deploy a stack in ${pkg.region})`;
  }
  if (pkg.account !== stack.account) {
    return `${modelPackageArn} belongs to account ${pkg.account}, not this stack's account ${stack.account}: a package of another account needs a resource policy on its group (PutModelPackageGroupPolicy) and grants this stack does not make; register the version in a model package group of account ${stack.account}`;
  }
  return undefined;
}

/** How the caller spells the fields a plan that does not fit the execution must change. */
export interface FitFields {
  bake: string;
  deadline: string;
  /** The approval gate's timeout, named when the plan has one. */
  approval?: string;
}
export const INPUT_FIT_FIELDS: FitFields = { bake: 'bakeSeconds', deadline: 'deadlines.inServiceSeconds', approval: 'approval.timeoutSeconds' };

/**
 * The bake and the deadlines against the state machine's timeout and the history quota
 * (waits.ts executionProblems), each problem prefixed with the fields to change.
 */
export function executionFitProblems(plan: ExecutionPlan, executionTimeoutSeconds: number, fields: FitFields = INPUT_FIT_FIELDS): Array<{ limit: 'time' | 'history'; message: string }> {
  return executionProblems(plan, executionTimeoutSeconds).map((problem) => ({
    limit: problem.limit,
    message: `${problem.limit === 'time' ? `${fields.bake}, ${plan.approvalSeconds && fields.approval ? `${fields.approval}, ` : ''}${fields.deadline}` : fields.deadline}: ${problem.message}`,
  }));
}
