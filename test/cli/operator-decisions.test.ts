import { abortEffect } from '../../cli/commands/rollback';
import { listEntries, phaseOf, renderList } from '../../cli/commands/list';
import { failureAnsweredBy } from '../../cli/commands/status';
import { bakeProgress, liveLine, shortDuration } from '../../cli/live';
import { defaultExecutionName } from '../../cli/promotion-input';
import type { LockItem } from '../../lambdas/shared/locks';
import type { QueuedApproval } from '../../lambdas/shared/queue-decisions';
import type { HistoryRow } from '../../cli/promotions';

const PACKAGE = (v: number) => `arn:aws:sagemaker:us-east-1:111122223333:model-package/churn-models/${v}`;

describe('default execution names', () => {
  test('two promotes in the same second get two names (Step Functions would merge or refuse a second start of one name)', () => {
    const at = new Date('2025-03-04T05:06:07.000Z');
    const names = new Set(Array.from({ length: 20 }, () => defaultExecutionName('churn-prediction', 7, at)));
    expect(names.size).toBe(20);
  });
});

describe('the live line of a wait', () => {
  test('the bake: elapsed of total, the alarms, green\'s traffic', () => {
    expect(liveLine({ state: 'Bake', inStateSeconds: 5, bake: { elapsedSeconds: 360, totalSeconds: 1800 }, alarms: { total: 3, inAlarm: [] }, greenPerMinute: 412.4 })).toBe('Bake 6m/30m, alarms OK, green 412 req/min');
  });

  test('an alarm in ALARM is named; no alarm watched says so; unknown facts are left out', () => {
    expect(liveLine({ state: 'Bake', inStateSeconds: 5, bake: { elapsedSeconds: 3700, totalSeconds: 7200 }, alarms: { total: 2, inAlarm: ['churn-p99'] } })).toBe('Bake 1h01m/2h00m, ALARM: churn-p99');
    expect(liveLine({ state: 'Bake', inStateSeconds: 5, alarms: { total: 0, inAlarm: [] } })).toBe('Bake 5s, no alarms');
  });

  test('an InService wait says how long, and what the endpoint is doing', () => {
    expect(liveLine({ state: 'WaitForTrafficOnGreen', inStateSeconds: 95, endpointStatus: 'Updating' })).toBe('WaitForTrafficOnGreen 1m, endpoint Updating');
  });

  test('durations: seconds, then minutes, then hours and minutes', () => {
    expect([shortDuration(59.9), shortDuration(60), shortDuration(3599), shortDuration(3600), shortDuration(-1)]).toEqual(['59s', '1m', '59m', '1h00m', '0s']);
  });

  test('bake progress: the termination wait and the Bake waits already counted, plus the time in this one, never past the total', () => {
    const state = { promotion: { bakeSeconds: 1800 }, bake: { seconds: 1200, elapsedSeconds: 300, terminationWaitSeconds: 600 } };
    expect(bakeProgress(state, 60)).toEqual({ elapsedSeconds: 960, totalSeconds: 1800 });
    expect(bakeProgress(state, 5000)).toEqual({ elapsedSeconds: 1800, totalSeconds: 1800 });
    expect(bakeProgress({ promotion: { bakeSeconds: 1800 } }, 60)).toBeUndefined();
  });
});

