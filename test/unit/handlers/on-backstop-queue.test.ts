import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { handler as onBackstop } from '../../../lambdas/on-backstop';
import type { LockItem } from '../../../lambdas/shared/locks';
import { queueItem, type QueuedApproval } from '../../../lambdas/shared/queue-decisions';
import { conditionalCheckFailed, ENDPOINT, packageArn, setStepEnvironment } from '../../support/fixtures';

/**
 * The bake's backstop sweeps the approval queue (lambdas/on-backstop, sweepQueued): Step Functions
 * delivers "Execution Status Change" best effort (EventBridge reference, "AWS Step Functions
 * events", https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-states.html), so an
 * approval queued behind a promotion whose end event was lost is started by the backstop: noted on
 * the first run that finds its endpoint free, started on the next one, through the queue module's
 * claim (startQueued), under its own deterministic name.
 */
const sfn = mockClient(SFNClient);
const dynamo = mockClient(DynamoDBDocumentClient);

const STATE_MACHINE = 'arn:aws:states:us-east-1:111122223333:stateMachine:Promotion';
const OTHER = 'fraud-scoring';
const queueKey = (endpointName: string) => ({ Key: { endpointName, sk: 'QUEUED' } });
const lockKey = (endpointName: string) => ({ Key: { endpointName, sk: 'LOCK' } });

function waiting(endpointName: string, version: number, foundFreeAt?: string): QueuedApproval {
  const requestedBy = `model-registry:approved:churn-models/${version}`;
  const item = queueItem(
    endpointName,
    { executionName: `${endpointName}-v${version}-approved-0123456789`, modelPackageArn: packageArn(version), version, approvedAt: '2026-12-01T12:03:00Z', requestedBy },
    JSON.stringify({ endpointName, modelPackageArn: packageArn(version), requestedBy }),
    '2026-12-01T12:03:01Z',
    `${endpointName}-v7-approved-0123456789`,
  );
  return foundFreeAt ? { ...item, foundFreeAt } : item;
}
const lock = (endpointName: string, promotionId = 'someone-else'): LockItem => ({
  endpointName,
  sk: 'LOCK',
  promotionId,
  executionArn: `arn:exec:${promotionId}`,
  modelPackageArn: packageArn(9),
  acquiredAt: '2026-12-01T12:20:00Z',
  inFlight: 'yes',
});
const FOUND = '2026-12-01T12:15:00Z';

/** The table as the backstop finds it: the locks (InFlight index) and the queue items (Queued index), each also readable by its key. */
function table(locks: LockItem[], items: QueuedApproval[]): void {
  dynamo.on(QueryCommand, { IndexName: 'InFlight' }).resolves({ Items: locks });
  dynamo.on(QueryCommand, { IndexName: 'Queued' }).resolves({ Items: items });
  for (const l of locks) dynamo.on(GetCommand, lockKey(l.endpointName)).resolves({ Item: l });
  for (const i of items) {
    dynamo.on(GetCommand, queueKey(i.endpointName)).resolves({ Item: i });
    dynamo.on(DeleteCommand, queueKey(i.endpointName)).resolves({ Attributes: i });
  }
}
const rowsPut = () => dynamo.commandCalls(PutCommand).map((c) => c.args[0].input.Item as Record<string, unknown>);

beforeEach(() => {
  sfn.reset();
  dynamo.reset();
  setStepEnvironment();
  process.env.STATE_MACHINE_ARN = STATE_MACHINE;
  dynamo.on(GetCommand).resolves({});
  dynamo.on(UpdateCommand).resolves({});
  dynamo.on(PutCommand).resolves({});
  sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:started' });
});

