import { StopExecutionCommand } from '@aws-sdk/client-sfn';
import { recoveryName } from '../../lambdas/shared/recovery';
import { bluegreen, cliEnv } from '../cli/helpers';
import {
  describeEndpoint,
  ended,
  entered,
  eventually,
  expectBackOnBlue,
  handMade,
  historyRow,
  lockItem,
  promotionInput,
  recoveryEnded,
  settle,
  startPromotion,
  startWorld,
  variantsOf,
  type Promotion,
  type World,
} from '../scenarios/world';

/**
 * Recovery on the local AWS (issue 11, item 4): a promotion whose execution ends outside its own
 * error handling is finished from the endpoint as it is — green serving alone after the bake is
 * recorded `promoted`, never rolled back over; a recovery that is itself stopped is recovered
 * again; when the recoveries run out, `bluegreen rollback` finishes the job. A step still running
 * in an execution that was stopped (as Lambda keeps running it) finds its promotion taken over and
 * does nothing (PromotionEnded).
 */
const BLUES = ['demo-rec-cleanup', 'demo-rec-revalidate', 'demo-rec-twice', 'demo-rec-exhausted'];
let world: World;

beforeAll(async () => {
  world = await startWorld(BLUES);
}, 60_000);
afterEach(async () => settle(world));
afterAll(async () => world?.aws.close());

const execution = (name: string) => world.aws.stepFunctions.list().find((e) => e.name === name);
const stop = (p: Promotion, cause: string) => world.sfn.send(new StopExecutionCommand({ executionArn: p.executionArn, error: 'OperatorStop', cause }));
/** Calls since `from` that change something in SageMaker or CloudWatch. */
const changes = (from: number) => world.aws.emulator.callLog.slice(from).filter((c) => !/^(Describe|List|Invoke|Get)/.test(c.operation));
type StepEvent = { target?: string; state?: { promotion?: { id?: string } }; promotion?: { id?: string }; recovery?: { executionArn?: string } };
const ofPromotion = (id: string) => (e: unknown) => ((e as StepEvent).state?.promotion?.id ?? (e as StepEvent).promotion?.id) === id;

const recoveryOf = (p: Promotion, attempt = 1) => recoveryEnded(world, p.id, attempt);

test('GIVEN guardrails stopped during CleanupBlue (green serves alone) WHEN recovered THEN promoted, blue\'s leftovers recorded, and the stopped step, still running, deletes nothing', async () => {
  const endpointName = 'demo-rec-cleanup';
  const held = world.aws.stepFunctions.holdStep('cleanup', (e) => (e as StepEvent).target === 'blue' && ofPromotion('rec-cleanup')(e));
  const p = await startPromotion(world, 'rec-cleanup', { ...promotionInput(endpointName, world.v2), strategy: 'guardrails' });
  await held.entered;
  await stop(p, 'stopped from the console during the cleanup');

  const recovery = await recoveryOf(p);
  expect(recovery).toMatchObject({ status: 'SUCCEEDED' });
  expect(recovery.statesEntered).toEqual(['Recovery?', 'Recover', 'RecoverHow?', 'RecordPromotion', 'PublishSucceeded', 'Promoted']);
  const endpoint = await describeEndpoint(world, endpointName);
  expect(endpoint).toMatchObject({ EndpointStatus: 'InService', EndpointConfigName: p.green.greenConfig });
  const row = await historyRow(world, p);
  expect(row).toMatchObject({ outcome: 'promoted', recovery: { decision: expect.stringMatching(/serves green .* alone after the bake/) } });
  expect(row?.leftovers?.map((l) => l.resource)).toEqual(expect.arrayContaining([`config ${handMade(endpointName).config}`, `model ${handMade(endpointName).model}`]));
  expect(await lockItem(world, endpointName)).toBeUndefined();

  const before = world.aws.emulator.callLog.length;
  await expect(held.release()).resolves.toMatchObject({ error: expect.objectContaining({ name: 'PromotionEnded' }) });
  expect(changes(before)).toEqual([]);
}, 60_000);

