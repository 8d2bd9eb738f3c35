import { GUARDRAILS_CELLS } from './guardrails-cells';
import { groupRun } from './harness';

/**
 * Fault-injection matrix, part 4, the guardrails strategy: API errors on the calls only it makes
 * (the validation endpoint's CreateEndpoint and DeleteEndpoint, UpdateEndpoint with DeploymentConfig,
 * the abort alarm's PutMetricAlarm and SetAlarmState, DescribeEndpoint while SageMaker deploys),
 * the validation endpoint's and the deployment's waits, an alarm in the canary step and a stop
 * mid-deployment and crashes — all at once — then deadlines and DescribeEndpoint one by one
 * (guardrails-cells.ts lists them; harness.ts judges them).
 */
const run = groupRun('guardrails', GUARDRAILS_CELLS);

beforeAll(() => run.start(), 60_000);
afterAll(() => run.close(), 60_000);

test.each(run.cells.map((c) => [c.id]))('GIVEN %s WHEN the promotion ends THEN the invariant holds', async (id) => {
  const { outcome, violations } = await run.result(id);
  // The outcome is compared too, so that a failing cell's message says how the promotion ended.
  expect({ outcome, violations }).toEqual({ outcome, violations: [] });
}, 120_000);
