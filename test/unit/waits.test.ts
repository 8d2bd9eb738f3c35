import {
  executionProblems,
  executionSecondsBound,
  HISTORY_EVENTS_QUOTA,
  historyEventsBound,
  judgeBakeEndpoint,
  MAX_BAKE_SECONDS,
  nextWaitSeconds,
  waitBackstopSeconds,
  workflowBakeSeconds,
  type ExecutionPlan,
} from '../../lambdas/shared/waits';
import { waitDeadlineSeconds } from '../../lambdas/shared/decisions';
import { anEndpoint, BLUE_VARIANT } from '../support/fixtures';

const plan = (overrides: Partial<ExecutionPlan> = {}): ExecutionPlan => ({
  strategy: 'variant',
  traffic: { type: 'ALL_AT_ONCE' },
  bakeSeconds: 1800,
  inServiceSeconds: 3600,
  pollSeconds: 30,
  eventDriven: true,
  ...overrides,
});

describe('waits: how often a wait looks', () => {
  test('an event-driven wait polls 8 times per deadline as a backstop, never more often than the poll interval; without events, every poll interval', () => {
    expect(waitBackstopSeconds(3600, 30, true)).toBe(450);
    expect(waitBackstopSeconds(120, 30, true)).toBe(30);
    expect(waitBackstopSeconds(3601, 30, true)).toBe(451);
    expect(waitBackstopSeconds(3600, 30, false)).toBe(30);
  });

  test("guardrails' shift waits for SageMaker's whole deployment: its routing and termination waits lengthen the deadline", () => {
    const p = { strategy: 'guardrails' as const, traffic: { type: 'CANARY' as const, waitSeconds: 600 }, bakeSeconds: 14_400, inServicePolls: 120, pollSeconds: 30 };
    expect(waitDeadlineSeconds('shift', p)).toBe(3600 + 600 + 3600);
    expect(waitDeadlineSeconds('standUp', p)).toBe(3600);
    expect(waitDeadlineSeconds('shift', { ...p, strategy: 'variant' })).toBe(3600);
  });

  test("guardrails' shift polls first once SageMaker's routing and termination waits are over (an event still ends it sooner), then every backstop", () => {
    const p = { strategy: 'guardrails' as const, traffic: { type: 'ALL_AT_ONCE' as const }, bakeSeconds: 1800, inServicePolls: 120, pollSeconds: 30, endpointEvents: true };
    // Deadline 3600 + 1800 s → a 675 s backstop; the first poll after the 1800 s termination wait too.
    expect(nextWaitSeconds('shift', p, 1)).toBe(1800 + 675);
    expect(nextWaitSeconds('shift', p, 2)).toBe(675);
    expect(nextWaitSeconds('standUp', p, 1)).toBe(450);
    expect(nextWaitSeconds('shift', { ...p, strategy: 'variant' }, 1)).toBe(450);
    // Without events nothing would end it early: every poll interval, as before.
    expect(nextWaitSeconds('shift', { ...p, endpointEvents: false }, 1)).toBe(30);
  });

  test("the workflow bakes what guardrails' termination wait does not", () => {
    expect(workflowBakeSeconds({ strategy: 'guardrails', bakeSeconds: 1800 })).toBe(0);
    expect(workflowBakeSeconds({ strategy: 'guardrails', bakeSeconds: 14_400 })).toBe(10_800);
    expect(workflowBakeSeconds({ strategy: 'variant', bakeSeconds: 14_400 })).toBe(14_400);
  });
});

describe('judgeBakeEndpoint', () => {
  const expected = { configName: 'pair', weights: { [BLUE_VARIANT]: 0, green: 1 } };
  const shifted = anEndpoint('pair', [{ name: BLUE_VARIANT, weight: 0 }, { name: 'green', weight: 1 }]);

  test('what the shift left, InService or scaling on it, is fine', () => {
    expect(judgeBakeEndpoint(shifted, expected)).toEqual({ kind: 'ok' });
    expect(judgeBakeEndpoint({ ...shifted, EndpointStatus: 'SystemUpdating' }, expected)).toEqual({ kind: 'ok' });
  });

  test('another config, other weights, a failed or deleted endpoint are not', () => {
    expect(judgeBakeEndpoint(anEndpoint('blue', []), expected)).toMatchObject({ kind: 'failed', error: 'UnexpectedEndpointState' });
    expect(judgeBakeEndpoint(anEndpoint('pair', [{ name: BLUE_VARIANT, weight: 1 }, { name: 'green', weight: 0 }]), expected)).toMatchObject({
      kind: 'failed',
      error: 'UnexpectedEndpointState',
      message: expect.stringMatching(/variant AllTraffic has weight 1 during the bake, expected 0/),
    });
    expect(judgeBakeEndpoint({ ...shifted, EndpointStatus: 'Failed', FailureReason: 'ping' }, expected)).toMatchObject({ kind: 'failed', error: 'GreenNotInService', message: expect.stringMatching(/Failed during the bake: ping/) });
    expect(judgeBakeEndpoint(undefined, expected)).toMatchObject({ kind: 'failed', error: 'GreenNotInService' });
  });
});

describe('what one execution can hold', () => {
  test('the longest bake is 18 h: 24 h minus three InService waits and a rollback (5 × 60 min) and an hour for the other steps', () => {
    expect(MAX_BAKE_SECONDS).toBe(64_800);
    expect(executionSecondsBound(plan({ bakeSeconds: MAX_BAKE_SECONDS }))).toBe(86_400);
    expect(executionProblems(plan({ bakeSeconds: MAX_BAKE_SECONDS }), 86_400)).toEqual([]);
    expect(executionProblems(plan({ bakeSeconds: MAX_BAKE_SECONDS + 1 }), 86_400)).toEqual([expect.objectContaining({ limit: 'time' })]);
  });

  test("guardrails' traffic routing waits count against the timeout too", () => {
    const linear = plan({ strategy: 'guardrails', traffic: { type: 'LINEAR', percent: 10, waitSeconds: 3600 } });
    expect(executionSecondsBound(linear)).toBe(executionSecondsBound(plan()) + 9 * 3600);
  });

  test('the bake never bounds the history: its events are the same at 30 minutes and 18 hours', () => {
    expect(historyEventsBound(plan({ bakeSeconds: MAX_BAKE_SECONDS }))).toBe(historyEventsBound(plan({ bakeSeconds: 1800 })));
    // Defaults: a few thousand events, the rollback's polls the most of them.
    expect(historyEventsBound(plan())).toBeLessThan(4000);
  });

  test("the history quota bounds polling: a rollback polling every 5 s for two 6-hour deadlines would pass 25,000 events", () => {
    const problems = executionProblems(plan({ inServiceSeconds: 6 * 3600, pollSeconds: 5 }), 172_800);
    expect(problems).toEqual([expect.objectContaining({ limit: 'history', message: expect.stringMatching(new RegExp(`more than Step Functions' quota of ${HISTORY_EVENTS_QUOTA}`)) })]);
  });
});
