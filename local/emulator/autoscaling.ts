/**
 * Application Auto Scaling for SageMaker endpoint variants
 * (https://docs.aws.amazon.com/autoscaling/application/APIReference/Welcome.html):
 * RegisterScalableTarget, DeregisterScalableTarget, DescribeScalableTargets, PutScalingPolicy,
 * DescribeScalingPolicies, DeleteScalingPolicy over awsJson1_1
 * (`X-Amz-Target: AnyScaleFrontendService.<Op>`).
 *
 * Only ServiceNamespace `sagemaker` with ScalableDimension `sagemaker:variant:DesiredInstanceCount`
 * and ResourceId `endpoint/<EndpointName>/variant/<VariantName>` is emulated; any other
 * namespace or dimension is refused with a ValidationException that says so. SageMaker is
 * reached only through the ports in ./ports (ScalableEndpoints one way, ScalingRegistry the other).
 *
 * Behaviour taken from the API reference and user guide:
 * - RegisterScalableTarget registers or updates; MinCapacity and MaxCapacity are required for a
 *   new target, omitted parameters are left unchanged on update, Tags apply only at creation.
 *   "If the specified resource is not active in the target service, this operation does not change
 *   the resource's current capacity. Otherwise, it changes the resource's current capacity to a
 *   value that is inside of this range." (API_RegisterScalableTarget.html)
 * - RoleARN defaults to SageMaker's service-linked role, AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint
 *   (userguide/services-that-can-integrate-sagemaker.html).
 * - ObjectNotFoundException: "For any operation that depends on the existence of a scalable target,
 *   this exception is thrown if the scalable target ... does not exist. For any operation that deletes
 *   or deregisters a resource, this exception is thrown if the resource cannot be found."
 * - DeregisterScalableTarget "deletes the scaling policies ... that are associated with it".
 * - DescribeScalableTargets pages up to 50 (default 50), DescribeScalingPolicies up to 10 (default 10).
 * - PolicyType is required when creating a policy; PredictiveScaling is "Only supported for Amazon ECS".
 * - Several policies on one target: "Application Auto Scaling gives precedence to the policy that
 *   provides the largest capacity for both scale out and scale in" (API_PutScalingPolicy.html).
 * - ScaleInCooldown defaults to 300 s for SageMaker endpoint variants
 *   (userguide/target-tracking-scaling-policy-overview.html#target-tracking-cooldown).
 * - FailedResourceAccessException is what AWS returns when the target's role may not call
 *   CloudWatch DescribeAlarms. There is no IAM here, so it never arises on its own; inject it with
 *   the throttle fault (`{ operation: 'PutScalingPolicy', errorName: 'FailedResourceAccessException' }`).
 *
 * Target tracking model (a simplification, stated as such). AWS creates two CloudWatch alarms per
 * policy (scale out after 3 one-minute datapoints above the target, scale in after 15 below 90% of
 * it, as seen on re:Post "sagemaker-autoscaling-delay"); here, instead:
 * - Every `evaluationMs` real ms, for each target with a TargetTrackingScaling policy on
 *   SageMakerVariantInvocationsPerInstance whose endpoint is InService, count the variant's
 *   invocations over the last simulated minute (60 / timeScale real seconds) from the MetricsStore.
 *   That count is the invocations per minute; per instance it is count / instances, so the capacity
 *   that brings the metric to TargetValue is desired = ceil(count / TargetValue) (0 invocations → 0).
 * - Scale out at once (ScaleOutCooldown is not modelled: desired is absolute, so a second scale-out
 *   in the cooldown cannot add on top of the first, which is what the cooldown prevents).
 * - Scale in only when ScaleInCooldown (default 300 simulated s) has passed since the target's last
 *   scaling activity (or since the policy was created), and never with DisableScaleIn. Assumption:
 *   this one wait stands in for both the cooldown and AWS's 15-minute low alarm.
 * - Several policies: the largest proposal wins. The result is clamped to [MinCapacity, MaxCapacity];
 *   SuspendedState.DynamicScalingIn/OutSuspended block the matching direction.
 * - The count is applied with ScalableEndpoints.setDesiredInstanceCount only when it changes.
 * StepScaling policies are stored and described but never act: they run from an alarm action, and
 * the local CloudWatch does not execute alarm actions. Customized metrics and other predefined
 * metric types are refused (ValidationException naming what is unsupported locally).
 * Alarms in PutScalingPolicy's output is [] (AWS lists the target-tracking alarms it creates; none
 * are created in the local CloudWatch).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { ServiceError, validation } from './errors';
import { type MetricsStore, SAGEMAKER_NAMESPACE } from './metrics';
import type { ScalableEndpoints, ScalingRegistry } from './ports';
import type { Timers } from './timers';
import { clone, compact, epochSeconds, paginate, queryKey } from './util';

type Obj = Record<string, unknown>;

export const SAGEMAKER_VARIANT_DIMENSION = 'sagemaker:variant:DesiredInstanceCount';
const INVOCATIONS_PER_INSTANCE = 'SageMakerVariantInvocationsPerInstance';
/** Default ScaleInCooldown for SageMaker endpoint variants (simulated seconds). */
export const DEFAULT_SCALE_IN_COOLDOWN_S = 300;
const VARIANT_RESOURCE = /^endpoint\/([^/]+)\/variant\/([^/]+)$/;

