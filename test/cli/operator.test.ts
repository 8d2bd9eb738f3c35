import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { AppConfig } from '../../lib/config';
import { main } from '../../cli/main';
import { QUEUE_SK } from '../../lambdas/shared/queue-decisions';
import { startLocalAws, type LocalAws } from '../../local/aws';
import { Seed } from '../../local/seed';
import { bluegreen, cliEnv, parseJson, sleep, type CliRun } from './helpers';

/**
 * What an operator meets in `list`, `watch` and the papercuts of issue 12 against one local AWS.
 * Each test works on its own endpoint, a hand-made blue serving version 1.
 */
let aws: LocalAws;
let env: Record<string, string>;
let v2: string;
let v3: string;
let v4: string;
const LIST = 'demo-list';
const WATCH = 'demo-watch';
const FAIL = 'demo-failure';
const RB = 'demo-rb-json';
const FAST = ['--interval', '20ms'];

beforeAll(async () => {
  // cdk.json's stack without its approval routes: approving a version starts nothing by itself, so `list` sees only these tests' promotions.
  const { modelPackageGroups: _routes, ...config } = (JSON.parse(readFileSync(join(__dirname, '..', '..', 'cdk.json'), 'utf8')) as { context: { bluegreen: AppConfig } }).context.bluegreen;
  aws = await startLocalAws({ provisioningSeconds: 60, config });
  env = cliEnv(aws);
  const seed = new Seed();
  await seed.group('ops-models');
  const v1 = await seed.register('ops-models');
  await Promise.all([LIST, WATCH, FAIL, RB].map((endpoint) => seed.blueEndpoint(endpoint, v1, 1)));
  v2 = await seed.register('ops-models');
  v3 = await seed.register('ops-models');
  v4 = await seed.register('ops-models');
  for (const v of [v2, v3, v4]) await seed.setApproval(v, 'Approved');
}, 60_000);
afterAll(async () => aws?.close());

/** `bluegreen <args>` with stdout a terminal (isTTY), as an operator's shell gives it. */
async function onTerminal(extraEnv: Record<string, string>, ...args: string[]): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, { stdout: { write: (s: string) => (stdout += s), isTTY: true }, stderr: { write: (s: string) => (stderr += s) }, env: { ...env, ...extraEnv } });
  return { code, stdout, stderr };
}

interface ListDoc {
  entries: Array<{ endpointName: string; promotion?: { promotionId: string; phase: string; modelPackageVersion: number }; queued?: { executionName: string; modelPackageVersion: number } }>;
}

/** Polls `list` until the endpoint's promotion is in `phase`. */
async function untilPhase(endpointName: string, phase: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const doc = parseJson<ListDoc>(await bluegreen(env, 'list', '--output', 'json'));
    if (doc.entries.find((e) => e.endpointName === endpointName)?.promotion?.phase === phase) return;
    await sleep(20);
  }
  throw new Error(`${endpointName} never reached ${phase}; executions: ${aws.stepFunctions.list().map((e) => `${e.name} ${e.status}`).join(', ')}`);
}

async function ended(executionName: string): Promise<void> {
  for (let i = 0; i < 1000 && aws.stepFunctions.list().some((e) => e.name === executionName && e.status === 'RUNNING'); i++) await sleep(20);
}

