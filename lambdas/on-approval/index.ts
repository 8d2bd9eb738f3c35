import { DescribeEndpointConfigCommand, DescribeModelCommand } from '@aws-sdk/client-sagemaker';
import { dynamo } from '../shared/clients/dynamo';
import { sagemaker } from '../shared/clients/sagemaker';
import { sfn } from '../shared/clients/sfn';
import { InvalidPromotionInput } from '../shared/errors';
import { step } from '../shared/handler';
import { packageArnOf, versionOf } from '../shared/arns';
import { describeIssues } from '../shared/input';
import { readLock, requestAbort } from '../shared/locks';
import { logger } from '../shared/powertools';
import { admit, latestApprovedOtherThan, putApprovalRow, readQueued, removeQueued, type Admitted } from '../shared/queue';
import { decideRejection, queuedRow, type Approval, type QueuePolicy } from '../shared/queue-decisions';
import { describeEndpointIfExists } from '../shared/sagemaker';
import { ENV, functionConfig } from '../shared/settings';
import { requiredEnv } from '../shared/env';
import { approvalExecutionName, modelPackageEventSchema, routeInput, routesSchema, type ModelPackageEvent, type Route } from '../shared/triggers';

/** What happened on one endpoint: an approval admitted (Admitted's statuses), or what a rejection did. */
export interface EndpointResult {
  endpointName: string;
  status: Admitted['status'] | 'aborted' | 'unqueued';
  executionName?: string;
  modelPackageArn?: string;
  note?: string;
}

export interface ApprovalResult {
  /** The most consequential status among the endpoints' (`started` first), or `ignored`. */
  action: EndpointResult['status'];
  executions: EndpointResult[];
  note?: string;
}

const PRECEDENCE: Array<EndpointResult['status']> = ['started', 'aborted', 'queued', 'unqueued', 'refused', 'superseded', 'duplicate', 'ignored'];

/** The model package version the endpoint's (single) variant runs now, if it was built from one. */
async function liveVersion(endpointName: string): Promise<number | undefined> {
  const endpoint = await describeEndpointIfExists(endpointName);
  const variant = endpoint?.ProductionVariants?.find((v) => (v.CurrentWeight ?? 0) > 0) ?? endpoint?.ProductionVariants?.[0];
  if (!endpoint?.EndpointConfigName || !variant) return undefined;
  const config = await sagemaker.send(new DescribeEndpointConfigCommand({ EndpointConfigName: endpoint.EndpointConfigName }));
  const modelName = config.ProductionVariants?.find((v) => v.VariantName === variant.VariantName)?.ModelName;
  if (!modelName) return undefined;
  const model = await sagemaker.send(new DescribeModelCommand({ ModelName: modelName }));
  return versionOf(packageArnOf(model));
}

function promotionInput(endpointName: string, route: Route, modelPackageArn: string, requestedBy: string): string {
  return JSON.stringify(routeInput(route, endpointName, modelPackageArn, requestedBy));
}

const policyOf = (route: Route): QueuePolicy => ({ onNewerApproval: route.onNewerApproval ?? 'queue', allowDowngrade: route.allowDowngrade ?? false });
const clients = { dynamo, sfn };

/** The approval's time: the registry's LastModifiedTime, else when EventBridge received the event. */
const decidedAt = (event: ModelPackageEvent) => event.detail.LastModifiedTime ?? event.time ?? new Date().toISOString();

/**
 * Approved: promote that version, or queue it behind the promotion in flight (the latest approval
 * wins; `onNewerApproval: "supersede"` also rolls the running one back), or refuse a downgrade.
 * Which versions count as a downgrade: older than the version the endpoint serves (liveVersion).
 */
async function approved(endpointName: string, route: Route, event: ModelPackageEvent): Promise<EndpointResult> {
  const d = event.detail;
  const requestedBy = `model-registry:approved:${d.ModelPackageGroupName}/${d.ModelPackageVersion}`;
  const approval: Approval = { executionName: approvalExecutionName(endpointName, event, 'approved'), modelPackageArn: d.ModelPackageArn, version: d.ModelPackageVersion, approvedAt: decidedAt(event), requestedBy };
  const input = promotionInput(endpointName, route, d.ModelPackageArn, requestedBy);
  const live = await liveVersion(endpointName);
  const admitted = await admit(clients, requiredEnv(ENV.tableName), requiredEnv(ENV.stateMachineArn), { endpointName, group: d.ModelPackageGroupName, approval, input, live, policy: policyOf(route) });
  logger.info('approval admitted', { endpointName, ...admitted });
  return { endpointName, status: admitted.status, executionName: admitted.executionName, modelPackageArn: d.ModelPackageArn, note: admitted.note };
}

/**
 * Rejected: a promotion of that version in flight rolls back at once (PromotionAborted, the same path
 * as an alarm or `bluegreen rollback`); a queued approval of it leaves the queue; an endpoint serving
 * it moves to the group's latest other approved version — the registry's own decision, so it is
 * never refused as a downgrade.
 */
