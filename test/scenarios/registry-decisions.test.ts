import { DescribeEndpointCommand, DescribeEndpointConfigCommand, DescribeModelCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { BackstopResult } from '../../lambdas/on-backstop';
import { packageArnOf, versionOf } from '../../lambdas/shared/arns';
import { LOCK_SK, tableKey } from '../../lambdas/shared/contracts';
import { QUEUE_SK } from '../../lambdas/shared/queue-decisions';
import type { AppConfig } from '../../lib/config';
import { startLocalAws, type LocalAws } from '../../local/aws';
import { Seed } from '../../local/seed';
import { defaultLocalConfig } from '../../local/template';
import { expectNoHazards } from '../support/hazards';
import { bluegreen, cliEnv } from '../cli/helpers';

/**
 * Model Registry decisions during a promotion (issue 11, item 2), on the local AWS: approvals and
 * rejections are made with UpdateModelPackage through the real SDK, the emulator sends "SageMaker
 * Model Package State Change", the synthesized approval rule delivers it to on-approval, and the
 * execution-status rule delivers each promotion's end to on-execution-end, which starts the queue.
 * One model package group and endpoint per scenario (routes below), each a hand-made blue.
 */
const ROUTES = {
  queue: 'demo-queue',
  latest: 'demo-latest',
  supersede: 'demo-supersede',
  reject: 'demo-reject',
  downgrade: 'demo-downgrade',
  'downgrade-ok': 'demo-downgrade-ok',
  late: 'demo-late',
  lost: 'demo-lost',
} as const;
type Scenario = keyof typeof ROUTES;

function config(): AppConfig {
  const base = defaultLocalConfig();
  const validation = base.modelPackageGroups?.['churn-models']?.validation;
  // The variant strategy's bake is the workflow's own wait: "during the bake" is when its task token is parked on the lock.
  const route = (scenario: Scenario, extra: Record<string, unknown> = {}) => ({ endpoints: [ROUTES[scenario]], strategy: 'variant' as const, bakeSeconds: 1200, validation, ...extra });
  return {
    ...base,
    modelPackageGroups: {
      'queue-models': route('queue'),
      'latest-models': route('latest'),
      'supersede-models': route('supersede', { onNewerApproval: 'supersede' }),
      'reject-models': route('reject'),
      'downgrade-models': route('downgrade'),
      'downgrade-ok-models': route('downgrade-ok', { allowDowngrade: true }),
      'late-models': route('late'),
      'lost-models': route('lost'),
    },
  };
}

let aws: LocalAws;
const seed = () => new Seed();
const sagemaker = () => new SageMakerClient({});
const dynamo = () => DynamoDBDocumentClient.from(new DynamoDBClient({}));

beforeAll(async () => {
  aws = await startLocalAws({ config: config(), timeScale: 1200 });
}, 60_000);
afterEach(async () => {
  await eventually(() => !aws.stepFunctions.list().some((e) => e.status === 'RUNNING'), 'every execution to end', 30_000);
  expectNoHazards(aws.emulator);
});
afterAll(async () => aws?.close());

async function eventually(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A group with versions 1..n (all PendingManualApproval) and the scenario's endpoint, a hand-made blue serving version `blue`. */
async function world(scenario: Scenario, versions: number, blue = 1): Promise<{ endpointName: string; v: string[] }> {
  const group = `${scenario}-models`;
  await seed().group(group);
  const v: string[] = [''];
  for (let i = 1; i <= versions; i++) v.push(await seed().register(group));
  await seed().blueEndpoint(ROUTES[scenario], v[blue]!);
  return { endpointName: ROUTES[scenario], v };
}

/** Sets the approval status in the Model Registry and waits for on-approval to have handled the event; returns its result. */
async function decide(modelPackageArn: string, status: 'Approved' | 'Rejected'): Promise<{ action: string; executions: Array<Record<string, unknown>> }> {
  const from = aws.deliveries.length;
  await seed().setApproval(modelPackageArn, status);
  let delivery: (typeof aws.deliveries)[number] | undefined;
  await eventually(() => {
    delivery = aws.deliveries.slice(from).find((d) => {
      const detail = (d.event as { detail?: { ModelPackageArn?: string; ModelApprovalStatus?: string } }).detail;
      return d.target === 'on-approval' && detail?.ModelPackageArn === modelPackageArn && detail.ModelApprovalStatus === status;
    });
    return delivery !== undefined && (delivery.result !== undefined || delivery.error !== undefined);
  }, `on-approval to handle ${status} ${modelPackageArn}`);
  if (delivery?.error) throw new Error(`on-approval failed: ${delivery.error}`);
  return delivery!.result as { action: string; executions: Array<Record<string, unknown>> };
}

/** The execution of an approval of `version` on the endpoint (the trigger names it <endpoint>-v<version>-approved-<hash>). */
async function executionOf(endpointName: string, version: number): Promise<{ arn: string; name: string }> {
  let found: { arn: string; name: string } | undefined;
  await eventually(() => (found = aws.stepFunctions.list().find((e) => e.name.startsWith(`${endpointName}-v${version}-`))) !== undefined, `a promotion of version ${version} on ${endpointName}`);
  return found!;
}

async function ended(arn: string) {
  await aws.stepFunctions.waitFor(arn);
  return new SFNClient({}).send(new DescribeExecutionCommand({ executionArn: arn }));
}

async function item(endpointName: string, sk: string): Promise<Record<string, unknown> | undefined> {
  return (await dynamo().send(new GetCommand({ TableName: aws.tableName, Key: { endpointName: tableKey(endpointName), sk }, ConsistentRead: true }))).Item;
}

/** Resolves once the execution has entered `state` (its history grows while it runs). */
async function entered(arn: string, state: string): Promise<void> {
  await eventually(() => aws.stepFunctions.list().find((e) => e.arn === arn)?.events.some((e) => e.type === 'StateEntered' && e.state === state) ?? false, `${arn} to enter ${state}`);
}

/** Waits until the promotion in flight bakes (the bake has parked its task token on the lock). */
async function baking(endpointName: string, promotionId: string): Promise<void> {
  await eventually(async () => {
    const lock = await item(endpointName, LOCK_SK);
    return lock?.promotionId === promotionId && lock.bakeTaskToken !== undefined;
  }, `${promotionId} to bake`);
}

type Row = Record<string, unknown> & { outcome: string; reason?: string; sk: string };
/** History rows, oldest first. */
async function rows(endpointName: string): Promise<Row[]> {
  const out = await dynamo().send(
    new QueryCommand({ TableName: aws.tableName, KeyConditionExpression: 'endpointName = :e AND begins_with(sk, :p)', ExpressionAttributeValues: { ':e': tableKey(endpointName), ':p': 'PROMOTION#' } }),
  );
  return (out.Items ?? []) as Row[];
}
const summary = (r: Row) => `v${String(r.modelPackageVersion)} ${r.outcome}`;

/** The model package version the endpoint serves (its only variant's model's package). */
async function servedVersion(endpointName: string): Promise<number | undefined> {
  const endpoint = await sagemaker().send(new DescribeEndpointCommand({ EndpointName: endpointName }));
  const config = await sagemaker().send(new DescribeEndpointConfigCommand({ EndpointConfigName: endpoint.EndpointConfigName }));
  expect(endpoint.ProductionVariants).toHaveLength(1);
  const model = await sagemaker().send(new DescribeModelCommand({ ModelName: config.ProductionVariants![0]!.ModelName }));
  return versionOf(packageArnOf(model));
}

test('GIVEN version 2 baking WHEN version 3 is approved THEN 3 is queued (status and history show it) and starts when 2 ends: both promoted, in order, history queued → running → promoted', async () => {
  const { endpointName, v } = await world('queue', 3);
  await decide(v[2]!, 'Approved');
  const two = await executionOf(endpointName, 2);
  await baking(endpointName, two.name);

  // WHEN version 3 is approved during 2's bake
  const result = await decide(v[3]!, 'Approved');

  // THEN it is queued, not started, and 2 bakes on undisturbed
  expect(result).toMatchObject({ action: 'queued', executions: [{ endpointName, status: 'queued', note: `queued behind ${two.name}` }] });
  expect(await item(endpointName, QUEUE_SK)).toMatchObject({ version: 3, behind: two.name });
  expect((await item(endpointName, LOCK_SK))?.abortRequested).toBeUndefined();
  const status = await bluegreen(cliEnv(aws), 'status', endpointName);
  expect(status.stdout).toMatch(/^Queued: version 3 \(approved \d\d:\d\d UTC, starts when the running promotion ends\) as demo-queue-v3-approved-[0-9a-f]{10}$/m);
  const statusDoc = JSON.parse((await bluegreen(cliEnv(aws), 'status', endpointName, '--json')).stdout) as { queued: Record<string, unknown> };
  expect(statusDoc.queued).toMatchObject({ modelPackageVersion: 3, modelPackageArn: v[3], behind: two.name });
  const history = await bluegreen(cliEnv(aws), 'history', endpointName);
  expect(history.stdout).toMatch(/model-registry:approved:queue-models\/3\s+- → 3\s+queued\s+-\s+approved at .* while demo-queue-v2-approved-\S+ promotes demo-queue: starts when it ends/);

  // 2 ends promoted; its end starts 3, which runs (history: running) and ends promoted
  expect(await ended(two.arn)).toMatchObject({ status: 'SUCCEEDED' });
  const three = await executionOf(endpointName, 3);
  await baking(endpointName, three.name);
  expect((await rows(endpointName)).map(summary)).toEqual(['v2 promoted', 'v3 queued', 'v3 running']);
  expect(await ended(three.arn)).toMatchObject({ status: 'SUCCEEDED' });

  expect(await servedVersion(endpointName)).toBe(3);
  const history3 = await rows(endpointName);
  expect(history3.map(summary)).toEqual(['v2 promoted', 'v3 queued', 'v3 promoted']);
  expect(history3[1]).toMatchObject({ approvalId: three.name, startedAs: three.name, reason: expect.stringMatching(new RegExp(`waited for ${two.name}; started as ${three.name} at `)) });
  expect(await item(endpointName, QUEUE_SK)).toBeUndefined();
  // on-execution-end started it once; nothing else started a promotion of 3
  expect(aws.stepFunctions.list().filter((e) => e.name.startsWith(`${endpointName}-v3-`))).toHaveLength(1);
}, 60_000);

test('GIVEN version 2 baking WHEN versions 3 then 4 are approved THEN the latest wins: 4 is promoted after 2, 3 never starts and is recorded superseded by 4', async () => {
  const { endpointName, v } = await world('latest', 4);
  await decide(v[2]!, 'Approved');
  const two = await executionOf(endpointName, 2);
  await baking(endpointName, two.name);

  expect(await decide(v[3]!, 'Approved')).toMatchObject({ action: 'queued' });
  expect(await decide(v[4]!, 'Approved')).toMatchObject({ action: 'queued', executions: [{ note: expect.stringMatching(/, superseding demo-latest-v3-approved-/) }] });

  expect(await ended(two.arn)).toMatchObject({ status: 'SUCCEEDED' });
  const four = await executionOf(endpointName, 4);
  expect(await ended(four.arn)).toMatchObject({ status: 'SUCCEEDED' });

  expect(await servedVersion(endpointName)).toBe(4);
  expect(aws.stepFunctions.list().filter((e) => e.name.startsWith(`${endpointName}-v3-`))).toEqual([]);
  const history = await rows(endpointName);
  expect(history.map(summary)).toEqual(['v2 promoted', 'v3 superseded', 'v4 queued', 'v4 promoted']);
  expect(history[1]).toMatchObject({ supersededBy: `version 4 (${four.name})`, reason: expect.stringMatching(/^superseded by version 4 approved at /) });
}, 60_000);

test('GIVEN onNewerApproval "supersede" and version 2 baking WHEN version 3 is approved THEN 2 rolls back at once, naming 3, and 3 is promoted after', async () => {
  const { endpointName, v } = await world('supersede', 3);
  await decide(v[2]!, 'Approved');
  const two = await executionOf(endpointName, 2);
  await baking(endpointName, two.name);

  expect(await decide(v[3]!, 'Approved')).toMatchObject({ action: 'queued' });

  const rolledBack = await ended(two.arn);
  expect(rolledBack).toMatchObject({ status: 'FAILED', error: 'PromotionRolledBack' });
  expect(rolledBack.cause).toMatch(/^PromotionAborted: superseded by version 3 approved at \S+$/);
  const three = await executionOf(endpointName, 3);
  expect(await ended(three.arn)).toMatchObject({ status: 'SUCCEEDED' });

  expect(await servedVersion(endpointName)).toBe(3);
  const history = await rows(endpointName);
  expect(history.map(summary)).toEqual(['v2 rolled_back', 'v3 queued', 'v3 promoted']);
  expect(history[0]).toMatchObject({ reason: rolledBack.cause, failedWith: 'PromotionAborted' });
}, 60_000);

test('GIVEN version 2 baking WHEN 2 is rejected in the Model Registry THEN it rolls back at once with the rejection as the reason, blue serves, and nothing else starts', async () => {
  const { endpointName, v } = await world('reject', 2);
  await decide(v[2]!, 'Approved');
  const two = await executionOf(endpointName, 2);
  await baking(endpointName, two.name);

  const result = await decide(v[2]!, 'Rejected');
  expect(result).toMatchObject({ action: 'aborted', executions: [{ status: 'aborted', executionName: two.name }] });

  const rolledBack = await ended(two.arn);
  expect(rolledBack).toMatchObject({ status: 'FAILED', error: 'PromotionRolledBack' });
  expect(rolledBack.cause).toMatch(/^PromotionAborted: model package reject-models\/2 was Rejected in the Model Registry at \S+$/);
  expect(await servedVersion(endpointName)).toBe(1);
  expect((await rows(endpointName)).map(summary)).toEqual(['v2 rolled_back']);
  expect(aws.stepFunctions.list().filter((e) => e.name.startsWith(`${endpointName}-`))).toHaveLength(1);
  expect(await item(endpointName, LOCK_SK)).toBeUndefined();
}, 60_000);

test('GIVEN the endpoint serves version 3 WHEN version 2 is approved THEN the downgrade is refused and recorded with the option to set; with allowDowngrade it is promoted', async () => {
  const refused = await world('downgrade', 3, 3);
  const result = await decide(refused.v[2]!, 'Approved');
  expect(result).toMatchObject({ action: 'refused' });
  expect(aws.stepFunctions.list().filter((e) => e.name.startsWith(`${refused.endpointName}-`))).toEqual([]);
  const [row] = await rows(refused.endpointName);
  expect(row).toMatchObject({
    outcome: 'refused',
    modelPackageVersion: 2,
    requestedBy: 'model-registry:approved:downgrade-models/2',
    reason: 'version 2 is older than version 3, which demo-downgrade serves: a downgrade, refused; to allow downgrades set "allowDowngrade": true in cdk.json\'s bluegreen.modelPackageGroups.downgrade-models, or approve a version newer than 3',
  });
  const history = await bluegreen(cliEnv(aws), 'history', refused.endpointName);
  expect(history.stdout).toMatch(/- → 2\s+refused\s+-\s+version 2 is older than version 3/);

  const allowed = await world('downgrade-ok', 3, 3);
  expect(await decide(allowed.v[2]!, 'Approved')).toMatchObject({ action: 'started' });
  expect(await ended((await executionOf(allowed.endpointName, 2)).arn)).toMatchObject({ status: 'SUCCEEDED' });
  expect(await servedVersion(allowed.endpointName)).toBe(2);
}, 60_000);

test('GIVEN version 2 past its last abort check (cleaning blue up) WHEN 2 is rejected THEN the endpoint still ends on an approved version: the group\'s latest other approved one (1) is promoted after', async () => {
  const { endpointName, v } = await world('late', 2);
  // Version 1 approved first: its promotion replaces the hand-made blue, so an approved version serves before 2.
  await decide(v[1]!, 'Approved');
  expect(await ended((await executionOf(endpointName, 1)).arn)).toMatchObject({ status: 'SUCCEEDED' });
  await decide(v[2]!, 'Approved');
  const two = await executionOf(endpointName, 2);
  await entered(two.arn, 'CleanupBlue');

  // WHEN 2 is rejected: too late for the rollback (no wait is left to fail), or after 2 ended (a rejection of the live version)
  await decide(v[2]!, 'Rejected');
  expect(await ended(two.arn)).toMatchObject({ status: 'SUCCEEDED' });

  // THEN a promotion of version 1 follows (started by on-execution-end's check of the registry, or by the rejection of the live version)
  let fallback: { arn: string; name: string } | undefined;
  await eventually(() => (fallback = aws.stepFunctions.list().find((e) => e.name !== two.name && e.input.includes('model-registry:rejected:late-models/2'))) !== undefined, 'the move back to version 1');
  expect(await ended(fallback!.arn)).toMatchObject({ status: 'SUCCEEDED' });
  expect(await servedVersion(endpointName)).toBe(1);
  expect((await rows(endpointName)).map(summary)).toEqual(['v1 promoted', 'v2 promoted', 'v1 promoted']);
  expect(aws.stepFunctions.list().filter((e) => e.input.includes('model-registry:rejected:late-models/2'))).toHaveLength(1);
}, 60_000);

test("GIVEN version 3 queued behind 2 WHEN 2's end event is lost (Step Functions delivers it best effort) THEN the bake's backstop starts 3 once a run found the endpoint free, and only once: the late event starts nothing", async () => {
  const { endpointName, v } = await world('lost', 3);
  await decide(v[2]!, 'Approved');
  const two = await executionOf(endpointName, 2);
  await baking(endpointName, two.name);
  expect(await decide(v[3]!, 'Approved')).toMatchObject({ action: 'queued' });

  // WHEN 2's end never reaches EventBridge (EventBridge reference, "AWS Step Functions events": delivery type best effort)
  const endOfTwo = (e: unknown) => {
    const event = e as { 'detail-type'?: string; detail?: { name?: string; status?: string } };
    return event['detail-type'] === 'Step Functions Execution Status Change' && event.detail?.name === two.name && event.detail.status === 'SUCCEEDED';
  };
  aws.dropNextEvent(endOfTwo);
  expect(await ended(two.arn)).toMatchObject({ status: 'SUCCEEDED' });

  // THEN no on-execution-end ran for it, yet 3 starts: the backstop noted the endpoint free on one run and started 3 on a later one
  const three = await executionOf(endpointName, 3);
  expect(aws.dropped.filter(endOfTwo)).toHaveLength(1);
  expect(aws.deliveries.filter((d) => d.target === 'on-execution-end' && endOfTwo(d.event))).toEqual([]);
  const sweptThree = () =>
    aws.deliveries
      .filter((d) => d.target === 'on-backstop')
      .map((d) => (d.result as BackstopResult | undefined)?.queued.find((q) => q.executionName === three.name)?.result)
      .filter((r): r is NonNullable<typeof r> => r !== undefined);
  await eventually(() => sweptThree().includes('started'), "the backstop's run that started 3");
  const results = sweptThree();
  expect(results.indexOf('marked')).toBeGreaterThanOrEqual(0);
  expect(results.indexOf('marked')).toBeLessThan(results.indexOf('started'));
  expect(results.filter((r) => r === 'started')).toHaveLength(1);

  expect(await ended(three.arn)).toMatchObject({ status: 'SUCCEEDED' });
  expect(await servedVersion(endpointName)).toBe(3);
  const history = await rows(endpointName);
  expect(history.map(summary)).toEqual(['v2 promoted', 'v3 queued', 'v3 promoted']);
  expect(history[1]).toMatchObject({
    startedAs: three.name,
    reason: expect.stringMatching(new RegExp(`waited for ${two.name}; started as ${three.name} at \\S+ \\(by the bake's backstop: no promotion held the endpoint on two of its runs`)),
  });
  expect(await item(endpointName, QUEUE_SK)).toBeUndefined();

  // The lost event arrives after all (late): on-execution-end finds nothing to claim; two more backstop runs start nothing either
  const [late] = await aws.putEvent(aws.dropped.find(endOfTwo));
  expect(late).toMatchObject({ target: 'on-execution-end', result: { queue: { drain: { action: 'empty' } } } });
  const runs = () => aws.deliveries.filter((d) => d.target === 'on-backstop' && d.result !== undefined).length;
  const before = runs();
  await eventually(() => runs() >= before + 2, 'two more backstop runs');
  expect(aws.stepFunctions.list().filter((e) => e.name.startsWith(`${endpointName}-v3-`))).toHaveLength(1);
}, 60_000);