export interface AutoScalingOptions {
  accountId: string;
  region: string;
  /** Simulated seconds per real second (the emulator's clock). */
  timeScale: number;
  metrics: MetricsStore;
  endpoints: ScalableEndpoints;
  timers: Timers;
  /**
   * Real ms between target-tracking evaluations.
   * @default 100; 0 (or a non-finite value) runs no timer: call evaluate() yourself.
   */
  evaluationMs?: number;
}

interface SuspendedState {
  DynamicScalingInSuspended: boolean;
  DynamicScalingOutSuspended: boolean;
  ScheduledScalingSuspended: boolean;
}
interface TargetRec {
  key: string;
  resourceId: string;
  endpointName: string;
  variantName: string;
  min: number;
  max: number;
  roleArn: string;
  suspended: SuspendedState;
  arn: string;
  created: number;
  tags: Obj;
  /** Real ms of the last change this service made to the variant's instance count. */
  lastScalingAt?: number;
}
interface PolicyRec {
  targetKey: string;
  name: string;
  arn: string;
  type: string;
  stepConfig?: Obj;
  trackingConfig?: Obj;
  created: number;
}

export interface AutoScalingSnapshot {
  /** DescribeScalableTargets' ScalableTarget shape, in registration order. */
  scalableTargets: Obj[];
  /** DescribeScalingPolicies' ScalingPolicy shape, in creation order. */
  scalingPolicies: Obj[];
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
const lc = (s: string): string => s.toLowerCase();

const notFound = (message: string): ServiceError => new ServiceError('ObjectNotFoundException', message);
const describeTriple = (namespace: string, resourceId: string, dimension: string): string =>
  `service namespace: ${namespace}, resource ID: ${resourceId}, scalable dimension: ${dimension}`;

/** Endpoint names are case-insensitive in SageMaker, so `endpoint/EP/variant/v` and `endpoint/ep/variant/v` are one target. */
function normalizedResourceId(resourceId: string): string {
  const m = VARIANT_RESOURCE.exec(resourceId);
  return m ? `endpoint/${lc(m[1] ?? '')}/variant/${m[2] ?? ''}` : resourceId;
}
const keyOf = (namespace: string, resourceId: string, dimension: string): string =>
  `${namespace}|${normalizedResourceId(resourceId)}|${dimension}`;

export class AutoScalingService implements ScalingRegistry {
  private readonly targets = new Map<string, TargetRec>();
  private readonly policies = new Map<string, PolicyRec>();

  constructor(private readonly o: AutoScalingOptions) {
    const every = o.evaluationMs ?? 100;
    if (every > 0 && Number.isFinite(every)) o.timers.every(every, () => this.evaluate()).unref();
  }

