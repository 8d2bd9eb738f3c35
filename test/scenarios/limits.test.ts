import { causeMessage } from '../../lambdas/shared/errors';
import { inputBytes, MAX_INPUT_BYTES, STATE_PAYLOAD_QUOTA_BYTES } from '../../lambdas/shared/limits';
import { ended, historyRow, settle, startPromotion, startWorld, type World } from './world';

/**
 * The input cap leaves room for what the steps add (lambdas/shared/limits.ts MAX_INPUT_BYTES):
 * the largest input the workflow accepts (exactly 64 KiB, the 50 samples the schema allows) runs
 * through a whole promotion and through a validation that fails every sample (its Cause quoting
 * 50 problems), and no state's input or output reaches Step Functions' 256 KiB quota ("Maximum
 * input or output size for a task, state, or execution", step-functions/latest/dg/service-quotas.html),
 * which the local runner does not enforce: measured here on every state the execution entered.
 */
let world: World;

beforeAll(async () => {
  world = await startWorld(['demo-largest-ok', 'demo-largest-fails']);
}, 60_000);
afterEach(async () => settle(world));
const measured: string[] = [];
afterAll(async () => {
  console.log(`largest state with a ${MAX_INPUT_BYTES}-byte input (quota ${STATE_PAYLOAD_QUOTA_BYTES}): ${measured.join('; ')}`);
  await world?.aws.close();
});

/** 50 samples whose bodies fill the input to exactly MAX_INPUT_BYTES; `expectContains` as given. */
function largestInput(endpointName: string, modelPackageArn: string, expectContains: string): Record<string, unknown> {
  const samples = Array.from({ length: 50 }, (_, i) => ({ name: `sample-${String(i).padStart(2, '0')}-${'n'.repeat(50)}`, body: '', expectContains }));
  const input = { endpointName, modelPackageArn, bakeSeconds: 0, validation: { contentType: 'application/json', samples }, requestedBy: 'limits-test' };
  const pad = (n: number) => `{"pad":"${'x'.repeat(n)}"}`;
  const share = Math.floor((MAX_INPUT_BYTES - inputBytes(input)) / samples.length) - inputBytes(pad(0));
  for (const s of samples) s.body = pad(share);
  samples[0]!.body = pad(share + MAX_INPUT_BYTES - inputBytes(input));
  return input;
}

/** The largest state input or output the execution had, in UTF-8 bytes of its JSON. */
function largestState(executionArn: string): { bytes: number; state: string } {
  const execution = world.aws.stepFunctions.list().find((e) => e.arn === executionArn)!;
  let largest = { bytes: 0, state: '' };
  for (const event of execution.events) {
    for (const payload of [event.input, event.output]) {
      if (payload === undefined) continue;
      const bytes = inputBytes(payload);
      if (bytes > largest.bytes) largest = { bytes, state: `${event.type} ${event.state ?? ''}` };
    }
  }
  return largest;
}

test('GIVEN the largest accepted input (64 KiB, 50 samples) WHEN green passes and is promoted THEN every state stays under the 256 KiB quota', async () => {
  const input = largestInput('demo-largest-ok', world.v2, 'modelPackageVersion');
  expect(inputBytes(input)).toBe(MAX_INPUT_BYTES);

  const promotion = await startPromotion(world, 'largest-ok', input);
  const execution = await ended(world, promotion.executionArn);

  expect(execution.status).toBe('SUCCEEDED');
  expect(execution.statesEntered).toEqual(expect.arrayContaining(['ValidateGreen', 'RevalidateGreen', 'RecordPromotion']));
  const largest = largestState(promotion.executionArn);
  measured.push(`promoted path ${largest.bytes} B at ${largest.state}`);
  expect(largest.bytes).toBeGreaterThan(MAX_INPUT_BYTES); // the state does carry the input (and more)
  expect(largest.bytes).toBeLessThan(STATE_PAYLOAD_QUOTA_BYTES);
}, 60_000);

test('GIVEN the largest accepted input WHEN every one of its 50 samples fails validation THEN the failure path too stays under the quota, the reason quoting the problems', async () => {
  // Never in the model's answer (which echoes the request): every sample fails, each problem quoting 300 characters.
  const input = largestInput('demo-largest-fails', world.v2, 'z'.repeat(300));
  expect(inputBytes(input)).toBe(MAX_INPUT_BYTES);

  const promotion = await startPromotion(world, 'largest-fails', input);
  const execution = await ended(world, promotion.executionArn);

  // guardrails validates on its validation endpoint before any traffic: blue untouched, so `failed`
  expect({ status: execution.status, error: execution.error }).toEqual({ status: 'FAILED', error: 'PromotionFailed' });
  expect(causeMessage(execution.cause)).toMatch(/failed 50 of 50 validation requests/);
  expect(await historyRow(world, promotion)).toMatchObject({ outcome: 'failed' });
  const largest = largestState(promotion.executionArn);
  measured.push(`failure path ${largest.bytes} B at ${largest.state}`);
  expect(largest.bytes).toBeGreaterThan(MAX_INPUT_BYTES);
  expect(largest.bytes).toBeLessThan(STATE_PAYLOAD_QUOTA_BYTES);
}, 60_000);
