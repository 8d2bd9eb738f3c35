import type { PromotionInput } from '../lambdas/shared/input';
import { formatSeconds, parseDurationSeconds } from './duration';

/** SageMaker's traffic routing of the guardrails strategy, as the input holds it. */
export type Traffic = NonNullable<PromotionInput['traffic']>;

export const TRAFFIC_HELP =
  'all-at-once, canary[:<percent>%][:<wait>] or linear[:<percent>%][:<wait>], e.g. canary:10%:5m or linear:25%:2m (canary 1–50%, default 10%; linear steps 10–50%, default 25%; wait 0 to 1h, default 5m)';

const TYPES: Record<string, Traffic['type']> = { 'all-at-once': 'ALL_AT_ONCE', canary: 'CANARY', linear: 'LINEAR' };

/**
 * `--traffic` as the input's `traffic` object; undefined when the text is not a spec. Only the
 * syntax is checked here: ranges are the input schema's, so the CLI and the workflow agree.
 */
export function parseTraffic(text: string): Traffic | undefined {
  const [head = '', ...parts] = text.trim().toLowerCase().split(':');
  const type = TYPES[head];
  if (!type) return undefined;
  const traffic: Traffic = { type };
  for (const part of parts) {
    const percent = /^(\d+)%$/.exec(part);
    if (percent && traffic.percent === undefined) {
      traffic.percent = Number(percent[1]);
      continue;
    }
    const wait = parseDurationSeconds(part);
    if (!percent && wait !== undefined && traffic.waitSeconds === undefined) {
      traffic.waitSeconds = wait;
      continue;
    }
    return undefined;
  }
  return traffic;
}

/** Defaults as validate-input and deploymentConfigFor apply them (10% canary, 25% steps, 5 min waits). */
export function describeTraffic(traffic: Traffic): string {
  const wait = formatSeconds(traffic.waitSeconds ?? 300);
  if (traffic.type === 'CANARY') return `canary: ${traffic.percent ?? 10}% of green's instances first, ${wait} watched by SageMaker, then the rest`;
  if (traffic.type === 'LINEAR') {
    const percent = traffic.percent ?? 25;
    const steps = Math.ceil(100 / percent);
    return `linear: ${steps} steps of ${percent}% of green's instances, ${wait} watched by SageMaker after each but the last`;
  }
  return 'all at once';
}
