import {
  decideApproval,
  decideRejection,
  decideStranded,
  isNewer,
  lostApproval,
  promotedBy,
  queueItem,
  queuedRow,
  rejectionFallback,
  requeuedName,
  samePackage,
  type Approval,
  type ApprovalFacts,
  type QueuePolicy,
} from '../../lambdas/shared/queue-decisions';
import { ENDPOINT, packageArn } from '../support/fixtures';

/** The queue's pure decisions (lambdas/shared/queue-decisions.ts), without mocks. */
const QUEUE: QueuePolicy = { onNewerApproval: 'queue', allowDowngrade: false };
const SUPERSEDE: QueuePolicy = { onNewerApproval: 'supersede', allowDowngrade: false };
const DOWNGRADES: QueuePolicy = { onNewerApproval: 'queue', allowDowngrade: true };

function approval(version: number, approvedAt = `2026-12-01T12:0${version % 10}:00Z`, executionName = `churn-prediction-v${version}-approved-${version}`): Approval {
  return { executionName, modelPackageArn: packageArn(version), version, approvedAt, requestedBy: `model-registry:approved:churn-models/${version}` };
}
const inFlight = (version: number) => ({ promotionId: `running-v${version}`, modelPackageArn: packageArn(version) });
const queued = (a: Approval) => queueItem(ENDPOINT, a, '{}', '2026-12-01T12:00:30Z', 'running-v7');
const facts = (a: Approval, rest: Partial<ApprovalFacts> = {}): ApprovalFacts => ({ endpointName: ENDPOINT, group: 'churn-models', approval: a, policy: QUEUE, ...rest });

