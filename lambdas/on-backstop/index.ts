import { describeAlarmsByName } from '../shared/alarms';
import { cloudwatch } from '../shared/clients/cloudwatch';
import { dynamo } from '../shared/clients/dynamo';
import { sfn } from '../shared/clients/sfn';
import { judgeGuardrails } from '../shared/decisions';
import { step } from '../shared/handler';
import { locksInFlight, requestAbort, type AbortError, type AbortResult, type LockItem } from '../shared/locks';
import { logger } from '../shared/powertools';
import { describeEndpointIfExists } from '../shared/sagemaker';
import { settings } from '../shared/settings';
import { judgeBakeEndpoint } from '../shared/waits';

export interface BackstopResult {
  baking: Array<{ endpointName: string; promotionId: string; result: 'ok' | AbortResult | 'error'; problem?: string }>;
}

/** What is wrong with a baking promotion, if anything: a guardrail alarm in ALARM or gone, or the endpoint no longer running what the shift left. */
async function bakeProblem(lock: LockItem & { bakeWatch: NonNullable<LockItem['bakeWatch']> }): Promise<{ error: AbortError; reason: string } | undefined> {
  const names = lock.watchedAlarms ?? [];
  const alarms = judgeGuardrails(names, await describeAlarmsByName(cloudwatch, names));
  if (alarms.kind === 'alarm') return { error: 'GuardrailAlarm', reason: `guardrail alarm ${alarms.alarmName} is in ALARM: ${alarms.reason} (found by the bake's backstop)` };
  if (alarms.kind === 'missing') return { error: 'GuardrailAlarm', reason: `guardrail alarm ${alarms.alarmNames.join(', ')} no longer exists, so the bake cannot be watched` };
  const endpoint = judgeBakeEndpoint(await describeEndpointIfExists(lock.bakeWatch.endpointName), lock.bakeWatch);
  if (endpoint.kind === 'failed') return { error: 'UnexpectedEndpointState', reason: `${endpoint.error}: ${endpoint.message}` };
  return undefined;
}

/**
 * The bake's backstop, outside the execution: an EventBridge schedule (every `bakeBackstop`)
 * checks the guardrail alarms and the endpoint of every promotion whose bake waits, in case an
 * alarm event was lost, and rolls a failing one back now (flag and task token, as the alarm
 * trigger does, only while its bake still waits). The bake itself is one callback wait, so its
 * length costs no state transitions; this check costs none either.
 */
export const handler = step(
  'on-backstop',
  () => ({}),
  async (): Promise<BackstopResult> => {
    const { tableName } = settings();
    const baking: BackstopResult['baking'] = [];
    for (const lock of await locksInFlight(dynamo, tableName)) {
      const watch = lock.bakeWatch;
      // Not baking, or already told to roll back (the rollback changes the endpoint: nothing to add).
      if (!watch || !lock.bakeTaskToken || lock.abortRequested) continue;
      const entry: BackstopResult['baking'][number] = { endpointName: lock.endpointName, promotionId: lock.promotionId, result: 'ok' };
      try {
        const problem = await bakeProblem({ ...lock, bakeWatch: watch });
        if (problem) {
          entry.problem = problem.reason;
          entry.result = await requestAbort({ dynamo, sfn }, tableName, lock, { ...problem, at: new Date().toISOString() }, { whileBaking: true });
          logger.info('bake backstop: rollback requested', { endpointName: lock.endpointName, promotionId: lock.promotionId, ...problem, result: entry.result });
        }
      } catch (error) {
        // One promotion's failure (throttling…) must not keep the others unwatched; the next run tries again.
        logger.error('bake backstop: check failed', { endpointName: lock.endpointName, promotionId: lock.promotionId, error: error as Error });
        entry.result = 'error';
      }
      baking.push(entry);
    }
    return { baking };
  },
);
