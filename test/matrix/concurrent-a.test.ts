import { groupRun } from './harness';

/**
 * Fault-injection matrix, part 1: API errors on DescribeModel, CreateModel, CreateEndpointConfig,
 * UpdateEndpoint, UpdateEndpointWeightsAndCapacities and DeleteEndpointConfig, each confined to
 * its cell's endpoint, all cells at once (cells.ts lists them; harness.ts judges them).
 */
const run = groupRun('concurrent-a');

beforeAll(() => run.start(), 60_000);
afterAll(() => run.close(), 60_000);

test.each(run.cells.map((c) => [c.id]))('GIVEN %s WHEN the promotion ends THEN the invariant holds', async (id) => {
  const { outcome, violations } = await run.result(id);
  // The outcome is compared too, so that a failing cell's message says how the promotion ended.
  expect({ outcome, violations }).toEqual({ outcome, violations: [] });
}, 120_000);
