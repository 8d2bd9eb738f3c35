import { DescribeEndpointConfigCommand, DescribeModelPackageCommand, type DescribeEndpointConfigOutput, type DescribeModelPackageOutput } from '@aws-sdk/client-sagemaker';
import { missingAlarms } from '../shared/alarms';
import { cloudwatch } from '../shared/clients/cloudwatch';
import { dynamo } from '../shared/clients/dynamo';
import { sagemaker } from '../shared/clients/sagemaker';
import type { Promotion, ValidateInputEvent } from '../shared/contracts';
import { MAX_ROLLBACK_ALARMS, unsupportedReasons } from '../shared/decisions';
import { InvalidPromotionInput, ModelPackageNotDeployable, PromotionInProgress, UnsupportedEndpoint } from '../shared/errors';
import { describeEndpointIfExists } from '../shared/sagemaker';
import { step } from '../shared/handler';
import { DEFAULT_ASYNC_OUTPUT_SECONDS, DEFAULT_EXTEND_SECONDS, describeIssues, modelPackageParts, promotionInputSchema, type PromotionInput } from '../shared/input';
import { longestBakeSeconds, type BakeTrafficGuard } from '../shared/detection';
import { resolveApproval, type ApprovalGate } from '../shared/approval';
import { executionFitProblems, inputSizeProblem, packageLocationProblem, stackLocationOf } from '../shared/limits';
import { promotionInProgressMessage, readLock } from '../shared/locks';
import { greenNames } from '../shared/naming';
import { chooseStrategy, endpointKindOf, kindPhrase, sageMakerWatchesAlarms, targetVariant, type EndpointKind } from '../shared/kinds';
import { targetComponent } from '../shared/components';
import { MAX_ROLLING_TIMEOUT_SECONDS, rollingPlan, rollingReason, rollingSeconds } from '../shared/component-decisions';
import { coldStartAlarmProblem } from '../shared/serverless';
import { s3BucketOf } from '../shared/async-validation';
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

/** Problems of the strategy with the input: traffic routing, SageMaker's alarm limit, the execution timeout. */
function strategyProblems(s: Settings, input: PromotionInput, r: Resolved): string[] {
  const problems: string[] = [];
  if (input.traffic !== undefined && r.strategy !== 'guardrails') {
    problems.push(`traffic: SageMaker's traffic routing applies to the guardrails strategy, not ${r.strategy}; remove traffic or use strategy guardrails`);
  }
  if (input.rollingUpdate !== undefined && r.strategy !== 'component') {
    problems.push(`rollingUpdate: a rolling update of copies applies to the component strategy (inference components), not ${r.strategy}; remove rollingUpdate`);
  }
  const ownAlarms = (input.greenAlarms?.enabled ?? s.greenAlarmDefaults.enabled) ? 3 : 1;
  if (sageMakerWatchesAlarms(r.strategy) && r.alarmNames.length + ownAlarms > MAX_ROLLBACK_ALARMS) {
    problems.push(
      `guardrailAlarmNames: SageMaker's auto-rollback takes at most ${MAX_ROLLBACK_ALARMS} alarms (API_AutoRollbackConfig) and the ${r.strategy} strategy adds ${ownAlarms} of its own; name at most ${MAX_ROLLBACK_ALARMS - ownAlarms} (stack defaults included), or combine them in a composite alarm`,
    );
  }
  problems.push(...fitProblems(s, r));
  return problems;
}

/** Can the promotion fit the execution's timeout? An extended bake must fit too: the longest it can run, every extension used. */
function fitProblems(s: Settings, r: Resolved): string[] {
  const plan = { strategy: r.strategy, traffic: r.traffic, bakeSeconds: longestBakeSeconds(r.bakeSeconds, r.bakeTraffic), inServiceSeconds: r.inServiceSeconds, pollSeconds: s.pollSeconds, eventDriven: s.endpointEvents && r.strategy !== 'component', approvalSeconds: r.approval?.timeoutSeconds };
  return executionFitProblems(plan, s.executionTimeoutSeconds).map((p) => p.message);
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
    const bucket = sample.s3Uri ? s3BucketOf(sample.s3Uri) : undefined;
    if (bucket !== undefined && !s.validationPayloadBuckets.includes(bucket)) {
      problems.push(
        `validation.samples.${i}.s3Uri: bucket ${bucket} is not one this stack may read (${s.validationPayloadBuckets.join(', ') || 'none configured'}); add it to validationPayloadBucketNames or send the body inline`,
      );
    }
  }
  // A strategy the input names is checked now; without one, the endpoint's kind chooses it (targetOf), and the
  // fields that depend on it are checked then. Whether the execution can fit is known now either way.
  problems.push(...(input.strategy !== undefined ? strategyProblems(s, input, r) : fitProblems(s, r)));
  return problems;
}

