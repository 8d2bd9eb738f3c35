import { SFNClient, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DETAIL_TYPES } from '../../lambdas/shared/lifecycle';
import type { BusEvent } from '../../local/eventbridge';
import { schemaErrors } from '../support/events-schema';
import { LOCK_SK, tableKey } from '../../lambdas/shared/contracts';
import { bluegreen, cliEnv, parseJson } from '../cli/helpers';
import {
  describeEndpoint,
  ended,
  entered,
  eventually,
  expectBackOnBlue,
  historyRow,
  lockItem,
  promotionInput,
  recoveryEnded,
  settle,
  startPromotion,
  startWorld,
  variantsOf,
  type World,
} from './world';

/**
 * The manual approval gate on the local AWS: green validated beside blue (variant strategy, weight 0),
 * the promotion waits for `bluegreen approve` / `bluegreen reject` (the CLI in-process, as a user runs
 * it) or its timeout, then shifts or rolls back; the history row says who decided and why.
 */
let world: World;
let env: Record<string, string>;
const EAGER = ['demo-eager-1', 'demo-eager-2', 'demo-eager-3', 'demo-eager-4', 'demo-eager-5'];
const ENDPOINTS = ['demo-approve', 'demo-reject', 'demo-gate-timeout', 'demo-gate-promote', 'demo-gate-abort', 'demo-gate-stopped', 'demo-no-gate', ...EAGER];

beforeAll(async () => {
  world = await startWorld(ENDPOINTS);
  env = cliEnv(world.aws);
}, 60000);
afterEach(async () => settle(world));
afterAll(async () => world?.aws.close());

/** 7200 simulated seconds: 12 s at the local clock's 600×, plenty for the CLI to answer. */
const gate = (extra: Record<string, unknown> = {}) => ({ approval: { timeoutSeconds: 7200, ...extra } });
/** The lifecycle events one promotion published, in order, each checked against schema/events.schema.json. */
function eventsOf(promotionId: string): string[] {
  const events = world.aws.lifecycleEvents().filter((e) => (e.detail as { promotionId?: string }).promotionId === promotionId);
  for (const e of events) expect({ type: e['detail-type'], errors: schemaErrors(e) }).toEqual({ type: e['detail-type'], errors: [] });
  return events.map((e) => e['detail-type']);
}
const { started, validated, approvalNeeded, shifted, succeeded, rolledBack } = DETAIL_TYPES;

const parked = (endpointName: string) => eventually(async () => (await lockItem(world, endpointName))?.approvalTaskToken !== undefined, `${endpointName}'s approval gate to park its token`);

test('GIVEN a promotion with an approval gate WHEN green is validated THEN it waits with no traffic on green, Approval Needed tells the approver what to run, and `bluegreen approve` lets it promote, recording who', async () => {
  const endpointName = 'demo-approve';
  const promotion = await startPromotion(world, 'approve-1', { ...promotionInput(endpointName, world.v2), ...gate() });
  await parked(endpointName);

  // Green stands beside blue at weight 0: no user request reaches it while the gate waits.
  const variants = variantsOf(await describeEndpoint(world, endpointName));
  expect(variants).toContainEqual({ VariantName: promotion.green.variant, CurrentWeight: 0 });
  expect(variants).toContainEqual({ VariantName: 'AllTraffic', CurrentWeight: 1 });
  const needed = world.aws.lifecycleEvents().find((e) => e['detail-type'] === DETAIL_TYPES.approvalNeeded && (e.detail as { promotionId?: string }).promotionId === promotion.id);
  expect(needed?.detail).toMatchObject({
    endpointName,
    green: { version: 2 },
    approval: { timeoutSeconds: 7200, onTimeout: 'rollback' },
    validation: { samples: [expect.objectContaining({ name: 'typical-customer', ok: true }), expect.objectContaining({ name: 'new-customer', ok: true })] },
    commands: { approve: `bluegreen approve ${endpointName}`, reject: `bluegreen reject ${endpointName} --reason "<why>"` },
  });
  const status = await bluegreen(env, 'status', endpointName);
  expect(status.stdout).toMatch(new RegExp(`waiting for approval since .*, until .* \\(then rollback\\): bluegreen approve ${endpointName}`));

  const approved = await bluegreen(env, 'approve', endpointName, '--reason', 'offline eval signed off');
  expect(approved).toMatchObject({ code: 0, stderr: '' });
  expect(approved.stdout).toMatch(new RegExp(`^Approved promotion approve-1 of ${endpointName} to version 2 \\(by tester: offline eval signed off\\): the workflow moves the traffic to green now\\.`));
  const execution = await ended(world, promotion.executionArn);

  expect(execution.status).toBe('SUCCEEDED');
  expect(execution.statesEntered).toEqual(expect.arrayContaining(['ApprovalRequired?', 'AwaitApproval', 'CheckApproval', 'ArmGuardrails', 'ShiftTraffic']));
  // Approval Needed comes from the gate's function once the token is parked, not from a state before the wait.
  expect(execution.statesEntered).not.toContain('PublishApprovalNeeded');
  expect(execution.statesEntered.indexOf('CheckApproval')).toBeLessThan(execution.statesEntered.indexOf('ShiftTraffic'));
  expect(await historyRow(world, promotion)).toMatchObject({ outcome: 'promoted', approval: { decision: 'approved', by: 'tester', reason: 'offline eval signed off' } });
  expect(eventsOf(promotion.id)).toEqual([started, validated, approvalNeeded, shifted, succeeded]);
  const history = await bluegreen(env, 'history', endpointName, '--limit', '1');
  expect(history.stdout).toMatch(/version 2 promoted \(approved by tester: offline eval signed off\)/);
}, 30000);

