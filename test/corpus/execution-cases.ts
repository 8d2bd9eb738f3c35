import { causeMessage } from '../../lambdas/shared/errors';
import { loadHandler } from '../../local/executor';
import { MODEL_ROLE } from '../../local/seed';
import { LOCAL_ACCOUNT } from '../../local/template';
import { ALARM, APPROVED, BLUE, CONTROL_EXECUTION_ARN, FOREIGN, GROUP, PENDING, REJECTED, changesSince, footprint, packageArn, runExecution, settle, summarize, type CorpusWorld } from './world';

/**
 * Bad execution inputs, started with StartExecution through the real SFN client against
 * the local AWS (the synthesized state machine). Each must end FAILED with a rejection
 * error whose message names the field, having made no mutating SageMaker/CloudWatch call
 * and written nothing to the history/lock table.
 */
type Json = Record<string, unknown>;

const SAMPLE: Json = { name: 'typical-customer', body: '{"tenure": 3}', expectContains: 'modelPackageVersion' };
const VALIDATION: Json = { contentType: 'application/json', maxLatencyMs: 2000, samples: [SAMPLE] };

/** A valid input onto the hand-made blue: every case changes one thing (bake 0, so an input wrongly accepted ends soon). */
function valid(endpointName = BLUE): Json {
  return {
    endpointName,
    modelPackageArn: APPROVED,
    bakeSeconds: 0,
    validation: VALIDATION,
    guardrailAlarmNames: [ALARM],
    greenAlarms: { max5xxErrors: 0, maxModelLatencyMs: 800 },
    deadlines: { inServiceSeconds: 600 },
    executionRoleArn: MODEL_ROLE,
    requestedBy: 'bad-input-corpus',
  };
}
const withFields = (fields: Json, endpointName?: string): Json => ({ ...valid(endpointName), ...fields });
const without = (...fields: string[]): Json => Object.fromEntries(Object.entries(valid()).filter(([k]) => !fields.includes(k)));
const withValidation = (fields: Json, endpointName?: string): Json => withFields({ validation: { ...VALIDATION, ...fields } }, endpointName);
const withSample = (fields: Json, endpointName?: string): Json => withValidation({ samples: [{ ...SAMPLE, ...fields }] }, endpointName);
const withoutSampleFields = (...fields: string[]): Json =>
  withValidation({ samples: [Object.fromEntries(Object.entries(SAMPLE).filter(([k]) => !fields.includes(k)))] });

const REJECTION = 'InvalidPromotionInput';
const NOT_DEPLOYABLE = 'ModelPackageNotDeployable';

export interface ExecutionCase {
  name: string;
  /** The execution input (sent as JSON; `raw:<text>` is sent as the text), or a function of the world that returns it. */
  input: unknown;
  /** The error the execution must fail with (the Rejected state passes the step's error on). */
  error: string;
  /** What the message must say: the field and the problem. */
  message: RegExp;
  /** The state the execution ends in. @default 'Rejected' */
  endsIn?: string;
}

const MB = 1024 * 1024;
/** An input given as this prefix + text is sent as that text, not as JSON. */
const RAW = 'raw:';

