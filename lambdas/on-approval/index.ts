import { DescribeEndpointConfigCommand, DescribeModelCommand, ListModelPackagesCommand } from '@aws-sdk/client-sagemaker';
import { DescribeExecutionCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { sagemaker } from '../shared/clients/sagemaker';
import { sfn } from '../shared/clients/sfn';
import { InvalidPromotionInput } from '../shared/errors';
import { step } from '../shared/handler';
import { executionArnOf, packageArnOf, versionOf } from '../shared/arns';
import { describeIssues, type PromotionInput } from '../shared/input';
import { logger } from '../shared/powertools';
import { describeEndpointIfExists } from '../shared/sagemaker';
import { jsonEnv, requiredEnv } from '../shared/env';
import { approvalExecutionName, modelPackageEventSchema, routesSchema, type ModelPackageEvent, type Route } from '../shared/triggers';

export interface ApprovalResult {
  action: 'started' | 'duplicate' | 'ignored';
  executions: Array<{ endpointName: string; executionName: string; modelPackageArn: string; status: 'started' | 'duplicate' }>;
  note?: string;
}

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

async function latestApprovedOtherThan(group: string, version: number): Promise<string | undefined> {
  let token: string | undefined;
  let best: { arn: string; version: number } | undefined;
  do {
    const page = await sagemaker.send(new ListModelPackagesCommand({ ModelPackageGroupName: group, ModelApprovalStatus: 'Approved', NextToken: token, MaxResults: 100 }));
    for (const p of page.ModelPackageSummaryList ?? []) {
      const v = p.ModelPackageVersion ?? 0;
      if (v !== version && p.ModelPackageArn && (!best || v > best.version)) best = { arn: p.ModelPackageArn, version: v };
    }
    token = page.NextToken;
  } while (token);
  return best?.arn;
}

async function start(endpointName: string, route: Route, modelPackageArn: string, name: string, requestedBy: string) {
  const input: PromotionInput = {
    endpointName,
    modelPackageArn,
    strategy: route.strategy,
    traffic: route.traffic,
    bakeSeconds: route.bakeSeconds,
    guardrailAlarmNames: route.guardrailAlarmNames,
    validation: route.validation,
    greenAlarms: route.greenAlarms,
    requestedBy,
  };
  const stateMachineArn = requiredEnv('STATE_MACHINE_ARN');
  // StartExecution is idempotent while the first execution runs (same name and input: same
  // execution, no error), so look first to report a duplicate as one.
  try {
    await sfn.send(new DescribeExecutionCommand({ executionArn: executionArnOf(stateMachineArn, name) }));
    logger.info('duplicate approval event: promotion already started', { endpointName, executionName: name });
    return 'duplicate' as const;
  } catch (error) {
    if (!(error instanceof Error && error.name === 'ExecutionDoesNotExist')) throw error;
  }
  try {
    await sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }));
    logger.info('promotion started', { endpointName, executionName: name, modelPackageArn });
    return 'started' as const;
  } catch (error) {
    // SageMaker may deliver an event more than once: the second start of the same name is a duplicate, not an error.
    if (error instanceof Error && error.name === 'ExecutionAlreadyExists') {
      logger.info('duplicate approval event: promotion already started', { endpointName, executionName: name });
      return 'duplicate' as const;
    }
    throw error;
  }
}

/**
 * EventBridge target of "SageMaker Model Package State Change" for the configured groups.
 * Approved → promote that version onto every mapped endpoint. Rejected → if an endpoint
 * runs the rejected version, promote the group's latest other Approved version (what the
 * SageMaker Projects templates do). PendingManualApproval → nothing.
 */
export const handler = step(
  'on-approval',
  (e: unknown) => ({ endpointName: undefined, promotionId: (e as { id?: string } | null)?.id }),
  async (raw: unknown): Promise<ApprovalResult> => {
    const parsed = modelPackageEventSchema.safeParse(raw);
    if (!parsed.success) throw new InvalidPromotionInput(`not a SageMaker Model Package State Change event: ${describeIssues(parsed.error)}`);
    const event: ModelPackageEvent = parsed.data;
    const d = event.detail;
    const route = routesSchema.parse(jsonEnv('APPROVAL_ROUTES', {}))[d.ModelPackageGroupName];
    if (!route) return { action: 'ignored', executions: [], note: `group ${d.ModelPackageGroupName} is not configured` };
    if (d.ModelApprovalStatus === 'PendingManualApproval') return { action: 'ignored', executions: [], note: 'pending approval: nothing to do' };

    const executions: ApprovalResult['executions'] = [];
    for (const endpointName of route.endpoints) {
      let arn = d.ModelPackageArn;
      if (d.ModelApprovalStatus === 'Rejected') {
        if ((await liveVersion(endpointName)) !== d.ModelPackageVersion) continue;
        const fallback = await latestApprovedOtherThan(d.ModelPackageGroupName, d.ModelPackageVersion);
        if (!fallback) {
          logger.warn('live version rejected but no other approved version to move back to', { endpointName, version: d.ModelPackageVersion });
          continue;
        }
        arn = fallback;
      }
      const reason = d.ModelApprovalStatus === 'Approved' ? 'approved' : 'rejected';
      const name = approvalExecutionName(endpointName, event, reason);
      const status = await start(endpointName, route, arn, name, `model-registry:${reason}:${d.ModelPackageGroupName}/${d.ModelPackageVersion}`);
      executions.push({ endpointName, executionName: name, modelPackageArn: arn, status });
    }
    const action = executions.some((e) => e.status === 'started') ? 'started' : executions.length > 0 ? 'duplicate' : 'ignored';
    return { action, executions };
  },
);
