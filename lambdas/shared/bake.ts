import { describeAlarmsByName } from './alarms';
import { cloudwatch } from './clients/cloudwatch';
import { judgeGuardrails } from './decisions';
import type { Expectation } from './decisions';
import { describeEndpointIfExists } from './sagemaker';
import { judgeBakeEndpoint } from './waits';

export type BakeProblem =
  | { kind: 'alarm'; alarmName: string; reason: string }
  | { kind: 'missing'; alarmNames: string[] }
  | { kind: 'endpoint'; error: 'GreenNotInService' | 'UnexpectedEndpointState'; message: string };

/**
 * What is wrong with a bake now, if anything: a guardrail alarm in ALARM or gone, or the endpoint
 * no longer running what the shift left. The bake's own check (check-guardrails) and its backstop
 * outside the execution (on-backstop) ask the same question.
 */
export async function bakeProblem(alarmNames: string[], watch: Pick<Expectation, 'configName' | 'weights'> & { endpointName: string }): Promise<BakeProblem | undefined> {
  const alarms = judgeGuardrails(alarmNames, await describeAlarmsByName(cloudwatch, alarmNames));
  if (alarms.kind !== 'clear') return alarms;
  const endpoint = judgeBakeEndpoint(await describeEndpointIfExists(watch.endpointName), watch);
  return endpoint.kind === 'failed' ? { kind: 'endpoint', error: endpoint.error, message: endpoint.message } : undefined;
}
