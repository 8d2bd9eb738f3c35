import * as z from 'zod/mini';
import { MAX_BAKE_EXTENSIONS, TOO_LITTLE_TRAFFIC_ACTIONS } from './detection';
import { MAX_BAKE_REASON, MAX_BAKE_SECONDS } from './waits';
import { DEFAULT_APPROVAL_SECONDS, MIN_APPROVAL_SECONDS, ON_APPROVAL_TIMEOUT } from './approval';
export { modelPackageParts } from './arns';

/**
 * SageMaker name rules, from the API reference (e.g. CreateEndpoint: EndpointName,
 * https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateEndpoint.html):
 * at most 63 characters, pattern ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}.
 */
export const SAGEMAKER_NAME_PATTERN = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;
/** A *versioned* model package ARN (ModelPackageSummary.ModelPackageArn pattern, narrowed to group/version). */
export const MODEL_PACKAGE_ARN_PATTERN = /^arn:aws[a-z-]*:sagemaker:[a-z0-9-]{9,16}:[0-9]{12}:model-package\/[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}\/[0-9]+$/;
export const ROLE_ARN_PATTERN = /^arn:aws[a-z-]*:iam::\d{12}:role\/?[a-zA-Z_0-9+=,.@\-_/]+$/;
/** Inline validation bodies travel in the execution input, which Step Functions caps at 256 KiB. */
export const MAX_INLINE_BODY = 32 * 1024;
/** At most this many validation samples and guardrail alarm names per promotion (or route). */
export const MAX_SAMPLES = 50;
export const MAX_ALARM_NAMES = 50;
/** s3://<bucket>/<key>: a bucket name is at most 63 characters, an object key at most 1024 (S3 naming rules). */
export const MAX_S3_URI = 's3://'.length + 63 + 1 + 1024;
/** PutMetricAlarm AlarmName: 1–255 characters. */
const alarmName = z.string().check(z.minLength(1), z.maxLength(255));

/** An optional field with its description (what the JSON Schema in schema/ shows users). */
const optional = <T extends z.ZodMiniType>(schema: T, description: string) => z.optional(schema).check(z.describe(description));

const sagemakerName = (what: string) =>
  z
    .string({ error: `${what} must be a string` })
    .check(
      z.maxLength(63, `${what} must be at most 63 characters (SageMaker name rule)`),
      z.regex(SAGEMAKER_NAME_PATTERN, `${what} must match ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62} (letters, digits and single hyphens, no leading hyphen)`),
    );

export const validationSampleSchema = z
  .strictObject({
    name: optional(z.string().check(z.minLength(1), z.maxLength(64)), 'Label used in logs and in the rollback reason; defaults to "sample-<n>"'),
    body: optional(
      z
        .string()
        .check(z.maxLength(MAX_INLINE_BODY, `an inline body holds at most ${MAX_INLINE_BODY / 1024} KiB (a Step Functions input is at most 256 KiB); put larger payloads in S3 and use s3Uri`)),
      'Request body sent as is; up to 32 KiB (use s3Uri for larger payloads)',
    ),
    s3Uri: optional(
      z.string().check(
        z.regex(/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/.+$/, 's3Uri must look like s3://bucket/key'),
        z.maxLength(MAX_S3_URI, `s3Uri is at most ${MAX_S3_URI} characters (S3: a bucket name ≤ 63, a key ≤ 1024)`),
      ),
      'Read the request body from S3 instead of `body`',
    ),
    contentType: optional(z.string().check(z.minLength(1), z.maxLength(1024)), 'Overrides validation.contentType for this sample'),
    expectedStatus: optional(z.number().check(z.int(), z.gte(200), z.lte(599)), 'Defaults to 200'),
    expectContains: optional(
      z.string().check(z.minLength(1), z.maxLength(MAX_INLINE_BODY, `expectContains holds at most ${MAX_INLINE_BODY / 1024} KiB, as an inline body`)),
      'The response body must contain this text',
    ),
    expectJson: optional(
      z.record(z.string(), z.unknown()).check(
        z.refine((json) => JSON.stringify(json).length <= MAX_INLINE_BODY, `expectJson holds at most ${MAX_INLINE_BODY / 1024} KiB of JSON, as an inline body; check fewer keys`),
      ),
      'Every key/value here must appear (deep-equal) in the JSON response',
    ),
  })
  .check(z.refine((s) => (s.body === undefined) !== (s.s3Uri === undefined), { message: 'each validation sample needs exactly one of body or s3Uri' }));