test('GIVEN variant stopped during RevalidateGreen (green alone after the bake) WHEN recovered THEN promoted on green, not a RollbackFailed', async () => {
  const endpointName = 'demo-rec-revalidate';
  const held = world.aws.stepFunctions.holdStep('validate-green', (e) => (e as StepEvent).target === 'serving' && ofPromotion('rec-revalidate')(e));
  const p = await startPromotion(world, 'rec-revalidate', promotionInput(endpointName, world.v2));
  await held.entered;
  await stop(p, 'stopped after GreenAlone');

  const recovery = await recoveryOf(p);
  expect(recovery).toMatchObject({ status: 'SUCCEEDED' });
  const endpoint = await describeEndpoint(world, endpointName);
  expect(endpoint).toMatchObject({ EndpointStatus: 'InService', EndpointConfigName: p.green.greenConfig });
  expect(variantsOf(endpoint)).toEqual([{ VariantName: p.green.variant, CurrentWeight: 1 }]);
  expect(await historyRow(world, p)).toMatchObject({ outcome: 'promoted', recovery: { ended: expect.stringMatching(/execution rec-revalidate ended ABORTED \(OperatorStop: stopped after GreenAlone\)/) } });
  expect(await lockItem(world, endpointName)).toBeUndefined();
  await expect(held.release()).resolves.toMatchObject({ error: expect.objectContaining({ name: 'PromotionEnded' }) });
}, 60_000);

test('GIVEN a recovery that is itself stopped mid-rollback WHEN it ends THEN the next recovery finishes: blue back, rolled_back, lock released', async () => {
  const endpointName = 'demo-rec-twice';
  const firstRecovery = (e: unknown) => ofPromotion('rec-twice')(e) && ((e as StepEvent).recovery?.executionArn ?? '').endsWith(':rec-twice-recover');
  const held = world.aws.stepFunctions.holdStep('rollback', firstRecovery);
  const p = await startPromotion(world, 'rec-twice', { ...promotionInput(endpointName, world.v2), bakeSeconds: 3600 });
  await entered(world, p.executionArn, 'Bake');
  await stop(p, 'stopped mid-bake');
  await held.entered;
  const first = execution(recoveryName(p.id, 1))!;
  await world.sfn.send(new StopExecutionCommand({ executionArn: first.arn, error: 'OperatorStop', cause: 'the recovery stopped too' }));

  const second = await recoveryOf(p, 2);
  expect(second).toMatchObject({ status: 'FAILED', error: 'PromotionRolledBack' });
  await expectBackOnBlue(world, p);
  expect(await historyRow(world, p)).toMatchObject({
    outcome: 'rolled_back',
    recovery: { executionArn: second.executionArn, ended: expect.stringMatching(/; its recovery execution rec-twice-recover ended ABORTED \(OperatorStop: the recovery stopped too\)$/) },
  });
  // The first recovery's rollback step, still running when that recovery was stopped, finds the promotion finished.
  await expect(held.release()).resolves.toMatchObject({ error: expect.objectContaining({ name: 'PromotionEnded' }) });
  expect(execution(recoveryName(p.id, 3))).toBeUndefined();
}, 60_000);

test('GIVEN every recovery failing until they run out WHEN `bluegreen rollback` runs THEN it starts one more under a fresh name, which finishes the job', async () => {
  const endpointName = 'demo-rec-exhausted';
  const p = await startPromotion(world, 'rec-exhausted', { ...promotionInput(endpointName, world.v2), bakeSeconds: 3600 });
  await entered(world, p.executionArn, 'Bake');
  // Recover is tried 6 times per recovery (its Retry): three recoveries crash before doing anything.
  world.aws.stepFunctions.crashStep('recover', 18);
  await stop(p, 'stopped mid-bake');
  await eventually(
    () => world.aws.deliveries.some((d) => d.target === 'on-execution-end' && (d.result as { action?: string } | undefined)?.action === 'recoveries-exhausted'),
    'on-execution-end to give up after three recoveries',
  );
  const third = await ended(world, execution(recoveryName(p.id, 3))!.arn);
  expect(third).toMatchObject({ status: 'FAILED', error: 'Runtime.ExitError' });
  expect(await lockItem(world, endpointName)).toMatchObject({ promotionId: p.id });

  const run = await bluegreen(cliEnv(world.aws), 'rollback', endpointName, '--interval', '20ms');

  expect(run.stderr).toBe('');
  expect(run.stdout).toMatch(/Promotion rec-exhausted of demo-rec-exhausted holds the lock, but its execution ended ABORTED and no recovery is running: started recovery execution rec-exhausted-recover-[0-9a-z]+/);
  expect(run.stdout).toMatch(/Outcome: rolled_back/);
  expect(run.code).toBe(0);
  await expectBackOnBlue(world, p);
  expect(await historyRow(world, p)).toMatchObject({ outcome: 'rolled_back', recovery: { executionArn: expect.stringMatching(/:rec-exhausted-recover-[0-9a-z]+$/) } });
}, 60_000);
