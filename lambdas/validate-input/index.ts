import { DescribeEndpointConfigCommand, DescribeModelPackageCommand, type DescribeModelPackageOutput } from '@aws-sdk/client-sagemaker';
import { missingAlarms } from '../shared/alarms';
import { cloudwatch } from '../shared/clients/cloudwatch';
import { dynamo } from '../shared/clients/dynamo';
import { sagemaker } from '../shared/clients/sagemaker';
import type { Promotion, ValidateInputEvent } from '../shared/contracts';
import { MAX_ROLLBACK_ALARMS, unsupportedReasons } from '../shared/decisions';
import { InvalidPromotionInput, ModelPackageNotDeployable, PromotionInProgress, UnsupportedEndpoint } from '../shared/errors';
import { describeEndpointIfExists } from '../shared/sagemaker';
import { step } from '../shared/handler';
import { DEFAULT_EXTEND_SECONDS, describeIssues, modelPackageParts, promotionInputSchema, type PromotionInput } from '../shared/input';
import { longestBakeSeconds, type BakeTrafficGuard } from '../shared/detection';
import { resolveApproval, type ApprovalGate } from '../shared/approval';
import { executionFitProblems, inputSizeProblem, packageLocationProblem, stackLocationOf } from '../shared/limits';
import { promotionInProgressMessage, readLock } from '../shared/locks';
import { greenNames } from '../shared/naming';
import { recordRefusal, refusedRow } from '../shared/refusal';
import { endpointAllowed, settings, type Settings } from '../shared/settings';

/** What the input leaves to the stack's defaults, resolved once. */
interface Resolved {
  strategy: Promotion['strategy'];
  traffic: Promotion['traffic'];
  bakeSeconds: number;
  inServiceSeconds: number;
  alarmNames: string[];
  bakeTraffic?: BakeTrafficGuard;
  approval?: ApprovalGate;
}

function resolve(s: Settings, input: PromotionInput): Resolved {
  return {
    strategy: input.strategy ?? s.defaultStrategy,
    traffic: input.traffic ?? { type: 'ALL_AT_ONCE' },
    bakeSeconds: input.bakeSeconds ?? s.defaultBakeSeconds,
    inServiceSeconds: input.deadlines?.inServiceSeconds ?? s.defaultInServiceSeconds,
    alarmNames: [...new Set([...s.defaultAlarmNames, ...(input.guardrailAlarmNames ?? [])])],
    bakeTraffic: input.bakeTraffic
      ? { minInvocations: input.bakeTraffic.minInvocations, onTooLittleTraffic: input.bakeTraffic.onTooLittleTraffic ?? 'rollback', extendSeconds: input.bakeTraffic.extendSeconds ?? DEFAULT_EXTEND_SECONDS }
      : s.defaultBakeTraffic,
    approval: resolveApproval(s.defaultApproval, input.approval),
  };
}

/** The schema and Step Functions' payload quota: what the input is, before anything is read. */
function parseInput(raw: unknown): PromotionInput {
  const parsed = promotionInputSchema.safeParse(raw);
  const size = inputSizeProblem(raw);
  const problems = [...(parsed.success ? [] : [describeIssues(parsed.error)]), ...(size ? [`(input): ${size}`] : [])];
  if (problems.length > 0 || !parsed.success) throw new InvalidPromotionInput(problems.join('; '));
  return parsed.data;
}

/**
 * A busy endpoint answers PromotionInProgress before anything about its shape is checked, and the
 * refused start is recorded (AcquireLock stays the atomic guarantee against two starts at once).
 */
async function refuseIfBusy(tableName: string, input: PromotionInput, event: ValidateInputEvent): Promise<void> {
  const holder = await readLock(dynamo, tableName, input.endpointName);
  if (!holder || holder.promotionId === event.executionName) return;
  const reason = promotionInProgressMessage(input.endpointName, holder);
  const start = {
    id: event.executionName,
    executionArn: event.executionArn,
    endpointName: input.endpointName,
    modelPackageArn: input.modelPackageArn,
    startedAt: event.startTime,
    requestedBy: input.requestedBy ?? 'unknown',
  };
  await recordRefusal(dynamo, tableName, refusedRow(start, holder, reason, new Date().toISOString()));
  throw new PromotionInProgress(reason);
}