async function rejected(endpointName: string, route: Route, event: ModelPackageEvent): Promise<EndpointResult[]> {
  const d = event.detail;
  const tableName = requiredEnv(ENV.tableName);
  const [lock, queued, live] = await Promise.all([readLock(dynamo, tableName, endpointName), readQueued(dynamo, tableName, endpointName), liveVersion(endpointName)]);
  const at = decidedAt(event);
  const decision = decideRejection({ group: d.ModelPackageGroupName, version: d.ModelPackageVersion, modelPackageArn: d.ModelPackageArn, rejectedAt: at, live, inFlight: lock, queued });
  const results: EndpointResult[] = [];
  if (decision.abortReason && lock) {
    const result = await requestAbort(clients, tableName, lock, { error: 'PromotionAborted', reason: decision.abortReason, at: new Date().toISOString() });
    logger.warn('rejected version in flight: rollback requested', { endpointName, promotionId: lock.promotionId, result });
    results.push({ endpointName, status: 'aborted', executionName: lock.promotionId, modelPackageArn: lock.modelPackageArn, note: `${result}: ${decision.abortReason}` });
  }
  if (decision.unqueueReason && queued && (await removeQueued(dynamo, tableName, endpointName, queued.executionName))) {
    await putApprovalRow(dynamo, tableName, queuedRow(queued, { outcome: 'superseded', reason: decision.unqueueReason, supersededBy: `the rejection of version ${d.ModelPackageVersion}` }));
    results.push({ endpointName, status: 'unqueued', executionName: queued.executionName, modelPackageArn: queued.modelPackageArn, note: decision.unqueueReason });
  }
  if (decision.fallback) results.push(await fallBack(endpointName, route, event));
  if (results.length === 0) results.push({ endpointName, status: 'ignored', note: `version ${d.ModelPackageVersion} is neither served, promoted nor queued here` });
  return results;
}

async function fallBack(endpointName: string, route: Route, event: ModelPackageEvent): Promise<EndpointResult> {
  const d = event.detail;
  const arn = (await latestApprovedOtherThan(sagemaker, d.ModelPackageGroupName, d.ModelPackageVersion))?.modelPackageArn;
  if (!arn) {
    logger.warn('live version rejected but no other approved version to move back to', { endpointName, version: d.ModelPackageVersion });
    return { endpointName, status: 'ignored', note: `version ${d.ModelPackageVersion} was rejected but no other version is approved to move back to` };
  }
  const requestedBy = `model-registry:rejected:${d.ModelPackageGroupName}/${d.ModelPackageVersion}`;
  const approval: Approval = { executionName: approvalExecutionName(endpointName, event, 'rejected'), modelPackageArn: arn, version: versionOf(arn) ?? 0, approvedAt: decidedAt(event), requestedBy };
  const admitted = await admit(clients, requiredEnv(ENV.tableName), requiredEnv(ENV.stateMachineArn), {
    endpointName,
    group: d.ModelPackageGroupName,
    approval,
    input: promotionInput(endpointName, route, arn, requestedBy),
    policy: policyOf(route),
  });
  return { endpointName, status: admitted.status, executionName: admitted.executionName, modelPackageArn: arn, note: admitted.note };
}

/**
 * EventBridge target of "SageMaker Model Package State Change" for the configured groups.
 * Approved → promote (or queue) that version on every mapped endpoint; Rejected → roll back a
 * promotion of it, unqueue it, or move an endpoint serving it back to the latest other approved
 * version (what the SageMaker Projects templates do). PendingManualApproval → nothing.
 */
export const handler = step(
  'on-approval',
  (e: unknown) => ({ endpointName: undefined, promotionId: (e as { id?: string } | null)?.id }),
  async (raw: unknown): Promise<ApprovalResult> => {
    const parsed = modelPackageEventSchema.safeParse(raw);
    if (!parsed.success) throw new InvalidPromotionInput(`not a SageMaker Model Package State Change event: ${describeIssues(parsed.error)}`);
    const event: ModelPackageEvent = parsed.data;
    const d = event.detail;
    const route = routesSchema.parse(functionConfig().approvalRoutes)[d.ModelPackageGroupName];
    if (!route) return { action: 'ignored', executions: [], note: `group ${d.ModelPackageGroupName} is not configured` };
    if (d.ModelApprovalStatus === 'PendingManualApproval') return { action: 'ignored', executions: [], note: 'pending approval: nothing to do' };

    const executions: EndpointResult[] = [];
    for (const endpointName of route.endpoints) {
      if (d.ModelApprovalStatus === 'Approved') executions.push(await approved(endpointName, route, event));
      else executions.push(...(await rejected(endpointName, route, event)));
    }
    const action = PRECEDENCE.find((s) => executions.some((e) => e.status === s)) ?? 'ignored';
    return { action, executions };
  },
);
