import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { handler } from '../../../lambdas/acquire-lock';
import { conditionalCheckFailed, ENDPOINT, packageArn, PROMOTION_ID, setStepEnvironment, stateAt } from '../../support/fixtures';

const dynamo = mockClient(DynamoDBDocumentClient);

const TABLE = 'bluegreen-promotions';
const LOCK_CONDITION = 'attribute_not_exists(endpointName) OR promotionId = :me';
const state = stateAt('validated');

/** DynamoDB's answer to the lock put when `holder` already holds the lock: the condition admits only the holder itself. */
function givenLockHeldBy(holder: string) {
  dynamo.on(PutCommand, { Item: { sk: 'LOCK' } }).callsFake((input: { ConditionExpression?: string; ExpressionAttributeValues?: Record<string, unknown> }) => {
    if (input.ConditionExpression !== LOCK_CONDITION || input.ExpressionAttributeValues?.[':me'] !== holder) throw conditionalCheckFailed();
    return {};
  });
}

beforeEach(() => {
  dynamo.reset();
  setStepEnvironment();
  dynamo.on(PutCommand).resolves({});
});

describe('acquire-lock', () => {
  test('GIVEN nobody holds the lock WHEN acquired THEN a conditional put takes it and a running history row is written', async () => {
    const lock = await handler(state);

    expect(lock).toEqual({ owner: PROMOTION_ID, acquiredAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
    expect(dynamo).toHaveReceivedNthCommandWith(1, PutCommand, {
      TableName: TABLE,
      Item: expect.objectContaining({ endpointName: ENDPOINT, sk: 'LOCK', promotionId: PROMOTION_ID, modelPackageArn: packageArn(2) }),
      ConditionExpression: LOCK_CONDITION,
      ExpressionAttributeValues: { ':me': PROMOTION_ID },
    });
    expect(dynamo).toHaveReceivedNthCommandWith(2, PutCommand, {
      TableName: TABLE,
      Item: expect.objectContaining({ endpointName: ENDPOINT, sk: `PROMOTION#2025-01-01T00:00:00.000Z#${PROMOTION_ID}`, outcome: 'running', modelPackageVersion: 2 }),
    });
    expect(dynamo).not.toHaveReceivedCommand(GetCommand);
  });

  test('GIVEN this same promotion already holds the lock (a retried step) WHEN acquired THEN the condition admits it and it succeeds', async () => {
    givenLockHeldBy(PROMOTION_ID);

    const lock = await handler(state);

    expect(lock.owner).toBe(PROMOTION_ID);
    expect(dynamo).toHaveReceivedCommandWith(PutCommand, {
      Item: expect.objectContaining({ sk: 'LOCK', promotionId: PROMOTION_ID }),
      ConditionExpression: LOCK_CONDITION,
      ExpressionAttributeValues: { ':me': PROMOTION_ID },
    });
    expect(dynamo).toHaveReceivedCommandTimes(PutCommand, 2);
    expect(dynamo).not.toHaveReceivedCommand(GetCommand);
  });

  test('GIVEN another promotion holds the lock WHEN acquired THEN PromotionInProgress names the holder, its version, package and since when, and the start is recorded as refused', async () => {
    givenLockHeldBy('promotion-0');
    dynamo.on(GetCommand).resolves({
      Item: { endpointName: ENDPOINT, sk: 'LOCK', promotionId: 'promotion-0', modelPackageArn: packageArn(1), acquiredAt: '2024-12-31T23:00:00.000Z' },
    });

    await expect(handler(state)).rejects.toMatchObject({
      name: 'PromotionInProgress',
      message: `endpoint ${ENDPOINT} is being promoted by promotion-0 (version 1, model package ${packageArn(1)}, since 2024-12-31T23:00:00.000Z); wait for it to end or abort it with "bluegreen rollback ${ENDPOINT}"`,
    });
    expect(dynamo).toHaveReceivedCommandWith(GetCommand, { TableName: TABLE, Key: { endpointName: ENDPOINT, sk: 'LOCK' }, ConsistentRead: true });
    expect(dynamo).toHaveReceivedCommandTimes(PutCommand, 2);
    expect(dynamo).toHaveReceivedNthCommandWith(3, PutCommand, {
      TableName: TABLE,
      Item: expect.objectContaining({ endpointName: ENDPOINT, sk: `PROMOTION#2025-01-01T00:00:00.000Z#${PROMOTION_ID}`, outcome: 'refused', refusedFor: 'promotion-0', failedWith: 'PromotionInProgress' }),
    });
    expect(dynamo).not.toHaveReceivedCommandWith(PutCommand, { Item: expect.objectContaining({ outcome: 'running' }) });
  });

  test('GIVEN the endpoint is spelled in other case WHEN acquired THEN the lock and the history row are keyed on the lower-case name, the spelling kept for display', async () => {
    const spelled = { ...state, promotion: { ...state.promotion, endpointName: 'Churn-Prediction' } };

    await handler(spelled);

    expect(dynamo).toHaveReceivedNthCommandWith(1, PutCommand, { Item: expect.objectContaining({ endpointName: 'churn-prediction', endpointDisplayName: 'Churn-Prediction', sk: 'LOCK' }) });
    expect(dynamo).toHaveReceivedNthCommandWith(2, PutCommand, { Item: expect.objectContaining({ endpointName: 'churn-prediction', endpointDisplayName: 'Churn-Prediction', outcome: 'running' }) });
  });

  test('GIVEN the holder ended between the conditional put and the read WHEN acquired THEN PromotionInProgress says to start again, and nothing is recorded', async () => {
    givenLockHeldBy('promotion-0');
    dynamo.on(GetCommand).resolves({});

    await expect(handler(state)).rejects.toMatchObject({ name: 'PromotionInProgress', message: expect.stringMatching(/has just ended; start this one again$/) });
    expect(dynamo).toHaveReceivedCommandTimes(PutCommand, 1);
  });

  test('GIVEN DynamoDB throttles WHEN acquired THEN the error propagates unchanged for the state machine to retry', async () => {
    dynamo.on(PutCommand).rejects(new ProvisionedThroughputExceededException({ $metadata: {}, message: 'Rate of requests exceeds the allowed throughput' }));

    await expect(handler(state)).rejects.toMatchObject({ name: 'ProvisionedThroughputExceededException' });
    expect(dynamo).not.toHaveReceivedCommand(GetCommand);
  });
});