/** Every problem the input has against the stack's settings and limits, each naming its field (no call). */
function inputProblems(s: Settings, input: PromotionInput, r: Resolved, executionArn: string): string[] {
  const problems: string[] = [];
  const pkg = modelPackageParts(input.modelPackageArn);
  if (!endpointAllowed(s, input.endpointName)) {
    const allowed = [...s.allowedEndpointNames, ...(s.allowedEndpointPrefix ? [`${s.allowedEndpointPrefix}*`] : [])].join(', ') || 'none';
    problems.push(`endpointName: ${input.endpointName} is not managed by this stack (allowed: ${allowed}); add it to the construct's endpointNames or endpointNamePrefix`);
  }
  const location = packageLocationProblem(input.modelPackageArn, stackLocationOf(executionArn));
  if (location) problems.push(`modelPackageArn: ${location}`);
  if (s.allowedModelPackageGroups.length > 0 && !s.allowedModelPackageGroups.includes(pkg.group)) {
    problems.push(`modelPackageArn: group ${pkg.group} is not one of this stack's model package groups (${s.allowedModelPackageGroups.join(', ')})`);
  }
  if (input.executionRoleArn && s.allowedRoleArns.length > 0 && !s.allowedRoleArns.includes(input.executionRoleArn)) {
    problems.push(`executionRoleArn: ${input.executionRoleArn} is not one of the model execution roles this stack may pass (${s.allowedRoleArns.join(', ')})`);
  }
  for (const [i, sample] of (input.validation?.samples ?? []).entries()) {
    const bucket = sample.s3Uri ? /^s3:\/\/([^/]+)\//.exec(sample.s3Uri)?.[1] : undefined;
    if (bucket !== undefined && !s.validationPayloadBuckets.includes(bucket)) {
      problems.push(
        `validation.samples.${i}.s3Uri: bucket ${bucket} is not one this stack may read (${s.validationPayloadBuckets.join(', ') || 'none configured'}); add it to validationPayloadBucketNames or send the body inline`,
      );
    }
  }
  if (input.traffic !== undefined && r.strategy !== 'guardrails') {
    problems.push(`traffic: SageMaker's traffic routing applies to the guardrails strategy, not ${r.strategy}; remove traffic or use strategy guardrails`);
  }
  const ownAlarms = (input.greenAlarms?.enabled ?? s.greenAlarmDefaults.enabled) ? 3 : 1;
  if (r.strategy === 'guardrails' && r.alarmNames.length + ownAlarms > MAX_ROLLBACK_ALARMS) {
    problems.push(
      `guardrailAlarmNames: SageMaker's auto-rollback takes at most ${MAX_ROLLBACK_ALARMS} alarms (API_AutoRollbackConfig) and the guardrails strategy adds ${ownAlarms} of its own; name at most ${MAX_ROLLBACK_ALARMS - ownAlarms} (stack defaults included), or combine them in a composite alarm`,
    );
  }
  // An extended bake must fit too: the longest it can run, every extension used.
  const plan = { strategy: r.strategy, traffic: r.traffic, bakeSeconds: longestBakeSeconds(r.bakeSeconds, r.bakeTraffic), inServiceSeconds: r.inServiceSeconds, pollSeconds: s.pollSeconds, eventDriven: s.endpointEvents, approvalSeconds: r.approval?.timeoutSeconds };
  problems.push(...executionFitProblems(plan, s.executionTimeoutSeconds).map((p) => p.message));
  return problems;
}

/** An endpoint this workflow cannot promote onto is refused before the lock (read-only). */
async function refuseUnsupportedEndpoint(input: PromotionInput, r: Resolved): Promise<void> {
  const endpoint = await describeEndpointIfExists(input.endpointName);
  if (!endpoint?.EndpointConfigName) return;
  const config = await sagemaker.send(new DescribeEndpointConfigCommand({ EndpointConfigName: endpoint.EndpointConfigName }));
  const reasons = unsupportedReasons(config, r.strategy);
  if (reasons.length > 0) throw new UnsupportedEndpoint(`endpointName: ${input.endpointName}: ${reasons.join('; ')}`);
  const instances = endpoint.ProductionVariants?.[0]?.CurrentInstanceCount ?? 1;
  if (r.strategy === 'guardrails' && r.traffic.type !== 'ALL_AT_ONCE' && instances < 2) {
    throw new InvalidPromotionInput(
      `traffic: ${r.traffic.type} needs at least 2 instances (a canary or linear step is at most 50% of them, deployment-guardrails-blue-green-canary) and ${input.endpointName} runs ${instances}; use ALL_AT_ONCE or scale blue out first`,
    );
  }
}

