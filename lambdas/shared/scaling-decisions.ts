/**
 * Pure decisions about a variant's Application Auto Scaling: what blue's scaling is, as
 * plain JSON that travels in the state document, and how it reads. No SDK calls; SDK types
 * are imported for their shapes only.
 */
import type {
  ScalableTarget,
  ScalingPolicy,
  StepScalingPolicyConfiguration,
  TargetTrackingScalingPolicyConfiguration,
} from '@aws-sdk/client-application-auto-scaling';

export const SCALING_NAMESPACE = 'sagemaker';
export const VARIANT_DIMENSION = 'sagemaker:variant:DesiredInstanceCount';

/** What PutScalingPolicy needs to recreate a policy; names are per scalable target, so a copy keeps its name. */
export interface ScalingPolicySpec {
  PolicyName: string;
  PolicyType: 'TargetTrackingScaling' | 'StepScaling';
  TargetTrackingScalingPolicyConfiguration?: TargetTrackingScalingPolicyConfiguration;
  StepScalingPolicyConfiguration?: StepScalingPolicyConfiguration;
}

/** A variant's scalable target (instance count range) and its scaling policies. */
export interface VariantScaling {
  minCapacity: number;
  maxCapacity: number;
  policies: ScalingPolicySpec[];
  /** Only when an operator suspended some scaling on blue: green keeps the suspension. */
  suspendedState?: { DynamicScalingInSuspended?: boolean; DynamicScalingOutSuspended?: boolean; ScheduledScalingSuspended?: boolean };
}

/** Application Auto Scaling's ResourceId of a SageMaker production variant. */
export function variantResourceId(endpointName: string, variantName: string): string {
  return `endpoint/${endpointName}/variant/${variantName}`;
}

/** Drops undefined members (and Dates, which a policy configuration never holds): the state document is JSON. */
const plain = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/**
 * Blue's scaling from DescribeScalableTargets and DescribeScalingPolicies; undefined when the
 * variant is not a scalable target. PredictiveScaling policies are dropped: Application Auto
 * Scaling supports them only for Amazon ECS.
 */
export function scalingOf(target: ScalableTarget | undefined, policies: ScalingPolicy[]): VariantScaling | undefined {
  if (!target || target.MinCapacity === undefined || target.MaxCapacity === undefined) return undefined;
  const specs: ScalingPolicySpec[] = [];
  for (const p of policies) {
    if (!p.PolicyName) continue;
    if (p.PolicyType === 'TargetTrackingScaling' && p.TargetTrackingScalingPolicyConfiguration) {
      specs.push({ PolicyName: p.PolicyName, PolicyType: p.PolicyType, TargetTrackingScalingPolicyConfiguration: plain(p.TargetTrackingScalingPolicyConfiguration) });
    } else if (p.PolicyType === 'StepScaling' && p.StepScalingPolicyConfiguration) {
      specs.push({ PolicyName: p.PolicyName, PolicyType: p.PolicyType, StepScalingPolicyConfiguration: plain(p.StepScalingPolicyConfiguration) });
    }
  }
  const s = target.SuspendedState;
  const suspended = s && (s.DynamicScalingInSuspended || s.DynamicScalingOutSuspended || s.ScheduledScalingSuspended);
  return {
    minCapacity: target.MinCapacity,
    maxCapacity: target.MaxCapacity,
    policies: specs,
    ...(suspended ? { suspendedState: plain(s) } : {}),
  };
}

/**
 * Blue's scaling as it should apply to another variant of the same endpoint: a customized
 * metric whose VariantName dimension names blue's variant would keep tracking blue, so it is
 * pointed at the new variant. Predefined metrics (SageMakerVariantInvocationsPerInstance, …)
 * are per scalable target already and stay as they are.
 */
export function scalingForVariant(scaling: VariantScaling, fromVariant: string, toVariant: string): VariantScaling {
  const copy = plain(scaling);
  const retarget = (dimensions: Array<{ Name?: string; Value?: string }> | undefined) => {
    for (const d of dimensions ?? []) if (d.Name === 'VariantName' && d.Value === fromVariant) d.Value = toVariant;
  };
  for (const p of copy.policies) {
    const custom = p.TargetTrackingScalingPolicyConfiguration?.CustomizedMetricSpecification;
    retarget(custom?.Dimensions);
    for (const q of custom?.Metrics ?? []) retarget(q.MetricStat?.Metric?.Dimensions);
  }
  return copy;
}

/** The instance count inside the target's range: what RegisterScalableTarget moves a running variant to. */
export function capacityWithin(count: number, scaling: Pick<VariantScaling, 'minCapacity' | 'maxCapacity'>): number {
  return Math.min(scaling.maxCapacity, Math.max(scaling.minCapacity, count));
}

function policySummary(p: ScalingPolicySpec): string {
  if (p.PolicyType === 'StepScaling') return `step scaling ${p.PolicyName}`;
  const c = p.TargetTrackingScalingPolicyConfiguration;
  const metric = c?.PredefinedMetricSpecification?.PredefinedMetricType ?? c?.CustomizedMetricSpecification?.MetricName ?? 'metric math';
  return `target tracking ${metric} = ${c?.TargetValue ?? '?'}`;
}

/** One line for people: `AllTraffic 2–4 instances, target tracking SageMakerVariantInvocationsPerInstance = 1000`. */
export function scalingSummary(variantName: string, scaling: VariantScaling): string {
  const range = scaling.minCapacity === scaling.maxCapacity ? `${scaling.minCapacity}` : `${scaling.minCapacity}–${scaling.maxCapacity}`;
  const policies = scaling.policies.length > 0 ? scaling.policies.map(policySummary).join('; ') : 'no scaling policy';
  const s = scaling.suspendedState;
  const suspended = s
    ? [s.DynamicScalingInSuspended && 'scale-in', s.DynamicScalingOutSuspended && 'scale-out', s.ScheduledScalingSuspended && 'scheduled'].filter(Boolean)
    : [];
  return `${variantName} ${range} instances, ${policies}${suspended.length > 0 ? ` (suspended: ${suspended.join(', ')})` : ''}`;
}