describe('list: promotions in flight and approvals queued, all endpoints', () => {
  test('nothing in flight: says so; JSON has no entries', async () => {
    const run = await bluegreen(env, 'list');
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toBe('No promotion in flight and none queued.\n');
    expect(parseJson(await bluegreen(env, 'list', '--json'))).toEqual({ entries: [] });
  });

  test('a baking promotion and an approval queued on another endpoint, one row each', async () => {
    // GIVEN a promotion in its bake, and an approval queued (the queue item lambdas/shared/queue.ts writes)
    expect((await bluegreen(env, 'promote', LIST, '--model-package', v2, '--strategy', 'variant', '--bake', '2h', '--name', 'list-1')).code).toBe(0);
    await untilPhase(LIST, 'baking');
    const dynamo = DynamoDBDocumentClient.from(new DynamoDBClient({}));
    const now = new Date().toISOString();
    await dynamo.send(
      new PutCommand({
        TableName: aws.tableName,
        Item: { endpointName: 'demo-queued', endpointDisplayName: 'demo-queued', sk: QUEUE_SK, queued: 'yes', executionName: 'demo-queued-v3-approved', modelPackageArn: v3, version: 3, approvedAt: now, requestedBy: 'model-registry', input: '{}', queuedAt: now, behind: 'p-0' },
      }),
    );
    dynamo.destroy();
    // WHEN
    const run = await bluegreen(env, 'list');
    // THEN
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ENDPOINT\s+PHASE\s+VERSION\s+AGE\s+PROMOTION\s+QUEUED$/);
    expect(lines).toContainEqual(expect.stringMatching(/^demo-list\s+baking\s+2\s+\d+s\s+list-1\s+-$/));
    expect(lines).toContainEqual(expect.stringMatching(/^demo-queued\s+queued\s+-\s+-\s+-\s+version 3 as demo-queued-v3-approved$/));
    const doc = parseJson<ListDoc>(await bluegreen(env, 'list', '--output', 'json'));
    expect(doc.entries.map((e) => e.endpointName)).toEqual(['demo-list', 'demo-queued']);
    expect(doc.entries[0]).toMatchObject({ promotion: { promotionId: 'list-1', phase: 'baking', modelPackageVersion: 2 } });
    expect(doc.entries[1]).toMatchObject({ queued: { executionName: 'demo-queued-v3-approved', modelPackageVersion: 3 } });
  }, 30_000);

  test('two rollbacks at once: the second is told the rollback already runs, and both reasons reach the history', async () => {
    // GIVEN list-1 baking (previous test) WHEN two operators roll it back at the same time
    const [a, b] = await Promise.all([
      bluegreen(env, 'rollback', LIST, '--reason', 'first look', ...FAST),
      bluegreen(env, 'rollback', LIST, '--reason', 'second look', ...FAST),
    ]);
    // THEN both end with blue serving; exactly one was told that a rollback was already under way, with the other's reason
    expect([a.code, b.code]).toEqual([0, 0]);
    const told = [a, b].filter((r) => r.stdout.includes('a rollback is already under way'));
    expect(told).toHaveLength(1);
    expect(told[0]?.stdout).toMatch(/a rollback is already under way, asked at \S+ by an operator: (first|second) look \(bluegreen rollback by tester\); your reason is recorded beside it in the history/);
    for (const run of [a, b]) expect(run.stdout).not.toContain('rolls back at its next poll');
    const history = parseJson<{ promotions: Array<{ promotionId: string; rollbackRequests: Array<{ by: string; reason: string }> }> }>(await bluegreen(env, 'history', LIST, '--json'));
    const row = history.promotions.find((p) => p.promotionId === 'list-1');
    expect(row?.rollbackRequests.map((r) => r.reason).sort()).toEqual(['first look (bluegreen rollback by tester)', 'second look (bluegreen rollback by tester)']);
    expect(row?.rollbackRequests.every((r) => r.by === 'tester')).toBe(true);
  }, 30_000);
});

describe('papercuts', () => {
  test('rollback --json writes the JSON document on stdout and nothing on stderr', async () => {
    expect((await bluegreen(env, 'promote', RB, '--model-package', v2, '--strategy', 'variant', '--bake', '2h', '--name', 'rb-json-1')).code).toBe(0);
    await untilPhase(RB, 'baking');
    const run = await bluegreen(env, 'rollback', RB, '--json', ...FAST);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(parseJson(run)).toMatchObject({ action: 'rolled-back', promotionId: 'rb-json-1', outcome: 'rolled_back' });
  }, 30_000);

  test('watch of an execution that does not exist prints nothing before the not-found error', async () => {
    const run = await bluegreen(env, 'watch', 'no-such-execution', ...FAST);
    expect(run.code).toBe(4);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(':no-such-execution does not exist');
  });

  test("status stops showing SageMaker's FailureReason once the rollback that answered it is recorded", async () => {
    // GIVEN green's fleet fails: SageMaker leaves blue serving with a FailureReason, and the promotion rolls back
    const failure = 'The primary container for production variant v2 did not pass the ping health check.';
    aws.emulator.faults.failFleet({ modelNamePrefix: `${FAIL}-v2-`, reason: failure });
    const promoted = await bluegreen(env, 'promote', FAIL, '--model-package', v2, '--strategy', 'variant', '--bake', '0', '--name', 'fail-1', '--watch', ...FAST);
    expect(promoted.code).toBe(3);
    // WHEN
    const run = await bluegreen(env, 'status', FAIL);
    const doc = parseJson<{ failureReason: string | null; failureReasonAnsweredBy: string | null }>(await bluegreen(env, 'status', FAIL, '--json'));
    // THEN the reason is the last promotion's, not the endpoint's news
    expect(doc.failureReason).toContain(failure);
    expect(doc.failureReasonAnsweredBy).toBe('fail-1');
    expect(run.stdout).not.toContain('failure reason:');
    expect(run.stdout).toMatch(/Last promotion fail-1: rolled_back at \S+: GreenNotInService: .*did not pass the ping health check/);
  }, 30_000);

  test("plan without --bake names the default bake's value", async () => {
    const run = await bluegreen(env, 'plan', FAIL, '--model-package', v3, '--strategy', 'variant');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("the stack's default bake (30m00s unless the stack's bakeDuration says otherwise; pass --bake to be sure)");
  });
});

