import type { PromotionState } from '../../lambdas/shared/contracts';
import { readLock, requestAbort } from '../../lambdas/shared/locks';
import { ended, entered, eventually, expectBackOnBlue, lockItem, promotionInput, settle, startPromotion, startWorld, Traffic, type World } from './world';

/**
 * The waits on the local AWS (600× clock): the bake is one callback wait that the alarm trigger,
 * an abort or the backstop schedule ends; InService waits are woken by SageMaker's endpoint
 * state-change events (the emulator sends them), their polls only a backstop.
 */
let world: World;

beforeAll(async () => {
  world = await startWorld(['demo-short-bake', 'demo-long-bake', 'demo-bake-alarm', 'demo-bake-abort', 'demo-backstop', 'demo-wait-abort']);
}, 60000);
afterEach(async () => settle(world));
afterAll(async () => world?.aws.close());

const execution = (arn: string) => world.aws.stepFunctions.list().find((e) => e.arn === arn)!;
/** The state entered right after the last entry of `state`. */
function enteredAfter(arn: string, state: string): string | undefined {
  const names = execution(arn).events.filter((e) => e.type === 'StateEntered').map((e) => e.state);
  return names[names.lastIndexOf(state) + 1];
}
/** Simulated seconds between two real instants on this clock. */
const simulated = (fromMs: number, toMs: number) => ((toMs - fromMs) * world.aws.timeScale) / 1000;

test('GIVEN a 5-minute and a 2-hour bake WHEN both promotions succeed THEN they take the same state transitions: the bake is one wait', async () => {
  const short = await startPromotion(world, 'short-bake-1', { ...promotionInput('demo-short-bake', world.v2), bakeSeconds: 300 });
  const long = await startPromotion(world, 'long-bake-1', { ...promotionInput('demo-long-bake', world.v2), bakeSeconds: 7200 });
  const [s, l] = await Promise.all([ended(world, short.executionArn), ended(world, long.executionArn)]);

  expect(s.status).toBe('SUCCEEDED');
  expect(l.status).toBe('SUCCEEDED');
  expect(l.statesEntered.filter((n) => n === 'Bake')).toEqual(['Bake']);
  // Outside the InService waits (whose checks depend on when SageMaker's events land) both ran the same path.
  const waitLoop = /^(Check|WaitFor)?(GreenInService|TrafficOnGreen|GreenAlone)\??$/;
  expect(l.statesEntered.filter((n) => !waitLoop.test(n))).toEqual(s.statesEntered.filter((n) => !waitLoop.test(n)));
  // The bake lasted its 2 hours (simulated), measured from its own wait, not from ArmGuardrails.
  const events = execution(long.executionArn).events;
  const bakeStart = events.find((e) => e.type === 'StateEntered' && e.state === 'Bake')!.at;
  const bakeEnd = events.find((e) => e.type === 'StateEntered' && e.state === 'CheckGuardrails')!.at;
  expect(simulated(bakeStart, bakeEnd)).toBeGreaterThanOrEqual(7200);
}, 60000);

test('GIVEN a 2-hour bake WHEN green\'s 5xx alarm goes to ALARM THEN the alarm trigger fails the bake\'s wait and the rollback starts at once, long before the backstop', async () => {
  const endpointName = 'demo-bake-alarm';
  const traffic = new Traffic(world, endpointName);
  const promotion = await startPromotion(world, 'bake-alarm-1', { ...promotionInput(endpointName, world.v2), bakeSeconds: 7200 });
  await entered(world, promotion.executionArn, 'Bake');
  await eventually(async () => (await lockItem(world, endpointName))?.bakeWatch !== undefined, 'the bake to park its task token');
  let alarmAt: number | undefined;
  const alarm = `${promotion.green.alarmPrefix}-5xx`;
  const onAlarm = (e: { 'detail-type'?: string; detail?: { alarmName?: string; state?: { value?: string } } }) => {
    if (e['detail-type'] === 'CloudWatch Alarm State Change' && e.detail?.alarmName === alarm && e.detail.state?.value === 'ALARM') alarmAt ??= Date.now();
  };
  world.aws.emulator.events.on('event', onAlarm);
  world.aws.emulator.faults.variantErrors({ endpointName, modelPackageVersion: 2, statusCode: 500 });
  await entered(world, promotion.executionArn, 'RollBack');
  const rollbackAt = execution(promotion.executionArn).events.find((e) => e.type === 'StateEntered' && e.state === 'RollBack')!.at;
  world.aws.emulator.events.off('event', onAlarm);
  const done = await ended(world, promotion.executionArn);
  await traffic.stop();

  expect(done).toMatchObject({ status: 'FAILED', error: 'PromotionRolledBack' });
  expect(done.cause).toMatch(new RegExp(`^GuardrailAlarm: guardrail alarm ${alarm} is in ALARM: Threshold Crossed`));
  expect(done.cause).not.toMatch(/backstop/);
  expect(enteredAfter(promotion.executionArn, 'Bake')).toBe('RollBack');
  // Long before the backstop (every 5 simulated minutes): within 150 simulated seconds of the alarm, 0.25 s of real time
  // at 600× — a loaded 2-core machine stretched the trigger to 64 s, where a quiet one takes a few.
  expect(alarmAt).toBeDefined();
  expect(simulated(alarmAt!, rollbackAt)).toBeLessThan(150);
  await expectBackOnBlue(world, promotion);
}, 30000);