  handle(operation: string, input: Obj): Obj {
    switch (operation) {
      case 'RegisterScalableTarget': return this.registerScalableTarget(input);
      case 'DeregisterScalableTarget': return this.deregisterScalableTarget(input);
      case 'DescribeScalableTargets': return this.describeScalableTargets(input);
      case 'PutScalingPolicy': return this.putScalingPolicy(input);
      case 'DescribeScalingPolicies': return this.describeScalingPolicies(input);
      case 'DeleteScalingPolicy': return this.deleteScalingPolicy(input);
      default:
        throw new ServiceError('UnknownOperationException', `Operation ${operation} is not supported by the local emulator.`);
    }
  }

  // ---- identifying a target ------------------------------------------------------------------

  /**
   * The (namespace, resource ID, dimension) triple must agree with itself, as AWS checks for every
   * operation that names one ("Unsupported service namespace, resource type or scalable dimension").
   */
  private triple(input: Obj): { namespace: string; resourceId: string; dimension: string } {
    const namespace = input.ServiceNamespace as string;
    const resourceId = input.ResourceId as string;
    const dimension = input.ScalableDimension as string;
    const [dimNamespace, dimResourceType] = dimension.split(':');
    const sagemakerType = /^(endpoint|inference-component)\//.exec(resourceId) ? (VARIANT_RESOURCE.test(resourceId) ? 'variant' : 'inference-component') : undefined;
    if (dimNamespace !== namespace || (namespace === 'sagemaker' && sagemakerType !== dimResourceType)) {
      throw validation('Unsupported service namespace, resource type or scalable dimension');
    }
    return { namespace, resourceId, dimension };
  }

  /** For operations that create or change something: only SageMaker variants' instance counts are emulated. */
  private supported(input: Obj): { namespace: string; resourceId: string; dimension: string; endpointName: string; variantName: string } {
    const t = this.triple(input);
    const m = VARIANT_RESOURCE.exec(t.resourceId);
    if (t.namespace !== 'sagemaker' || t.dimension !== SAGEMAKER_VARIANT_DIMENSION || !m) {
      throw validation(
        `The local emulator supports only ServiceNamespace sagemaker with ScalableDimension ${SAGEMAKER_VARIANT_DIMENSION} ` +
          `and ResourceId endpoint/<EndpointName>/variant/<VariantName>; got ${t.namespace} ${t.dimension} ${t.resourceId}.`,
      );
    }
    return { ...t, endpointName: m[1] ?? '', variantName: m[2] ?? '' };
  }

  private requireTarget(input: Obj): TargetRec {
    const t = this.triple(input);
    const target = this.targets.get(keyOf(t.namespace, t.resourceId, t.dimension));
    if (!target) throw notFound(`No scalable target registered for ${describeTriple(t.namespace, t.resourceId, t.dimension)}`);
    return target;
  }

  // ---- scalable targets ---------------------------------------------------------------------

