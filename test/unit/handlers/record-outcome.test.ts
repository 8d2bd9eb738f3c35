import { ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { mockClient } from 'aws-sdk-client-mock';
import { handler } from '../../../lambdas/record-outcome';
import type { PromotionState } from '../../../lambdas/shared/contracts';
import { metrics } from '../../../lambdas/shared/metrics';
import { conditionalCheckFailed, ENDPOINT, lockHeldBy, PROMOTION_ID, setStepEnvironment, stateAt } from '../../support/fixtures';

const dynamo = mockClient(DynamoDBDocumentClient);

const TABLE = 'bluegreen-promotions';
const throughputExceeded = () => new ProvisionedThroughputExceededException({ $metadata: {}, message: 'Rate of requests exceeds the allowed throughput' });
const HISTORY_KEY = { endpointName: ENDPOINT, sk: `PROMOTION#2025-01-01T00:00:00.000Z#${PROMOTION_ID}` };
/** What Lambda puts in a caught error's Cause. */
const lambdaCause = (errorType: string, errorMessage: string) => JSON.stringify({ errorType, errorMessage, trace: [] });

/** The attributes the history row's UpdateCommand sets, by name. */
function recordedAttributes(): Record<string, unknown> {
  const input = dynamo.commandCalls(UpdateCommand)[0]!.args[0].input;
  const names = input.ExpressionAttributeNames ?? {};
  return Object.fromEntries(Object.entries(names).map(([placeholder, name]) => [name, input.ExpressionAttributeValues?.[`:${placeholder.slice(1)}`]]));
}

beforeEach(() => {
  dynamo.reset();
  setStepEnvironment();
  dynamo.on(GetCommand).resolves(lockHeldBy());
  dynamo.on(UpdateCommand).resolves({});
  dynamo.on(DeleteCommand).resolves({});
});

describe('record-outcome', () => {
  test('GIVEN a promotion without failure WHEN recorded THEN the history row says promoted and the lock is released only if this promotion holds it', async () => {
    const state = {
      ...stateAt('finalized'),
      cleanup: { target: 'blue' as const, deleted: ['config x'], kept: [{ resource: 'config churn-v1-config', reason: 'not created by sagemaker-bluegreen' }] },
    };

    const outcome = await handler(state);

    expect(outcome).toEqual({ outcome: 'promoted', reason: 'version 2 promoted', error: 'None', finishedAt: expect.any(String) });
    expect(dynamo).toHaveReceivedCommandWith(UpdateCommand, { TableName: TABLE, Key: HISTORY_KEY });
    expect(recordedAttributes()).toMatchObject({
      outcome: 'promoted',
      reason: 'version 2 promoted',
      failedWith: null,
      firstDeployment: false,
      greenConfig: state.promotion.names.greenConfig,
      cleanedUp: ['config x'],
      leftovers: [{ resource: 'config churn-v1-config', reason: 'not created by sagemaker-bluegreen' }],
      validation: [{ name: 'typical-customer', ok: true, latencyMs: 42, status: 200 }],
    });
    expect(dynamo).toHaveReceivedCommandWith(DeleteCommand, {
      TableName: TABLE,
      Key: { endpointName: ENDPOINT, sk: 'LOCK' },
      ConditionExpression: 'promotionId = :me',
      ExpressionAttributeValues: { ':me': PROMOTION_ID },
    });
  });

  test('GIVEN a failure after stand-up and a finished rollback WHEN recorded THEN it is rolled_back with the error’s own message', async () => {
    const state: PromotionState = {
      ...stateAt('baking'),
      failure: { Error: 'GuardrailAlarm', Cause: lambdaCause('GuardrailAlarm', 'guardrail alarm churn-5xx is in ALARM: Threshold Crossed') },
      rollback: { attempt: 3, done: true, actions: ['traffic back to blue (AllTraffic=1, v2=0)', 'endpoint serves blue config churn-v1-config'] },
    };

    const outcome = await handler(state);

    expect(outcome).toMatchObject({ outcome: 'rolled_back', error: 'PromotionRolledBack', reason: 'GuardrailAlarm: guardrail alarm churn-5xx is in ALARM: Threshold Crossed' });
    expect(recordedAttributes()).toMatchObject({ outcome: 'rolled_back', failedWith: 'GuardrailAlarm', rollbackActions: state.rollback!.actions });
  });

  test('GIVEN any outcome WHEN recorded THEN one PromotionsEnded metric is counted with the outcome as its dimension', async () => {
    const addDimension = jest.spyOn(metrics, 'addDimension');
    const addMetric = jest.spyOn(metrics, 'addMetric');

    await handler(stateAt('baking', {}, { failure: { Error: 'GuardrailAlarm', Cause: lambdaCause('GuardrailAlarm', 'x') } }));

    expect(addDimension).toHaveBeenCalledWith('Outcome', 'rolled_back');
    expect(addMetric).toHaveBeenCalledWith('PromotionsEnded', MetricUnit.Count, 1);
  });

  test('GIVEN a failure before green stood up WHEN recorded THEN the promotion failed', async () => {
    const state = stateAt('described', {}, { failure: { Error: 'UnsupportedEndpoint', Cause: lambdaCause('UnsupportedEndpoint', 'blue is serverless') } });

    await expect(handler(state)).resolves.toMatchObject({ outcome: 'failed', error: 'PromotionFailed', reason: 'UnsupportedEndpoint: blue is serverless' });
  });

  test('GIVEN the rollback failed WHEN recorded THEN the error is RollbackFailed', async () => {
    const state = stateAt('baking', {}, {
      failure: { Error: 'DeadlineExceeded', Cause: lambdaCause('DeadlineExceeded', 'shift: still Updating') },
      rollbackFailure: { Error: 'RollbackFailed', Cause: lambdaCause('RollbackFailed', 'did not get back to blue within 10 polls') },
    });

    await expect(handler(state)).resolves.toMatchObject({ outcome: 'failed', error: 'RollbackFailed', reason: expect.stringMatching(/^rollback did not complete \(did not get back to blue within 10 polls\) after DeadlineExceeded: shift: still Updating/) });
  });

  test('GIVEN the rollback gave up while SageMaker may still complete green WHEN recorded THEN blue\'s config and model are named beside what green\'s cleanup kept', async () => {
    const state = stateAt('baking', {}, {
      failure: { Error: 'PromotionAborted', Cause: lambdaCause('PromotionAborted', 'operator') },
      rollbackFailure: { Error: 'ThrottlingException', Cause: lambdaCause('ThrottlingException', 'Rate exceeded') },
      cleanup: { target: 'green', deleted: [], kept: [{ resource: 'config churn-v1-config', reason: 'still used by an endpoint' }] },
    });

    await handler(state);

    const { leftovers } = recordedAttributes() as { leftovers: Array<{ resource: string; reason: string }> };
    expect(leftovers).toEqual([
      { resource: 'config churn-v1-config', reason: 'still used by an endpoint' },
      { resource: 'model churn-v1', reason: expect.stringMatching(/^the rollback did not complete: kept; the endpoint may run either side/) },
    ]);
  });

  test('GIVEN a variant promotion interrupted after Finalize deregistered blue\'s autoscaling WHEN recorded THEN the unrestored scalable target is on the record', async () => {
    const finalized = stateAt('finalized');
    const scaling = { minCapacity: 1, maxCapacity: 4, policies: [] } as never;
    const interruption = { Error: 'OutsideChange', Cause: lambdaCause('OutsideChange', 'config other is not this promotion\'s (detected by wait-for-endpoint:finalize at 2026-12-01T10:00:00.000Z)') };
    const blueVariant = finalized.blue!.variants[0]!.variantName;

    await handler({ ...finalized, blue: { ...finalized.blue!, scaling }, interruption, cleanup: { target: 'green', deleted: [], kept: [] } });

    const { outcome, leftovers } = recordedAttributes() as { outcome: string; leftovers: Array<{ resource: string; reason: string }> };
    expect(outcome).toBe('interrupted');
    expect(leftovers).toEqual([{ resource: expect.stringContaining(`scalable target endpoint/${ENDPOINT}/variant/${blueVariant}`), reason: expect.stringMatching(/not restored/) }]);
  });

  test('GIVEN the same interruption without autoscaling on blue WHEN recorded THEN no scaling leftover is invented', async () => {
    const interruption = { Error: 'OutsideChange', Cause: lambdaCause('OutsideChange', 'endpoint deleted (detected by rollback at 2026-12-01T10:00:00.000Z)') };
    await handler({ ...stateAt('finalized'), interruption, cleanup: { target: 'green', deleted: [], kept: [] } });
    expect((recordedAttributes() as { leftovers: unknown[] }).leftovers).toEqual([]);
  });

  test('GIVEN cleanup failed after retries WHEN recorded THEN every resource it would have deleted or kept is named, with why', async () => {
    const state = stateAt('finalized', {}, { cleanupFailure: { Error: 'ThrottlingException', Cause: lambdaCause('ThrottlingException', 'Rate exceeded') } });
    const { names } = state.promotion;

    await handler(state);

    const { outcome, leftovers } = recordedAttributes() as { outcome: string; leftovers: Array<{ resource: string; reason: string }> };
    expect(outcome).toBe('promoted');
    const mayRemain = 'cleanup failed (ThrottlingException: Rate exceeded); may remain: delete it once nothing uses it';
    expect(leftovers).toEqual(
      expect.arrayContaining([
        { resource: `config ${names.pairConfig}`, reason: mayRemain },
        { resource: `alarm ${names.alarmPrefix}-5xx`, reason: mayRemain },
        expect.objectContaining({ resource: expect.stringMatching(/^(config|model) churn-v1/), reason: expect.stringMatching(/not created by sagemaker-bluegreen/) }),
      ]),
    );
  });

  test('GIVEN another promotion holds the lock WHEN recorded THEN the conditional delete fails, the lock is left alone and the outcome still returns', async () => {
    dynamo.on(DeleteCommand).rejects(conditionalCheckFailed());

    await expect(handler(stateAt('finalized'))).resolves.toMatchObject({ outcome: 'promoted' });
    expect(dynamo).toHaveReceivedCommandTimes(DeleteCommand, 1);
  });

  test('GIVEN DynamoDB fails otherwise on the lock WHEN recorded THEN the error propagates', async () => {
    dynamo.on(DeleteCommand).rejects(throughputExceeded());

    await expect(handler(stateAt('finalized'))).rejects.toMatchObject({ name: 'ProvisionedThroughputExceededException' });
  });

  test('GIVEN the history row cannot be written WHEN recorded THEN the error propagates and the lock is kept', async () => {
    dynamo.on(UpdateCommand).rejects(throughputExceeded());

    await expect(handler(stateAt('finalized'))).rejects.toMatchObject({ name: 'ProvisionedThroughputExceededException' });
    expect(dynamo).not.toHaveReceivedCommand(DeleteCommand);
  });
});