/**
 * Asynchronous endpoints answer into S3: the validation writes its samples and reads green's answers
 * under blue's output path, which the stack may do only in the buckets it was given.
 */
function asyncOutputBucketProblem(s: Settings, kind: EndpointKind, config: DescribeEndpointConfigOutput, input: PromotionInput): string | undefined {
  if (kind !== 'asynchronous' || (input.validation?.samples ?? []).length === 0) return undefined;
  const out = config.AsyncInferenceConfig?.OutputConfig;
  // Answers go to S3OutputPath, failures to S3FailurePath: the validation reads (then deletes) both.
  const paths = [out?.S3OutputPath ?? '', ...(out?.S3FailurePath ? [out.S3FailurePath] : [])];
  const outside = paths.filter((path) => !s.asyncOutputBuckets.includes(s3BucketOf(path) ?? ''));
  if (outside.length === 0) return undefined;
  const buckets = outside.map((path) => s3BucketOf(path) ?? '?');
  return `validation.samples: ${input.endpointName} is asynchronous and answers into ${outside.map((p) => p || 'an S3 output path it does not name').join(' and ')}; the stack may not write or read bucket ${[...new Set(buckets)].join(', ')} (asyncOutputBucketNames: ${s.asyncOutputBuckets.join(', ') || 'none'}); add it to the construct's asyncOutputBucketNames, or promote without samples`;
}

/**
 * A component's rolling update must be able to finish: its batches' baking within SageMaker's
 * MaximumExecutionTimeoutInSeconds (at most 28800, API_InferenceComponentRollingUpdatePolicy) beside
 * the copies' provisioning, and within the execution with the bake; a component of one copy cannot
 * roll, so the rolling fields would be ignored.
 */
function rollingProblems(s: Settings, input: PromotionInput, r: Resolved, { name, copies }: { name: string; copies: number }): string[] {
  const rolling = input.rollingUpdate;
  const plan = rollingPlan(copies, rolling);
  if (!plan) {
    const ignored = (['waitSeconds', 'rollbackMaximumBatchCopies'] as const).filter((f) => rolling?.[f] !== undefined);
    return ignored.map((f) => `rollingUpdate.${f}: ${name} runs ${copies} cop${copies === 1 ? 'y' : 'ies'}, which cannot roll (no whole batch is 5–50% of them): it is replaced at once; remove ${f}`);
  }
  const seconds = rollingSeconds(copies, rolling);
  if (seconds + r.inServiceSeconds > MAX_ROLLING_TIMEOUT_SECONDS) {
    return [
      `rollingUpdate: ${copies} copies in batches of ${plan.batchCopies}, each baked ${plan.waitSeconds} s, take ${seconds} s plus up to ${r.inServiceSeconds} s of provisioning, beyond SageMaker's ${MAX_ROLLING_TIMEOUT_SECONDS} s MaximumExecutionTimeoutInSeconds (it would always roll back); raise rollingUpdate.maximumBatchCopies or shorten rollingUpdate.waitSeconds`,
    ];
  }
  // The rolling update's baking comes before the workflow's bake: both must fit the execution.
  return fitProblems(s, { ...r, bakeSeconds: r.bakeSeconds + seconds });
}

/** What the promotion targets on the endpoint, read before the lock. */
interface Target {
  kind: EndpointKind;
  strategyReason: string;
  variantName?: string;
  inferenceComponentName?: string;
}

/**
 * The endpoint's kind chooses the strategy (kinds.ts); an explicit strategy that does not fit, a
 * variant or component that is not there, or an endpoint no strategy can promote is refused before
 * the lock, naming the fix (read-only). `r.strategy` becomes the chosen one.
 */