  private registerScalableTarget(input: Obj): Obj {
    const t = this.supported(input);
    const key = keyOf(t.namespace, t.resourceId, t.dimension);
    const existing = this.targets.get(key);
    const minIn = num(input.MinCapacity);
    const maxIn = num(input.MaxCapacity);
    if (!existing && (minIn === undefined || maxIn === undefined)) {
      throw validation('MinCapacity and MaxCapacity are required when registering a new scalable target.');
    }
    const min = minIn ?? (existing as TargetRec).min;
    const max = maxIn ?? (existing as TargetRec).max;
    if (min < 0) throw validation(`MinCapacity must be greater than or equal to 0 for ${t.dimension}.`);
    if (min > max) throw validation(`Minimum capacity (${min}) cannot be greater than maximum capacity (${max}).`);

    const variant = this.o.endpoints.variant(t.endpointName, t.variantName);
    if (!variant) {
      throw validation(`Could not find endpoint "${t.endpointName}" with production variant "${t.variantName}" in account ${this.o.accountId}.`);
    }
    if (variant.serverless) {
      throw validation(
        `Variant "${t.variantName}" of endpoint "${t.endpointName}" is serverless: it has no instance count to scale ` +
          '(serverless variants scale sagemaker:variant:DesiredProvisionedConcurrency).',
      );
    }

    const suspendedIn = (input.SuspendedState ?? {}) as Partial<SuspendedState>;
    const roleArn = str(input.RoleARN);
    let target: TargetRec;
    if (existing) {
      target = existing;
      target.min = min;
      target.max = max;
      if (roleArn !== undefined) target.roleArn = roleArn;
      for (const k of ['DynamicScalingInSuspended', 'DynamicScalingOutSuspended', 'ScheduledScalingSuspended'] as const) {
        if (typeof suspendedIn[k] === 'boolean') target.suspended[k] = suspendedIn[k];
      }
    } else {
      target = {
        key,
        resourceId: t.resourceId,
        endpointName: t.endpointName,
        variantName: t.variantName,
        min,
        max,
        roleArn:
          roleArn ??
          `arn:aws:iam::${this.o.accountId}:role/aws-service-role/sagemaker.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint`,
        suspended: {
          DynamicScalingInSuspended: suspendedIn.DynamicScalingInSuspended === true,
          DynamicScalingOutSuspended: suspendedIn.DynamicScalingOutSuspended === true,
          ScheduledScalingSuspended: suspendedIn.ScheduledScalingSuspended === true,
        },
        arn: `arn:aws:application-autoscaling:${this.o.region}:${this.o.accountId}:scalable-target/${randomBytes(18).toString('hex')}`,
        created: Date.now(),
        tags: clone((input.Tags ?? {}) as Obj),
      };
      this.targets.set(key, target);
    }

    // Into the new range at once, if the endpoint can take it (InService); otherwise left as is.
    const current = variant.desiredInstanceCount ?? variant.currentInstanceCount;
    if (current !== undefined) {
      const clamped = Math.min(max, Math.max(min, current));
      if (clamped !== current && this.o.endpoints.setDesiredInstanceCount(variant.endpointName, variant.variantName, clamped)) {
        target.lastScalingAt = Date.now();
      }
    }
    return { ScalableTargetARN: target.arn };
  }

  private deregisterScalableTarget(input: Obj): Obj {
    const t = this.triple(input);
    const key = keyOf(t.namespace, t.resourceId, t.dimension);
    if (!this.targets.has(key)) throw notFound(`No scalable target found for ${describeTriple(t.namespace, t.resourceId, t.dimension)}`);
    this.removeTarget(key);
    return {};
  }

  private removeTarget(key: string): void {
    this.targets.delete(key);
    for (const [k, p] of this.policies) if (p.targetKey === key) this.policies.delete(k);
  }

  private describeScalableTargets(input: Obj): Obj {
    const namespace = input.ServiceNamespace as string;
    const dimension = str(input.ScalableDimension);
    const ids = Array.isArray(input.ResourceIds) ? new Set((input.ResourceIds as string[]).map(normalizedResourceId)) : undefined;
    const items = [...this.targets.values()].filter(
      (t) => namespace === 'sagemaker' && (dimension === undefined || dimension === SAGEMAKER_VARIANT_DIMENSION) && (!ids || ids.has(normalizedResourceId(t.resourceId))),
    );
    const { page, nextToken } = this.page(items, input, 50);
    return compact({ ScalableTargets: page.map((t) => this.targetView(t)), NextToken: nextToken });
  }

  private targetView(t: TargetRec): Obj {
    return {
      ServiceNamespace: 'sagemaker',
      ResourceId: t.resourceId,
      ScalableDimension: SAGEMAKER_VARIANT_DIMENSION,
      MinCapacity: t.min,
      MaxCapacity: t.max,
      RoleARN: t.roleArn,
      CreationTime: epochSeconds(t.created),
      SuspendedState: { ...t.suspended },
      ScalableTargetARN: t.arn,
    };
  }

  // ---- scaling policies ---------------------------------------------------------------------

