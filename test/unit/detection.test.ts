import { greenAlarmPeriodSeconds, invocationPublishSeconds, judgeBakeTraffic, longestBakeSeconds, MAX_BAKE_EXTENSIONS } from '../../lambdas/shared/detection';

describe('invocationPublishSeconds (API_MetricsConfig)', () => {
  it('GIVEN no MetricsConfig or enhanced metrics off THEN 60 s, whatever the frequency (it then applies to utilization metrics only)', () => {
    expect(invocationPublishSeconds(undefined)).toBe(60);
    expect(invocationPublishSeconds({ EnableEnhancedMetrics: false, MetricPublishFrequencyInSeconds: 10 })).toBe(60);
  });
  it('GIVEN enhanced metrics THEN the configured frequency, 60 s by default', () => {
    expect(invocationPublishSeconds({ EnableEnhancedMetrics: true, MetricPublishFrequencyInSeconds: 10 })).toBe(10);
    expect(invocationPublishSeconds({ EnableEnhancedMetrics: true })).toBe(60);
  });
  it("GIVEN a publish interval THEN green's alarm period matches it (60 s when unknown)", () => {
    expect(greenAlarmPeriodSeconds(10)).toBe(10);
    expect(greenAlarmPeriodSeconds(300)).toBe(300);
    expect(greenAlarmPeriodSeconds(undefined)).toBe(60);
  });
});

describe('judgeBakeTraffic', () => {
  const guard = { minInvocations: 100, onTooLittleTraffic: 'extend' as const, extendSeconds: 600 };
  it('GIVEN no guard or enough invocations THEN enough', () => {
    expect(judgeBakeTraffic(undefined, 0, 0)).toEqual({ kind: 'enough' });
    expect(judgeBakeTraffic(guard, 100, 0)).toEqual({ kind: 'enough' });
  });
  it('GIVEN extend and too few THEN extend by extendSeconds until the extensions run out, then roll back', () => {
    expect(judgeBakeTraffic(guard, 99, 0)).toMatchObject({ kind: 'extend', seconds: 600 });
    expect(judgeBakeTraffic(guard, 99, MAX_BAKE_EXTENSIONS - 1)).toMatchObject({ kind: 'extend', seconds: 600 });
    const last = judgeBakeTraffic(guard, 3, MAX_BAKE_EXTENSIONS);
    expect(last.kind).toBe('rollback');
    expect(last.kind === 'rollback' && last.reason).toMatch(/3 invocations .* fewer than minInvocations 100 after 2 extensions/);
  });
  it('GIVEN rollback and too few THEN rollback at once', () => {
    expect(judgeBakeTraffic({ ...guard, onTooLittleTraffic: 'rollback' }, 1, 0)).toMatchObject({ kind: 'rollback', reason: expect.stringMatching(/1 invocation during/) });
  });
  it('GIVEN extend THEN the longest bake counts every extension; rollback adds none', () => {
    expect(longestBakeSeconds(1800, guard)).toBe(1800 + MAX_BAKE_EXTENSIONS * 600);
    expect(longestBakeSeconds(1800, { ...guard, onTooLittleTraffic: 'rollback' })).toBe(1800);
    expect(longestBakeSeconds(1800, undefined)).toBe(1800);
  });
});
