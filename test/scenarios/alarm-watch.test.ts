import type { CallLogEntry } from '../../local/emulator/server';
import { ended, entered, expectBackOnBlue, historyRow, lockItem, promotionInput, settle, startPromotion, startWorld, type World } from './world';

/**
 * "Guardrail alarms are watched from the first instant green can receive any user traffic"
 * (issue 11), for both strategies: ArmGuardrails runs before ShiftTraffic and puts green's alarms on
 * the lock's watch list, so the alarm trigger (lambdas/on-alarm) reaches the promotion while the
 * shift's InService wait (TrafficOnGreen) is still going, and the rollback starts before any bake.
 * The alarm is set to ALARM (as CloudWatch's SetAlarmState) the instant the shift's call reaches
 * SageMaker: the earliest green could get a user request.
 */
let world: World;

beforeAll(async () => {
  world = await startWorld(['demo-aw-variant', 'demo-aw-guardrails']);
}, 60000);
afterEach(async () => settle(world));
afterAll(async () => world?.aws.close());

/** Runs `then` once, synchronously, when a call matching `match` reaches the emulator (its call log sees every request first). */
function whenCalled(match: (entry: CallLogEntry) => boolean, then: () => void): () => void {
  const log = world.aws.emulator.callLog;
  const push = log.push.bind(log);
  let done = false;
  log.push = (...entries: CallLogEntry[]) => {
    const n = push(...entries);
    if (!done && entries.some(match)) {
      done = true;
      then();
    }
    return n;
  };
  return () => {
    log.push = push;
  };
}

const alarmTrigger = (alarmName: string) =>
  world.aws.deliveries.filter((d) => d.target === 'on-alarm' && (d.event as { detail?: { alarmName?: string } }).detail?.alarmName === alarmName).map((d) => d.result);

describe.each([
  { strategy: 'variant', endpointName: 'demo-aw-variant', shiftCall: 'UpdateEndpointWeightsAndCapacities' },
  { strategy: 'guardrails', endpointName: 'demo-aw-guardrails', shiftCall: 'UpdateEndpoint' },
])('$strategy strategy', ({ strategy, endpointName, shiftCall }) => {
  test(`GIVEN green's alarm goes to ALARM the instant the shift's ${shiftCall} reaches SageMaker WHEN the promotion waits for traffic on green THEN the alarm trigger reaches it and it rolls back at once, never after a bake check`, async () => {
    const input = { ...promotionInput(endpointName, world.v2), strategy, bakeSeconds: 3600 };
    const promotion = await startPromotion(world, `aw-${strategy}-1`, input);
    const alarmName = `${promotion.green.alarmPrefix}-5xx`;
    let watchedWhenShifting: unknown;
    const restore = whenCalled(
      (c) => c.operation === shiftCall && (c.input as { EndpointName?: string }).EndpointName === endpointName && (strategy === 'variant' || (c.input as { DeploymentConfig?: unknown }).DeploymentConfig !== undefined),
      () => world.aws.emulator.faults.setAlarmState({ alarmName, state: 'ALARM', reason: 'Threshold Crossed: green answered 5xx (set by the test)' }),
    );
    try {
      await entered(world, promotion.executionArn, 'ShiftTraffic');
      // ArmGuardrails is over: the alarms are already on the lock's watch list when the shift starts.
      watchedWhenShifting = (await lockItem(world, endpointName))?.watchedAlarms;
      const execution = await ended(world, promotion.executionArn);

      expect(watchedWhenShifting).toEqual(expect.arrayContaining([alarmName]));
      expect(execution).toMatchObject({ status: 'FAILED', error: 'PromotionRolledBack' });
      expect(execution.cause).toMatch(new RegExp(`^GuardrailAlarm: .*${alarmName}`));
      // Rolled back from the shift's wait, or at the latest as the bake parks (variant's weights change takes seconds): never after a bake check.
      expect(execution.statesEntered).toEqual(expect.arrayContaining(['ShiftTraffic', 'CheckTrafficOnGreen', 'RollBack']));
      for (const state of ['CheckGuardrails', 'Finalize', 'RevalidateGreen']) expect(execution.statesEntered).not.toContain(state);
      expect(alarmTrigger(alarmName)).toContainEqual({ alarmName, promotions: [{ endpointName, promotionId: promotion.id, result: expect.stringMatching(/^(signalled|flagged)$/) }] });
      await expectBackOnBlue(world, { endpointName });
      expect(await historyRow(world, promotion)).toMatchObject({ outcome: 'rolled_back', failedWith: 'GuardrailAlarm' });
    } finally {
      restore();
    }
  }, 30000);
});
