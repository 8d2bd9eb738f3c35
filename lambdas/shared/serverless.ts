/**
 * Serverless endpoints (the `replace` strategy): the validation endpoint's ServerlessConfig. Green's
 * config is blue's with the model changed (guardrailsConfigsFromBlue). Pure, SDK types for their shapes only.
 *
 * A serverless variant has a ServerlessConfig instead of InstanceType/InitialInstanceCount (the API
 * refuses both together), and its config refuses DataCaptureConfig and AsyncInferenceConfig
 * ("Feature exclusions", serverless-endpoints.html#serverless-endpoints-how-it-works-exclusions;
 * local/emulator/sagemaker/configs.ts follows that page).
 *
 * The validation endpoint must prove that green answers the samples, within maxLatencyMs, as users will
 * get it after the switch. Per ProductionVariantServerlessConfig:
 * - MemorySizeInMB is kept exactly: serverless compute scales with memory, so it sets the latency.
 * - ProvisionedConcurrency is kept as "warm or not", at 1: with provisioned concurrency users reach a
 *   warm container, so a validation endpoint without it would judge a cold start (seconds, ModelSetupTime
 *   and OverheadLatency, serverless-endpoints-monitoring) against maxLatencyMs and fail a good green;
 *   without it, users get cold starts too, and so does the validation. The samples are sent one at a
 *   time (lambdas/validate-green), so one warm container answers all of them: provisioned concurrency
 *   is billed while it is provisioned, per unit of concurrency and memory, so 1 instead of blue's N.
 * - MaxConcurrency 1: the samples never run two at a time, and the account's total serverless
 *   concurrency is one Regional quota shared by all its serverless endpoints (Service Quotas), which a
 *   copy of blue's would draw on while users' traffic still needs it.
 */
import type { ProductionVariantServerlessConfig } from '@aws-sdk/client-sagemaker';
import type { EndpointKind } from './kinds';

/** The validation endpoint's serverless config: blue's memory, one container (warm when blue's are). */
export function validationServerlessConfig(blue: ProductionVariantServerlessConfig): ProductionVariantServerlessConfig {
  return {
    MemorySizeInMB: blue.MemorySizeInMB,
    MaxConcurrency: 1,
    ...(blue.ProvisionedConcurrency !== undefined ? { ProvisionedConcurrency: 1 } : {}),
  };
}

/**
 * Does green get a cold-start alarm (`<prefix>-setup`, ModelSetupTime)? Only on a serverless endpoint, the
 * only kind that publishes ModelSetupTime (serverless-endpoints-monitoring), and only when the input sets
 * greenAlarms.maxModelSetupTimeMs: how slow a cold start may be is the team's call (the model's size sets it).
 */
export function watchesColdStarts(kind: EndpointKind | undefined, greenAlarms: { enabled?: boolean; maxModelSetupTimeMs?: number }): boolean {
  return kind === 'serverless' && greenAlarms.enabled !== false && greenAlarms.maxModelSetupTimeMs !== undefined;
}

/** greenAlarms.maxModelSetupTimeMs on an endpoint that publishes no ModelSetupTime: the problem, naming the fix. */
export function coldStartAlarmProblem(kind: EndpointKind, endpointName: string, maxModelSetupTimeMs: number | undefined): string | undefined {
  if (maxModelSetupTimeMs === undefined || kind === 'serverless') return undefined;
  return `greenAlarms.maxModelSetupTimeMs: ${endpointName} is not serverless (kind ${kind}), and only serverless endpoints publish ModelSetupTime (a cold start's launch, serverless-endpoints-monitoring); remove maxModelSetupTimeMs`;
}