test('GIVEN a promotion waiting for approval WHEN `bluegreen reject --reason` THEN it rolls back to blue with who and why in the reason and on the history row', async () => {
  const endpointName = 'demo-reject';
  const promotion = await startPromotion(world, 'reject-1', { ...promotionInput(endpointName, world.v2), ...gate() });
  await parked(endpointName);

  const noReason = await bluegreen(env, 'reject', endpointName);
  expect(noReason.code).toBe(2);
  expect(noReason.stderr).toMatch(/--reason/);
  const rejected = await bluegreen(env, 'reject', endpointName, '--reason', 'latency regression in the shadow test', '--json');
  expect(rejected.code).toBe(0);
  expect(parseJson(rejected)).toMatchObject({ action: 'rejected', promotionId: 'reject-1', by: 'tester', reason: 'latency regression in the shadow test', wait: { timeoutSeconds: 7200, onTimeout: 'rollback' } });
  const execution = await ended(world, promotion.executionArn);

  expect(execution).toMatchObject({ status: 'FAILED', error: 'PromotionRolledBack' });
  expect(execution.cause).toMatch(/^ApprovalRejected: rejected by tester at \S+Z: latency regression in the shadow test$/);
  expect(eventsOf(promotion.id)).toEqual([started, validated, approvalNeeded, rolledBack]);
  expect(execution.statesEntered).not.toContain('ShiftTraffic');
  await expectBackOnBlue(world, promotion);
  expect(await historyRow(world, promotion)).toMatchObject({
    outcome: 'rolled_back',
    reason: execution.cause,
    failedWith: 'ApprovalRejected',
    approval: { decision: 'rejected', by: 'tester', reason: 'latency regression in the shadow test' },
  });
}, 30000);

test('GIVEN nobody answers WHEN the gate times out with onTimeout rollback (the default) THEN it rolls back: "approval timed out"', async () => {
  const endpointName = 'demo-gate-timeout';
  const promotion = await startPromotion(world, 'gate-timeout-1', { ...promotionInput(endpointName, world.v2), approval: { timeoutSeconds: 60 } });
  const execution = await ended(world, promotion.executionArn);

  expect(execution).toMatchObject({ status: 'FAILED', error: 'PromotionRolledBack' });
  expect(execution.cause).toMatch(/^ApprovalTimedOut: approval timed out: nobody approved or rejected within 60 s/);
  expect(execution.statesEntered).not.toContain('ShiftTraffic');
  await expectBackOnBlue(world, promotion);
  expect(await historyRow(world, promotion)).toMatchObject({ outcome: 'rolled_back', approval: { decision: 'timed-out', onTimeout: 'rollback' } });
  expect(eventsOf(promotion.id)).toEqual([started, validated, approvalNeeded, rolledBack]);
  // The gate is over: nothing left to answer.
  const late = await bluegreen(env, 'approve', endpointName);
  expect(late.code).toBe(4);
  expect(late.stderr).toMatch(`no promotion in flight on ${endpointName}: nothing to approve`);
}, 30000);