  private putScalingPolicy(input: Obj): Obj {
    const t = this.supported(input);
    const target = this.requireTarget(input);
    const name = input.PolicyName as string;
    const policyKey = `${target.key}|${name}`;
    const existing = this.policies.get(policyKey);

    const type = str(input.PolicyType) ?? existing?.type;
    if (type === undefined) throw validation('PolicyType is required when creating a scaling policy.');
    if (type === 'PredictiveScaling') throw validation('PredictiveScaling policies are only supported for Amazon ECS services.');
    const stepConfig = (input.StepScalingPolicyConfiguration as Obj | undefined) ?? (existing?.type === type ? existing.stepConfig : undefined);
    const trackingConfig =
      (input.TargetTrackingScalingPolicyConfiguration as Obj | undefined) ?? (existing?.type === type ? existing.trackingConfig : undefined);
    if (type === 'StepScaling' && !stepConfig) throw validation('StepScalingPolicyConfiguration is required for a StepScaling policy.');
    if (type === 'TargetTrackingScaling') {
      if (!trackingConfig) throw validation('TargetTrackingScalingPolicyConfiguration is required for a TargetTrackingScaling policy.');
      this.checkTracking(trackingConfig, t.dimension);
    }

    const policy: PolicyRec = {
      targetKey: target.key,
      name,
      // The ARN stays the same when the policy is updated.
      arn:
        existing?.arn ??
        `arn:aws:autoscaling:${this.o.region}:${this.o.accountId}:scalingPolicy:${randomUUID()}:resource/sagemaker/${target.resourceId}:policyName/${name}`,
      type,
      stepConfig: type === 'StepScaling' ? clone(stepConfig) : undefined,
      trackingConfig: type === 'TargetTrackingScaling' ? clone(trackingConfig) : undefined,
      created: existing?.created ?? Date.now(),
    };
    this.policies.set(policyKey, policy);
    return { PolicyARN: policy.arn, Alarms: [] };
  }

  private checkTracking(cfg: Obj, dimension: string): void {
    const predefined = cfg.PredefinedMetricSpecification as Obj | undefined;
    const customized = cfg.CustomizedMetricSpecification;
    if ((predefined === undefined) === (customized === undefined)) {
      throw validation('Specify exactly one of PredefinedMetricSpecification and CustomizedMetricSpecification.');
    }
    if (customized !== undefined) throw validation('CustomizedMetricSpecification is not supported by the local emulator; use the predefined SageMakerVariantInvocationsPerInstance.');
    const metricType = str(predefined?.PredefinedMetricType) ?? '';
    if (metricType === 'SageMakerVariantConcurrentRequestsPerModelHighResolution') {
      throw validation(`PredefinedMetricType ${metricType} is not supported by the local emulator; use ${INVOCATIONS_PER_INSTANCE}.`);
    }
    if (metricType !== INVOCATIONS_PER_INSTANCE) throw validation(`PredefinedMetricType ${metricType} is not valid for scalable dimension ${dimension}.`);
    const targetValue = num(cfg.TargetValue);
    if (targetValue === undefined || !(targetValue > 0)) throw validation(`TargetValue must be greater than 0 for ${INVOCATIONS_PER_INSTANCE}.`);
  }

  private describeScalingPolicies(input: Obj): Obj {
    const namespace = input.ServiceNamespace as string;
    const dimension = str(input.ScalableDimension);
    const resourceId = str(input.ResourceId);
    const names = Array.isArray(input.PolicyNames) ? new Set(input.PolicyNames as string[]) : undefined;
    const items = [...this.policies.values()].filter((p) => {
      const target = this.targets.get(p.targetKey);
      return (
        target !== undefined &&
        namespace === 'sagemaker' &&
        (dimension === undefined || dimension === SAGEMAKER_VARIANT_DIMENSION) &&
        (resourceId === undefined || normalizedResourceId(resourceId) === normalizedResourceId(target.resourceId)) &&
        (!names || names.has(p.name))
      );
    });
    const { page, nextToken } = this.page(items, input, 10);
    return compact({ ScalingPolicies: page.map((p) => this.policyView(p)), NextToken: nextToken });
  }