describe('decideApproval', () => {
  test('GIVEN a free endpoint and nothing queued THEN the approval starts', () => {
    expect(decideApproval(facts(approval(8), { live: 7 }))).toEqual({ action: 'start' });
  });

  test('GIVEN a promotion of version 7 in flight WHEN version 8 is approved THEN it is queued behind it, the running one left alone', () => {
    expect(decideApproval(facts(approval(8), { live: 6, inFlight: inFlight(7) }))).toEqual({ action: 'queue', replaces: undefined, abortReason: undefined });
  });

  test('GIVEN version 8 queued WHEN version 9 is approved THEN 9 replaces it and 8 is superseded by 9', () => {
    const eight = queued(approval(8));
    expect(decideApproval(facts(approval(9, '2026-12-01T12:09:00Z'), { inFlight: inFlight(7), queued: eight }))).toEqual({
      action: 'queue',
      replaces: { item: eight, reason: 'superseded by version 9 approved at 2026-12-01T12:09:00Z', supersededBy: `version 9 (${approval(9).executionName})` },
      abortReason: undefined,
    });
  });

  test('GIVEN version 9 queued WHEN version 8 is approved after it THEN 8 is superseded on arrival: versions decide, not arrival order', () => {
    const d = decideApproval(facts(approval(8, '2026-12-01T12:30:00Z'), { inFlight: inFlight(7), queued: queued(approval(9)) }));
    expect(d).toMatchObject({ action: 'superseded', supersededBy: `version 9 (${approval(9).executionName})` });
    expect(d.action === 'superseded' && d.reason).toMatch(/^version 9 approved at .* waits already and wins/);
  });

  test('GIVEN version 8 queued WHEN version 8 is approved again (a new LastModifiedTime) THEN the re-approval replaces it', () => {
    const first = queued(approval(8, '2026-12-01T12:08:00Z', 'first'));
    const again = approval(8, '2026-12-01T12:20:00Z', 'again');
    expect(decideApproval(facts(again, { inFlight: inFlight(7), queued: first }))).toMatchObject({ action: 'queue', replaces: { item: first } });
  });

  test('GIVEN the same event delivered again THEN it is a duplicate, whether it runs or waits', () => {
    const a = approval(8);
    expect(decideApproval(facts(a, { inFlight: { promotionId: a.executionName, modelPackageArn: a.modelPackageArn } }))).toMatchObject({ action: 'duplicate' });
    expect(decideApproval(facts(a, { inFlight: inFlight(7), queued: queued(a) }))).toMatchObject({ action: 'duplicate' });
  });

  test('GIVEN version 8 being promoted WHEN version 8 is approved again THEN nothing is added', () => {
    expect(decideApproval(facts(approval(8), { inFlight: inFlight(8) }))).toMatchObject({ action: 'ignore', note: 'version 8 is being promoted already (running-v8)' });
  });

  test('GIVEN version 9 being promoted WHEN version 8 is approved THEN 8 is superseded by the running one (it would be a downgrade once 9 is live)', () => {
    expect(decideApproval(facts(approval(8), { live: 7, inFlight: inFlight(9) }))).toMatchObject({ action: 'superseded', supersededBy: 'version 9 (running-v9)' });
  });

  test('GIVEN onNewerApproval "supersede" WHEN a newer version is approved during a promotion THEN it is queued and the running one is asked to roll back, naming the newer approval', () => {
    expect(decideApproval(facts(approval(8, '2026-12-01T12:03:00Z'), { inFlight: inFlight(7), policy: SUPERSEDE }))).toEqual({
      action: 'queue',
      replaces: undefined,
      abortReason: 'superseded by version 8 approved at 2026-12-01T12:03:00Z',
    });
    // An older one supersedes nothing, whatever the option.
    expect(decideApproval(facts(approval(6), { inFlight: inFlight(7), policy: SUPERSEDE }))).toMatchObject({ action: 'superseded' });
  });

  test('GIVEN the endpoint serves version 7 WHEN version 5 is approved THEN it is refused as a downgrade, the reason naming the option to set', () => {
    const d = decideApproval(facts(approval(5), { live: 7 }));
    expect(d).toEqual({
      action: 'refuse',
      reason:
        'version 5 is older than version 7, which churn-prediction serves: a downgrade, refused; to allow downgrades set "allowDowngrade": true in cdk.json\'s bluegreen.modelPackageGroups.churn-models, or approve a version newer than 7',
    });
    // Busy or not: a downgrade is refused before anything is queued.
    expect(decideApproval(facts(approval(5), { live: 7, inFlight: inFlight(8) }))).toMatchObject({ action: 'refuse' });
  });

  test('GIVEN allowDowngrade WHEN an older version is approved THEN it starts, and while busy the later approval wins whatever its version', () => {
    expect(decideApproval(facts(approval(5), { live: 7, policy: DOWNGRADES }))).toEqual({ action: 'start' });
    expect(decideApproval(facts(approval(5, '2026-12-01T12:30:00Z'), { live: 7, inFlight: inFlight(8), queued: queued(approval(9)), policy: DOWNGRADES }))).toMatchObject({ action: 'queue' });
    expect(decideApproval(facts(approval(5, '2026-12-01T11:00:00Z'), { live: 7, inFlight: inFlight(8), queued: queued(approval(9)), policy: DOWNGRADES }))).toMatchObject({ action: 'superseded' });
  });

  test('GIVEN the same version as the live one (a re-approval) or no live version THEN it is no downgrade', () => {
    expect(decideApproval(facts(approval(7), { live: 7 }))).toEqual({ action: 'start' });
    expect(decideApproval(facts(approval(1)))).toEqual({ action: 'start' });
  });

  test('GIVEN a free endpoint but an approval still queued (its start event lost) THEN the new one is compared with it, not started past it', () => {
    expect(decideApproval(facts(approval(8), { queued: queued(approval(9)) }))).toMatchObject({ action: 'superseded' });
    expect(decideApproval(facts(approval(10), { queued: queued(approval(9)) }))).toMatchObject({ action: 'queue', abortReason: undefined });
  });
});

describe('isNewer', () => {
  test('versions decide unless downgrades are allowed; the same version: the later approval', () => {
    const earlier = '2026-12-01T12:00:01Z';
    const later = '2026-12-01T12:00:02Z';
    expect(isNewer({ version: 9, approvedAt: earlier }, { version: 8, approvedAt: later }, false)).toBe(true);
    expect(isNewer({ version: 8, approvedAt: later }, { version: 9, approvedAt: earlier }, false)).toBe(false);
    expect(isNewer({ version: 8, approvedAt: later }, { version: 9, approvedAt: earlier }, true)).toBe(true);
    expect(isNewer({ version: 8, approvedAt: '2026-12-01T12:00:01Z' }, { version: 8, approvedAt: '2026-12-01T12:00:02Z' }, false)).toBe(false);
    // EventBridge writes times without milliseconds, Date#toISOString with: compared as instants, not strings.
    expect(isNewer({ version: 8, approvedAt: '2026-12-01T12:00:00Z' }, { version: 9, approvedAt: '2026-12-01T12:00:00.500Z' }, true)).toBe(false);
  });
});

