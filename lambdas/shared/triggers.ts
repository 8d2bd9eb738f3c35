import * as z from 'zod/mini';
import { createHash } from 'node:crypto';
import { MODEL_PACKAGE_ARN_PATTERN, promotionInputSchema, type PromotionInput } from './input';
import { modelPackageParts } from './arns';
import { REALTIME_STRATEGIES } from './strategy-names';

/** What an approval does to a promotion in flight on the same endpoint (a route's `onNewerApproval`). */
export const ON_NEWER_APPROVAL = ['queue', 'supersede'] as const;
export type OnNewerApproval = (typeof ON_NEWER_APPROVAL)[number];

/**
 * Which endpoints a model package group promotes onto, and with what per-endpoint
 * settings: the app configuration's `modelPackageGroups`, handed to the trigger
 * functions as JSON (validated at synth time by lib/config.ts with the same schema).
 */
/** SageMaker EndpointName: at most 63 characters (API_CreateEndpoint). */
export const MAX_ENDPOINT_NAME = 63;
/** Endpoints one model package group promotes onto: one approval starts a promotion on each. */
export const MAX_ROUTE_ENDPOINTS = 50;

export const routeSchema = z.strictObject({
  endpoints: z
    .array(z.string().check(z.maxLength(MAX_ENDPOINT_NAME, `an endpoint name is at most ${MAX_ENDPOINT_NAME} characters (SageMaker EndpointName)`)))
    .check(
      z.minLength(1, 'map the group to at least one endpoint'),
      z.maxLength(MAX_ROUTE_ENDPOINTS, `map the group to at most ${MAX_ROUTE_ENDPOINTS} endpoints: each approval starts a promotion on every one`),
    ),
  // The strategy for the group's real-time endpoints; serverless, asynchronous and component endpoints get their kind's (kinds.ts).
  strategy: z.optional(z.enum(REALTIME_STRATEGIES)),
  traffic: promotionInputSchema.shape.traffic,
  bakeSeconds: promotionInputSchema.shape.bakeSeconds,
  guardrailAlarmNames: promotionInputSchema.shape.guardrailAlarmNames,
  validation: promotionInputSchema.shape.validation,
  greenAlarms: promotionInputSchema.shape.greenAlarms,
  bakeTraffic: promotionInputSchema.shape.bakeTraffic,
  approval: promotionInputSchema.shape.approval,
  /**
   * An approval for an endpoint whose promotion is still running: `queue` (default) starts it when
   * that promotion ends; `supersede` asks the running one to roll back first. Either way the latest
   * approval per endpoint wins (lambdas/shared/queue.ts).
   */
  onNewerApproval: z.optional(
    z.enum(ON_NEWER_APPROVAL, { error: 'use "queue" (the default: start it when the running promotion ends) or "supersede" (roll the running promotion back, then start it)' }),
  ),
  /**
   * Approvals of a version older than the one the endpoint serves are promoted (true) or refused
   * and recorded (false, default). A rejection's move back to the latest other approved version
   * is the registry's own decision, never refused.
   */
  allowDowngrade: z.optional(z.boolean({ error: 'use true (promote approvals of older versions too) or false (the default: refuse and record them)' })),
});
export type Route = z.infer<typeof routeSchema>;
/**
 * The promotion an approval on `route` starts on one of its endpoints: the route's per-endpoint
 * settings (the same for on-approval and for lib/config.ts's synth-time size check), the version, who asked.
 */
export function routeInput(route: Route, endpointName: string, modelPackageArn: string, requestedBy: string): PromotionInput {
  return {
    endpointName,
    modelPackageArn,
    strategy: route.strategy,
    traffic: route.traffic,
    bakeSeconds: route.bakeSeconds,
    guardrailAlarmNames: route.guardrailAlarmNames,
    validation: route.validation,
    greenAlarms: route.greenAlarms,
    bakeTraffic: route.bakeTraffic,
    approval: route.approval,
    requestedBy,
  };
}
export const routesSchema = z.record(z.string(), routeSchema);
export type Routes = z.infer<typeof routesSchema>;

/** The part of "SageMaker Model Package State Change" we read (sample in test/fixtures/events). */
export const modelPackageEventSchema = z.object({
  id: z.string(),
  /** When EventBridge received the event: the approval's time when the detail has no LastModifiedTime. */
  time: z.optional(z.string()),
  source: z.literal('aws.sagemaker'),
  'detail-type': z.literal('SageMaker Model Package State Change'),
  detail: z
    .object({
      ModelPackageGroupName: z.string(),
      ModelPackageVersion: z.number().check(z.int(), z.positive()),
      ModelPackageArn: z.string().check(z.regex(MODEL_PACKAGE_ARN_PATTERN, 'must be a versioned model package ARN')),
      ModelApprovalStatus: z.enum(['Approved', 'Rejected', 'PendingManualApproval']),
      LastModifiedTime: z.optional(z.string()),
    })
    // The ARN is what gets deployed: it must be the very group and version the event is about.
    .check(
      z.refine((d) => !MODEL_PACKAGE_ARN_PATTERN.test(d.ModelPackageArn) || modelPackageParts(d.ModelPackageArn).group === d.ModelPackageGroupName, {
        message: 'ModelPackageArn belongs to another group than ModelPackageGroupName',
        path: ['ModelPackageArn'],
      }),
      z.refine((d) => !MODEL_PACKAGE_ARN_PATTERN.test(d.ModelPackageArn) || modelPackageParts(d.ModelPackageArn).version === d.ModelPackageVersion, {
        message: 'ModelPackageArn is another version than ModelPackageVersion',
        path: ['ModelPackageArn'],
      }),
    ),
});
export type ModelPackageEvent = z.infer<typeof modelPackageEventSchema>;

/**
 * Execution name for one approval of one version on one endpoint. Duplicate deliveries of
 * the event carry the same package and LastModifiedTime, hence the same name, and Step
 * Functions starts a name once (StartExecution: ExecutionAlreadyExists). A later
 * re-approval has a new LastModifiedTime: a new promotion. 1–80 characters of [A-Za-z0-9-_].
 */
export function approvalExecutionName(endpointName: string, event: ModelPackageEvent, reason: 'approved' | 'rejected'): string {
  const d = event.detail;
  const hash = createHash('sha256')
    .update(`${endpointName}|${d.ModelPackageArn}|${d.ModelApprovalStatus}|${d.LastModifiedTime ?? event.id}`)
    .digest('hex')
    .slice(0, 10);
  return `${endpointName.slice(0, 40)}-v${d.ModelPackageVersion}-${reason}-${hash}`;
}
