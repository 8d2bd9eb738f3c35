import { bakeProblem } from '../shared/bake';
import { dynamo } from '../shared/clients/dynamo';
import { sfn } from '../shared/clients/sfn';
import { tableKey } from '../shared/contracts';
import { requiredEnv } from '../shared/env';
import type { AlarmEvidence } from '../shared/evidence';
import { step } from '../shared/handler';
import { locksInFlight, requestAbort, type AbortError, type AbortResult, type LockItem } from '../shared/locks';
import { interruptionReason } from '../shared/outside';
import { logger } from '../shared/powertools';
import { markFoundFree, queuedApprovals, startQueued, type QueuedApproval } from '../shared/queue';
import { decideStranded } from '../shared/queue-decisions';
import { ENV, settings } from '../shared/settings';

/**
 * What became of a queued approval: `waiting` (a promotion holds its endpoint), `cleared` (one
 * does again, and the earlier finding that it was free is forgotten), `marked` (found free: the
 * next run starts it if the end event does not first), `started` / `duplicate` (its deterministic
 * name had run already), `busy` / `changed` (a promotion took the endpoint, or another approval or
 * claimer the item, since it was listed), `error` (the next run tries again).
 */
export type QueuedResult = 'waiting' | 'cleared' | 'marked' | 'started' | 'duplicate' | 'busy' | 'changed' | 'error';

export interface BackstopResult {
  baking: Array<{ endpointName: string; promotionId: string; result: 'ok' | AbortResult | 'error'; problem?: string }>;
  queued: Array<{ endpointName: string; executionName: string; result: QueuedResult }>;
}

/** The abort a baking promotion needs, if any (the same check as the bake's own, check-guardrails). */
async function abortFor(lock: LockItem & { bakeWatch: NonNullable<LockItem['bakeWatch']> }): Promise<{ error: AbortError; reason: string; alarm?: AlarmEvidence } | undefined> {
  const problem = await bakeProblem(lock.watchedAlarms ?? [], lock.bakeWatch);
  if (problem?.kind === 'outside') return { error: 'OutsideChange', reason: interruptionReason(problem.change, 'on-backstop', new Date().toISOString()) };
  if (problem?.kind === 'alarm') {
    return { error: 'GuardrailAlarm', reason: `guardrail alarm ${problem.alarmName} is in ALARM: ${problem.reason} (found by the bake's backstop)`, alarm: { name: problem.alarmName, stateReason: problem.reason } };
  }
  if (problem?.kind === 'missing') return { error: 'GuardrailAlarm', reason: `guardrail alarm ${problem.alarmNames.join(', ')} no longer exists, so the bake cannot be watched` };
  if (problem?.kind === 'endpoint') return { error: 'UnexpectedEndpointState', reason: `${problem.error}: ${problem.message}` };
  return undefined;
}

/**
 * One queued approval, as decideStranded says: started (claimed with the conditional delete of
 * startQueued, under its own deterministic name, so a late on-execution-end finds nothing to claim
 * and a second start of the name is a duplicate) only once a previous run found its endpoint free.
 */
async function sweepQueued(item: QueuedApproval, held: Set<string>, tableName: string): Promise<QueuedResult> {
  const d = decideStranded(item, held.has(tableKey(item.endpointName)));
  if (d.action === 'wait') return d.clear ? ((await markFoundFree(dynamo, tableName, item, undefined)) ? 'cleared' : 'changed') : 'waiting';
  if (d.action === 'mark') return (await markFoundFree(dynamo, tableName, item, new Date().toISOString())) ? 'marked' : 'changed';
  const note = `(by the bake's backstop: no promotion held the endpoint on two of its runs, the first at ${item.foundFreeAt}; the end event of ${item.behind} was lost or late)`;
  const drained = await startQueued({ dynamo, sfn }, tableName, requiredEnv(ENV.stateMachineArn), item.endpointDisplayName, undefined, { only: item.executionName, note });
  if (drained.action === 'started') {
    logger.warn('bake backstop: queued approval started (the end event of the promotion it waited for was lost)', { endpointName: item.endpointName, executionName: item.executionName, behind: item.behind, duplicate: drained.duplicate });
    return drained.duplicate ? 'duplicate' : 'started';
  }
  return drained.action === 'busy' ? 'busy' : 'changed';
}

/**
 * The bake's backstop, outside the execution: an EventBridge schedule (every `bakeBackstop`)
 * checks the guardrail alarms and the endpoint of every promotion whose bake waits, in case an
 * alarm or endpoint event was lost: it stops one whose endpoint someone else changed (OutsideChange,
 * judged against the footprint the bake parked) and rolls a failing one back now (flag and task
 * token, as the alarm trigger does, only while its bake still waits). The bake itself is one callback wait, so its
 * length costs no state transitions; this check costs none either. Then it starts the approvals
 * queued behind promotions whose end event was lost (sweepQueued).
 */
export const handler = step(
  'on-backstop',
  () => ({}),
  async (): Promise<BackstopResult> => {
    const { tableName } = settings();
    const baking: BackstopResult['baking'] = [];
    const locks = await locksInFlight(dynamo, tableName);
    for (const lock of locks) {
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
    const held = new Set(locks.map((l) => tableKey(l.endpointName)));
    const queued: BackstopResult['queued'] = [];
    for (const item of await queuedApprovals(dynamo, tableName)) {
      let result: QueuedResult;
      try {
        result = await sweepQueued(item, held, tableName);
      } catch (error) {
        // As above: one endpoint's failure (a throttled start, put back in the queue) leaves the others swept.
        logger.error('bake backstop: queued approval not swept', { endpointName: item.endpointName, executionName: item.executionName, error: error as Error });
        result = 'error';
      }
      queued.push({ endpointName: item.endpointName, executionName: item.executionName, result });
    }
    return { baking, queued };
  },
);
