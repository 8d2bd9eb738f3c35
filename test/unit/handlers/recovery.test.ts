import { DescribeExecutionCommand, GetExecutionHistoryCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { handler as onExecutionEnd } from '../../../lambdas/on-execution-end';
import { handler as recover } from '../../../lambdas/recover';
import { ENDPOINT, quietMetrics, setStepEnvironment, stateAt } from '../../support/fixtures';

const sfn = mockClient(SFNClient);
const dynamo = mockClient(DynamoDBDocumentClient);
quietMetrics();

const EXECUTION = 'arn:aws:states:us-east-1:111122223333:execution:Promotion:promotion-1';
/** The AWS documentation's sample status-change event, re-pointed at our execution. */
function statusEvent(status: string, input: unknown = { endpointName: ENDPOINT }) {
  const sample = JSON.parse(readFileSync(join(__dirname, '..', '..', 'fixtures', 'events', 'stepfunctions_execution_failed.json'), 'utf8')) as { detail: Record<string, unknown> };
  return { ...sample, detail: { ...sample.detail, executionArn: EXECUTION, name: 'promotion-1', status, input: JSON.stringify(input) } };
}
const heldBy = (promotionId: string) => dynamo.on(GetCommand).resolves({ Item: { endpointName: ENDPOINT, sk: 'LOCK', promotionId } });

beforeEach(() => {
  sfn.reset();
  dynamo.reset();
  setStepEnvironment();
  process.env.STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:111122223333:stateMachine:Promotion';
  sfn.on(StartExecutionCommand).resolves({ executionArn: `${EXECUTION}-recover` });
});

describe('on-execution-end', () => {
  test('GIVEN an aborted promotion still holding its lock THEN one recovery execution starts, named after it', async () => {
    heldBy('promotion-1');
    await expect(onExecutionEnd(statusEvent('ABORTED'))).resolves.toEqual({ action: 'recovery-started', note: 'promotion-1-recover' });
    expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, { name: 'promotion-1-recover', input: JSON.stringify({ recoverExecutionArn: EXECUTION }) });
  });

  test('GIVEN a promotion that rolled back through its own Catch (lock released) THEN nothing starts', async () => {
    dynamo.on(GetCommand).resolves({});
    await expect(onExecutionEnd(statusEvent('FAILED'))).resolves.toMatchObject({ action: 'nothing-to-do' });
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  test('GIVEN the event delivered twice THEN the second start is a duplicate, not an error', async () => {
    heldBy('promotion-1');
    sfn.on(StartExecutionCommand).rejects(Object.assign(new Error('exists'), { name: 'ExecutionAlreadyExists' }));
    await expect(onExecutionEnd(statusEvent('TIMED_OUT'))).resolves.toMatchObject({ action: 'recovery-already-started' });
  });

  test('GIVEN a recovery execution or a rejected input (no endpointName) THEN nothing starts', async () => {
    await expect(onExecutionEnd(statusEvent('FAILED', { recoverExecutionArn: EXECUTION }))).resolves.toMatchObject({ action: 'nothing-to-do' });
    expect(dynamo).not.toHaveReceivedCommand(GetCommand);
  });
});

describe('recover', () => {
  const baking = stateAt('baking');
  const history = (doc: unknown) =>
    sfn.on(GetExecutionHistoryCommand).resolves({ events: [{ id: 9, type: 'TaskStateEntered', timestamp: new Date(), stateEnteredEventDetails: { name: 'CheckGuardrails', input: JSON.stringify(doc) } }] });

  test('GIVEN an aborted execution in its bake THEN its last state document goes to the rollback with the reason', async () => {
    sfn.on(DescribeExecutionCommand).resolves({ name: 'promotion-1', status: 'ABORTED', error: 'OperatorStop', cause: 'from the console' } as never);
    history({ ...baking, wait: { phase: 'shift', attempt: 3, ready: true, status: 'InService' } });
    heldBy(baking.promotion.id);
    const doc = await recover({ recoverExecutionArn: EXECUTION });
    expect(doc).toMatchObject({ recover: 'rollback', promotion: baking.promotion, green: baking.green, failure: { Error: 'ExecutionEnded', Cause: expect.stringMatching(/ended ABORTED \(OperatorStop: from the console\)/) } });
    expect(doc.wait).toBeUndefined();
  });

  test('GIVEN the execution ended after cleaning blue up THEN it is only recorded (green already serves alone)', async () => {
    sfn.on(DescribeExecutionCommand).resolves({ name: 'promotion-1', status: 'TIMED_OUT' } as never);
    history({ ...stateAt('finalized'), cleanup: { target: 'blue', deleted: [], kept: [] } });
    heldBy(baking.promotion.id);
    await expect(recover({ recoverExecutionArn: EXECUTION })).resolves.toMatchObject({ recover: 'record' });
  });

  test.each([
    ['still running', 'RUNNING', baking.promotion.id, /still running/],
    ['whose lock is gone', 'FAILED', 'someone-else', /is not locked by/],
  ])('GIVEN an execution %s THEN NothingToRecover', async (_what, status, holder, message) => {
    sfn.on(DescribeExecutionCommand).resolves({ name: 'promotion-1', status } as never);
    history(baking);
    heldBy(holder);
    await expect(recover({ recoverExecutionArn: EXECUTION })).rejects.toMatchObject({ name: 'NothingToRecover', message: expect.stringMatching(message) });
  });
});
