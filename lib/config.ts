import { Duration } from 'aws-cdk-lib';
import { z } from 'zod';
import { STRATEGIES } from '../lambdas/shared/input';
import { routeSchema } from '../lambdas/shared/triggers';
import type { BlueGreenPromotionProps } from './promotion';

/**
 * The app's configuration, read from the `bluegreen` context key (cdk.json, or
 * `-c bluegreen='{...}'`). Validated at synth time; an error names the entry and the fix.
 */
export const appConfigSchema = z
  .object({
    endpointNames: z.array(z.string()).optional(),
    endpointNamePrefix: z.string().optional(),
    modelExecutionRoleArns: z.array(z.string()).min(1, 'list at least one model execution role ARN'),
    /** Model package group → the endpoints its approved versions are promoted onto, with per-endpoint settings. */
    modelPackageGroups: z.record(z.string(), routeSchema).optional(),
    /** The strategy of every promotion that names none (input or route). */
    strategy: z.enum(STRATEGIES).optional(),
    bakeMinutes: z.number().int().min(0).max(1440).optional(),
    pollSeconds: z.number().int().min(1).max(3600).optional(),
    inServiceDeadlineMinutes: z.number().int().min(1).max(1440).optional(),
    guardrailAlarmNames: z.array(z.string()).optional(),
    validationPayloadBucketNames: z.array(z.string()).optional(),
  })
  .strict();

export type AppConfig = z.infer<typeof appConfigSchema>;

export function parseAppConfig(raw: unknown): AppConfig {
  const parsed = appConfigSchema.safeParse(typeof raw === 'string' ? JSON.parse(raw) : raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `- ${['bluegreen', ...i.path].join('.')}: ${i.message}`);
    throw new Error(`Invalid "bluegreen" configuration (cdk.json context):\n${lines.join('\n')}`);
  }
  const config = parsed.data;
  const managed = new Set(config.endpointNames ?? []);
  const problems: string[] = [];
  for (const [group, entry] of Object.entries(config.modelPackageGroups ?? {})) {
    for (const endpoint of entry.endpoints) {
      const covered = managed.has(endpoint) || (config.endpointNamePrefix !== undefined && endpoint.startsWith(config.endpointNamePrefix));
      if (!covered) problems.push(`- bluegreen.modelPackageGroups.${group}.endpoints: "${endpoint}" is not in endpointNames and does not start with endpointNamePrefix; add it there`);
    }
  }
  if (problems.length > 0) throw new Error(`Invalid "bluegreen" configuration (cdk.json context):\n${problems.join('\n')}`);
  return config;
}

export function promotionProps(config: AppConfig): BlueGreenPromotionProps {
  const groups = Object.keys(config.modelPackageGroups ?? {});
  return {
    endpointNames: config.endpointNames,
    endpointNamePrefix: config.endpointNamePrefix,
    modelExecutionRoleArns: config.modelExecutionRoleArns,
    modelPackageGroupNames: groups.length > 0 ? groups : undefined,
    approvalRoutes: config.modelPackageGroups,
    strategy: config.strategy,
    bakeDuration: config.bakeMinutes !== undefined ? Duration.minutes(config.bakeMinutes) : undefined,
    pollInterval: config.pollSeconds !== undefined ? Duration.seconds(config.pollSeconds) : undefined,
    inServiceDeadline: config.inServiceDeadlineMinutes !== undefined ? Duration.minutes(config.inServiceDeadlineMinutes) : undefined,
    guardrailAlarmNames: config.guardrailAlarmNames,
    validationPayloadBucketNames: config.validationPayloadBucketNames,
  };
}