/* eslint-disable no-control-regex -- the terminal's escape sequences (erase line, colours) are what these tests check */
describe('watch: a live line during every wait', () => {
  test('on a terminal: rewritten in place (Bake elapsed/total, alarms, green traffic), coloured outcome with its mark', async () => {
    expect((await bluegreen(env, 'promote', WATCH, '--model-package', v2, '--strategy', 'variant', '--bake', '30m', '--name', 'watch-1')).code).toBe(0);
    const run = await onTerminal({}, 'watch', 'watch-1', ...FAST);
    expect(run.code).toBe(0);
    // \r + erase line, then the dimmed live line with its mark
    expect(run.stdout).toMatch(/\r\x1b\[2K\x1b\[2m… Bake \d+s\/30m, alarms OK, green \d+ req\/min\x1b\[22m/);
    expect(run.stdout).toMatch(/\r\x1b\[2K\x1b\[2m… WaitFor\w+ \d+s, endpoint (Updating|InService)\x1b\[22m/);
    expect(run.stdout).toMatch(/\x1b\[32m✔ Promoted after .*: version 2 promoted\x1b\[39m\n$/);
  }, 30_000);

  test('NO_COLOR on a terminal: the live line still rewrites in place, without colours', async () => {
    expect((await bluegreen(env, 'promote', WATCH, '--model-package', v3, '--strategy', 'variant', '--bake', '30m', '--name', 'watch-2')).code).toBe(0);
    const run = await onTerminal({ NO_COLOR: '1' }, 'watch', 'watch-2', ...FAST);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/\r\x1b\[2K… Bake \d+s\/30m, alarms OK/);
    expect(run.stdout).not.toContain('\x1b[3');
    expect(run.stdout).toMatch(/✔ Promoted after .*: version 3 promoted\n$/);
  }, 30_000);

  test('not a terminal: a heartbeat line every --heartbeat, no control characters; --timeout stops following and the promotion goes on', async () => {
    expect((await bluegreen(env, 'promote', WATCH, '--model-package', v4, '--strategy', 'variant', '--bake', '2h', '--name', 'watch-3')).code).toBe(0);
    await untilPhase(WATCH, 'baking');
    const run = await bluegreen(env, 'watch', 'watch-3', '--heartbeat', '1ms', '--timeout', '1s', ...FAST);
    expect(run.code).toBe(1);
    expect(run.stdout).not.toContain('\r');
    expect(run.stdout.split('\n')).toContainEqual(expect.stringMatching(/^ {2}\.\.\. Bake \d+s\/2h00m, alarms OK, green \d+ req\/min$/));
    expect(run.stderr).toContain('is still running after 1s (--timeout); it goes on. Follow it again: bluegreen watch');
    expect(aws.stepFunctions.list().find((e) => e.name === 'watch-3')?.status).toBe('RUNNING');
    expect((await bluegreen(env, 'rollback', WATCH, ...FAST)).code).toBe(0);
    await ended('watch-3');
  }, 30_000);
});
/* eslint-enable no-control-regex */
