import type { ExecutionEvent } from '../../local/executor';
import type { BakeState, PromotionState } from '../../lambdas/shared/contracts';
import { MAX_BAKE_EXTENSIONS } from '../../lambdas/shared/detection';
import { ended, entered, eventually, expectBackOnBlue, historyRow, lockItem, promotionInput, settle, startPromotion, startWorld, Traffic, type World } from './world';

/**
 * Issue 12 item 4, faster detection, on the local AWS.
 * - Green's config copies blue's MetricsConfig, and green's alarms take its publish interval as their
 *   period: with enhanced metrics every 10 s (API_MetricsConfig,
 *   https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_MetricsConfig.html) they are 10-second
 *   high-resolution alarms, evaluated every 10 s on 10-second data points ("High-resolution alarms",
 *   https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html), so a
 *   breach reaches ALARM within one publish interval plus one period: 20 s instead of 120 s.
 *   The assertions are on those simulated-time facts (periods, the alarm's state history), never on
 *   wall time; `npx tsx scripts/bench.ts breach` measures the difference.
 * - The bake's traffic guard (bakeTraffic) reads green's Invocations at the bake's end: too few →
 *   TooLittleTraffic (rollback), or the bake is extended (at most MAX_BAKE_EXTENSIONS times).
 */
let world: World;
const ENHANCED = 'demo-det-enhanced';
const STANDARD = 'demo-det-standard';
const GUARD_ROLLBACK = 'demo-det-quiet';
const GUARD_EXTEND = 'demo-det-extend';
const GUARD_EXHAUSTED = 'demo-det-exhausted';

beforeAll(async () => {
  world = await startWorld([STANDARD, GUARD_ROLLBACK, GUARD_EXTEND, GUARD_EXHAUSTED]);
  await world.seed.blueEndpoint(ENHANCED, world.v1, 2, { metricsConfig: { EnableEnhancedMetrics: true, MetricPublishFrequencyInSeconds: 10 } });
}, 60000);
afterEach(async () => settle(world));
afterAll(async () => world?.aws.close());

interface AlarmStateChange {
  'detail-type'?: string;
  detail?: {
    alarmName?: string;
    state?: { value?: string; reason?: string; reasonData?: string };
    previousState?: { value?: string };
    configuration?: { metrics?: Array<{ metricStat?: { period?: number } }> };
  };
}

/** The state history of the alarms named `prefix…`, as CloudWatch reports each change (its EventBridge event), in order. */
function recordAlarmHistory(prefix: string): { changes: AlarmStateChange[]; stop: () => void } {
  const changes: AlarmStateChange[] = [];
  const listener = (e: AlarmStateChange) => {
    if (e['detail-type'] === 'CloudWatch Alarm State Change' && e.detail?.alarmName?.startsWith(prefix)) changes.push(e);
  };
  world.aws.emulator.events.on('event', listener);
  return { changes, stop: () => world.aws.emulator.events.off('event', listener) };
}

/** The bake as each state of `name` left it (StateExited outputs, in order). */
function bakesAfter(executionArn: string, name: string): BakeState[] {
  const execution = world.aws.stepFunctions.list().find((e) => e.arn === executionArn);
  return (execution?.events ?? [])
    .filter((e: ExecutionEvent) => e.type === 'StateExited' && e.state === name && e.output !== undefined)
    .map((e) => (e.output as PromotionState).bake!)
    .filter((b) => b !== undefined);
}

describe.each([
  { metrics: 'enhanced metrics every 10 s', endpointName: ENHANCED, period: 10 },
  { metrics: 'standard metrics (60 s)', endpointName: STANDARD, period: 60 },
])("blue with $metrics", ({ endpointName, period }) => {
  test(`GIVEN green copies blue's MetricsConfig WHEN green starts answering 5xx during the bake THEN its ${period}-second alarms trip on one ${period}-second data point and traffic goes back to blue`, async () => {
    const traffic = new Traffic(world, endpointName);
    const promotion = await startPromotion(world, `det-${period}`, { ...promotionInput(endpointName, world.v2), bakeSeconds: 3600 });
    const history = recordAlarmHistory(promotion.green.alarmPrefix);
    try {
      await entered(world, promotion.executionArn, 'BakeDone?');
      await eventually(async () => (await lockItem(world, endpointName))?.bakeTaskToken !== undefined, 'the bake to park its task token');
      // Green's alarms, as CloudWatch holds them during the bake.
      const alarms = Object.values(world.aws.emulator.inspect().alarms).filter((a) => String(a.AlarmName).startsWith(promotion.green.alarmPrefix));
      expect(alarms.map((a) => [a.MetricName, a.Period])).toEqual(expect.arrayContaining([['Invocation5XXErrors', period], ['ModelLatency', period]]));
      // Green served well for a whole period first: its 5xx alarm is OK on data, not waiting for any.
      await eventually(() => world.aws.emulator.inspect().alarms[`${promotion.green.alarmPrefix}-5xx`]?.StateValue === 'OK', "green's 5xx alarm to be OK");
      world.aws.emulator.faults.variantErrors({ endpointName, modelPackageVersion: 2, statusCode: 500 });
      const execution = await ended(world, promotion.executionArn);
      await traffic.stop();

      const alarm = `${promotion.green.alarmPrefix}-5xx`;
      expect(execution).toMatchObject({ status: 'FAILED', error: 'PromotionRolledBack' });
      expect(execution.cause).toMatch(new RegExp(`^GuardrailAlarm: guardrail alarm ${alarm} is in ALARM: Threshold Crossed: 1 datapoint`));
      expect(bakesAfter(promotion.executionArn, 'ArmGuardrails').map((b) => b.alarmPeriodSeconds)).toEqual([period]);
      // The alarm's history: OK while green served well, then ALARM on the first breaching data point of one period.
      const ofAlarm = history.changes.filter((c) => c.detail?.alarmName === alarm);
      const toAlarm = ofAlarm.find((c) => c.detail?.state?.value === 'ALARM');
      expect(ofAlarm.map((c) => c.detail?.state?.value)).toEqual(expect.arrayContaining(['OK', 'ALARM']));
      expect(toAlarm?.detail?.previousState?.value).toBe('OK');
      expect(toAlarm?.detail?.configuration?.metrics?.[0]?.metricStat?.period).toBe(period);
      const reasonData = JSON.parse(toAlarm?.detail?.state?.reasonData ?? '{}') as { period?: number; recentDatapoints?: number[] };
      expect(reasonData).toMatchObject({ period, recentDatapoints: [expect.any(Number)] });
      expect(reasonData.recentDatapoints![0]).toBeGreaterThan(0);
      await expectBackOnBlue(world, promotion);
    } finally {
      history.stop();
      await traffic.stop();
    }
  }, 30000);
});

