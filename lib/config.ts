import { REALTIME_STRATEGIES } from '../lambdas/shared/strategy-names';
import { Duration } from 'aws-cdk-lib';
import * as z from 'zod/mini';
import { MAX_ROLLBACK_ALARMS } from '../lambdas/shared/decisions';
import { approvalSchema, MAX_ALARM_NAMES, type PromotionInput } from '../lambdas/shared/input';
import { inputSizeProblem } from '../lambdas/shared/limits';
import { MAX_ENDPOINT_NAME, routeInput, routeSchema, type Route } from '../lambdas/shared/triggers';
import { MAX_BAKE_REASON, MAX_BAKE_SECONDS } from '../lambdas/shared/waits';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import type { NotificationOptions } from './observability';
import type { BlueGreenPromotionProps } from './promotion';
import { approvalFromJson, approvalRoutesFromJson, strategyFromJson } from './props';

/**
 * The most of each list the configuration takes: far above any real stack, but finite, so that the
 * largest configuration the schema accepts is well defined (test/support/largest-config.ts builds it).
 */
export const CONFIG_LIMITS = {
  endpointNames: 200,
  modelExecutionRoleArns: 20,
  modelPackageGroups: 50,
  guardrailAlarmNames: MAX_ALARM_NAMES,
  validationPayloadBucketNames: 50,
  asyncOutputBucketNames: 50,
} as const;
/** The construct's own rule for endpointNamePrefix (validateProps in lib/promotion.ts): green's names must fit after it. */
const MAX_ENDPOINT_PREFIX = 41;
/** IAM: a role ARN is at most 2048 characters (IAM quotas, "ARN length"). */
const MAX_ROLE_ARN = 2048;
/** S3 bucket naming rules: 3–63 characters. */
const MAX_BUCKET_NAME = 63;
/** SageMaker ModelPackageGroupName: 1–63 characters (API_CreateModelPackageGroup). */
const MAX_GROUP_NAME = 63;
/** CloudWatch PutMetricAlarm AlarmName: 1–255 characters. */
const MAX_ALARM_NAME = 255;

const list = <T extends z.ZodMiniType>(item: T, max: number, what: string) =>
  z.array(item).check(z.maxLength(max, `list at most ${max} ${what}`));
const text = (max: number, what: string) => z.string().check(z.maxLength(max, `${what} is at most ${max} characters`));
const endpointName = text(MAX_ENDPOINT_NAME, 'an endpoint name (SageMaker EndpointName)');

/** Model package group → route; the group names are the record's keys, bounded like the routes. */
const modelPackageGroupsSchema = z.record(z.string(), routeSchema).check(
  z.refine((groups) => Object.keys(groups).length <= CONFIG_LIMITS.modelPackageGroups, `map at most ${CONFIG_LIMITS.modelPackageGroups} model package groups`),
  z.superRefine((groups, ctx) => {
    for (const group of Object.keys(groups)) {
      if (group.length > MAX_GROUP_NAME) {
        ctx.addIssue({ code: 'custom', path: [group], input: group, message: `a model package group name (SageMaker ModelPackageGroupName) is at most ${MAX_GROUP_NAME} characters` });
      }
    }
  }),
);

/**
 * The app's configuration, read from the `bluegreen` context key (cdk.json, or
 * `-c bluegreen='{...}'`). Validated at synth time; an error names the entry and the fix.
 */