import { STRATEGIES, type StrategyName } from './strategy-names';
export { STRATEGIES, type StrategyName };

/**
 * SageMaker's deployment-guardrails traffic routing for the `guardrails` strategy
 * (TrafficRoutingConfig: a canary at most 50% of the instances, linear steps of 10–50%,
 * WaitIntervalInSeconds 0–3600; deployment-guardrails-blue-green-canary / -linear).
 */
export const trafficSchema = z
  .strictObject({
    type: z.enum(['ALL_AT_ONCE', 'CANARY', 'LINEAR']).check(z.describe('ALL_AT_ONCE (default): shift all traffic; CANARY: a share first, then the rest; LINEAR: equal steps')),
    percent: optional(z.number().check(z.int(), z.gte(1), z.lte(50)), 'CANARY: the canary\'s share of instances (≤ 50); LINEAR: each step (10–50); default 10 for CANARY, 25 for LINEAR'),
    waitSeconds: optional(z.number().check(z.int(), z.gte(0), z.lte(3600)), 'Baking time after the canary or each linear step (alarms watched by SageMaker); default 300'),
  })
  .check(
    z.refine((t) => t.type !== 'LINEAR' || t.percent === undefined || t.percent >= 10, { message: 'a LINEAR step is 10–50% of the instances', path: ['percent'] }),
    z.refine((t) => t.type !== 'ALL_AT_ONCE' || (t.percent === undefined && t.waitSeconds === undefined), {
      message: 'ALL_AT_ONCE takes neither percent nor waitSeconds (use CANARY or LINEAR)',
      path: ['type'],
    }),
  );

/** Asynchronous validation: each sample's output must appear within this many seconds (one Lambda invocation, ≤ 15 min, checks them all). */
export const DEFAULT_ASYNC_OUTPUT_SECONDS = 120;
export const MAX_ASYNC_OUTPUT_SECONDS = 600;

/**
 * The `component` strategy's rolling update (API_InferenceComponentRollingUpdatePolicy): copies replaced
 * per batch (SageMaker: 5–50% of the copy count), baked waitSeconds each, restored per rollback batch.
 */
export const rollingUpdateSchema = z.strictObject({
  maximumBatchCopies: optional(
    z.number({ error: 'maximumBatchCopies must be a whole number of copies' }).check(z.int(), z.gte(1, 'maximumBatchCopies must be at least 1')),
    "Copies replaced per batch; SageMaker requires 5–50% of the component's copy count; default: as many as fit in 50%",
  ),
  waitSeconds: optional(z.number().check(z.int(), z.gte(0), z.lte(3600)), 'Baking time after each batch (alarms watched by SageMaker), 0–3600; default 300'),
  rollbackMaximumBatchCopies: optional(
    z.number({ error: 'rollbackMaximumBatchCopies must be a whole number of copies' }).check(z.int(), z.gte(1)),
    'Copies restored per batch on a rollback; default: all at once',
  ),
});

/** Bounds of the bake's traffic guard: a count a real endpoint can reach in a bake; an extension of 1 min to the longest bake. */
export const MAX_MIN_INVOCATIONS = 1_000_000_000;
export const DEFAULT_EXTEND_SECONDS = 600;

/** The bake's traffic guard (lambdas/shared/detection.ts judgeBakeTraffic). */
export const bakeTrafficSchema = z.strictObject({
  minInvocations: z
    .number({ error: 'minInvocations must be a whole number of requests' })
    .check(z.int(), z.gte(1, 'minInvocations must be at least 1 (omit bakeTraffic to watch no traffic)'), z.lte(MAX_MIN_INVOCATIONS, `minInvocations is at most ${MAX_MIN_INVOCATIONS}`), z.describe("Green must get at least this many requests (its Invocations metric) during the bake")),
  onTooLittleTraffic: optional(
    z.enum(TOO_LITTLE_TRAFFIC_ACTIONS, { error: 'onTooLittleTraffic must be "extend" (bake longer, then roll back) or "rollback"' }),
    `What fewer requests lead to: rollback (default), or extend the bake by extendSeconds, at most ${MAX_BAKE_EXTENSIONS} times, then roll back`,
  ),
  extendSeconds: optional(
    z.number().check(z.int(), z.gte(60, 'extendSeconds must be at least 60'), z.lte(MAX_BAKE_SECONDS, `extendSeconds is at most ${MAX_BAKE_SECONDS}`)),
    `extend: seconds each extension adds to the bake; default ${DEFAULT_EXTEND_SECONDS}`,
  ),
});

