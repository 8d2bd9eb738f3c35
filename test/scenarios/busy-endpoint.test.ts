import { DescribeEndpointConfigCommand } from '@aws-sdk/client-sagemaker';
import { tableKey } from '../../lambdas/shared/contracts';
import { endpointKindOf, targetVariant } from '../../lambdas/shared/kinds';
import { causeMessage } from '../../lambdas/shared/errors';
import { MAX_BAKE_SECONDS } from '../../lambdas/shared/waits';
import { bluegreen, cliEnv, parseJson } from '../cli/helpers';
import { describeEndpoint, ended, eventually, historyRow, lockItem, promotionInput, settle, startPromotion, startWorld, type Promotion, type World } from './world';

/**
 * One lock per real endpoint, and PromotionInProgress first (issue 11, item 3). SageMaker compares
 * endpoint names case-insensitively ("The name is case-insensitive in CreateEndpoint, but the case
 * is preserved": API reference, CreateEndpoint), so two spellings are one endpoint: one lock, one
 * history, and `status`, `history` and `rollback` find it under either. A start against a busy
 * endpoint fails in the first state with PromotionInProgress, before any check of the endpoint's
 * shape, and is recorded as `refused` with who asked.
 */
let world: World;
let env: Record<string, string>;
const SPELLED = 'demo-spelled';
const BUSY = 'demo-busy';

beforeAll(async () => {
  world = await startWorld([SPELLED, BUSY]);
  env = cliEnv(world.aws);
}, 60_000);
afterEach(async () => settle(world));
afterAll(async () => world?.aws.close());

/** A variant promotion baking for the longest bake (it ends only when rolled back): what a second start meets. */
async function baking(endpointName: string, id: string): Promise<Promotion> {
  const first = await startPromotion(world, id, { ...promotionInput(endpointName, world.v2), bakeSeconds: MAX_BAKE_SECONDS });
  await eventually(async () => (await lockItem(world, endpointName))?.bakeTaskToken !== undefined, `${id} to bake`);
  return first;
}

test('GIVEN demo-spelled baking WHEN a second start names it demo-SPELLED THEN it is refused with PromotionInProgress naming the first, recorded as refused with who asked, and status, history and rollback find the one promotion under any spelling', async () => {
  const first = await baking(SPELLED, 'spelled-1');

  // WHEN the same endpoint is started again, spelled otherwise
  const second = await startPromotion(world, 'spelled-2', { ...promotionInput('demo-SPELLED', world.v2), requestedBy: 'second-operator' });
  const refused = await ended(world, second.executionArn);

  // THEN one lock: the second is refused in the first state, naming the running promotion and the fix
  expect({ status: refused.status, error: refused.error, states: refused.statesEntered }).toEqual({ status: 'FAILED', error: 'PromotionInProgress', states: ['Recovery?', 'ValidateInput', 'Rejected'] });
  expect(causeMessage(refused.cause)).toMatch(
    /^endpoint demo-SPELLED \(spelled demo-spelled by that promotion\) is being promoted by spelled-1 \(version 2, model package .*churn-models\/2, since \d{4}-\d\d-\d\dT[\d:.]+Z\); wait for it to end or abort it with "bluegreen rollback demo-SPELLED"$/,
  );
  expect(await historyRow(world, second)).toMatchObject({
    endpointName: tableKey(SPELLED),
    endpointDisplayName: 'demo-SPELLED',
    outcome: 'refused',
    requestedBy: 'second-operator',
    executionArn: second.executionArn,
    refusedFor: 'spelled-1',
    reason: expect.stringMatching(/is being promoted by spelled-1/),
  });
  expect(await lockItem(world, 'Demo-Spelled')).toMatchObject({ promotionId: 'spelled-1', endpointDisplayName: SPELLED });

  // status and history under a third spelling see the same promotion and rows
  const status = await bluegreen(env, 'status', 'DEMO-SPELLED', '--json');
  expect(status.code).toBe(0);
  expect(parseJson<{ promotion: { promotionId: string } | null }>(status).promotion).toMatchObject({ promotionId: 'spelled-1' });
  const history = await bluegreen(env, 'history', 'Demo-Spelled', '--json');
  expect(parseJson<{ promotions: Array<{ promotionId: string; outcome: string; requestedBy: string }> }>(history).promotions).toEqual([
    expect.objectContaining({ promotionId: 'spelled-2', outcome: 'refused', requestedBy: 'second-operator' }),
    expect.objectContaining({ promotionId: 'spelled-1', outcome: 'running' }),
  ]);

  // and rollback under yet another spelling aborts the one running
  const rollback = await bluegreen(env, 'rollback', 'demo-Spelled', '--interval', '20ms');
  expect({ code: rollback.code, output: `${rollback.stdout}${rollback.stderr}` }).toEqual({ code: 0, output: expect.stringMatching(/Outcome: rolled_back/) });
  expect(await ended(world, first.executionArn)).toMatchObject({ status: 'FAILED', error: 'PromotionRolledBack' });
  expect(await historyRow(world, first)).toMatchObject({ outcome: 'rolled_back', reason: expect.stringMatching(/PromotionAborted/) });
  expect(await lockItem(world, SPELLED)).toBeUndefined();
}, 60_000);

test('GIVEN demo-busy baking on its variant pair (two production variants: a start that names no variantName is refused for it) WHEN a second start arrives THEN it answers PromotionInProgress, not UnsupportedEndpoint, and changes nothing', async () => {
  const first = await baking(BUSY, 'busy-1');
  // GIVEN the endpoint's shape is one the first state would refuse on its own (the variant strategy's pair: blue + green, and no variantName named)
  const endpoint = await describeEndpoint(world, BUSY);
  const config = await world.sagemaker.send(new DescribeEndpointConfigCommand({ EndpointConfigName: endpoint.EndpointConfigName }));
  expect(endpointKindOf(config)).toBe('multi-variant');
  expect(targetVariant(config, BUSY, undefined)).toEqual({ problem: expect.stringMatching(/^variantName: demo-busy serves 2 production variants/) });
  const calls = world.aws.emulator.callLog.length;

  // WHEN a second promotion of it starts (the guardrails strategy, which would check that shape)
  const second = await startPromotion(world, 'busy-2', { ...promotionInput(BUSY, world.v2), strategy: 'guardrails' });
  const refused = await ended(world, second.executionArn);

  // THEN the busy endpoint answers first (not InvalidPromotionInput for the missing variantName), and nothing was changed
  expect({ status: refused.status, error: refused.error }).toEqual({ status: 'FAILED', error: 'PromotionInProgress' });
  expect(causeMessage(refused.cause)).toMatch(/^endpoint demo-busy is being promoted by busy-1 \(version 2,/);
  expect(world.aws.emulator.callLog.slice(calls).filter((c) => !/^(Describe|List|Get)/.test(c.operation))).toEqual([]);
  expect(await historyRow(world, second)).toMatchObject({ outcome: 'refused', refusedFor: 'busy-1' });
  expect(await lockItem(world, BUSY)).toMatchObject({ promotionId: 'busy-1' });

  const rollback = await bluegreen(env, 'rollback', BUSY, '--interval', '20ms');
  expect({ code: rollback.code, output: `${rollback.stdout}${rollback.stderr}` }).toEqual({ code: 0, output: expect.stringMatching(/Outcome: rolled_back/) });
  expect(await ended(world, first.executionArn)).toMatchObject({ status: 'FAILED', error: 'PromotionRolledBack' });
}, 60_000);
