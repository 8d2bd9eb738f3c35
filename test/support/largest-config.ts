import { CONFIG_LIMITS, parseAppConfig } from '../../lib/config';
import { MAX_ALARM_NAMES, MAX_INLINE_BODY, MAX_SAMPLES } from '../../lambdas/shared/input';
import { MAX_ENDPOINT_NAME, MAX_ROUTE_ENDPOINTS } from '../../lambdas/shared/triggers';
import { MAX_BAKE_SECONDS } from '../../lambdas/shared/waits';

/**
 * The largest configuration (cdk.json's `bluegreen`) that parseAppConfig accepts: every bounded
 * list at its maximum, of names at their longest, and every route's inline validation samples
 * filling the promotion input to the size the workflow takes (MAX_INPUT_BYTES, lambdas/shared/limits.ts),
 * which binds before 50 samples × 32 KiB bodies could. Names are valid SageMaker, IAM and S3 names
 * so that the construct accepts them too.
 */

/** `stem` padded with `x` to exactly `length` characters (stems differ, so the names do). */
const fixed = (stem: string, length: number) => stem.padEnd(length, 'x');
const times = <T>(n: number, item: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => item(i));

/** The construct's limit for endpointNamePrefix (validateProps in lib/promotion.ts). */
export const LARGEST_PREFIX = fixed('p', 41);
/** IAM's limit on an ARN. */
const ROLE_ARN_LENGTH = 2048;
/** SageMaker's limit on a model package group name; S3's on a bucket name; CloudWatch's on an alarm name. */
const GROUP_NAME_LENGTH = 63;
const BUCKET_NAME_LENGTH = 63;
const ALARM_NAME_LENGTH = 255;
const SAMPLE_NAME_LENGTH = 64;
const MEDIA_TYPE_LENGTH = 1024;

const groupName = (g: number) => fixed(`group-${g}`, GROUP_NAME_LENGTH);

/** `total` characters of sample bodies spread over the samples, the first ones one longer if it does not divide. */
const bodies = (total: number) => times(MAX_SAMPLES, (s) => 'b'.repeat(Math.floor(total / MAX_SAMPLES) + (s < total % MAX_SAMPLES ? 1 : 0)));

function route(g: number, bodyChars: number) {
  const sampleBodies = bodies(bodyChars);
  return {
    endpoints: times(MAX_ROUTE_ENDPOINTS, (e) => fixed(`${LARGEST_PREFIX}-${g}-${e}`, MAX_ENDPOINT_NAME)),
    // variant: the guardrails strategy would cap the alarms at SageMaker's 10 (parseAppConfig).
    strategy: 'variant',
    bakeSeconds: MAX_BAKE_SECONDS,
    guardrailAlarmNames: times(MAX_ALARM_NAMES, (a) => fixed(`route-${g}-alarm-${a}`, ALARM_NAME_LENGTH)),
    validation: {
      contentType: fixed('application/', MEDIA_TYPE_LENGTH),
      accept: fixed('application/', MEDIA_TYPE_LENGTH),
      maxLatencyMs: 60_000,
      samples: sampleBodies.map((body, s) => ({ name: fixed(`sample-${s}`, SAMPLE_NAME_LENGTH), body, expectedStatus: 599 })),
    },
    greenAlarms: { enabled: true, max5xxErrors: 1_000_000, maxModelLatencyMs: 60_000 },
    onNewerApproval: 'supersede',
    allowDowngrade: true,
  };
}

/** The configuration with `groups` routes whose sample bodies hold `bodyChars` characters per route. */
export function appConfigWith(groups: number, bodyChars: number) {
  return {
    endpointNames: times(CONFIG_LIMITS.endpointNames, (i) => fixed(`endpoint-${i}`, MAX_ENDPOINT_NAME)),
    endpointNamePrefix: LARGEST_PREFIX,
    modelExecutionRoleArns: times(CONFIG_LIMITS.modelExecutionRoleArns, (i) => fixed(`arn:aws:iam::111122223333:role/model-role-${i}-`, ROLE_ARN_LENGTH)),
    modelPackageGroups: Object.fromEntries(times(groups, (g) => [groupName(g), route(g, bodyChars)])),
    strategy: 'variant',
    bakeMinutes: MAX_BAKE_SECONDS / 60,
    bakeBackstopMinutes: 1440,
    pollSeconds: 3600,
    // The longest bake fits the 24-hour execution only with the default one-hour deadlines (lib/promotion.ts validateProps).
    inServiceDeadlineMinutes: 60,
    guardrailAlarmNames: times(CONFIG_LIMITS.guardrailAlarmNames, (a) => fixed(`stack-alarm-${a}`, ALARM_NAME_LENGTH)),
    validationPayloadBucketNames: times(CONFIG_LIMITS.validationPayloadBucketNames, (b) => fixed(`validation-payloads-${b}-`, BUCKET_NAME_LENGTH)),
  };
}

const accepted = (config: unknown) => {
  try {
    parseAppConfig(config);
    return true;
  } catch {
    return false;
  }
};

/**
 * The most characters of sample bodies a route at every other maximum takes: found with parseAppConfig
 * itself (on one route: every route has names of the same lengths, so the same size), by bisection.
 */
export function largestBodyChars(): number {
  let [fits, tooLong] = [0, MAX_SAMPLES * MAX_INLINE_BODY + 1];
  if (!accepted(appConfigWith(1, fits))) throw new Error('the largest configuration is refused even with empty sample bodies');
  while (tooLong - fits > 1) {
    const mid = Math.floor((fits + tooLong) / 2);
    if (accepted(appConfigWith(1, mid))) fits = mid;
    else tooLong = mid;
  }
  return fits;
}

export function largestAppConfig(): unknown {
  return appConfigWith(CONFIG_LIMITS.modelPackageGroups, largestBodyChars());
}
