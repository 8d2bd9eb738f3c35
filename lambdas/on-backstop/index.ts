import { bakeProblem } from '../shared/bake';
import { dynamo } from '../shared/clients/dynamo';
import { sfn } from '../shared/clients/sfn';
import { step } from '../shared/handler';
import { locksInFlight, requestAbort, type AbortError, type AbortResult, type LockItem } from '../shared/locks';
import { interruptionReason } from '../shared/outside';
import { logger } from '../shared/powertools';
import { settings } from '../shared/settings';

export interface BackstopResult {
  baking: Array<{ endpointName: string; promotionId: string; result: 'ok' | AbortResult | 'error'; problem?: string }>;
}

/** The abort a baking promotion needs, if any (the same check as the bake's own, check-guardrails). */
async function abortFor(lock: LockItem & { bakeWatch: NonNullable<LockItem['bakeWatch']> }): Promise<{ error: AbortError; reason: string } | undefined> {
  const problem = await bakeProblem(lock.watchedAlarms ?? [], lock.bakeWatch);
  if (problem?.kind === 'outside') return { error: 'OutsideChange', reason: interruptionReason(problem.change, 'on-backstop', new Date().toISOString()) };
  if (problem?.kind === 'alarm') return { error: 'GuardrailAlarm', reason: `guardrail alarm ${problem.alarmName} is in ALARM: ${problem.reason} (found by the bake's backstop)` };
  if (problem?.kind === 'missing') return { error: 'GuardrailAlarm', reason: `guardrail alarm ${problem.alarmNames.join(', ')} no longer exists, so the bake cannot be watched` };
  if (problem?.kind === 'endpoint') return { error: 'UnexpectedEndpointState', reason: `${problem.error}: ${problem.message}` };
  return undefined;
}

/**
 * The bake's backstop, outside the execution: an EventBridge schedule (every `bakeBackstop`)
 * checks the guardrail alarms and the endpoint of every promotion whose bake waits, in case an
 * alarm or endpoint event was lost: it stops one whose endpoint someone else changed (OutsideChange,
 * judged against the footprint the bake parked) and rolls a failing one back now (flag and task
 * token, as the alarm trigger does, only while its bake still waits). The bake itself is one callback wait, so its
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
      // Not baking, or already told to stop (a rollback changes the endpoint: nothing to add).
      if (!watch || !lock.bakeTaskToken || lock.abortRequested) continue;
      const entry: BackstopResult['baking'][number] = { endpointName: lock.endpointName, promotionId: lock.promotionId, result: 'ok' };
      try {
        const problem = await abortFor({ ...lock, bakeWatch: watch });
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