describe('decideRejection', () => {
  const base = { group: 'churn-models', version: 7, modelPackageArn: packageArn(7), rejectedAt: '2026-12-01T12:05:00Z' };

  test('GIVEN a promotion of the rejected version in flight THEN it is rolled back with the rejection as the reason, and no fallback starts', () => {
    // With the variant strategy green already serves during the bake: the live version is the rejected one too.
    expect(decideRejection({ ...base, live: 7, inFlight: inFlight(7) })).toEqual({
      abortReason: 'model package churn-models/7 was Rejected in the Model Registry at 2026-12-01T12:05:00Z',
      unqueueReason: undefined,
      fallback: false,
    });
  });

  test('GIVEN the rejected version is live and nothing of it in flight THEN the endpoint falls back (today\'s behaviour)', () => {
    expect(decideRejection({ ...base, live: 7 })).toEqual({ abortReason: undefined, unqueueReason: undefined, fallback: true });
    expect(decideRejection({ ...base, live: 7, inFlight: inFlight(8) })).toMatchObject({ abortReason: undefined, fallback: true });
  });

  test('GIVEN the rejected version is queued THEN it leaves the queue, recorded with the rejection', () => {
    expect(decideRejection({ ...base, live: 6, inFlight: inFlight(6), queued: queued(approval(7)) })).toEqual({
      abortReason: undefined,
      unqueueReason: 'model package churn-models/7 was Rejected in the Model Registry at 2026-12-01T12:05:00Z: removed from the queue',
      fallback: false,
    });
  });

  test('GIVEN a version neither live, in flight nor queued THEN nothing happens', () => {
    expect(decideRejection({ ...base, live: 6, inFlight: inFlight(8), queued: queued(approval(9)) })).toEqual({ abortReason: undefined, unqueueReason: undefined, fallback: false });
  });

  test('packages compare by account, region, group (case-insensitively) and version', () => {
    expect(samePackage(packageArn(7), packageArn(7).replace('churn-models', 'Churn-Models'))).toBe(true);
    expect(samePackage(packageArn(7), packageArn(8))).toBe(false);
    expect(samePackage(packageArn(7), packageArn(7, 'other-models'))).toBe(false);
    expect(samePackage(packageArn(7), 'not-an-arn')).toBe(false);
  });
});

describe('history rows and names', () => {
  test('a queued row says what it waits for; its fate overrides outcome and reason, keyed case-insensitively by the endpoint', () => {
    const item = queueItem('Churn-Prediction', approval(8), '{}', '2026-12-01T12:03:30Z', 'running-v7');
    expect(queuedRow(item)).toMatchObject({
      endpointName: 'churn-prediction',
      endpointDisplayName: 'Churn-Prediction',
      sk: `PROMOTION#2026-12-01T12:03:30Z#${item.executionName}`,
      approvalId: item.executionName,
      modelPackageVersion: 8,
      outcome: 'queued',
      reason: 'approved at 2026-12-01T12:08:00Z while running-v7 promotes Churn-Prediction: starts when it ends',
      behind: 'running-v7',
    });
    expect(queuedRow(item, { outcome: 'superseded', reason: 'x', supersededBy: 'version 9' })).toMatchObject({ outcome: 'superseded', reason: 'x', supersededBy: 'version 9', sk: queuedRow(item).sk });
  });

  test('a re-queued name stays within Step Functions\' 80 characters of [A-Za-z0-9-_]', () => {
    const longest = `${'e'.repeat(40)}-v99999-approved-0123456789`.padEnd(80, 'x');
    for (const name of ['churn-prediction-v8-approved-0123456789', longest, requeuedName(longest)]) {
      expect(requeuedName(name)).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
      expect(requeuedName(name)).not.toBe(name);
    }
  });

  test('lostApproval: only an approval\'s start refused PromotionInProgress is queued again, under a new name', () => {
    const input = JSON.stringify({ endpointName: ENDPOINT, modelPackageArn: packageArn(8), requestedBy: 'model-registry:approved:churn-models/8' });
    const ended = { name: 'churn-prediction-v8-approved-abc', status: 'FAILED', error: 'PromotionInProgress', input, startDate: Date.parse('2026-12-01T12:08:00Z') };
    expect(lostApproval(ended)).toEqual({
      endpointName: ENDPOINT,
      input,
      approval: { executionName: 'churn-prediction-v8-approved-abc-q1', modelPackageArn: packageArn(8), version: 8, approvedAt: '2026-12-01T12:08:00.000Z', requestedBy: 'model-registry:approved:churn-models/8' },
    });
    expect(lostApproval({ ...ended, error: 'PromotionRolledBack' })).toBeUndefined();
    expect(lostApproval({ ...ended, input: JSON.stringify({ ...JSON.parse(input), requestedBy: 'jane' }) })).toBeUndefined();
    expect(lostApproval({ ...ended, status: 'SUCCEEDED' })).toBeUndefined();
  });
});

