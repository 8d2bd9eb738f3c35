import { groupRun } from './harness';

/**
 * Fault-injection matrix, part 3, one cell at a time with the emulator's global faults: API errors
 * on calls that name no endpoint (DescribeModelPackage, ListEndpoints) or that every cleanup makes
 * for every endpoint (DescribeEndpoint, DescribeEndpointConfig), and handler crashes (crashStep
 * crashes whoever runs the step next).
 */
const run = groupRun('sequential');

beforeAll(() => run.start(), 60_000);
afterAll(() => run.close(), 60_000);

test.each(run.cells.map((c) => [c.id]))('GIVEN %s WHEN the promotion ends THEN the invariant holds', async (id) => {
  const { outcome, violations } = await run.result(id);
  // The outcome is compared too, so that a failing cell's message says how the promotion ended.
  expect({ outcome, violations }).toEqual({ outcome, violations: [] });
}, 120_000);