/**
 * The manual approval gate (lambdas/shared/approval.ts): after green is validated, before any user
 * traffic moves, wait for `bluegreen approve` / `bluegreen reject`. Its wait counts against the
 * execution's timeout with the bake (ValidateInput refuses a gate and a bake that do not fit both).
 */
export const approvalSchema = z.strictObject({
  required: optional(
    z.boolean({ error: 'use true (wait for a person) or false (no gate, whatever the stack default)' }),
    'Wait for a person before any traffic moves to green; default true when approval is given, else the stack default (off)',
  ),
  timeoutSeconds: optional(
    z
      .number({ error: 'must be a whole number of seconds' })
      .check(
        z.int('must be a whole number of seconds'),
        z.gte(MIN_APPROVAL_SECONDS, `must be at least ${MIN_APPROVAL_SECONDS} (a person needs time to answer)`),
        z.lte(MAX_BAKE_SECONDS, `at most ${MAX_BAKE_SECONDS} s (${MAX_BAKE_SECONDS / 3600} h), as a bake: ${MAX_BAKE_REASON}`),
      ),
    `How long to wait for an answer, ${MIN_APPROVAL_SECONDS} s to ${MAX_BAKE_SECONDS / 3600} h (with the bake, it must fit the execution timeout); default ${DEFAULT_APPROVAL_SECONDS}`,
  ),
  onTimeout: optional(
    z.enum(ON_APPROVAL_TIMEOUT, { error: 'use "rollback" (the default: nobody answered, back to blue) or "promote" (go on as if approved)' }),
    'What happens when nobody answers in time: rollback (default) or promote',
  ),
});

