import { DescribeEndpointCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { handler as onExecutionEnd } from '../../../lambdas/on-execution-end';
import { handler as recover } from '../../../lambdas/recover';
import type { PromotionState } from '../../../lambdas/shared/contracts';
import { anEndpoint, BLUE_CONFIG, BLUE_VARIANT, conditionalCheckFailed, ENDPOINT, notFound, setStepEnvironment, stateAt } from '../../support/fixtures';

const sfn = mockClient(SFNClient);
const dynamo = mockClient(DynamoDBDocumentClient);
const sagemaker = mockClient(SageMakerClient);

const STATE_MACHINE = 'arn:aws:states:us-east-1:111122223333:stateMachine:Promotion';
const arnOf = (name: string) => `${STATE_MACHINE.replace(':stateMachine:', ':execution:')}:${name}`;
const EXECUTION = arnOf('promotion-1');
const RECOVERY = arnOf('promotion-1-recover');
const lockKey = { Key: { endpointName: ENDPOINT, sk: 'LOCK' } };
const lockOf = (extra: Record<string, unknown> = {}) => ({ Item: { endpointName: ENDPOINT, sk: 'LOCK', promotionId: 'promotion-1', executionArn: EXECUTION, inFlight: 'yes', ...extra } });
const exists = (name: string) => Object.assign(new Error(`Execution Already Exists: '${arnOf(name)}'`), { name: 'ExecutionAlreadyExists' });

/** The AWS documentation's sample status-change event, re-pointed at one of our executions. */
function statusEvent(status: string, input: unknown = { endpointName: ENDPOINT }, name = 'promotion-1', extra: Record<string, unknown> = {}) {
  const sample = JSON.parse(readFileSync(join(__dirname, '..', '..', 'fixtures', 'events', 'stepfunctions_execution_failed.json'), 'utf8')) as { detail: Record<string, unknown> };
  return { ...sample, detail: { ...sample.detail, executionArn: arnOf(name), name, status, input: JSON.stringify(input), ...extra } };
}

beforeEach(() => {
  sfn.reset();
  dynamo.reset();
  sagemaker.reset();
  setStepEnvironment();
  process.env.STATE_MACHINE_ARN = STATE_MACHINE;
  // Anything but the lock (the endpoint's queue item) is absent.
  dynamo.on(GetCommand).resolves({});
  dynamo.on(UpdateCommand).resolves({});
  sfn.on(StartExecutionCommand).callsFake((input: { name: string }) => ({ executionArn: arnOf(input.name) }));
});

describe('on-execution-end', () => {
  test('GIVEN an aborted promotion still holding its lock THEN one recovery execution starts, named after it', async () => {
    dynamo.on(GetCommand, lockKey).resolves(lockOf());
    await expect(onExecutionEnd(statusEvent('ABORTED'))).resolves.toEqual({ action: 'recovery-started', note: 'promotion-1-recover' });
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
    expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, { stateMachineArn: STATE_MACHINE, name: 'promotion-1-recover', input: JSON.stringify({ recoverExecutionArn: EXECUTION }) });
  });

  test('GIVEN a promotion that rolled back through its own Catch (lock released) THEN nothing starts', async () => {
    await expect(onExecutionEnd(statusEvent('FAILED'))).resolves.toMatchObject({ action: 'nothing-to-do', note: expect.stringMatching(/no longer holds/) });
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  test('GIVEN a recovery that was stopped while its promotion still holds the lock THEN the next recovery starts, for the promotion\'s own execution', async () => {
    dynamo.on(GetCommand, lockKey).resolves(lockOf({ recoveredBy: RECOVERY }));
    sfn.on(DescribeExecutionCommand, { executionArn: EXECUTION }).resolves({ name: 'promotion-1', status: 'ABORTED', input: JSON.stringify({ endpointName: ENDPOINT }) } as never);
    sfn.on(StartExecutionCommand, { name: 'promotion-1-recover' }).rejects(exists('promotion-1-recover'));

    await expect(onExecutionEnd(statusEvent('ABORTED', { recoverExecutionArn: EXECUTION }, 'promotion-1-recover'))).resolves.toEqual({ action: 'recovery-started', note: 'promotion-1-recover2' });
    expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, { name: 'promotion-1-recover2', input: JSON.stringify({ recoverExecutionArn: EXECUTION }) });
  });

  test('GIVEN all three recoveries used THEN none more starts, and the note says `bluegreen rollback` finishes it', async () => {
    dynamo.on(GetCommand, lockKey).resolves(lockOf({ recoveredBy: arnOf('promotion-1-recover3') }));
    sfn.on(DescribeExecutionCommand, { executionArn: EXECUTION }).resolves({ name: 'promotion-1', status: 'ABORTED', input: JSON.stringify({ endpointName: ENDPOINT }) } as never);
    sfn.on(StartExecutionCommand).callsFake((input: { name: string }) => {
      throw exists(input.name);
    });

    await expect(onExecutionEnd(statusEvent('FAILED', { recoverExecutionArn: EXECUTION }, 'promotion-1-recover3'))).resolves.toEqual({
      action: 'recoveries-exhausted',
      note: expect.stringMatching(/after 3 recoveries .*"bluegreen rollback churn-prediction" starts one more/),
    });
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 3);
  });

  test('GIVEN another recovery still running finishes the promotion THEN nothing starts', async () => {
    dynamo.on(GetCommand, lockKey).resolves(lockOf({ recoveredBy: arnOf('promotion-1-recover2') }));
    sfn.on(DescribeExecutionCommand, { executionArn: EXECUTION }).resolves({ name: 'promotion-1', status: 'ABORTED', input: JSON.stringify({ endpointName: ENDPOINT }) } as never);
    sfn.on(DescribeExecutionCommand, { executionArn: arnOf('promotion-1-recover2') }).resolves({ status: 'RUNNING' } as never);

    await expect(onExecutionEnd(statusEvent('FAILED', { recoverExecutionArn: EXECUTION }, 'promotion-1-recover'))).resolves.toMatchObject({ action: 'nothing-to-do', note: expect.stringMatching(/recover2 is finishing/) });
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  test.each([
    ['PromotionEnded (a redriven execution that was already recovered)', 'PromotionEnded'],
    ['NothingToRecover', 'NothingToRecover'],
  ])('GIVEN an execution that failed %s THEN nothing starts, whatever the lock', async (_what, error) => {
    dynamo.on(GetCommand, lockKey).resolves(lockOf());
    await expect(onExecutionEnd(statusEvent('FAILED', { endpointName: ENDPOINT }, 'promotion-1', { error }))).resolves.toMatchObject({ action: 'nothing-to-do' });
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  test('GIVEN a rejected input (no endpoint named) THEN nothing starts and no lock is read', async () => {
    await expect(onExecutionEnd(statusEvent('FAILED', ['not', 'an', 'object']))).resolves.toMatchObject({ action: 'nothing-to-do', note: expect.stringMatching(/names no endpoint/) });
    expect(dynamo).not.toHaveReceivedCommandWith(GetCommand, lockKey);
  });
});

describe('recover', () => {
  const event = (input: unknown = { recoverExecutionArn: EXECUTION }) => ({ input, executionArn: RECOVERY });
  const baking = stateAt('baking');
  const afterBake = (s: PromotionState): PromotionState => ({ ...s, bake: { ...s.bake!, done: true, waitSeconds: 0 } });
  const greenAlone = anEndpoint(baking.green!.greenConfigName, [{ name: baking.green!.variantName, weight: 1 }]);
  const history = (doc: unknown) =>
    sfn.on(GetExecutionHistoryCommand).resolves({ events: [{ id: 9, type: 'TaskStateEntered', timestamp: new Date(), stateEnteredEventDetails: { name: 'CheckGuardrails', input: JSON.stringify(doc) } }] });
  const ended = (status = 'ABORTED', extra: Record<string, unknown> = {}) => sfn.on(DescribeExecutionCommand, { executionArn: EXECUTION }).resolves({ name: 'promotion-1', status, ...extra } as never);

  test('GIVEN a promotion stopped mid-bake (traffic on green in the pair) THEN the lock is marked with this recovery and its state goes to the rollback with the reason', async () => {
    ended('ABORTED', { error: 'OperatorStop', cause: 'from the console' });
    history({ ...baking, wait: { phase: 'shift', attempt: 3, ready: true, status: 'InService' } });
    dynamo.on(GetCommand, lockKey).resolves(lockOf({ bakeTaskToken: 'old-token', bakeWatch: { endpointName: ENDPOINT } }));
    sagemaker.on(DescribeEndpointCommand).resolves(anEndpoint(baking.green!.pairConfigName!, [{ name: BLUE_VARIANT, weight: 0 }, { name: baking.green!.variantName, weight: 1 }]));

    const doc = await recover(event());

    expect(doc).toMatchObject({
      recover: 'rollback',
      promotion: baking.promotion,
      green: baking.green,
      failure: { Error: 'ExecutionEnded', Cause: expect.stringMatching(/execution promotion-1 ended ABORTED \(OperatorStop: from the console\) outside its own error handling/) },
      recovery: { executionArn: RECOVERY, decision: expect.stringMatching(/back to blue/) },
    });
    expect(doc.wait).toBeUndefined();
    expect(dynamo).toHaveReceivedCommandWith(UpdateCommand, {
      ...lockKey,
      UpdateExpression: 'SET recoveredBy = :me, recoveredAt = :now REMOVE bakeWatch, bakeTaskToken, waitTaskToken',
      ConditionExpression: 'promotionId = :id AND (attribute_not_exists(recoveredBy) OR recoveredBy IN (:seen, :me))',
      ExpressionAttributeValues: expect.objectContaining({ ':me': RECOVERY, ':id': 'promotion-1' }),
    });
  });

  test('GIVEN green serving alone after the bake, blue not yet cleaned (stopped in RevalidateGreen) THEN only the record, with blue\'s resources on it', async () => {
    ended('TIMED_OUT');
    history(afterBake(stateAt('finalized')));
    dynamo.on(GetCommand, lockKey).resolves(lockOf());
    sagemaker.on(DescribeEndpointCommand).resolves(greenAlone);

    const doc = await recover(event());

    expect(doc).toMatchObject({ recover: 'record', recovery: { decision: expect.stringMatching(/serves green .* alone after the bake/) } });
    expect(doc.failure).toBeUndefined();
    expect(doc.cleanup).toMatchObject({ target: 'blue', deleted: [] });
    expect(doc.cleanup!.kept.map((k) => k.resource)).toEqual(expect.arrayContaining([`config ${baking.promotion.names.pairConfig}`, `config ${BLUE_CONFIG}`]));
  });

  test('GIVEN the execution ended after cleaning blue up THEN its own cleanup result is what gets recorded', async () => {
    ended('ABORTED');
    const cleanup = { target: 'blue' as const, deleted: [`config ${baking.promotion.names.pairConfig}`], kept: [] };
    history({ ...afterBake(stateAt('finalized')), cleanup });
    dynamo.on(GetCommand, lockKey).resolves(lockOf());
    sagemaker.on(DescribeEndpointCommand).resolves(greenAlone);

    await expect(recover(event())).resolves.toMatchObject({ recover: 'record', cleanup });
  });

  test('GIVEN an earlier recovery that ended half-way (lock marked by it) THEN this one takes over and says how that one ended', async () => {
    ended('ABORTED');
    history(baking);
    const earlier = arnOf('promotion-1-recover-old');
    dynamo.on(GetCommand, lockKey).resolves(lockOf({ recoveredBy: earlier }));
    sfn.on(DescribeExecutionCommand, { executionArn: earlier }).resolves({ name: 'promotion-1-recover-old', status: 'ABORTED' } as never);
    sagemaker.on(DescribeEndpointCommand).resolves(anEndpoint(BLUE_CONFIG, [{ name: BLUE_VARIANT, weight: 1 }]));

    const doc = await recover(event());

    expect(doc).toMatchObject({ recover: 'rollback', recovery: { ended: expect.stringMatching(/; its recovery execution promotion-1-recover-old ended ABORTED$/), decision: expect.stringMatching(/nothing to undo/) } });
    expect(dynamo).toHaveReceivedCommandWith(UpdateCommand, { ExpressionAttributeValues: expect.objectContaining({ ':seen': earlier, ':me': RECOVERY }) });
  });

  test('GIVEN someone deleted the endpoint after the promotion\'s execution was stopped mid-bake THEN the interrupted path, never a rollback', async () => {
    ended('ABORTED');
    history(baking);
    dynamo.on(GetCommand, lockKey).resolves(lockOf());
    sagemaker.on(DescribeEndpointCommand).rejects(notFound('endpoint', ENDPOINT));

    const doc = await recover(event());

    expect(doc).toMatchObject({ recover: 'interrupt', interruption: { Error: 'OutsideChange', Cause: expect.stringMatching(/detected by recover at/) } });
    expect(doc.failure).toBeUndefined();
  });

  test('GIVEN this recovery already marked the lock (Recover retried after a crash) THEN it goes on, reading no other execution', async () => {
    ended('ABORTED');
    history(baking);
    dynamo.on(GetCommand, lockKey).resolves(lockOf({ recoveredBy: RECOVERY }));
    sagemaker.on(DescribeEndpointCommand).resolves(anEndpoint(BLUE_CONFIG, [{ name: BLUE_VARIANT, weight: 1 }]));

    await expect(recover(event())).resolves.toMatchObject({ recover: 'rollback' });
    expect(sfn).toHaveReceivedCommandTimes(DescribeExecutionCommand, 1);
  });

  test.each([
    ['still running', () => ended('RUNNING'), lockOf(), /still running/],
    ['whose lock is gone', () => ended('FAILED'), { Item: undefined }, /is not locked by promotion-1/],
    ['being recovered by another running recovery', () => {
      ended('ABORTED');
      sfn.on(DescribeExecutionCommand, { executionArn: arnOf('promotion-1-recover2') }).resolves({ status: 'RUNNING' } as never);
    }, lockOf({ recoveredBy: arnOf('promotion-1-recover2') }), /being recovered by .*recover2, still running/],
  ])('GIVEN an execution %s THEN NothingToRecover, and the lock is not marked', async (_what, given, lock, message) => {
    given();
    history(baking);
    dynamo.on(GetCommand, lockKey).resolves(lock);
    await expect(recover(event())).rejects.toMatchObject({ name: 'NothingToRecover', message: expect.stringMatching(message) });
    expect(dynamo).not.toHaveReceivedCommand(UpdateCommand);
    expect(sagemaker).not.toHaveReceivedCommand(DescribeEndpointCommand);
  });

  test('GIVEN the lock changed between the read and the mark (released, or another recovery) THEN NothingToRecover', async () => {
    ended('ABORTED');
    history(baking);
    dynamo.on(GetCommand, lockKey).resolves(lockOf());
    dynamo.on(UpdateCommand).rejects(conditionalCheckFailed());
    await expect(recover(event())).rejects.toMatchObject({ name: 'NothingToRecover', message: expect.stringMatching(/changed while this recovery took it over/) });
  });

  test.each([
    [{ recoverExecutionArn: EXECUTION, endpointName: ENDPOINT }, /recoverExecutionArn: a recovery input holds only recoverExecutionArn; remove endpointName/],
    [{ recoverExecutionArn: 'promotion-1' }, /recoverExecutionArn: "promotion-1" is not a Step Functions execution ARN/],
  ])('GIVEN the recovery input %j THEN InvalidPromotionInput naming the field, before any call', async (input, message) => {
    await expect(recover(event(input))).rejects.toMatchObject({ name: 'InvalidPromotionInput', message: expect.stringMatching(message) });
    expect(sfn).not.toHaveReceivedCommand(DescribeExecutionCommand);
  });
});