describe('list', () => {
  const lock = (endpoint: string, extra: Partial<LockItem> = {}): LockItem => ({
    endpointName: endpoint.toLowerCase(),
    endpointDisplayName: endpoint,
    sk: 'LOCK',
    promotionId: `${endpoint}-p`,
    executionArn: `arn:aws:states:us-east-1:111122223333:execution:Promotion:${endpoint}-p`,
    modelPackageArn: PACKAGE(2),
    acquiredAt: '2025-01-01T12:00:00.000Z',
    inFlight: 'yes',
    ...extra,
  });

  test('the phase a lock tells, an abort and a recovery first', () => {
    const bakeWatch = { endpointName: 'e', configName: 'c', weights: {} };
    expect(phaseOf(lock('e'))).toBe('running');
    expect(phaseOf(lock('e', { waitTaskToken: 't' }))).toBe('waiting');
    expect(phaseOf(lock('e', { bakeWatch, bakeTaskToken: 't' }))).toBe('baking');
    expect(phaseOf(lock('e', { bakeWatch, abortRequested: { error: 'GuardrailAlarm', reason: 'r', at: 'a' } }))).toBe('rolling-back');
    expect(phaseOf(lock('e', { abortRequested: { error: 'OutsideChange', reason: 'r', at: 'a' } }))).toBe('interrupted');
    expect(phaseOf(lock('e', { recoveredBy: 'arn', abortRequested: { error: 'PromotionAborted', reason: 'r', at: 'a' } }))).toBe('recovering');
  });

  test('one entry per endpoint, by name: a promotion and the approval queued behind it share a row', () => {
    const queued = (endpoint: string, version: number): QueuedApproval => ({
      endpointName: endpoint.toLowerCase(),
      endpointDisplayName: endpoint,
      sk: 'QUEUED',
      queued: 'yes',
      executionName: `${endpoint}-v${version}-approved`,
      modelPackageArn: PACKAGE(version),
      version,
      approvedAt: '2025-01-01T12:05:00.000Z',
      requestedBy: 'registry',
      input: '{}',
      queuedAt: '2025-01-01T12:05:01.000Z',
      behind: `${endpoint}-p`,
    });
    const entries = listEntries([lock('Zeta'), lock('Alpha')], [queued('Zeta', 3), queued('Mid', 4)]);
    expect(entries.map((e) => [e.endpointName, e.promotion?.promotionId ?? null, e.queued?.modelPackageVersion ?? null])).toEqual([
      ['Alpha', 'Alpha-p', null],
      ['Mid', null, 4],
      ['Zeta', 'Zeta-p', 3],
    ]);
    expect(renderList(entries, new Date('2025-01-01T12:10:00.000Z'))).toEqual([
      'ENDPOINT  PHASE    VERSION  AGE     PROMOTION  QUEUED',
      'Alpha     running  2        10m00s  Alpha-p    -',
      'Mid       queued   -        -       -          version 4 as Mid-v4-approved',
      'Zeta      running  2        10m00s  Zeta-p     version 3 as Zeta-v3-approved',
    ]);
  });
});

describe("status: a FailureReason a rollback answered is history", () => {
  const endpoint = { status: 'InService', failureReason: 'ping health check failed', lastModified: new Date('2025-01-01T12:00:00Z') };
  const row = (outcome: string, finishedAt: string) => ({ outcome, finishedAt, promotionId: 'p-1' }) as HistoryRow;

  test('answered by a rollback recorded at or after the endpoint last changed', () => {
    expect(failureAnsweredBy(endpoint, row('rolled_back', '2025-01-01T12:00:05Z'))?.promotionId).toBe('p-1');
    expect(failureAnsweredBy(endpoint, row('failed', '2025-01-01T12:00:00Z'))?.promotionId).toBe('p-1');
  });

  test('still news: a later change of the endpoint, an endpoint not InService, a promotion that succeeded', () => {
    expect(failureAnsweredBy(endpoint, row('rolled_back', '2025-01-01T11:59:00Z'))).toBeUndefined();
    expect(failureAnsweredBy({ ...endpoint, status: 'Failed' }, row('rolled_back', '2025-01-01T12:00:05Z'))).toBeUndefined();
    expect(failureAnsweredBy(endpoint, row('promoted', '2025-01-01T12:00:05Z'))).toBeUndefined();
    expect(failureAnsweredBy(endpoint, undefined)).toBeUndefined();
  });
});

describe('rollback: what the operator is told', () => {
  test('an abort already requested: the rollback already runs, whose it is and why', () => {
    expect(abortEffect('flagged', { error: 'PromotionAborted', reason: 'latency up', at: '2025-01-01T12:00:00Z' })).toBe(
      'a rollback is already under way, asked at 2025-01-01T12:00:00Z by an operator: latency up; your reason is recorded beside it in the history',
    );
    expect(abortEffect('signalled', { error: 'GuardrailAlarm', reason: 'churn-p99 in ALARM', at: 't' })).toContain('by a guardrail alarm: churn-p99 in ALARM');
  });

  test('the first abort: what it did', () => {
    expect(abortEffect('signalled', undefined)).toBe('the bake was interrupted: the workflow is rolling back now');
    expect(abortEffect('flagged', undefined)).toBe('the workflow rolls back at its next poll');
    expect(abortEffect('not-running', { error: 'PromotionAborted', reason: 'r', at: 't' })).toBe('the promotion had already ended (its lock is gone)');
  });
});
