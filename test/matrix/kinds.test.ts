import { KINDS_CELLS, KNOWN_DEFECTS } from './kinds-cells';
import { groupRun } from './harness';

/**
 * Fault-injection matrix, the other endpoint kinds: serverless (`replace`: the serverless validation
 * endpoint, the UpdateEndpoint without DeploymentConfig and back), asynchronous (InvokeEndpointAsync
 * and the validation's S3 objects; customers' queued requests must all be answered), inference
 * components (`component`: the validation component, the rolling UpdateInferenceComponent and back,
 * ListInferenceComponents, InvokeEndpoint InferenceComponentName) and multi-variant (the target
 * variant): API errors, crashes, deadlines and stops during the switch — all at once — then the
 * `alone` cells one by one (kinds-cells.ts lists them; harness.ts and kinds-invariant.ts judge them).
 */
const run = groupRun('kinds', KINDS_CELLS);

beforeAll(() => run.start(), 60_000);
afterAll(() => run.close(), 60_000);

const known = run.cells.filter((c) => c.id in KNOWN_DEFECTS).map((c) => [c.id]);
test.each(run.cells.filter((c) => !(c.id in KNOWN_DEFECTS)).map((c) => [c.id]))('GIVEN %s WHEN the promotion ends THEN the invariant holds', async (id) => {
  const { outcome, violations } = await run.result(id);
  // The outcome is compared too, so that a failing cell's message says how the promotion ended.
  expect({ outcome, violations }).toEqual({ outcome, violations: [] });
}, 120_000);
// A known defect (KNOWN_DEFECTS says which): expected to fail until it is fixed (jest refuses an empty table).
if (known.length > 0) test.failing.each(known)('KNOWN DEFECT: GIVEN %s WHEN the promotion ends THEN the invariant holds', async (id) => {
  const { outcome, violations } = await run.result(id);
  expect({ outcome, violations }).toEqual({ outcome, violations: [] });
}, 120_000);
