import { DescribeEndpointConfigCommand, DescribeModelPackageCommand, type DescribeModelPackageOutput } from '@aws-sdk/client-sagemaker';
import { missingAlarms } from '../shared/alarms';
import { cloudwatch } from '../shared/clients/cloudwatch';
import { sagemaker } from '../shared/clients/sagemaker';
import type { Promotion, ValidateInputEvent } from '../shared/contracts';
import { MAX_ROLLBACK_ALARMS, unsupportedReasons } from '../shared/decisions';
import { InvalidPromotionInput, ModelPackageNotDeployable, UnsupportedEndpoint } from '../shared/errors';
import { describeEndpointIfExists } from '../shared/sagemaker';
import { step } from '../shared/handler';
import { describeIssues, modelPackageParts, promotionInputSchema } from '../shared/input';
import { greenNames } from '../shared/naming';
import { endpointAllowed, settings } from '../shared/settings';
import { executionProblems } from '../shared/waits';

/**
 * First state: rejects a bad input before anything is created or locked. Only reads
 * (DescribeModelPackage, DescribeAlarms); every problem found is reported at once,
 * each naming its field.
 */
export const handler = step(
  'validate-input',
  (e: ValidateInputEvent) => ({ endpointName: (e.input as { endpointName?: string } | null)?.endpointName, promotionId: e.executionName }),
  async (event): Promise<Promotion> => {
    const s = settings();
    const parsed = promotionInputSchema.safeParse(event.input);
    if (!parsed.success) throw new InvalidPromotionInput(describeIssues(parsed.error));
    const input = parsed.data;
    const pkg = modelPackageParts(input.modelPackageArn);
    const problems: string[] = [];

    if (!endpointAllowed(s, input.endpointName)) {
      const allowed = [...s.allowedEndpointNames, ...(s.allowedEndpointPrefix ? [`${s.allowedEndpointPrefix}*`] : [])].join(', ') || 'none';
      problems.push(`endpointName: ${input.endpointName} is not managed by this stack (allowed: ${allowed}); add it to the construct's endpointNames or endpointNamePrefix`);
    }
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
    const strategy = input.strategy ?? s.defaultStrategy;
    if (input.traffic !== undefined && strategy !== 'guardrails') {
      problems.push(`traffic: SageMaker's traffic routing applies to the guardrails strategy, not ${strategy}; remove traffic or use strategy guardrails`);
    }
    const alarmNames = [...new Set([...s.defaultAlarmNames, ...(input.guardrailAlarmNames ?? [])])];
    const ownAlarms = (input.greenAlarms?.enabled ?? s.greenAlarmDefaults.enabled) ? 3 : 1;
    if (strategy === 'guardrails' && alarmNames.length + ownAlarms > MAX_ROLLBACK_ALARMS) {
      problems.push(
        `guardrailAlarmNames: SageMaker's auto-rollback takes at most ${MAX_ROLLBACK_ALARMS} alarms (API_AutoRollbackConfig) and the guardrails strategy adds ${ownAlarms} of its own; name at most ${MAX_ROLLBACK_ALARMS - ownAlarms} (stack defaults included), or combine them in a composite alarm`,
      );
    }
    const bakeSeconds = input.bakeSeconds ?? s.defaultBakeSeconds;
    const inServiceSeconds = input.deadlines?.inServiceSeconds ?? s.defaultInServiceSeconds;
    const traffic = input.traffic ?? { type: 'ALL_AT_ONCE' as const };
    const plan = { strategy, traffic, bakeSeconds, inServiceSeconds, pollSeconds: s.pollSeconds, eventDriven: s.endpointEvents };
    for (const problem of executionProblems(plan, s.executionTimeoutSeconds)) {
      problems.push(`${problem.limit === 'time' ? 'bakeSeconds, deadlines.inServiceSeconds' : 'deadlines.inServiceSeconds'}: ${problem.message}`);
    }
    if (problems.length > 0) throw new InvalidPromotionInput(problems.join('; '));

    // An endpoint this workflow cannot promote onto is refused here, before the lock (read-only).
    const endpoint = await describeEndpointIfExists(input.endpointName);
    if (endpoint?.EndpointConfigName) {
      const config = await sagemaker.send(new DescribeEndpointConfigCommand({ EndpointConfigName: endpoint.EndpointConfigName }));
      const reasons = unsupportedReasons(config, strategy);
      if (reasons.length > 0) throw new UnsupportedEndpoint(`endpointName: ${input.endpointName}: ${reasons.join('; ')}`);
      const instances = endpoint.ProductionVariants?.[0]?.CurrentInstanceCount ?? 1;
      if (strategy === 'guardrails' && traffic.type !== 'ALL_AT_ONCE' && instances < 2) {
        throw new InvalidPromotionInput(
          `traffic: ${traffic.type} needs at least 2 instances (a canary or linear step is at most 50% of them, deployment-guardrails-blue-green-canary) and ${input.endpointName} runs ${instances}; use ALL_AT_ONCE or scale blue out first`,
        );
      }
    }

    let described: DescribeModelPackageOutput;
    try {
      described = await sagemaker.send(new DescribeModelPackageCommand({ ModelPackageName: input.modelPackageArn }));
    } catch (error) {
      if (error instanceof Error && error.name === 'ValidationException') {
        throw new InvalidPromotionInput(`modelPackageArn: ${input.modelPackageArn} cannot be described: ${error.message}`, { cause: error });
      }
      throw error;
    }
    if (described.ModelApprovalStatus !== 'Approved') {
      throw new ModelPackageNotDeployable(
        `modelPackageArn: ${input.modelPackageArn} is ${described.ModelApprovalStatus ?? 'without approval status'}; only Approved model packages are deployed (approve it in the Model Registry first)`,
      );
    }

    if (alarmNames.length > 0) {
      const missing = await missingAlarms(cloudwatch, alarmNames);
      if (missing.length > 0) {
        throw new InvalidPromotionInput(`guardrailAlarmNames: no CloudWatch alarm named ${missing.join(', ')}; create it or remove it from the input/stack defaults`);
      }
    }

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
      strategy,
      traffic,
      bakeSeconds,
      pollSeconds: s.pollSeconds,
      inServicePolls: Math.max(1, Math.ceil(inServiceSeconds / s.pollSeconds)),
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
      guardrailAlarmNames: alarmNames,
      greenAlarms: {
        enabled: greenAlarms.enabled ?? true,
        max5xxErrors: greenAlarms.max5xxErrors ?? 0,
        maxModelLatencyMs: greenAlarms.maxModelLatencyMs ?? 1000,
      },
      names: greenNames(input.endpointName, pkg.version, event.executionName),
    };
  },
);