async function targetOf(s: Settings, input: PromotionInput, r: Resolved): Promise<Target> {
  const endpoint = await describeEndpointIfExists(input.endpointName);
  const config = endpoint?.EndpointConfigName ? await sagemaker.send(new DescribeEndpointConfigCommand({ EndpointConfigName: endpoint.EndpointConfigName })) : undefined;
  const reasons = config ? unsupportedReasons(config) : [];
  if (reasons.length > 0) throw new UnsupportedEndpoint(`endpointName: ${input.endpointName}: ${reasons.join('; ')}`);
  // A first deployment creates a single-variant real-time endpoint.
  const kind = config ? endpointKindOf(config) : 'real-time';
  if (input.validation?.asyncOutputSeconds !== undefined && kind !== 'asynchronous') {
    throw new InvalidPromotionInput(`validation.asyncOutputSeconds: ${input.endpointName} is ${config ? kindPhrase(kind) : 'not there yet and a first deployment creates a real-time endpoint'}, which answers synchronously; remove asyncOutputSeconds`);
  }
  const choice = chooseStrategy(kind, input.strategy, s.defaultStrategy);
  if ('problem' in choice) throw new InvalidPromotionInput(config ? choice.problem : `${choice.problem} (${input.endpointName} does not exist yet: a first deployment creates one)`);
  if (input.strategy === undefined) {
    r.strategy = choice.strategy;
    const problems = strategyProblems(s, input, r);
    if (problems.length > 0) throw new InvalidPromotionInput(`${problems.join('; ')} (strategy ${r.strategy}: ${choice.why})`);
  }
  if (!endpoint || !config) {
    const named = [...(input.variantName ? ['variantName'] : []), ...(input.inferenceComponentName ? ['inferenceComponentName'] : [])];
    if (named.length > 0) {
      throw new InvalidPromotionInput(`${named.join(', ')}: endpoint ${input.endpointName} does not exist yet, so there is nothing of it to target; a first deployment creates a single-variant real-time endpoint: remove ${named.join(' and ')}`);
    }
    return { kind, strategyReason: `a first deployment: CreateEndpoint of a single-variant real-time endpoint (strategy ${r.strategy} for the promotions after it)` };
  }
  if (kind === 'inference-component') {
    if (input.variantName !== undefined) {
      throw new InvalidPromotionInput(`variantName: ${input.endpointName} hosts inference components, which a promotion targets by inferenceComponentName; remove variantName`);
    }
    const component = await targetComponent(input.endpointName, input.inferenceComponentName, input.rollingUpdate);
    const problems = rollingProblems(s, input, r, component);
    if (problems.length > 0) throw new InvalidPromotionInput(problems.join('; '));
    // How the copies are switched (a rolling update, or all at once for one copy): component-decisions.ts.
    return { kind, strategyReason: `${choice.why}; ${rollingReason(component.copies, input.rollingUpdate)}`, inferenceComponentName: component.name };
  }
  if (input.inferenceComponentName !== undefined) {
    throw new InvalidPromotionInput(`inferenceComponentName: ${input.endpointName} is ${kindPhrase(kind)} with no inference components; remove inferenceComponentName`);
  }
  const outputBucket = asyncOutputBucketProblem(s, kind, config, input);
  if (outputBucket) throw new InvalidPromotionInput(outputBucket);
  const target = targetVariant(config, input.endpointName, input.variantName);
  if ('problem' in target) throw new InvalidPromotionInput(target.problem);
  const instances = endpoint.ProductionVariants?.find((v) => v.VariantName === target.variantName)?.CurrentInstanceCount ?? 1;
  if (r.strategy === 'guardrails' && r.traffic.type !== 'ALL_AT_ONCE' && instances < 2) {
    throw new InvalidPromotionInput(
      `traffic: ${r.traffic.type} needs at least 2 instances (a canary or linear step is at most 50% of them, deployment-guardrails-blue-green-canary) and ${input.endpointName} runs ${instances}; use ALL_AT_ONCE or scale blue out first`,
    );
  }
  return { kind, strategyReason: choice.why, variantName: target.variantName };
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

function promotionOf(s: Settings, input: PromotionInput, r: Resolved, event: ValidateInputEvent, target: Target): Promotion {
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
    ...target,
    ...(input.rollingUpdate ? { rollingUpdate: input.rollingUpdate } : {}),
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
      ...(target.kind === 'asynchronous' ? { asyncOutputSeconds: input.validation?.asyncOutputSeconds ?? DEFAULT_ASYNC_OUTPUT_SECONDS } : {}),
      samples: input.validation?.samples ?? [],
    },
    guardrailAlarmNames: r.alarmNames,
    greenAlarms: {
      enabled: greenAlarms.enabled ?? true,
      max5xxErrors: greenAlarms.max5xxErrors ?? 0,
      maxModelLatencyMs: greenAlarms.maxModelLatencyMs ?? 1000,
      ...(greenAlarms.maxModelSetupTimeMs !== undefined ? { maxModelSetupTimeMs: greenAlarms.maxModelSetupTimeMs } : {}),
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
    const target = await targetOf(s, input, r);
    const coldStarts = coldStartAlarmProblem(target.kind, input.endpointName, input.greenAlarms?.maxModelSetupTimeMs);
    if (coldStarts) throw new InvalidPromotionInput(coldStarts);
    await requireApprovedPackage(input.modelPackageArn);
    await requireAlarms(r.alarmNames);
    return promotionOf(s, input, r, event, target);
  },
);
