import { Duration } from 'aws-cdk-lib';
import { z } from 'zod';
import { MAX_ROLLBACK_ALARMS } from '../lambdas/shared/decisions';
import { STRATEGIES } from '../lambdas/shared/input';
import { routeSchema } from '../lambdas/shared/triggers';
import { MAX_BAKE_REASON, MAX_BAKE_SECONDS } from '../lambdas/shared/waits';
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
    /**
     * Model package group → the endpoints its approved versions are promoted onto, with per-endpoint settings,
     * and what an approval does while a promotion runs (`onNewerApproval`) or when it is older than the live
     * version (`allowDowngrade`): routeSchema in lambdas/shared/triggers.ts.
     */
    modelPackageGroups: z.record(z.string(), routeSchema).optional(),
    /** The strategy of every promotion that names none (input or route). */
    strategy: z.enum(STRATEGIES).optional(),
    bakeMinutes: z.number().int().min(0).max(MAX_BAKE_SECONDS / 60, `a bake is at most ${MAX_BAKE_SECONDS / 60} minutes: ${MAX_BAKE_REASON}`).optional(),
    /** How often the bake's backstop checks the alarms and the endpoint of the promotions baking. */
    bakeBackstopMinutes: z.number().int().min(1).max(1440).optional(),
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
    // What validate-input would refuse for every approval on this route is refused here, at synth.
    const strategy = entry.strategy ?? config.strategy ?? 'guardrails';
    if (entry.traffic !== undefined && strategy !== 'guardrails') {
      problems.push(`- bluegreen.modelPackageGroups.${group}.traffic: SageMaker's traffic routing applies to the guardrails strategy, not ${strategy}; remove traffic or set strategy "guardrails"`);
    }
    const alarms = new Set([...(config.guardrailAlarmNames ?? []), ...(entry.guardrailAlarmNames ?? [])]).size;
    const own = entry.greenAlarms?.enabled === false ? 1 : 3;
    if (strategy === 'guardrails' && alarms + own > MAX_ROLLBACK_ALARMS) {
      problems.push(
        `- bluegreen.modelPackageGroups.${group}.guardrailAlarmNames: SageMaker's auto-rollback takes at most ${MAX_ROLLBACK_ALARMS} alarms and the guardrails strategy adds ${own}; name at most ${MAX_ROLLBACK_ALARMS - own} (stack defaults included), or combine them in a composite alarm`,
      );
    }
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
    bakeBackstop: config.bakeBackstopMinutes !== undefined ? Duration.minutes(config.bakeBackstopMinutes) : undefined,
    pollInterval: config.pollSeconds !== undefined ? Duration.seconds(config.pollSeconds) : undefined,
    inServiceDeadline: config.inServiceDeadlineMinutes !== undefined ? Duration.minutes(config.inServiceDeadlineMinutes) : undefined,
    guardrailAlarmNames: config.guardrailAlarmNames,
    validationPayloadBucketNames: config.validationPayloadBucketNames,
  };
}