export const appConfigSchema = z.strictObject({
  endpointNames: z.optional(list(endpointName, CONFIG_LIMITS.endpointNames, 'endpoint names; manage more with endpointNamePrefix')),
  endpointNamePrefix: z.optional(text(MAX_ENDPOINT_PREFIX, 'endpointNamePrefix (the names of green endpoints must fit after it)')),
  modelExecutionRoleArns: list(text(MAX_ROLE_ARN, 'an IAM role ARN'), CONFIG_LIMITS.modelExecutionRoleArns, 'model execution role ARNs').check(
    z.minLength(1, 'list at least one model execution role ARN'),
  ),
  /**
   * Model package group → the endpoints its approved versions are promoted onto, with per-endpoint settings,
   * and what an approval does while a promotion runs (`onNewerApproval`) or when it is older than the live
   * version (`allowDowngrade`): routeSchema in lambdas/shared/triggers.ts.
   */
  modelPackageGroups: z.optional(modelPackageGroupsSchema),
  /** The strategy of every promotion that names none (input or route). */
  strategy: z.optional(z.enum(REALTIME_STRATEGIES)),
  bakeMinutes: z.optional(z.number().check(z.int(), z.gte(0), z.lte(MAX_BAKE_SECONDS / 60, `a bake is at most ${MAX_BAKE_SECONDS / 60} minutes: ${MAX_BAKE_REASON}`))),
  /** How often the bake's backstop checks the alarms and the endpoint of the promotions baking. */
  bakeBackstopMinutes: z.optional(z.number().check(z.int(), z.gte(1), z.lte(1440))),
  pollSeconds: z.optional(z.number().check(z.int(), z.gte(1), z.lte(3600))),
  inServiceDeadlineMinutes: z.optional(z.number().check(z.int(), z.gte(1), z.lte(1440))),
  guardrailAlarmNames: z.optional(list(text(MAX_ALARM_NAME, 'an alarm name (CloudWatch AlarmName)'), CONFIG_LIMITS.guardrailAlarmNames, 'guardrail alarm names; combine them in a composite alarm')),
  validationPayloadBucketNames: z.optional(list(text(MAX_BUCKET_NAME, 'an S3 bucket name'), CONFIG_LIMITS.validationPayloadBucketNames, 'validation payload buckets')),
  /** Buckets of the asynchronous endpoints' outputs: validate-green writes its samples and reads green's answers there, under `bluegreen-validation/` keys only. */
  asyncOutputBucketNames: z.optional(list(text(MAX_BUCKET_NAME, 'an S3 bucket name'), CONFIG_LIMITS.asyncOutputBucketNames, 'asynchronous output buckets')),
  /** The manual approval gate of every promotion whose input or route names none (README "Approval gate"); default: none. */
  approval: z.optional(approvalSchema),
  /** The EventBridge bus of the lifecycle events (API_CreateEventBus Name); default: the account's default bus. */
  eventBusName: z.optional(
    z.string().check(z.regex(/^[/.\-_A-Za-z0-9]{1,256}$/, 'an event bus name is 1–256 letters, digits or . - _ / (the name, not the ARN); leave it out for the default bus')),
  ),
  /** Notices of the lifecycle events on an SNS topic (README "Notifications"): a new encrypted one, or `topicArn`'s; default: none. */
  notifications: z.optional(
    z.strictObject({
      enabled: z.optional(z.boolean()),
      topicArn: z.optional(z.string().check(z.regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/, 'an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>); leave it out for a new topic'))),
    }),
  ),
  /** The stack's CloudWatch dashboard (README "Dashboard"); default: true. */
  dashboard: z.optional(z.boolean()),
});

export type AppConfig = z.infer<typeof appConfigSchema>;

/**
 * The longest input an approval on this route starts (lambdas/on-approval: the route's settings, one of its
 * endpoints, the version's ARN and who requested it), with the longest partition, region and version.
 */
function largestApprovalInput(group: string, route: Route): PromotionInput {
  const version = Number.MAX_SAFE_INTEGER;
  const endpointName = route.endpoints.reduce((longest, e) => (e.length > longest.length ? e : longest), '');
  return routeInput(route, endpointName, `arn:aws-iso-b:sagemaker:ap-southeast-5:123456789012:model-package/${group}/${version}`, `model-registry:rejected:${group}/${version}`);
}