describe('bakeTraffic: the bake must see enough of green', () => {
  // Validation sends green two requests before the bake (a 60-second data point may hold them): far from 20.
  const guard = (onTooLittleTraffic: 'rollback' | 'extend') => ({ minInvocations: 20, onTooLittleTraffic, extendSeconds: 600 });

  test('GIVEN onTooLittleTraffic rollback WHEN nobody calls the endpoint during the bake THEN TooLittleTraffic rolls back, recorded in the history', async () => {
    const endpointName = GUARD_ROLLBACK;
    const promotion = await startPromotion(world, 'det-quiet', { ...promotionInput(endpointName, world.v2), bakeTraffic: guard('rollback') });
    const execution = await ended(world, promotion.executionArn);

    expect(execution).toMatchObject({ status: 'FAILED', error: 'PromotionRolledBack' });
    expect(execution.cause).toMatch(/^TooLittleTraffic: green got [0-2] invocations? during the bake, fewer than minInvocations 20: too little traffic to judge green, rolled back$/);
    // Judged once, at the bake's end: never extended.
    expect(bakesAfter(promotion.executionArn, 'CheckGuardrails').map((b) => b.extensions ?? 0)).not.toContain(1);
    await expectBackOnBlue(world, promotion);
    expect(await historyRow(world, promotion)).toMatchObject({ outcome: 'rolled_back', failedWith: 'TooLittleTraffic', reason: execution.cause });
  }, 30000);

  test('GIVEN onTooLittleTraffic extend WHEN the bake ends with no traffic and traffic arrives during the extension THEN the bake is extended once and the promotion is promoted', async () => {
    const endpointName = GUARD_EXTEND;
    const promotion = await startPromotion(world, 'det-extend', { ...promotionInput(endpointName, world.v2), bakeTraffic: guard('extend') });
    await eventually(() => bakesAfter(promotion.executionArn, 'CheckGuardrails').some((b) => b.extensions === 1), 'the bake to be extended');
    const traffic = new Traffic(world, endpointName);
    const execution = await ended(world, promotion.executionArn);
    const outcomes = await traffic.stop();

    expect(execution.status).toBe('SUCCEEDED');
    const bakes = bakesAfter(promotion.executionArn, 'CheckGuardrails');
    const last = bakes[bakes.length - 1]!;
    // 300 s asked for, 600 s added once; the traffic during the extension was enough.
    expect(last).toMatchObject({ done: true, extensions: 1, seconds: 900 });
    expect(last.elapsedSeconds).toBeGreaterThanOrEqual(900);
    expect(outcomes.ok).toBeGreaterThanOrEqual(20);
    expect(await historyRow(world, promotion)).toMatchObject({ outcome: 'promoted' });
  }, 30000);

  test(`GIVEN onTooLittleTraffic extend WHEN no traffic comes through ${MAX_BAKE_EXTENSIONS} extensions THEN TooLittleTraffic rolls back after the last one`, async () => {
    const endpointName = GUARD_EXHAUSTED;
    const promotion = await startPromotion(world, 'det-exhausted', { ...promotionInput(endpointName, world.v2), bakeTraffic: guard('extend') });
    const execution = await ended(world, promotion.executionArn);

    expect(execution).toMatchObject({ status: 'FAILED', error: 'PromotionRolledBack' });
    expect(execution.cause).toMatch(new RegExp(`^TooLittleTraffic: green got [0-2] invocations? during the bake, fewer than minInvocations 20 after ${MAX_BAKE_EXTENSIONS} extensions: too little traffic`));
    // Each extension (its first poll) adds 600 s to the 300 s bake; none after the last.
    const bakes = bakesAfter(promotion.executionArn, 'CheckGuardrails');
    const extensions = Array.from({ length: MAX_BAKE_EXTENSIONS + 1 }, (_, i) => bakes.find((b) => b.extensions === i + 1)?.seconds);
    expect(extensions).toEqual([...Array.from({ length: MAX_BAKE_EXTENSIONS }, (_, i) => 300 + (i + 1) * 600), undefined]);
    await expectBackOnBlue(world, promotion);
    expect(await historyRow(world, promotion)).toMatchObject({ outcome: 'rolled_back', failedWith: 'TooLittleTraffic' });
  }, 30000);
});
