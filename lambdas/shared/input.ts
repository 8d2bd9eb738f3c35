import * as z from 'zod';
import { MAX_BAKE_REASON, MAX_BAKE_SECONDS } from './waits';
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
/** PutMetricAlarm AlarmName: 1–255 characters. */
const alarmName = z.string().min(1).max(255);

const sagemakerName = (what: string) =>
  z
    .string({ error: `${what} must be a string` })
    .max(63, `${what} must be at most 63 characters (SageMaker name rule)`)
    .regex(SAGEMAKER_NAME_PATTERN, `${what} must match ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62} (letters, digits and single hyphens, no leading hyphen)`);

export const validationSampleSchema = z
  .object({
    name: z.string().min(1).max(64).optional().describe('Label used in logs and in the rollback reason; defaults to "sample-<n>"'),
    body: z
      .string()
      .max(MAX_INLINE_BODY, `an inline body holds at most ${MAX_INLINE_BODY / 1024} KiB (a Step Functions input is at most 256 KiB); put larger payloads in S3 and use s3Uri`)
      .optional()
      .describe('Request body sent as is; up to 32 KiB (use s3Uri for larger payloads)'),
    s3Uri: z
      .string()
      .regex(/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/.+$/, 's3Uri must look like s3://bucket/key')
      .optional()
      .describe('Read the request body from S3 instead of `body`'),
    contentType: z.string().min(1).max(1024).optional().describe('Overrides validation.contentType for this sample'),
    expectedStatus: z.number().int().min(200).max(599).optional().describe('Defaults to 200'),
    expectContains: z.string().min(1).optional().describe('The response body must contain this text'),
    expectJson: z.record(z.string(), z.unknown()).optional().describe('Every key/value here must appear (deep-equal) in the JSON response'),
  })
  .strict()
  .refine((s) => (s.body === undefined) !== (s.s3Uri === undefined), {
    message: 'each validation sample needs exactly one of body or s3Uri',
  });

/** How green gets traffic: see README "Strategies". */
export const STRATEGIES = ['guardrails', 'variant'] as const;
export type StrategyName = (typeof STRATEGIES)[number];

/**
 * SageMaker's deployment-guardrails traffic routing for the `guardrails` strategy
 * (TrafficRoutingConfig: a canary at most 50% of the instances, linear steps of 10–50%,
 * WaitIntervalInSeconds 0–3600; deployment-guardrails-blue-green-canary / -linear).
 */
export const trafficSchema = z
  .object({
    type: z.enum(['ALL_AT_ONCE', 'CANARY', 'LINEAR']).describe('ALL_AT_ONCE (default): shift all traffic; CANARY: a share first, then the rest; LINEAR: equal steps'),
    percent: z.number().int().min(1).max(50).optional().describe('CANARY: the canary\'s share of instances (≤ 50); LINEAR: each step (10–50); default 10 for CANARY, 25 for LINEAR'),
    waitSeconds: z.number().int().min(0).max(3600).optional().describe('Baking time after the canary or each linear step (alarms watched by SageMaker); default 300'),
  })
  .strict()
  .refine((t) => t.type !== 'LINEAR' || t.percent === undefined || t.percent >= 10, { message: 'a LINEAR step is 10–50% of the instances', path: ['percent'] })
  .refine((t) => t.type !== 'ALL_AT_ONCE' || (t.percent === undefined && t.waitSeconds === undefined), {
    message: 'ALL_AT_ONCE takes neither percent nor waitSeconds (use CANARY or LINEAR)',
    path: ['type'],
  });

export const promotionInputSchema = z
  .object({
    endpointName: sagemakerName('endpointName').describe('The SageMaker endpoint to promote onto; created if it does not exist yet'),
    modelPackageArn: z
      .string({ error: 'modelPackageArn must be a string' })
      .regex(
        MODEL_PACKAGE_ARN_PATTERN,
        'modelPackageArn must be a versioned model package ARN: arn:aws:sagemaker:<region>:<account>:model-package/<group>/<version>',
      )
      .describe('The approved model package version that becomes green'),
    strategy: z.enum(STRATEGIES).optional().describe('How green gets traffic: guardrails (SageMaker blue/green, one fleet, variant name kept) or variant (a zero-weight variant, weights flip); default from the stack'),
    traffic: trafficSchema.optional().describe('guardrails only: how SageMaker moves traffic (default ALL_AT_ONCE)'),
    bakeSeconds: z
      .number()
      .int()
      .min(0)
      .max(MAX_BAKE_SECONDS, `a bake is at most ${MAX_BAKE_SECONDS} s (${MAX_BAKE_SECONDS / 3600} h): ${MAX_BAKE_REASON}`)
      .optional()
      .describe(`How long to watch guardrail alarms after the shift, at most ${MAX_BAKE_SECONDS / 3600} h; default from the stack`),
    executionRoleArn: z
      .string()
      .regex(ROLE_ARN_PATTERN, 'executionRoleArn must be an IAM role ARN')
      .optional()
      .describe("Role for green's model; defaults to blue's model role, then the stack's first allowed role"),
    instanceType: z.string().regex(/^ml\.[a-z0-9]+\.[a-z0-9]+$/, 'instanceType must look like ml.m5.large').optional().describe('First deployment only: instance type (default: the package\'s first supported realtime type)'),
    initialInstanceCount: z.number().int().min(1).max(100).optional().describe('First deployment only: instance count (default 1)'),
    validation: z
      .object({
        mode: z
          .enum(['endpoint', 'off'])
          .optional()
          .describe('guardrails only: endpoint (default) validates green on a short-lived one-instance validation endpoint before any user request; off skips it'),
        contentType: z.string().min(1).max(1024).optional().describe('Default application/json'),
        accept: z.string().min(1).max(1024).optional(),
        maxLatencyMs: z.number().int().min(1).max(60_000).optional().describe('Each request must answer within this many ms; default from the stack'),
        samples: z.array(validationSampleSchema).min(1).max(50).optional().describe('Requests sent to green only (TargetVariant) before it gets traffic'),
      })
      .strict()
      .optional(),
    guardrailAlarmNames: z.array(alarmName).max(50).optional().describe('Existing CloudWatch alarms whose ALARM state means roll back; added to the stack defaults'),
    greenAlarms: z
      .object({
        enabled: z.boolean().optional().describe('Create alarms on green\'s own variant metrics; default true'),
        max5xxErrors: z.number().int().min(0).optional().describe('Invocation5XXErrors (Sum per minute) above this → ALARM; default 0'),
        maxModelLatencyMs: z.number().positive().optional().describe('ModelLatency (Average per minute) above this → ALARM; default 1000 ms'),
      })
      .strict()
      .optional(),
    deadlines: z
      .object({
        inServiceSeconds: z.number().int().min(60).max(86_400).optional().describe('How long green (and a rollback) may take to reach InService'),
      })
      .strict()
      .optional(),
    requestedBy: z.string().min(1).max(256).optional().describe('Who or what started the promotion (recorded in history)'),
  })
  .strict();

export type PromotionInput = z.infer<typeof promotionInputSchema>;
export type ValidationSample = z.infer<typeof validationSampleSchema>;

/** One line per problem, each naming the field, e.g. `endpointName: must match ...`. */
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
