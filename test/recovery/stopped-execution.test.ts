import { DescribeEndpointCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { startLocalAws, type LocalAws } from '../../local/aws';
import { Seed } from '../../local/seed';
import { expectNoHazards } from '../support/hazards';

/**
 * An execution stopped from the console (or timed out, or failed outside its Catch blocks)
 * never reaches its own rollback: the Step Functions status-change rule starts a recovery
 * execution that restores blue, removes green, records the outcome and releases the lock.
 */
let aws: LocalAws;
let seed: Seed;
let v2: string;
const sfn = () => new SFNClient({});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  aws = await startLocalAws();
  seed = new Seed();
  await seed.group('churn-models');
  const v1 = await seed.register('churn-models');
  v2 = await seed.register('churn-models');
  await seed.setApproval(v2, 'Approved');
  await seed.blueEndpoint('demo-stop', v1);
}, 60_000);
afterEach(() => expectNoHazards(aws.emulator));
afterAll(async () => aws?.close());

async function history(endpointName: string) {
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient({}));
  const out = await doc.send(new QueryCommand({ TableName: aws.tableName, KeyConditionExpression: 'endpointName = :e', ExpressionAttributeValues: { ':e': endpointName } }));
  return out.Items ?? [];
}

test('GIVEN a promotion stopped mid-bake WHEN the status-change rule fires THEN a recovery puts blue back, deletes green, records rolled_back and frees the lock', async () => {
  const { executionArn } = await sfn().send(
    new StartExecutionCommand({ stateMachineArn: aws.stateMachineArn, name: 'stop-me', input: JSON.stringify({ endpointName: 'demo-stop', modelPackageArn: v2, strategy: 'variant', bakeSeconds: 3600 }) }),
  );
  const execution = aws.stepFunctions.list().find((e) => e.arn === executionArn)!;
  while (execution.events.filter((e) => e.state === 'CheckGuardrails').length < 2) await sleep(10);

  await sfn().send(new StopExecutionCommand({ executionArn, error: 'OperatorStop', cause: 'stopped from the console' }));

  let recovery: (typeof execution) | undefined;
  for (let i = 0; i < 500 && !recovery; i++, await sleep(10)) recovery = aws.stepFunctions.list().find((e) => e.name === 'stop-me-recover');
  expect(recovery).toBeDefined();
  await aws.stepFunctions.waitFor(recovery!.arn);

  expect(await sfn().send(new DescribeExecutionCommand({ executionArn }))).toMatchObject({ status: 'ABORTED' });
  expect(recovery).toMatchObject({ status: 'FAILED', error: 'PromotionRolledBack' });
  expect(recovery!.cause).toMatch(/ExecutionEnded: execution stop-me ended ABORTED \(OperatorStop: stopped from the console\)/);
  const endpoint = await new SageMakerClient({}).send(new DescribeEndpointCommand({ EndpointName: 'demo-stop' }));
  expect(endpoint).toMatchObject({ EndpointStatus: 'InService', EndpointConfigName: 'demo-stop-handmade-config' });
  expect(endpoint.ProductionVariants).toEqual([expect.objectContaining({ VariantName: 'AllTraffic', CurrentWeight: 1 })]);
  const left = aws.emulator.inspect();
  expect(Object.keys(left.models).filter((m) => m.startsWith('demo-stop-v2'))).toEqual([]);
  expect(Object.keys(left.endpointConfigs).filter((c) => c.startsWith('demo-stop-v2'))).toEqual([]);
  expect(Object.keys(left.alarms).filter((a) => a.includes('demo-stop'))).toEqual([]);
  const rows = await history('demo-stop');
  expect(rows.find((r) => r.sk === 'LOCK')).toBeUndefined();
  expect(rows.find((r) => r.promotionId === 'stop-me')).toMatchObject({ outcome: 'rolled_back', reason: expect.stringMatching(/ended ABORTED/) });
}, 60_000);

test.each([
  ['the promotion\'s own execution, already recovered', 'stop-me', /is not locked by stop-me: that promotion already recorded its outcome/],
  ['a recovery execution', 'stop-me-recover', /is itself a recovery; recover the promotion's own execution .*:stop-me$/],
])('GIVEN a recovery asked for %s THEN it changes nothing and says so (no validation bypass)', async (_what, name, cause) => {
  const done = aws.stepFunctions.list().find((e) => e.name === name)!;
  const before = aws.emulator.callLog.length;
  const { executionArn } = await sfn().send(new StartExecutionCommand({ stateMachineArn: aws.stateMachineArn, input: JSON.stringify({ recoverExecutionArn: done.arn }) }));
  const result = await aws.stepFunctions.waitFor(executionArn!);

  expect(result).toMatchObject({ status: 'FAILED', error: 'NothingToRecover' });
  expect(result.cause).toMatch(cause);
  const mutating = aws.emulator.callLog.slice(before).filter((c) => !/^(Describe|List)/.test(c.operation));
  expect(mutating).toEqual([]);
}, 30_000);

test('GIVEN a promotion input smuggling recoverExecutionArn THEN it is rejected naming the field, not run as a recovery', async () => {
  const done = aws.stepFunctions.list().find((e) => e.name === 'stop-me-recover')!;
  const { executionArn } = await sfn().send(
    new StartExecutionCommand({ stateMachineArn: aws.stateMachineArn, input: JSON.stringify({ endpointName: 'demo-stop', modelPackageArn: v2, recoverExecutionArn: done.arn }) }),
  );
  const result = await aws.stepFunctions.waitFor(executionArn!);
  expect(result).toMatchObject({ status: 'FAILED', error: 'InvalidPromotionInput' });
  expect(result.cause).toMatch(/recoverExecutionArn: a recovery input holds only recoverExecutionArn; remove endpointName, modelPackageArn/);
}, 30_000);
