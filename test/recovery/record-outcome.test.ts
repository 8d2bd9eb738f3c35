import { DeleteCommand, DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { handler } from '../../lambdas/record-outcome';
import type { RecoverableState } from '../../lambdas/shared/recovery';
import { conditionalCheckFailed, ENDPOINT, lockHeldBy, PROMOTION_ID, setStepEnvironment, stateAt } from '../support/fixtures';

/**
 * record-outcome is idempotent: it writes the history row only while its execution speaks for the
 * promotion, never over a row another execution already made final, and a retry of its own
 * finished record answers the same outcome without writing again.
 */
const dynamo = mockClient(DynamoDBDocumentClient);

const RECOVERY = `arn:aws:states:us-east-1:111122223333:execution:bluegreen-promotion:${PROMOTION_ID}-recover`;
const lockKey = { Key: { endpointName: ENDPOINT, sk: 'LOCK' } };
const rowKey = { Key: { endpointName: ENDPOINT, sk: `PROMOTION#2025-01-01T00:00:00.000Z#${PROMOTION_ID}` } };
const promoted = stateAt('finalized');
const recovered: RecoverableState = {
  ...stateAt('baking'),
  failure: { Error: 'ExecutionEnded', Cause: 'execution promotion-1 ended ABORTED outside its own error handling' },
  rollback: { attempt: 2, done: true, actions: ['endpoint back to blue config churn-v1-config'] },
  recover: 'rollback',
  recovery: { executionArn: RECOVERY, ended: 'execution promotion-1 ended ABORTED outside its own error handling', decision: 'endpoint churn-prediction is InService on config x: back to blue' },
};

beforeEach(() => {
  dynamo.reset();
  setStepEnvironment();
  dynamo.on(GetCommand).resolves({});
  dynamo.on(UpdateCommand).resolves({});
  dynamo.on(DeleteCommand).resolves({});
});

test('GIVEN its promotion holds the lock THEN the row is written only if it is still running or this execution\'s own, and says who wrote it', async () => {
  dynamo.on(GetCommand, lockKey).resolves(lockHeldBy());
  await expect(handler(promoted)).resolves.toMatchObject({ outcome: 'promoted' });
  const write = dynamo.commandCalls(UpdateCommand)[0]!.args[0].input;
  expect(write).toMatchObject({ ...rowKey, ConditionExpression: 'attribute_not_exists(#outcome) OR #outcome = :running OR #recordedBy = :recordedBy' });
  expect(write.ExpressionAttributeValues).toMatchObject({ ':running': 'running', ':recordedBy': promoted.promotion.executionArn, ':recovery': null });
  expect(dynamo).toHaveReceivedCommandWith(DeleteCommand, lockKey);
});

test('GIVEN a recovery finishing the promotion THEN the row names the recovery, how the execution ended and what was decided', async () => {
  dynamo.on(GetCommand, lockKey).resolves(lockHeldBy(PROMOTION_ID, { recoveredBy: RECOVERY }));
  await expect(handler(recovered)).resolves.toMatchObject({ outcome: 'rolled_back', error: 'PromotionRolledBack' });
  expect(dynamo.commandCalls(UpdateCommand)[0]!.args[0].input.ExpressionAttributeValues).toMatchObject({ ':recordedBy': RECOVERY, ':recovery': recovered.recovery });
});

test('GIVEN the row was already made final by another execution THEN PromotionEnded: the row is not overwritten and the lock is left alone', async () => {
  dynamo.on(GetCommand, lockKey).resolves(lockHeldBy());
  dynamo.on(UpdateCommand).rejects(conditionalCheckFailed());
  await expect(handler(promoted)).rejects.toMatchObject({ name: 'PromotionEnded', message: expect.stringMatching(/already made final by another execution: not overwritten/) });
  expect(dynamo).not.toHaveReceivedCommand(DeleteCommand);
});

test('GIVEN this step is retried after it recorded and released the lock THEN the same outcome, nothing written again', async () => {
  dynamo.on(GetCommand, rowKey).resolves({ Item: { outcome: 'rolled_back', recordedBy: RECOVERY, finishedAt: '2026-12-01T10:00:00.000Z' } });
  await expect(handler(recovered)).resolves.toMatchObject({ outcome: 'rolled_back', reason: expect.stringMatching(/^ExecutionEnded: /), error: 'PromotionRolledBack', finishedAt: '2026-12-01T10:00:00.000Z' });
  // The recorded end, not this retry's clock: the duration is the first record's.
  await expect(handler(recovered)).resolves.toMatchObject({ durationSeconds: Math.round((Date.parse('2026-12-01T10:00:00.000Z') - Date.parse(recovered.promotion.startedAt)) / 1000) });
  expect(dynamo).not.toHaveReceivedCommand(UpdateCommand);
  expect(dynamo).not.toHaveReceivedCommand(DeleteCommand);
});

test('GIVEN this step is retried after the lock (and the evidence the steps left on it) is gone THEN the evidence is the one the row recorded', async () => {
  const evidence = { alarm: { name: 'churn-green-5xx', stateReason: 'Threshold Crossed' }, validation: null, greenLogs: { logGroup: `/aws/sagemaker/Endpoints/${ENDPOINT}`, validationLogGroup: null } };
  dynamo.on(GetCommand, rowKey).resolves({ Item: { outcome: 'rolled_back', recordedBy: RECOVERY, finishedAt: '2026-12-01T10:00:00.000Z', evidence } });
  await expect(handler(recovered)).resolves.toMatchObject({ evidence });
  expect(dynamo).not.toHaveReceivedCommand(UpdateCommand);
});

test('GIVEN the lock is gone and another execution recorded the row THEN PromotionEnded, nothing written', async () => {
  dynamo.on(GetCommand, rowKey).resolves({ Item: { outcome: 'rolled_back', recordedBy: RECOVERY } });
  await expect(handler(promoted)).rejects.toMatchObject({ name: 'PromotionEnded' });
  expect(dynamo).not.toHaveReceivedCommand(UpdateCommand);
});