export const promotionInputSchema = z.strictObject({
  endpointName: sagemakerName('endpointName').check(z.describe('The SageMaker endpoint to promote onto; created if it does not exist yet')),
  modelPackageArn: z
    .string({ error: 'modelPackageArn must be a string' })
    .check(
      z.regex(MODEL_PACKAGE_ARN_PATTERN, 'modelPackageArn must be a versioned model package ARN: arn:aws:sagemaker:<region>:<account>:model-package/<group>/<version>'),
      z.describe('The approved model package version that becomes green'),
    ),
  strategy: optional(z.enum(STRATEGIES), 'How green gets traffic: guardrails (SageMaker blue/green, one fleet, variant name kept), variant (a zero-weight variant, weights flip), replace (serverless: one UpdateEndpoint) or component (inference components: a rolling update); default: chosen from the endpoint\'s kind (the stack default for real-time endpoints)'),
  traffic: optional(trafficSchema, 'guardrails only: how SageMaker moves traffic (default ALL_AT_ONCE)'),
  variantName: optional(
    sagemakerName('variantName'),
    "Endpoints with several production variants: the one to promote (the others keep their models and weights); default: the endpoint's only variant",
  ),
  inferenceComponentName: optional(
    sagemakerName('inferenceComponentName'),
    "Inference component endpoints: the component to promote; default: the endpoint's only component",
  ),
  rollingUpdate: optional(rollingUpdateSchema, 'component only: how SageMaker replaces the inference component\'s copies (UpdateInferenceComponent RollingUpdatePolicy)'),
  bakeSeconds: optional(
    z.number().check(z.int(), z.gte(0), z.lte(MAX_BAKE_SECONDS, `a bake is at most ${MAX_BAKE_SECONDS} s (${MAX_BAKE_SECONDS / 3600} h): ${MAX_BAKE_REASON}`)),
    `How long to watch guardrail alarms after the shift, at most ${MAX_BAKE_SECONDS / 3600} h; default from the stack`,
  ),
  executionRoleArn: optional(z.string().check(z.regex(ROLE_ARN_PATTERN, 'executionRoleArn must be an IAM role ARN')), "Role for green's model; defaults to blue's model role, then the stack's first allowed role"),
  instanceType: optional(z.string().check(z.regex(/^ml\.[a-z0-9]+\.[a-z0-9]+$/, 'instanceType must look like ml.m5.large')), 'First deployment only: instance type (default: the package\'s first supported realtime type)'),
  initialInstanceCount: optional(z.number().check(z.int(), z.gte(1), z.lte(100)), 'First deployment only: instance count (default 1)'),
  validation: z.optional(
    z.strictObject({
      mode: optional(z.enum(['endpoint', 'off']), 'not with variant: endpoint (default) validates green before any user request on a short-lived validation endpoint (guardrails: one instance; replace: serverless) or validation component (component: one copy); off skips it'),
      contentType: optional(z.string().check(z.minLength(1), z.maxLength(1024)), 'Default application/json'),
      accept: z.optional(z.string().check(z.minLength(1), z.maxLength(1024))),
      maxLatencyMs: optional(z.number().check(z.int(), z.gte(1), z.lte(60_000)), 'Each request must answer within this many ms (not judged on asynchronous endpoints, whose answers wait in a queue: their ModelLatency alarm watches the bake); default from the stack'),
      asyncOutputSeconds: optional(
        z.number().check(z.int(), z.gte(1), z.lte(MAX_ASYNC_OUTPUT_SECONDS, `asyncOutputSeconds is at most ${MAX_ASYNC_OUTPUT_SECONDS} (a validation step is one Lambda invocation, 15 minutes at most)`)),
        `Asynchronous endpoints: how long each sample's output (or failure) may take to appear in S3; default ${DEFAULT_ASYNC_OUTPUT_SECONDS}`,
      ),
      samples: optional(z.array(validationSampleSchema).check(z.minLength(1), z.maxLength(MAX_SAMPLES)), 'Requests sent to green only (TargetVariant) before it gets traffic'),
    }),
  ),
  guardrailAlarmNames: optional(z.array(alarmName).check(z.maxLength(MAX_ALARM_NAMES)), 'Existing CloudWatch alarms whose ALARM state means roll back; added to the stack defaults'),
  greenAlarms: z.optional(
    z.strictObject({
      enabled: optional(z.boolean(), "Create alarms on green's own variant metrics; default true"),
      max5xxErrors: optional(z.number().check(z.int(), z.gte(0)), 'Invocation5XXErrors (on asynchronous endpoints InvocationFailures; Sum per period: the publish interval of green\'s metrics, 60 s unless its config has enhanced metrics) above this → ALARM; default 0'),
      maxModelLatencyMs: optional(z.number().check(z.positive()), 'ModelLatency (Average per period, as max5xxErrors) above this → ALARM; default 1000 ms'),
      maxModelSetupTimeMs: optional(
        z.number().check(z.positive()),
        "Serverless endpoints only: ModelSetupTime (Maximum per period: how long a cold start took to launch green's container) above this → ALARM; default none (no such alarm)",
      ),
    }),
  ),
  bakeTraffic: optional(bakeTrafficSchema, 'Guard against a bake that saw too little of green: fewer than minInvocations requests to green during the bake → extend it or roll back; default from the stack (none)'),
  approval: optional(approvalSchema, 'Wait for a person (bluegreen approve / reject) after green is validated, before any traffic moves; default from the stack (no gate)'),
  deadlines: z.optional(
    z.strictObject({
      inServiceSeconds: optional(z.number().check(z.int(), z.gte(60), z.lte(86_400)), 'How long green (and a rollback) may take to reach InService'),
    }),
  ),
  requestedBy: optional(z.string().check(z.minLength(1), z.maxLength(256)), 'Who or what started the promotion (recorded in history)'),
});

export type PromotionInput = z.infer<typeof promotionInputSchema>;
export type ValidationSample = z.infer<typeof validationSampleSchema>;

/**
 * One line per problem, each naming the field, e.g. `endpointName: must match ...`. Its module also
 * gives zod/mini its English messages, so every importer of these schemas gets them.
 */
export { describeIssues } from './issues';

/** The JSON Schema shipped in schema/ for console and API users (draft 2020-12). */
export function promotionInputJsonSchema(): Record<string, unknown> {
  return {
    $id: 'https://github.com/sagemaker-bluegreen/sagemaker-bluegreen/schema/promotion-input.schema.json',
    title: 'sagemaker-bluegreen promotion input',
    description: 'Input of a promotion execution (StartExecution, the console, or `bluegreen promote`).',
    ...z.toJSONSchema(promotionInputSchema, { io: 'input' }),
  };
}
