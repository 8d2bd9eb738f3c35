import { DescribeExecutionCommand, GetExecutionHistoryCommand, RedriveExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { recoveryName } from '../../lambdas/shared/recovery';
import {
  describeEndpoint,
  ended,
  entered,
  eventually,
  expectBackOnBlue,
  historyRow,
  lockItem,
  recoveryEnded,
  promotionInput,
  settle,
  startPromotion,
  startWorld,
  type Promotion,
  type World,
} from '../scenarios/world';

/**
 * RedriveExecution (API_RedriveExecution: a FAILED, TIMED_OUT or ABORTED Standard execution
 * continues from its unsuccessful step with that step's input, same ARN) of a promotion on the
 * local AWS. A promotion already recovered, or being recovered, does nothing when redriven: every
 * step after AcquireLock checks first that it still speaks for its promotion (PromotionEnded).
 * One that still holds its lock with nobody recovering it just carries on, as in AWS.
 */
const BLUES = ['demo-redrive-done', 'demo-redrive-during', 'demo-redrive-locked'];
let world: World;

beforeAll(async () => {
  world = await startWorld(BLUES);
}, 60_000);
afterEach(async () => settle(world));
afterAll(async () => world?.aws.close());

const execution = (name: string) => world.aws.stepFunctions.list().find((e) => e.name === name);
const stopMidBake = async (p: Promotion) => {
  await entered(world, p.executionArn, 'Bake');
  await world.sfn.send(new StopExecutionCommand({ executionArn: p.executionArn, error: 'OperatorStop', cause: 'stopped mid-bake' }));
};
/** Calls since `from` that change something in SageMaker or CloudWatch. */
const changes = (from: number) => world.aws.emulator.callLog.slice(from).filter((c) => !/^(Describe|List|Invoke|Get)/.test(c.operation));
/** What the emulator runs and bills for an endpoint, without the clock-driven instance-seconds. */
const fleetsOf = (endpointName: string) => world.aws.emulator.meter().endpoints[endpointName]!.fleets.map(({ id, endpointConfigName, status, trafficShare }) => ({ id, endpointConfigName, status, trafficShare }));
const redrive = (p: Promotion) => world.sfn.send(new RedriveExecutionCommand({ executionArn: p.executionArn }));

test('GIVEN a promotion stopped mid-bake and already recovered WHEN redriven THEN it ends PromotionEnded: no SageMaker change, history row and lock as they were', async () => {
  const endpointName = 'demo-redrive-done';
  const p = await startPromotion(world, 'redrive-done', { ...promotionInput(endpointName, world.v2), bakeSeconds: 3600 });
  await stopMidBake(p);
  expect(await recoveryEnded(world, p.id)).toMatchObject({ status: 'FAILED', error: 'PromotionRolledBack' });
  await expectBackOnBlue(world, p);
  const row = await historyRow(world, p);
  const before = { calls: world.aws.emulator.callLog.length, fleets: fleetsOf(endpointName), resources: world.aws.emulator.inspect() };

  await redrive(p);
  const redriven = await ended(world, p.executionArn);

  expect(redriven).toMatchObject({ status: 'FAILED', error: 'PromotionEnded', redriveCount: 1, cause: expect.stringMatching(/promotion redrive-done has ended/) });
  // It went on from the step the stop interrupted (the bake's wait), and stopped there.
  const { events } = await world.sfn.send(new GetExecutionHistoryCommand({ executionArn: p.executionArn }));
  const afterRedrive = events!.slice(events!.findIndex((e) => e.type === 'ExecutionRedriven'));
  expect(afterRedrive.filter((e) => e.stateEnteredEventDetails).map((e) => e.stateEnteredEventDetails!.name)).toEqual(['Bake', 'PromotionEnded']);
  expect(changes(before.calls)).toEqual([]);
  expect(fleetsOf(endpointName)).toEqual(before.fleets);
  expect(world.aws.emulator.inspect()).toEqual(before.resources);
  expect(await historyRow(world, p)).toEqual(row);
  expect(await lockItem(world, endpointName)).toBeUndefined();
  // Its end is not mistaken for a promotion to recover.
  expect(execution(recoveryName(p.id, 2))).toBeUndefined();
}, 60_000);

test('GIVEN a promotion whose recovery is running WHEN redriven THEN it does nothing (PromotionEnded) and the recovery alone finishes it', async () => {
  const endpointName = 'demo-redrive-during';
  const held = world.aws.stepFunctions.holdStep('rollback', (e) => (e as { promotion?: { id?: string } }).promotion?.id === 'redrive-during');
  const p = await startPromotion(world, 'redrive-during', { ...promotionInput(endpointName, world.v2), bakeSeconds: 3600 });
  await stopMidBake(p);
  await held.entered;
  const lock = await lockItem(world, endpointName);
  expect(lock).toMatchObject({ promotionId: p.id, recoveredBy: execution(recoveryName(p.id, 1))!.arn });
  const before = world.aws.emulator.callLog.length;

  await redrive(p);

  expect(await ended(world, p.executionArn)).toMatchObject({ status: 'FAILED', error: 'PromotionEnded', cause: expect.stringMatching(/being finished by recovery .*redrive-during-recover/) });
  expect(changes(before)).toEqual([]);
  expect(await lockItem(world, endpointName)).toEqual(lock);
  await held.release();
  expect(await ended(world, execution(recoveryName(p.id, 1))!.arn)).toMatchObject({ status: 'FAILED', error: 'PromotionRolledBack' });
  await expectBackOnBlue(world, p);
  expect(await historyRow(world, p)).toMatchObject({ outcome: 'rolled_back', recordedBy: execution(recoveryName(p.id, 1))!.arn });
}, 60_000);

test('GIVEN a promotion that failed in RecordPromotion still holding its lock, nobody recovering it WHEN redriven THEN, as in AWS, it carries on from that step with its input: promoted', async () => {
  const endpointName = 'demo-redrive-locked';
  // The record crashes once, then every recovery crashes in Recover (6 tries each) before taking the lock over.
  world.aws.stepFunctions.crashStep('record-outcome', 1);
  world.aws.stepFunctions.crashStep('recover', 18);
  const p = await startPromotion(world, 'redrive-locked', promotionInput(endpointName, world.v2));
  expect(await ended(world, p.executionArn)).toMatchObject({ status: 'FAILED', error: 'Runtime.ExitError' });
  await eventually(
    () => world.aws.deliveries.some((d) => d.target === 'on-execution-end' && (d.result as { action?: string } | undefined)?.action === 'recoveries-exhausted'),
    'the recoveries to run out',
  );
  expect(await lockItem(world, endpointName)).toMatchObject({ promotionId: p.id });
  expect(await historyRow(world, p)).toMatchObject({ outcome: 'running' });

  await redrive(p);
  const redriven = await ended(world, p.executionArn);

  expect(redriven).toMatchObject({ status: 'SUCCEEDED', redriveCount: 1 });
  expect(redriven.statesEntered.slice(-4)).toEqual(['RecordPromotion', 'RecordPromotion', 'PublishSucceeded', 'Promoted']);
  expect(await describeEndpoint(world, endpointName)).toMatchObject({ EndpointStatus: 'InService', EndpointConfigName: p.green.greenConfig });
  expect(await historyRow(world, p)).toMatchObject({ outcome: 'promoted', recordedBy: p.executionArn });
  expect(await lockItem(world, endpointName)).toBeUndefined();
  expect(await world.sfn.send(new DescribeExecutionCommand({ executionArn: p.executionArn }))).toMatchObject({ redriveStatus: 'NOT_REDRIVABLE' });
}, 60_000);