export function parseAppConfig(raw: unknown): AppConfig {
  const parsed = appConfigSchema.safeParse(typeof raw === 'string' ? JSON.parse(raw) : raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `- ${['bluegreen', ...i.path].join('.')}: ${i.message}`);
    throw new Error(`Invalid "bluegreen" configuration (cdk.json context):\n${lines.join('\n')}`);
  }
  const config = parsed.data;
  const managed = new Set(config.endpointNames ?? []);
  const problems: string[] = [];
  for (const [group, entry] of Object.entries(config.modelPackageGroups ?? {})) {
    // What validate-input would refuse for every approval on this route is refused here, at synth.
    const strategy = entry.strategy ?? config.strategy ?? 'guardrails';
    if (entry.traffic !== undefined && strategy !== 'guardrails') {
      problems.push(`- bluegreen.modelPackageGroups.${group}.traffic: SageMaker's traffic routing applies to the guardrails strategy, not ${strategy}; remove traffic or set strategy "guardrails"`);
    }
    const alarms = new Set([...(config.guardrailAlarmNames ?? []), ...(entry.guardrailAlarmNames ?? [])]).size;
    const own = entry.greenAlarms?.enabled === false ? 1 : 3;
    if (strategy === 'guardrails' && alarms + own > MAX_ROLLBACK_ALARMS) {
      problems.push(
        `- bluegreen.modelPackageGroups.${group}.guardrailAlarmNames: SageMaker's auto-rollback takes at most ${MAX_ROLLBACK_ALARMS} alarms and the guardrails strategy adds ${own}; name at most ${MAX_ROLLBACK_ALARMS - own} (stack defaults included), or combine them in a composite alarm`,
      );
    }
    const size = inputSizeProblem(largestApprovalInput(group, entry), `bluegreen.modelPackageGroups.${group}.validation.samples`);
    if (size) problems.push(`- bluegreen.modelPackageGroups.${group}.validation: every approval on this route would be refused: ${size}`);
    for (const endpoint of entry.endpoints) {
      const covered = managed.has(endpoint) || (config.endpointNamePrefix !== undefined && endpoint.startsWith(config.endpointNamePrefix));
      if (!covered) problems.push(`- bluegreen.modelPackageGroups.${group}.endpoints: "${endpoint}" is not in endpointNames and does not start with endpointNamePrefix; add it there`);
    }
  }
  if (problems.length > 0) throw new Error(`Invalid "bluegreen" configuration (cdk.json context):\n${problems.join('\n')}`);
  return config;
}

/** cdk.json's notifications as the construct's: an existing topic is imported by its ARN into `scope`. */
export function notificationsFromConfig(scope: Construct, config: AppConfig): NotificationOptions | undefined {
  const n = config.notifications;
  if (!n) return undefined;
  return { enabled: n.enabled, topic: n.topicArn ? sns.Topic.fromTopicArn(scope, 'NotificationTopic', n.topicArn) : undefined };
}

export function promotionProps(config: AppConfig): BlueGreenPromotionProps {
  const groups = Object.keys(config.modelPackageGroups ?? {});
  return {
    endpointNames: config.endpointNames,
    endpointNamePrefix: config.endpointNamePrefix,
    modelExecutionRoleArns: config.modelExecutionRoleArns,
    modelPackageGroupNames: groups.length > 0 ? groups : undefined,
    approvalRoutes: config.modelPackageGroups && approvalRoutesFromJson(config.modelPackageGroups),
    strategy: config.strategy && strategyFromJson(config.strategy),
    bakeDuration: config.bakeMinutes !== undefined ? Duration.minutes(config.bakeMinutes) : undefined,
    bakeBackstop: config.bakeBackstopMinutes !== undefined ? Duration.minutes(config.bakeBackstopMinutes) : undefined,
    pollInterval: config.pollSeconds !== undefined ? Duration.seconds(config.pollSeconds) : undefined,
    inServiceDeadline: config.inServiceDeadlineMinutes !== undefined ? Duration.minutes(config.inServiceDeadlineMinutes) : undefined,
    guardrailAlarmNames: config.guardrailAlarmNames,
    validationPayloadBucketNames: config.validationPayloadBucketNames,
    asyncOutputBucketNames: config.asyncOutputBucketNames,
    eventBusName: config.eventBusName,
    dashboard: config.dashboard,
    approval: config.approval && approvalFromJson(config.approval),
  };
}