  private policyView(p: PolicyRec): Obj {
    const target = this.targets.get(p.targetKey);
    return compact({
      PolicyARN: p.arn,
      PolicyName: p.name,
      ServiceNamespace: 'sagemaker',
      ResourceId: target?.resourceId,
      ScalableDimension: SAGEMAKER_VARIANT_DIMENSION,
      PolicyType: p.type,
      StepScalingPolicyConfiguration: clone(p.stepConfig),
      TargetTrackingScalingPolicyConfiguration: clone(p.trackingConfig),
      Alarms: [],
      CreationTime: epochSeconds(p.created),
    });
  }

  private deleteScalingPolicy(input: Obj): Obj {
    const t = this.triple(input);
    const name = input.PolicyName as string;
    const policyKey = `${keyOf(t.namespace, t.resourceId, t.dimension)}|${name}`;
    if (!this.policies.has(policyKey)) {
      throw notFound(`No scaling policy found for ${describeTriple(t.namespace, t.resourceId, t.dimension)}, policy name: ${name}`);
    }
    this.policies.delete(policyKey);
    return {};
  }

  private page<T>(items: T[], input: Obj, limit: number): { page: T[]; nextToken?: string } {
    const max = num(input.MaxResults) ?? limit;
    if (max < 1 || max > limit) throw validation(`MaxResults must be between 1 and ${limit}.`);
    return paginate(items, max, input.NextToken, queryKey(input), () => new ServiceError('InvalidNextTokenException', 'Invalid NextToken.'));
  }

  // ---- target tracking ----------------------------------------------------------------------

  /** One evaluation of every target-tracking policy (see the model at the top of this file). */
  evaluate(now: number = Date.now()): void {
    const windowMs = 60_000 / this.o.timeScale;
    for (const target of this.targets.values()) {
      const policies = [...this.policies.values()].filter((p) => p.targetKey === target.key && p.type === 'TargetTrackingScaling' && p.trackingConfig);
      if (policies.length === 0) continue;
      const variant = this.o.endpoints.variant(target.endpointName, target.variantName);
      if (!variant || variant.endpointStatus !== 'InService' || variant.serverless) continue;
      const current = variant.desiredInstanceCount ?? variant.currentInstanceCount;
      if (current === undefined) continue;

      const dims = [
        { Name: 'EndpointName', Value: variant.endpointName },
        { Name: 'VariantName', Value: variant.variantName },
      ];
      const invocations = this.o.metrics.samples(SAGEMAKER_NAMESPACE, 'Invocations', dims, now - windowMs, now).length;
      let proposed = -Infinity;
      for (const p of policies) {
        const cfg = p.trackingConfig as Obj;
        let want = Math.ceil(invocations / (cfg.TargetValue as number));
        if (want < current) {
          const cooldownMs = ((num(cfg.ScaleInCooldown) ?? DEFAULT_SCALE_IN_COOLDOWN_S) * 1000) / this.o.timeScale;
          const since = target.lastScalingAt ?? p.created;
          if (cfg.DisableScaleIn === true || now - since < cooldownMs) want = current;
        }
        proposed = Math.max(proposed, want);
      }
      let desired = Math.min(target.max, Math.max(target.min, proposed));
      if (desired > current && target.suspended.DynamicScalingOutSuspended) desired = current;
      if (desired < current && target.suspended.DynamicScalingInSuspended) desired = current;
      if (desired !== current && this.o.endpoints.setDesiredInstanceCount(variant.endpointName, variant.variantName, desired)) {
        target.lastScalingAt = now;
      }
    }
  }

  // ---- ScalingRegistry (SageMaker's view) ---------------------------------------------------

  scalableVariants(endpointName: string): string[] {
    return [...this.targets.values()].filter((t) => lc(t.endpointName) === lc(endpointName)).map((t) => t.variantName);
  }

  deregisterEndpoint(endpointName: string): void {
    for (const t of [...this.targets.values()]) if (lc(t.endpointName) === lc(endpointName)) this.removeTarget(t.key);
  }

  snapshot(): AutoScalingSnapshot {
    return {
      scalableTargets: [...this.targets.values()].map((t) => ({ ...this.targetView(t), ...(Object.keys(t.tags).length > 0 ? { Tags: clone(t.tags) } : {}) })),
      scalingPolicies: [...this.policies.values()].map((p) => this.policyView(p)),
    };
  }
}