test('GIVEN a 2-hour bake WHEN an operator aborts it (bluegreen rollback) THEN its wait fails at once with their reason', async () => {
  const endpointName = 'demo-bake-abort';
  const promotion = await startPromotion(world, 'bake-abort-1', { ...promotionInput(endpointName, world.v2), bakeSeconds: 7200 });
  await entered(world, promotion.executionArn, 'Bake');
  await eventually(async () => (await lockItem(world, endpointName))?.bakeWatch !== undefined, 'the bake to park its task token');
  const lock = await readLock(world.dynamo, world.aws.tableName, endpointName);

  const result = await requestAbort({ dynamo: world.dynamo, sfn: world.sfn }, world.aws.tableName, lock!, { error: 'PromotionAborted', reason: 'conversion dropped (bluegreen rollback by jane)', at: new Date().toISOString() });
  const done = await ended(world, promotion.executionArn);

  expect(result).toBe('signalled');
  expect(done).toMatchObject({ status: 'FAILED', error: 'PromotionRolledBack', cause: 'PromotionAborted: conversion dropped (bluegreen rollback by jane)' });
  expect(enteredAfter(promotion.executionArn, 'Bake')).toBe('RollBack');
  await expectBackOnBlue(world, promotion);
}, 30000);

test('GIVEN the alarm event is lost (no alarm rule) WHEN green\'s alarm goes to ALARM during the bake THEN the backstop schedule finds it within its 5 minutes and rolls back', async () => {
  const endpointName = 'demo-backstop';
  const rules = world.aws.workflow.rules;
  const alarmRule = Object.keys(rules).find((id) => id.includes('AlarmRule'))!;
  const saved = rules[alarmRule]!;
  delete rules[alarmRule];
  try {
    const traffic = new Traffic(world, endpointName);
    const promotion = await startPromotion(world, 'backstop-1', { ...promotionInput(endpointName, world.v2), bakeSeconds: 7200 });
    await entered(world, promotion.executionArn, 'Bake');
    await eventually(async () => (await lockItem(world, endpointName))?.bakeWatch !== undefined, 'the bake to park its task token');
    world.aws.emulator.faults.variantErrors({ endpointName, modelPackageVersion: 2, statusCode: 500 });
    const done = await ended(world, promotion.executionArn);
    await traffic.stop();

    expect(done).toMatchObject({ status: 'FAILED', error: 'PromotionRolledBack' });
    expect(done.cause).toMatch(/^GuardrailAlarm: guardrail alarm .*-5xx is in ALARM: .*\(found by the bake's backstop\)$/);
    expect(enteredAfter(promotion.executionArn, 'Bake')).toBe('RollBack');
    const backstop = world.aws.deliveries.filter((d) => d.target === 'on-backstop').map((d) => d.result as { baking?: Array<{ promotionId: string; result: string }> } | undefined);
    expect(backstop.flatMap((r) => r?.baking ?? [])).toContainEqual(expect.objectContaining({ promotionId: promotion.id, result: 'signalled' }));
    await expectBackOnBlue(world, promotion);
  } finally {
    rules[alarmRule] = saved;
  }
}, 30000);

test('GIVEN green standing up WHEN its fleet is InService THEN the endpoint event wakes the wait (no backstop poll), and an abort while it waits fails the wait at once', async () => {
  // The stand-up of one promotion: the emulator provisions for 300 simulated seconds, the backstop poll is 450.
  const first = await startPromotion(world, 'wait-event-1', { ...promotionInput('demo-wait-abort', world.v2), bakeSeconds: 0 });
  const done = await ended(world, first.executionArn);
  expect(done.status).toBe('SUCCEEDED');
  const checks = execution(first.executionArn).events.filter((e) => e.type === 'StateEntered' && e.state === 'CheckGreenInService').map((e) => e.input as PromotionState);
  expect(checks.at(-1)?.wake).toMatchObject({ by: 'endpoint-event', endpointName: 'demo-wait-abort', status: 'IN_SERVICE' });
  expect(world.aws.deliveries.filter((d) => d.target === 'on-endpoint-change').map((d) => d.result)).toContainEqual(
    expect.objectContaining({ endpointName: 'demo-wait-abort', status: 'IN_SERVICE', promotions: [expect.objectContaining({ promotionId: first.id, result: 'woken' })] }),
  );

  // A second promotion on the same endpoint (v2 again), aborted while green stands up.
  const second = await startPromotion(world, 'wait-abort-1', { ...promotionInput('demo-wait-abort', world.v2), bakeSeconds: 0 });
  await entered(world, second.executionArn, 'WaitForGreenInService');
  await eventually(async () => (await lockItem(world, 'demo-wait-abort'))?.waitTaskToken !== undefined, 'the wait to park its task token');
  const lock = await readLock(world.dynamo, world.aws.tableName, 'demo-wait-abort');
  const result = await requestAbort({ dynamo: world.dynamo, sfn: world.sfn }, world.aws.tableName, lock!, { error: 'PromotionAborted', reason: 'wrong version (bluegreen rollback by jane)', at: new Date().toISOString() });
  const aborted = await ended(world, second.executionArn);

  expect(result).toBe('signalled');
  expect(aborted).toMatchObject({ status: 'FAILED', error: 'PromotionRolledBack', cause: 'PromotionAborted: wrong version (bluegreen rollback by jane)' });
  expect(enteredAfter(second.executionArn, 'WaitForGreenInService')).toBe('RollBack');
}, 30000);