test('GIVEN nobody answers WHEN the gate times out with onTimeout promote THEN it promotes, recorded as timed out', async () => {
  const endpointName = 'demo-gate-promote';
  const promotion = await startPromotion(world, 'gate-promote-1', { ...promotionInput(endpointName, world.v2), approval: { timeoutSeconds: 60, onTimeout: 'promote' } });
  const execution = await ended(world, promotion.executionArn);

  expect(execution.status).toBe('SUCCEEDED');
  expect(execution.statesEntered).toEqual(expect.arrayContaining(['AwaitApproval', 'CheckApproval', 'ShiftTraffic', 'Finalize']));
  expect(await historyRow(world, promotion)).toMatchObject({ outcome: 'promoted', approval: { decision: 'timed-out', onTimeout: 'promote' } });
  expect(eventsOf(promotion.id)).toEqual([started, validated, approvalNeeded, shifted, succeeded]);
}, 30000);

test('GIVEN a promotion waiting for approval WHEN `bluegreen rollback` aborts it THEN it rolls back at once, like during the bake, and the gate cannot be answered any more', async () => {
  const endpointName = 'demo-gate-abort';
  const promotion = await startPromotion(world, 'gate-abort-1', { ...promotionInput(endpointName, world.v2), ...gate() });
  await parked(endpointName);

  const abort = await bluegreen(env, 'rollback', endpointName, '--reason', 'change freeze', '--no-wait');
  expect(abort.code).toBe(0);
  const late = await bluegreen(env, 'approve', endpointName);
  expect(late.code).toBe(4);
  expect(late.stderr).toMatch(/promotion gate-abort-1 of demo-gate-abort \(version 2\) is in flight but it is rolling back \(change freeze/);
  const execution = await ended(world, promotion.executionArn);

  expect(execution).toMatchObject({ status: 'FAILED', error: 'PromotionRolledBack' });
  expect(execution.cause).toMatch(/^PromotionAborted: change freeze \(bluegreen rollback by tester\)/);
  expect(execution.statesEntered).not.toContain('CheckApproval');
  await expectBackOnBlue(world, promotion);
}, 30000);

test('GIVEN no gate WHEN a promotion runs THEN it never waits, and approve/reject have nothing to answer', async () => {
  const endpointName = 'demo-no-gate';
  const missing = await bluegreen(env, 'approve', 'demo-does-not-exist');
  expect(missing.code).toBe(4);
  expect(missing.stderr).toMatch('endpoint demo-does-not-exist does not exist');

  const promotion = await startPromotion(world, 'no-gate-1', promotionInput(endpointName, world.v2));
  await entered(world, promotion.executionArn, 'BakeDone?');
  const notWaiting = await bluegreen(env, 'reject', endpointName, '--reason', 'x');
  expect(notWaiting.code).toBe(4);
  expect(notWaiting.stderr).toMatch(/promotion no-gate-1 of demo-no-gate \(version 2\) is in flight but it is not waiting for approval/);
  // A token the gate no longer waits on (answered or timed out): Step Functions says TaskTimedOut, the CLI says so.
  await world.dynamo.send(
    new UpdateCommand({ TableName: world.aws.tableName, Key: { endpointName: tableKey(endpointName), sk: LOCK_SK }, UpdateExpression: 'SET approvalTaskToken = :t', ExpressionAttributeValues: { ':t': 'a-used-token' } }),
  );
  const stale = await bluegreen(env, 'approve', endpointName);
  expect(stale.code).toBe(4);
  expect(stale.stderr).toMatch(/the approval gate of promotion no-gate-1 of demo-no-gate was already answered or timed out \(TaskTimedOut\)/);
  const execution = await ended(world, promotion.executionArn);

  expect(execution.status).toBe('SUCCEEDED');
  expect(execution.statesEntered).toContain('ApprovalRequired?');
  expect(execution.statesEntered).not.toContain('AwaitApproval');
  expect((await historyRow(world, promotion))?.approval ?? null).toBeNull();
}, 30000);

test('GIVEN five gated promotions at once WHEN an approver answers `bluegreen approve` the instant each Approval Needed arrives THEN every answer finds the gate waiting (the token is parked before the event goes out) and every promotion promotes, with no retry', async () => {
  const answers = new Map<string, Promise<{ code: number; stderr: string; parkedAtEvent: boolean }>>();
  // As a chat bot would: react to the event itself, no status polling, no second try.
  const onEvent = (event: BusEvent) => {
    const detail = event.detail as { endpointName?: string; promotionId?: string };
    if (event['detail-type'] !== DETAIL_TYPES.approvalNeeded || !EAGER.includes(detail.endpointName ?? '') || answers.has(detail.promotionId!)) return;
    const lock = lockItem(world, detail.endpointName!);
    const approve = bluegreen(env, 'approve', detail.endpointName!, '--reason', 'looked at the samples');
    answers.set(detail.promotionId!, Promise.all([lock, approve]).then(([item, run]) => ({ code: run.code, stderr: run.stderr, parkedAtEvent: item?.approvalTaskToken !== undefined })));
  };
  world.aws.bus.on('lifecycle', onEvent);
  try {
    const promotions = await Promise.all(EAGER.map((endpointName, i) => startPromotion(world, `eager-${i + 1}`, { ...promotionInput(endpointName, world.v2), ...gate() })));
    const executions = await Promise.all(promotions.map((p) => ended(world, p.executionArn)));

    expect(executions.map((e) => e.status)).toEqual(EAGER.map(() => 'SUCCEEDED'));
    expect([...answers.keys()].sort()).toEqual(promotions.map((p) => p.id).sort());
    for (const p of promotions) {
      expect({ promotion: p.id, ...(await answers.get(p.id)!) }).toEqual({ promotion: p.id, code: 0, stderr: '', parkedAtEvent: true });
      expect(await historyRow(world, p)).toMatchObject({ outcome: 'promoted', approval: { decision: 'approved', by: 'tester', reason: 'looked at the samples' } });
    }
    // Published by the function's own EventBridge client, the events still carry what the schema asks, resources included.
    const needed = world.aws.lifecycleEvents().filter((e) => e['detail-type'] === DETAIL_TYPES.approvalNeeded && EAGER.includes((e.detail as { endpointName: string }).endpointName));
    expect(needed).toHaveLength(EAGER.length);
    for (const e of needed) {
      expect(schemaErrors(e)).toEqual([]);
      expect(e.resources).toEqual([(e.detail as { executionArn: string }).executionArn, world.aws.stateMachineArn]);
    }
  } finally {
    world.aws.bus.off('lifecycle', onEvent);
  }
}, 60000);

test('GIVEN a promotion waiting for approval WHEN its execution is stopped from the console THEN the recovery puts blue back alone, records rolled_back and frees the lock; the gate cannot be answered any more', async () => {
  const endpointName = 'demo-gate-stopped';
  const promotion = await startPromotion(world, 'gate-stopped-1', { ...promotionInput(endpointName, world.v2), ...gate() });
  await parked(endpointName);
  await new SFNClient({}).send(new StopExecutionCommand({ executionArn: promotion.executionArn, error: 'OperatorStop', cause: 'stopped from the console while waiting for approval' }));

  expect(await ended(world, promotion.executionArn)).toMatchObject({ status: 'ABORTED' });
  // The recovery records the outcome, then frees the lock: judged once it has ended.
  expect(await recoveryEnded(world, promotion.id)).toMatchObject({ status: 'FAILED', error: 'PromotionRolledBack' });
  expect(await historyRow(world, promotion)).toMatchObject({ outcome: 'rolled_back' });
  await expectBackOnBlue(world, promotion);
  expect(await lockItem(world, endpointName)).toBeUndefined();
  const late = await bluegreen(env, 'approve', endpointName);
  expect(late.code).toBe(4);
}, 30000);
