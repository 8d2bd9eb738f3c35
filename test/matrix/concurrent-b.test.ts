import { groupRun } from './harness';

/**
 * Fault-injection matrix, part 2: API errors on DeleteModel, InvokeEndpoint, PutMetricAlarm,
 * DescribeAlarms and DeleteAlarms, failed fleets in the stand-up, finalize and rollback waits and
 * a stop mid-bake — each confined to its cell's endpoint, all at once — then the three deadline
 * cells one by one (a deadline counts polls, which a busy process stretches).
 */
const run = groupRun('concurrent-b');

beforeAll(() => run.start(), 60_000);
afterAll(() => run.close(), 60_000);

test.each(run.cells.map((c) => [c.id]))('GIVEN %s WHEN the promotion ends THEN the invariant holds', async (id) => {
  const { outcome, violations } = await run.result(id);
  // The outcome is compared too, so that a failing cell's message says how the promotion ended.
  expect({ outcome, violations }).toEqual({ outcome, violations: [] });
}, 120_000);
