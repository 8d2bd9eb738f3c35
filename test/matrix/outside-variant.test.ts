import { outsideGroupRun } from './outside-harness';

/**
 * Fault matrix, outside actors, the variant strategy in the phases that happen differently with it
 * (all but the cleanup): an operator (weights, UpdateEndpoint to another config or back to blue's,
 * DeleteEndpoint), the Model Registry (a newer approval, queued or superseding; a rejection of the
 * version in flight) or the console (StopExecution) acts in one phase of a promotion — all cells at
 * once (outside-cells.ts lists them; outside-harness.ts judges them: the outside decision stands, the
 * endpoint serves one side fully, the lock is free, the outcome says what happened, nothing of the
 * promotion's own is unrecorded).
 */
const run = outsideGroupRun('outside-variant');

beforeAll(() => run.start(), 60_000);
afterAll(() => run.close(), 60_000);

test.each(run.cells.map((c) => [c.id]))('GIVEN %s WHEN the promotion ends THEN the outside decision stands', async (id) => {
  const { outcome, violations } = await run.result(id);
  // The outcome is compared too, so that a failing cell's message says how the promotion ended.
  expect({ outcome, violations }).toEqual({ outcome, violations: [] });
}, 120_000);