describe('a version rejected while it went live', () => {
  const input = JSON.stringify({ endpointName: ENDPOINT, modelPackageArn: packageArn(7), bakeSeconds: 600, requestedBy: 'jane' });
  const ended = { name: 'p'.repeat(80), status: 'SUCCEEDED', input };

  test('promotedBy: only a SUCCEEDED promotion of a routed group (compared case-insensitively)', () => {
    expect(promotedBy(ended, ['Churn-Models'])).toEqual({ endpointName: ENDPOINT, modelPackageArn: packageArn(7), group: 'churn-models', version: 7 });
    expect(promotedBy(ended, ['other-models'])).toBeUndefined();
    expect(promotedBy({ ...ended, status: 'FAILED' }, ['churn-models'])).toBeUndefined();
    expect(promotedBy({ ...ended, input: JSON.stringify({ recoverExecutionArn: 'arn' }) }, ['churn-models'])).toBeUndefined();
  });

  test('rejectionFallback: the ended promotion\'s settings with the fallback version, requested by the rejection, under a name of at most 80 characters', () => {
    const { approval, input: fallbackInput } = rejectionFallback(ended, { group: 'churn-models', version: 7 }, { modelPackageArn: packageArn(6), version: 6 }, '2026-12-01T12:00:00Z');
    expect(approval).toEqual({ executionName: `${'p'.repeat(71)}-rejected`, modelPackageArn: packageArn(6), version: 6, approvedAt: '2026-12-01T12:00:00Z', requestedBy: 'model-registry:rejected:churn-models/7' });
    expect(approval.executionName).toHaveLength(80);
    expect(JSON.parse(fallbackInput)).toEqual({ endpointName: ENDPOINT, modelPackageArn: packageArn(6), bakeSeconds: 600, requestedBy: 'model-registry:rejected:churn-models/7' });
  });
});

describe('decideStranded (the bake\'s backstop, for an approval whose promotion\'s end event was lost)', () => {
  const item = queued(approval(8));
  const found = { ...item, foundFreeAt: '2026-12-01T12:10:00Z' };

  test('a promotion holds the endpoint: its end starts the approval; the backstop only forgets an earlier finding that it was free', () => {
    expect(decideStranded(item, true)).toEqual({ action: 'wait', clear: false });
    expect(decideStranded(found, true)).toEqual({ action: 'wait', clear: true });
  });

  test('free on the first run that looks: noted, not started, so the end event (still on its way) goes first', () => {
    expect(decideStranded(item, false)).toEqual({ action: 'mark' });
  });

  test('free again on a later run: the end event was lost, start it', () => {
    expect(decideStranded(found, false)).toEqual({ action: 'start' });
  });

  test('a queue item carries the sparse index key, so the backstop finds it without reading the history', () => {
    expect(item).toMatchObject({ sk: 'QUEUED', queued: 'yes' });
    expect(item.foundFreeAt).toBeUndefined();
  });
});