export const executionCases: ExecutionCase[] = [
  // --- wrong types, missing fields
  { name: 'endpointName missing', input: without('endpointName'), error: REJECTION, message: /endpointName: endpointName must be a string/ },
  { name: 'modelPackageArn missing', input: without('modelPackageArn'), error: REJECTION, message: /modelPackageArn: modelPackageArn must be a string/ },
  { name: 'endpointName a number', input: withFields({ endpointName: 42 }), error: REJECTION, message: /endpointName: endpointName must be a string/ },
  { name: 'modelPackageArn an object', input: withFields({ modelPackageArn: { arn: APPROVED } }), error: REJECTION, message: /modelPackageArn: modelPackageArn must be a string/ },
  { name: 'bakeSeconds a string', input: withFields({ bakeSeconds: '60' }), error: REJECTION, message: /bakeSeconds: .*expected number/ },
  { name: 'guardrailAlarmNames a string, not a list', input: withFields({ guardrailAlarmNames: ALARM }), error: REJECTION, message: /guardrailAlarmNames: .*expected array/ },
  { name: 'validation.samples an object, not a list', input: withValidation({ samples: SAMPLE }), error: REJECTION, message: /validation\.samples: .*expected array/ },
  { name: 'greenAlarms.enabled a string', input: withFields({ greenAlarms: { enabled: 'yes' } }), error: REJECTION, message: /greenAlarms\.enabled: .*expected boolean/ },
  { name: 'requestedBy empty', input: withFields({ requestedBy: '' }), error: REJECTION, message: /requestedBy: / },
  // --- unknown keys (typos must not be ignored)
  { name: 'unknown top-level key (endpoint for endpointName)', input: withFields({ endpoint: BLUE }), error: REJECTION, message: /Unrecognized key.*"endpoint"/ },
  { name: 'unknown key in validation (sample for samples)', input: withValidation({ sample: [SAMPLE] }), error: REJECTION, message: /validation: Unrecognized key.*"sample"/ },
  { name: 'unknown key in a sample (expectStatus)', input: withSample({ expectStatus: 200 }), error: REJECTION, message: /validation\.samples\.0: Unrecognized key.*"expectStatus"/ },
  { name: 'unknown key in greenAlarms (max5xx)', input: withFields({ greenAlarms: { max5xx: 1 } }), error: REJECTION, message: /greenAlarms: Unrecognized key.*"max5xx"/ },
  {
    // the state machine's first Choice sends any input carrying recoverExecutionArn to the Recover step, before ValidateInput
    name: 'unknown key recoverExecutionArn (an ended execution) beside a promotion input',
    input: (w: CorpusWorld) => withFields({ recoverExecutionArn: w.aws.stepFunctions.list()[0]?.arn }),
    error: REJECTION,
    message: /recoverExecutionArn: a recovery input holds only recoverExecutionArn; remove endpointName/,
  },
  { name: 'unknown key recoverExecutionArn (not an ARN) beside a promotion input', input: withFields({ recoverExecutionArn: 'not-an-arn' }), error: REJECTION, message: /recoverExecutionArn: a recovery input holds only recoverExecutionArn; remove endpointName/ },
  { name: 'recovery input whose recoverExecutionArn is not an execution ARN', input: { recoverExecutionArn: 'not-an-arn' }, error: REJECTION, message: /recoverExecutionArn: "not-an-arn" is not a Step Functions execution ARN/ },
  { name: 'unknown key in deadlines (bakeSeconds)', input: withFields({ deadlines: { bakeSeconds: 60 } }), error: REJECTION, message: /deadlines: Unrecognized key.*"bakeSeconds"/ },
  // --- SageMaker name rules
  { name: 'endpointName of 64 characters', input: withFields({ endpointName: `demo-${'a'.repeat(59)}` }), error: REJECTION, message: /endpointName: endpointName must be at most 63 characters/ },
  { name: 'endpointName with an underscore', input: withFields({ endpointName: 'demo_churn' }), error: REJECTION, message: /endpointName: endpointName must match/ },
  { name: 'endpointName with a leading hyphen', input: withFields({ endpointName: '-demo-churn' }), error: REJECTION, message: /endpointName: endpointName must match .*no leading hyphen/ },
  { name: 'endpointName with a trailing hyphen', input: withFields({ endpointName: 'demo-churn-' }), error: REJECTION, message: /endpointName: endpointName must match/ },
  { name: 'endpointName empty', input: withFields({ endpointName: '' }), error: REJECTION, message: /endpointName: endpointName must match/ },
  // --- model package ARN
  { name: 'modelPackageArn unversioned (the group)', input: withFields({ modelPackageArn: `arn:aws:sagemaker:us-east-1:${LOCAL_ACCOUNT}:model-package/${GROUP}` }), error: REJECTION, message: /modelPackageArn: modelPackageArn must be a versioned model package ARN/ },
  { name: 'modelPackageArn a model-package-group ARN', input: withFields({ modelPackageArn: `arn:aws:sagemaker:us-east-1:${LOCAL_ACCOUNT}:model-package-group/${GROUP}` }), error: REJECTION, message: /modelPackageArn: modelPackageArn must be a versioned/ },
  { name: 'modelPackageArn not an ARN (group/version)', input: withFields({ modelPackageArn: `${GROUP}/2` }), error: REJECTION, message: /modelPackageArn: modelPackageArn must be a versioned/ },
  { name: 'modelPackageArn with a non-numeric version', input: withFields({ modelPackageArn: packageArn(GROUP, 'latest') }), error: REJECTION, message: /modelPackageArn: modelPackageArn must be a versioned/ },
  { name: 'modelPackageArn with a short account id', input: withFields({ modelPackageArn: APPROVED.replace(LOCAL_ACCOUNT, '1111') }), error: REJECTION, message: /modelPackageArn: modelPackageArn must be a versioned/ },
  { name: 'modelPackageArn: a version that does not exist', input: withFields({ modelPackageArn: packageArn(GROUP, 99) }), error: REJECTION, message: /modelPackageArn: .*\/churn-models\/99 cannot be described/ },
  // --- the package's account and region against the stack's (the execution ARN's), before SageMaker is asked (lambdas/shared/limits.ts)
  {
    name: 'modelPackageArn in another region than the stack',
    input: withFields({ modelPackageArn: packageArn(GROUP, 2, 'eu-west-1') }),
    error: REJECTION,
    message: /modelPackageArn: .*eu-west-1.* is a model package of region eu-west-1, and this stack runs in us-east-1: SageMaker deploys a package only in its own region/,
  },
  {
    name: 'modelPackageArn of another account than the stack',
    input: withFields({ modelPackageArn: APPROVED.replace(`:${LOCAL_ACCOUNT}:`, ':444455556666:') }),
    error: REJECTION,
    message: /modelPackageArn: .* belongs to account 444455556666, not this stack's account 111122223333: .*PutModelPackageGroupPolicy/,
  },
  { name: 'modelPackageArn PendingManualApproval', input: withFields({ modelPackageArn: PENDING }), error: NOT_DEPLOYABLE, message: /modelPackageArn: .* is PendingManualApproval; only Approved/ },
  { name: 'modelPackageArn Rejected', input: withFields({ modelPackageArn: REJECTED }), error: NOT_DEPLOYABLE, message: /modelPackageArn: .* is Rejected; only Approved/ },
  { name: 'modelPackageArn from a group not configured for the stack', input: withFields({ modelPackageArn: FOREIGN }), error: REJECTION, message: /modelPackageArn: group fraud-models is not one of this stack's model package groups/ },
  // --- endpoint
  { name: 'endpointName not managed by the stack', input: withFields({ endpointName: 'prod-churn' }), error: REJECTION, message: /endpointName: prod-churn is not managed by this stack/ },
  { name: 'endpointName not managed (prefix is case-sensitive)', input: withFields({ endpointName: 'Demo-churn' }), error: REJECTION, message: /endpointName: Demo-churn is not managed by this stack/ },
  { name: 'endpoint with two production variants and no variantName', input: withFields({}, 'demo-two'), error: REJECTION, message: /^variantName: demo-two serves 2 production variants/ },
  // --- guardrail alarms
  { name: 'guardrail alarm that does not exist', input: withFields({ guardrailAlarmNames: [ALARM, 'no-such-alarm'] }), error: REJECTION, message: /guardrailAlarmNames: no CloudWatch alarm named no-such-alarm/ },
  { name: 'guardrail alarm name empty', input: withFields({ guardrailAlarmNames: [''] }), error: REJECTION, message: /guardrailAlarmNames\.0: / },
  { name: 'guardrail alarm name over 255 characters', input: withFields({ guardrailAlarmNames: ['a'.repeat(256)] }), error: REJECTION, message: /guardrailAlarmNames\.0: .*255/ },
  { name: '51 guardrail alarms', input: withFields({ guardrailAlarmNames: Array.from({ length: 51 }, (_, i) => `alarm-${i}`) }), error: REJECTION, message: /guardrailAlarmNames: .*50/ },
  // --- validation samples
  { name: 'sample with both body and s3Uri', input: withSample({ s3Uri: 's3://validation-bucket/typical.json' }), error: REJECTION, message: /validation\.samples\.0: each validation sample needs exactly one of body or s3Uri/ },
  { name: 'sample with neither body nor s3Uri', input: withoutSampleFields('body'), error: REJECTION, message: /validation\.samples\.0: each validation sample needs exactly one of body or s3Uri/ },
  { name: '51 samples', input: withValidation({ samples: Array.from({ length: 51 }, (_, i) => ({ ...SAMPLE, name: `s${i}` })) }), error: REJECTION, message: /validation\.samples: .*50/ },
  { name: 'samples empty', input: withValidation({ samples: [] }), error: REJECTION, message: /validation\.samples: .*1/ },
  // StartExecution itself refuses an input over 262,144 bytes (API reference: input, maximum length 262144).
  { name: 'inline body over the 6 MB InvokeEndpoint limit', input: withSample({ body: 'x'.repeat(6 * MB + 1) }), error: REJECTION, message: /^ValidationException: .*'input'.*less than or equal to 262144/ },
  {
    // Within StartExecution's 262,144 bytes, over the workflow's 64 KiB: the state carries the input plus every step's results (Step Functions service quotas: 256 KiB per state).
    name: 'input of 90 KiB: three 30 KiB inline bodies (over the 64 KiB input limit, within the 256 KiB quota)',
    input: withValidation({ samples: [0, 1, 2].map((i) => ({ ...SAMPLE, name: `big-${i}`, body: 'x'.repeat(30 * 1024) })) }),
    error: REJECTION,
    message: /^\(input\): the promotion input is \d+ bytes, over the 65536-byte \(64 KiB\) limit: .*move the large validation\.samples bodies to S3 \(s3Uri\)/,
  },
  { name: 'inline body of 40 KiB (over the 32 KiB inline cap, within the input quota)', input: withSample({ body: 'x'.repeat(40 * 1024) }), error: REJECTION, message: /validation\.samples\.0\.body: an inline body holds at most 32 KiB .*use s3Uri/ },
  {
    // Step Functions caps an execution's input (and every state's data) at 262,144 bytes: a body the schema allows (≤ 6 MB) cannot travel through the workflow.
    name: 'inline body of 300 KB (over the 256 KB Step Functions input quota)',
    input: withSample({ body: 'x'.repeat(300 * 1024) }, 'demo-bigbody'),
    error: REJECTION,
    message: /body|262144|256 ?KB/,
  },
  { name: 'sample s3Uri not an s3:// URI', input: withSample({ body: undefined, s3Uri: 'https://validation-bucket.s3.amazonaws.com/typical.json' }), error: REJECTION, message: /validation\.samples\.0\.s3Uri: s3Uri must look like s3:\/\/bucket\/key/ },
  {
    // cdk.json lists no validationPayloadBucketNames: no bucket may be read (the functions get no s3:GetObject).
    name: 'sample s3Uri in a bucket the stack may not read',
    input: withSample({ body: undefined, s3Uri: 's3://someone-elses-bucket/validation/typical.json' }, 'demo-s3sample'),
    error: REJECTION,
    message: /s3Uri.*someone-elses-bucket/,
  },
  { name: 'sample expectedStatus 700', input: withSample({ expectedStatus: 700 }), error: REJECTION, message: /validation\.samples\.0\.expectedStatus: / },
  { name: 'sample expectJson a list', input: withSample({ expectJson: ['churn'] }), error: REJECTION, message: /validation\.samples\.0\.expectJson: / },
  { name: 'sample name of 65 characters', input: withSample({ name: 'n'.repeat(65) }), error: REJECTION, message: /validation\.samples\.0\.name: / },
  { name: 'validation.maxLatencyMs 0', input: withValidation({ maxLatencyMs: 0 }), error: REJECTION, message: /validation\.maxLatencyMs: / },
  { name: 'validation.contentType empty', input: withValidation({ contentType: '' }), error: REJECTION, message: /validation\.contentType: / },
  // --- bake
  { name: 'bakeSeconds negative', input: withFields({ bakeSeconds: -1 }), error: REJECTION, message: /bakeSeconds: .*>=0/ },
  { name: 'bakeSeconds over 18 h', input: withFields({ bakeSeconds: 64_801 }), error: REJECTION, message: /bakeSeconds: a bake is at most 64800 s \(18 h\): the state machine's 24-hour timeout must also hold the three InService waits and a rollback/ },
  {
    name: 'an 18-hour bake with 2-hour deadlines: more than the execution timeout',
    input: withFields({ bakeSeconds: 64_800, deadlines: { inServiceSeconds: 7200 } }),
    error: REJECTION,
    message: /bakeSeconds, deadlines\.inServiceSeconds: a bake of 64800 s with 7200 s in-service deadlines needs up to 104400 s .*more than the execution timeout of 86400 s/,
  },
  { name: 'bakeSeconds huge (1e12)', input: withFields({ bakeSeconds: 1e12 }), error: REJECTION, message: /bakeSeconds: / },
  { name: 'bakeSeconds fractional', input: withFields({ bakeSeconds: 1.5 }), error: REJECTION, message: /bakeSeconds: .*int/ },
  {
    name: 'a 12-hour bake with 3-hour deadlines: past the 24-hour execution timeout',
    input: withFields({ bakeSeconds: 12 * 3600, deadlines: { inServiceSeconds: 3 * 3600 } }),
    error: REJECTION,
    message: /bakeSeconds, deadlines\.inServiceSeconds: a bake of 43200 s with 10800 s in-service deadlines needs up to \d+ s .*more than the execution timeout of 86400 s; shorten the bake or the deadline/,
  },
  // --- role
  { name: 'executionRoleArn not one the stack may pass', input: withFields({ executionRoleArn: `arn:aws:iam::${LOCAL_ACCOUNT}:role/Admin` }), error: REJECTION, message: /executionRoleArn: .*role\/Admin is not one of the model execution roles/ },
  { name: 'executionRoleArn not an ARN', input: withFields({ executionRoleArn: 'SageMakerModelExecution' }), error: REJECTION, message: /executionRoleArn: executionRoleArn must be an IAM role ARN/ },
  // --- deadlines
  { name: 'deadlines.inServiceSeconds under a minute', input: withFields({ deadlines: { inServiceSeconds: 59 } }), error: REJECTION, message: /deadlines\.inServiceSeconds: .*>=60/ },
  { name: 'deadlines.inServiceSeconds over a day', input: withFields({ deadlines: { inServiceSeconds: 86_401 } }), error: REJECTION, message: /deadlines\.inServiceSeconds: .*<=86400/ },
  { name: 'deadlines.inServiceSeconds a day (five of them do not fit the timeout)', input: withFields({ deadlines: { inServiceSeconds: 86_400 } }), error: REJECTION, message: /deadlines\.inServiceSeconds: a bake of 0 s with 86400 s in-service deadlines/ },
  { name: 'deadlines.inServiceSeconds a string', input: withFields({ deadlines: { inServiceSeconds: '1h' } }), error: REJECTION, message: /deadlines\.inServiceSeconds: .*expected number/ },
  // --- first-deployment settings, green alarms
  { name: 'approval.timeoutSeconds under a minute', input: withFields({ approval: { timeoutSeconds: 30 } }), error: REJECTION, message: /approval\.timeoutSeconds: must be at least 60/ },
  { name: 'approval.onTimeout unknown', input: withFields({ approval: { onTimeout: 'wait' } }), error: REJECTION, message: /approval\.onTimeout: use "rollback" .* or "promote"/ },
  { name: 'approval with the longest bake (does not fit the timeout)', input: withFields({ bakeSeconds: 64_800, deadlines: { inServiceSeconds: 3600 }, approval: { timeoutSeconds: 3600 } }), error: REJECTION, message: /bakeSeconds, approval\.timeoutSeconds, deadlines\.inServiceSeconds: a bake of 64800 s and an approval wait of 3600 s/ },
  { name: 'instanceType without the ml. prefix', input: withFields({ instanceType: 'm5.large' }), error: REJECTION, message: /instanceType: instanceType must look like ml\.m5\.large/ },
  { name: 'initialInstanceCount 0', input: withFields({ initialInstanceCount: 0 }), error: REJECTION, message: /initialInstanceCount: .*>=1/ },
  { name: 'greenAlarms.maxModelLatencyMs negative', input: withFields({ greenAlarms: { maxModelLatencyMs: -5 } }), error: REJECTION, message: /greenAlarms\.maxModelLatencyMs: / },
  // --- several problems: each one named, at once
  { name: 'three bad fields reported together', input: withFields({ endpointName: 'demo_churn', bakeSeconds: -1, deadlines: { inServiceSeconds: 5 } }), error: REJECTION, message: /endpointName: .*bakeSeconds: .*deadlines\.inServiceSeconds: / },
  { name: 'unmanaged endpoint and disallowed role reported together', input: withFields({ endpointName: 'prod-churn', executionRoleArn: `arn:aws:iam::${LOCAL_ACCOUNT}:role/Admin` }), error: REJECTION, message: /endpointName: prod-churn is not managed.*; executionRoleArn: / },
  // --- not an object
  { name: 'input an array', input: [valid()], error: REJECTION, message: /\(input\): .*expected object, received array/ },
  { name: 'input a string', input: 'promote demo-churn', error: REJECTION, message: /\(input\): .*expected object, received string/ },
  // aws-local-stepfunctions cannot resolve "$" of a null input, so locally this ends in States.Runtime before any step
  // runs (what AWS does with a "null" input is not documented); the invariant that matters holds: nothing changed.
  { name: 'input null', input: null, error: 'States.Runtime', message: /Path expression '\$' does not point to a value/, endsIn: 'ValidateInput' },
  { name: 'input a number', input: 42, error: REJECTION, message: /\(input\): .*expected object, received number/ },
  { name: 'input an empty object', input: {}, error: REJECTION, message: /endpointName: .*modelPackageArn: / },
  { name: 'input text that is not JSON (refused by StartExecution)', input: `${RAW}{"endpointName": "demo-churn",`, error: REJECTION, message: /^InvalidExecutionInput: .*not valid JSON/ },
];

/** ValidateInput (the handler, called directly) accepts the valid input the cases start from. */
export async function expectBaseInputsValid(): Promise<void> {
  const validate = loadHandler('validate-input') as (e: unknown) => Promise<{ endpointName: string; modelPackageVersion: number }>;
  const event = (input: unknown) => ({ input, executionName: 'control', executionArn: CONTROL_EXECUTION_ARN, startTime: new Date().toISOString() });
  await expect(validate(event(valid()))).resolves.toMatchObject({ endpointName: BLUE, modelPackageVersion: 2 });
  // and onto an endpoint that does not exist yet (a first deployment), as the size and bucket cases use
  await expect(validate(event(valid('demo-bigbody')))).resolves.toMatchObject({ endpointName: 'demo-bigbody' });
}

/**
 * One case: the input is started as an execution (a unique `executionName`) and must end
 * FAILED in Rejected with the expected error (or be refused by StartExecution), its message
 * naming the field and the problem, with no mutating call and no table write.
 */
export async function expectExecutionRejected(world: CorpusWorld, executionName: string, { name, input, error, message, endsIn }: ExecutionCase): Promise<void> {
  // GIVEN a quiet world (nothing of an earlier case still running) and the bad input
  await settle(world.aws);
  const before = await footprint(world);
  const value: unknown = typeof input === 'function' ? (input as (w: CorpusWorld) => unknown)(world) : input;
  const text = typeof value === 'string' && value.startsWith(RAW) ? value.slice(RAW.length) : JSON.stringify(value);
  // WHEN it is started as an execution
  const end = await runExecution(world, executionName, text);
  const changes = summarize(await changesSince(world, before));
  // THEN it is rejected, the message names the field and the problem, and nothing was created, changed, locked or recorded
  expect({
    case: name,
    rejectedAs: end.startError !== undefined ? 'StartExecution' : `${end.status} ${end.error} in ${end.states.at(-1)}`,
    message: end.startError ?? causeMessage(end.cause),
    ...changes,
  }).toEqual({
    case: name,
    rejectedAs: expect.stringMatching(new RegExp(`^(StartExecution|FAILED ${error} in ${endsIn ?? 'Rejected'})$`)),
    message: expect.stringMatching(message),
    mutatingCalls: [],
    tableWrites: [],
  });
}

/** bad-input.events runs cases [0, PART_ONE), bad-input.cli the rest: the two files take about the same time. */
export const PART_ONE = 30;