describe("the bake's backstop starts an approval whose promotion's end event was lost", () => {
  test('GIVEN an approval queued on an endpoint no promotion holds, on the first run that finds it so THEN it is noted, not claimed or started (the end event may still come)', async () => {
    const eight = waiting(ENDPOINT, 8);
    table([], [eight]);

    await expect(onBackstop({})).resolves.toEqual({ baking: [], queued: [{ endpointName: ENDPOINT, executionName: eight.executionName, result: 'marked' }] });
    expect(dynamo).toHaveReceivedCommandWith(UpdateCommand, {
      ...queueKey(ENDPOINT),
      UpdateExpression: 'SET foundFreeAt = if_not_exists(foundFreeAt, :at)',
      ConditionExpression: 'executionName = :name',
      ExpressionAttributeValues: { ':name': eight.executionName, ':at': expect.stringMatching(/^\d{4}-\d\d-\d\dT/) },
    });
    expect(dynamo).not.toHaveReceivedCommand(DeleteCommand);
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  test('GIVEN an earlier run found the endpoint free and it still is THEN the approval is claimed with the conditional delete and started under its own name and input, its row naming the backstop', async () => {
    const eight = waiting(ENDPOINT, 8, FOUND);
    table([], [eight]);

    await expect(onBackstop({})).resolves.toEqual({ baking: [], queued: [{ endpointName: ENDPOINT, executionName: eight.executionName, result: 'started' }] });
    expect(dynamo).toHaveReceivedCommandWith(DeleteCommand, { ...queueKey(ENDPOINT), ConditionExpression: 'executionName = :name', ExpressionAttributeValues: { ':name': eight.executionName } });
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
    expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, { stateMachineArn: STATE_MACHINE, name: eight.executionName, input: eight.input });
    expect(rowsPut()).toEqual([
      expect.objectContaining({
        approvalId: eight.executionName,
        outcome: 'queued',
        startedAs: eight.executionName,
        reason: expect.stringMatching(new RegExp(`; started as ${eight.executionName} at \\S+ \\(by the bake's backstop: no promotion held the endpoint on two of its runs, the first at ${FOUND}; the end event of ${eight.behind} was lost or late\\)$`)),
      }),
    ]);
  });

  test('GIVEN a promotion holds the endpoint THEN the approval waits for its end; an earlier finding that the endpoint was free is forgotten', async () => {
    const eight = waiting(ENDPOINT, 8);
    const nine = waiting(OTHER, 9, FOUND);
    table([lock(ENDPOINT), lock(OTHER)], [eight, nine]);

    await expect(onBackstop({})).resolves.toMatchObject({
      queued: [
        { endpointName: ENDPOINT, result: 'waiting' },
        { endpointName: OTHER, result: 'cleared' },
      ],
    });
    expect(dynamo).toHaveReceivedCommandTimes(UpdateCommand, 1);
    expect(dynamo).toHaveReceivedCommandWith(UpdateCommand, { ...queueKey(OTHER), UpdateExpression: 'REMOVE foundFreeAt', ConditionExpression: 'executionName = :name' });
    expect(dynamo).not.toHaveReceivedCommand(DeleteCommand);
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  test('GIVEN a promotion took the endpoint since the index was read THEN the consistent read of the lock finds it: nothing claimed or started', async () => {
    table([], [waiting(ENDPOINT, 8, FOUND)]);
    dynamo.on(GetCommand, lockKey(ENDPOINT)).resolves({ Item: lock(ENDPOINT, 'just-started') });

    await expect(onBackstop({})).resolves.toMatchObject({ queued: [{ result: 'busy' }] });
    expect(dynamo).not.toHaveReceivedCommand(DeleteCommand);
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  test('GIVEN a newer approval took the queue item\'s place since the index was read THEN that one is not started on the older one\'s grace', async () => {
    const eight = waiting(ENDPOINT, 8, FOUND);
    table([], [eight]);
    dynamo.on(GetCommand, queueKey(ENDPOINT)).resolves({ Item: waiting(ENDPOINT, 9) });

    await expect(onBackstop({})).resolves.toMatchObject({ queued: [{ executionName: eight.executionName, result: 'changed' }] });
    expect(dynamo).not.toHaveReceivedCommand(DeleteCommand);
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  test('GIVEN on-execution-end claims the approval first (its late event) THEN the backstop claims nothing and starts nothing', async () => {
    const eight = waiting(ENDPOINT, 8, FOUND);
    table([], [eight]);
    dynamo.on(GetCommand, queueKey(ENDPOINT)).resolvesOnce({ Item: eight }).resolves({});
    dynamo.on(DeleteCommand).rejects(conditionalCheckFailed());

    await expect(onBackstop({})).resolves.toMatchObject({ queued: [{ result: 'changed' }] });
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  test('GIVEN the approval was claimed between the listing and the note THEN the conditional note fails and nothing else happens', async () => {
    table([], [waiting(ENDPOINT, 8)]);
    dynamo.on(UpdateCommand).rejects(conditionalCheckFailed());

    await expect(onBackstop({})).resolves.toMatchObject({ queued: [{ result: 'changed' }] });
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  test('GIVEN its name had run already (ExecutionAlreadyExists) THEN it is a duplicate, not a second promotion, and its row says so', async () => {
    const eight = waiting(ENDPOINT, 8, FOUND);
    table([], [eight]);
    sfn.on(StartExecutionCommand).rejects(Object.assign(new Error('Execution Already Exists'), { name: 'ExecutionAlreadyExists' }));

    await expect(onBackstop({})).resolves.toMatchObject({ queued: [{ result: 'duplicate' }] });
    expect(rowsPut()).toEqual([expect.objectContaining({ approvalId: eight.executionName, reason: expect.stringMatching(/had run already \(a duplicate delivery\): not started again$/) })]);
    expect(rowsPut()[0]!.startedAs).toBeUndefined();
  });

  test('GIVEN Step Functions throttles one start THEN that approval is put back for the next run and the other endpoint\'s still starts', async () => {
    const eight = waiting(ENDPOINT, 8, FOUND);
    const nine = waiting(OTHER, 9, FOUND);
    table([], [eight, nine]);
    sfn.on(StartExecutionCommand, { name: eight.executionName }).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));

    await expect(onBackstop({})).resolves.toEqual({
      baking: [],
      queued: [
        { endpointName: ENDPOINT, executionName: eight.executionName, result: 'error' },
        { endpointName: OTHER, executionName: nine.executionName, result: 'started' },
      ],
    });
    expect(dynamo).toHaveReceivedCommandWith(PutCommand, { Item: eight, ConditionExpression: 'attribute_not_exists(sk)' });
    expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, { name: nine.executionName, input: nine.input });
  });

  test('THEN the queue is listed from its sparse index, every page, never by a scan of the history', async () => {
    const eight = waiting(ENDPOINT, 8);
    const nine = waiting(OTHER, 9);
    dynamo.on(QueryCommand, { IndexName: 'InFlight' }).resolves({ Items: [] });
    dynamo.on(QueryCommand, { IndexName: 'Queued' }).resolvesOnce({ Items: [eight], LastEvaluatedKey: { queued: 'yes', endpointName: ENDPOINT } }).resolves({ Items: [nine] });

    await expect(onBackstop({})).resolves.toMatchObject({ queued: [{ executionName: eight.executionName }, { executionName: nine.executionName }] });
    expect(dynamo).toHaveReceivedCommandWith(QueryCommand, { IndexName: 'Queued', KeyConditionExpression: 'queued = :yes', ExpressionAttributeValues: { ':yes': 'yes' } });
    expect(dynamo).toHaveReceivedCommandWith(QueryCommand, { IndexName: 'Queued', ExclusiveStartKey: { queued: 'yes', endpointName: ENDPOINT } });
  });
});
