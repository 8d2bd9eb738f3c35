import { describeAlarmsByName } from './alarms';
import { cloudwatch } from './clients/cloudwatch';
import { judgeGuardrails } from './decisions';
import type { Expectation } from './decisions';
import type { Footprint } from './outside';
import { findOutsideChange } from './outside-check';
import { describeEndpointIfExists } from './sagemaker';
import { judgeBakeEndpoint } from './waits';

export type BakeProblem =
  | { kind: 'outside'; change: string }
  | { kind: 'alarm'; alarmName: string; reason: string }
  | { kind: 'missing'; alarmNames: string[] }
  | { kind: 'endpoint'; error: 'GreenNotInService' | 'UnexpectedEndpointState'; message: string };

/**
 * What is wrong with a bake now, if anything: someone else changed the endpoint (first: their
 * change wins over any rollback an alarm would ask for), a guardrail alarm in ALARM or gone, or
 * the endpoint no longer running what the shift left. The bake's own check (check-guardrails) and
 * its backstop outside the execution (on-backstop) ask the same question.
 */
export async function bakeProblem(
  alarmNames: string[],
  watch: Pick<Expectation, 'configName' | 'weights'> & { endpointName: string; outside?: Footprint },
): Promise<BakeProblem | undefined> {
  const endpoint = await describeEndpointIfExists(watch.endpointName);
  const outside = await findOutsideChange(endpoint, watch.outside);
  if (outside) return { kind: 'outside', change: outside.change };
  const alarms = judgeGuardrails(alarmNames, await describeAlarmsByName(cloudwatch, alarmNames));
  if (alarms.kind !== 'clear') return alarms;
  const verdict = judgeBakeEndpoint(endpoint, watch);
  return verdict.kind === 'failed' ? { kind: 'endpoint', error: verdict.error, message: verdict.message } : undefined;
}
