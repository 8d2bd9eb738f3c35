/**
 * The narrow interfaces through which the emulator's services reach one another, so each
 * resource keeps one home (SageMaker endpoints, Application Auto Scaling, CloudWatch alarms)
 * and can be tested on its own with a fake of the other side.
 */

/** What Application Auto Scaling sees of SageMaker endpoints. */
export interface ScalableEndpoints {
  /** A production variant as it runs now (endpoint names compared case-insensitively), or undefined. */
  variant(endpointName: string, variantName: string): ScalableVariant | undefined;
  /**
   * Sets a variant's desired instance count the way Application Auto Scaling does (it calls
   * UpdateEndpointWeightsAndCapacities): instances are added to or removed from the current fleet.
   * Returns false, changing nothing, when the endpoint is not InService (scaling waits for it).
   */
  setDesiredInstanceCount(endpointName: string, variantName: string, count: number): boolean;
}
export interface ScalableVariant {
  endpointName: string;
  variantName: string;
  endpointStatus: string;
  instanceType?: string;
  currentInstanceCount?: number;
  desiredInstanceCount?: number;
  serverless: boolean;
}

/** What SageMaker sees of Application Auto Scaling. */
export interface ScalingRegistry {
  /** Variant names of the endpoint registered as scalable targets (sagemaker:variant:DesiredInstanceCount). */
  scalableVariants(endpointName: string): string[];
  /** DeleteEndpoint deregisters the endpoint's variants (and so deletes their scaling policies). */
  deregisterEndpoint(endpointName: string): void;
}

/** What SageMaker's deployment guardrails see of CloudWatch alarms. */
export interface AlarmStates {
  /** Current state of an alarm, or undefined if it does not exist. */
  state(alarmName: string): { value: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA'; reason: string } | undefined;
}