async function requireApprovedPackage(modelPackageArn: string): Promise<void> {
  let described: DescribeModelPackageOutput;
  try {
    described = await sagemaker.send(new DescribeModelPackageCommand({ ModelPackageName: modelPackageArn }));
  } catch (error) {
    if (error instanceof Error && error.name === 'ValidationException') {
      throw new InvalidPromotionInput(`modelPackageArn: ${modelPackageArn} cannot be described: ${error.message}`, { cause: error });
    }
    throw error;
  }
  if (described.ModelApprovalStatus !== 'Approved') {
    throw new ModelPackageNotDeployable(
      `modelPackageArn: ${modelPackageArn} is ${described.ModelApprovalStatus ?? 'without approval status'}; only Approved model packages are deployed (approve it in the Model Registry first)`,
    );
  }
}

async function requireAlarms(alarmNames: string[]): Promise<void> {
  if (alarmNames.length === 0) return;
  const missing = await missingAlarms(cloudwatch, alarmNames);
  if (missing.length > 0) {
    throw new InvalidPromotionInput(`guardrailAlarmNames: no CloudWatch alarm named ${missing.join(', ')}; create it or remove it from the input/stack defaults`);
  }
}

function promotionOf(s: Settings, input: PromotionInput, r: Resolved, event: ValidateInputEvent): Promotion {
  const pkg = modelPackageParts(input.modelPackageArn);
  const greenAlarms = { ...s.greenAlarmDefaults, ...input.greenAlarms };
  return {
    id: event.executionName,
    executionArn: event.executionArn,
    endpointName: input.endpointName,
    modelPackageArn: input.modelPackageArn,
    modelPackageGroup: pkg.group,
    modelPackageVersion: pkg.version,
    startedAt: event.startTime,
    requestedBy: input.requestedBy ?? 'unknown',
    strategy: r.strategy,
    traffic: r.traffic,
    bakeSeconds: r.bakeSeconds,
    pollSeconds: s.pollSeconds,
    inServicePolls: Math.max(1, Math.ceil(r.inServiceSeconds / s.pollSeconds)),
    endpointEvents: s.endpointEvents,
    executionRoleArn: input.executionRoleArn,
    instanceType: input.instanceType,
    initialInstanceCount: input.initialInstanceCount,
    validation: {
      mode: input.validation?.mode ?? 'endpoint',
      contentType: input.validation?.contentType ?? 'application/json',
      accept: input.validation?.accept,
      maxLatencyMs: input.validation?.maxLatencyMs ?? s.defaultMaxLatencyMs,
      samples: input.validation?.samples ?? [],
    },
    guardrailAlarmNames: r.alarmNames,
    greenAlarms: {
      enabled: greenAlarms.enabled ?? true,
      max5xxErrors: greenAlarms.max5xxErrors ?? 0,
      maxModelLatencyMs: greenAlarms.maxModelLatencyMs ?? 1000,
    },
    bakeTraffic: r.bakeTraffic,
    approval: r.approval,
    names: greenNames(input.endpointName, pkg.version, event.executionName),
  };
}

/**
 * First state: rejects a bad input before anything is created or locked, in this order: the
 * input itself (schema, size), a busy endpoint (PromotionInProgress, recorded as `refused`), the
 * stack's settings and limits (every problem at once, each naming its field; the stack's account
 * and region come from this execution's ARN), then what only SageMaker and CloudWatch can tell
 * (the endpoint's shape, the package's approval, the alarms). Reads only, but for the refused row.
 */
export const handler = step(
  'validate-input',
  (e: ValidateInputEvent) => ({ endpointName: (e.input as { endpointName?: string } | null)?.endpointName, promotionId: e.executionName }),
  async (event): Promise<Promotion> => {
    const s = settings();
    const input = parseInput(event.input);
    await refuseIfBusy(s.tableName, input, event);
    const r = resolve(s, input);
    const problems = inputProblems(s, input, r, event.executionArn);
    if (problems.length > 0) throw new InvalidPromotionInput(problems.join('; '));
    await refuseUnsupportedEndpoint(input, r);
    await requireApprovedPackage(input.modelPackageArn);
    await requireAlarms(r.alarmNames);
    return promotionOf(s, input, r, event);
  },
);
