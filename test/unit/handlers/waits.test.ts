import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeEndpointCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SendTaskFailureCommand, SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { handler as awaitEndpoint } from '../../../lambdas/await-endpoint';
import { handler as onBackstop } from '../../../lambdas/on-backstop';
import { handler as onEndpointChange } from '../../../lambdas/on-endpoint-change';
import { dynamo as dynamoClient } from '../../../lambdas/shared/clients/dynamo';
import { sfn as sfnClient } from '../../../lambdas/shared/clients/sfn';
import { requestAbort, type LockItem } from '../../../lambdas/shared/locks';
import { anEndpoint, BLUE_VARIANT, ENDPOINT, setStepEnvironment, stateAt } from '../../support/fixtures';

const sfn = mockClient(SFNClient);
const dynamo = mockClient(DynamoDBDocumentClient);
const cloudwatch = mockClient(CloudWatchClient);
const sagemaker = mockClient(SageMakerClient);

const VALIDATION_ENDPOINT = `${ENDPOINT}-v2-abc123-val`;
const lock: LockItem = { endpointName: ENDPOINT, sk: 'LOCK', promotionId: 'p-1', executionArn: 'arn:exec', modelPackageArn: 'arn:pkg', acquiredAt: 'then', inFlight: 'yes' };
const stale = () => Object.assign(new Error('Task Timed Out'), { name: 'TaskTimedOut' });

/** "SageMaker Endpoint State Change" as EventBridge delivers it (EndpointStatus upper-case). */
function endpointEvent(endpointName: string, status: string) {
  return {
    version: '0',
    id: 'e-1',
    'detail-type': 'SageMaker Endpoint State Change',
    source: 'aws.sagemaker',
    account: '111122223333',
    time: '2025-01-01T00:00:00Z',
    region: 'us-east-1',
    resources: [`arn:aws:sagemaker:us-east-1:111122223333:endpoint/${endpointName.toLowerCase()}`],
    detail: { EndpointName: endpointName, EndpointStatus: status, EndpointConfigName: 'c' },
  };
}

beforeEach(() => {
  sfn.reset();
  dynamo.reset();
  cloudwatch.reset();
  sagemaker.reset();
  setStepEnvironment();
  sfn.on(SendTaskSuccessCommand).resolves({});
  sfn.on(SendTaskFailureCommand).resolves({});
  dynamo.on(UpdateCommand).resolves({});
});

describe('await-endpoint', () => {
  test('GIVEN guardrails standing green up on a validation endpoint WHEN the wait parks THEN the lock watches that endpoint with the token', async () => {
    const state = stateAt('greenCreated', { promotion: { strategy: 'guardrails' } });
    state.green = { ...state.green!, validationEndpointName: VALIDATION_ENDPOINT, validationConfigName: 'cfg-val', pairConfigName: undefined };

    await expect(awaitEndpoint({ token: 'token-3', phase: 'standUp', state })).resolves.toEqual({ parked: true });

    expect(dynamo).toHaveReceivedCommandWith(UpdateCommand, {
      UpdateExpression: 'SET waitTaskToken = :token, watchedEndpoints = :endpoints',
      ExpressionAttributeValues: { ':token': 'token-3', ':endpoints': [VALIDATION_ENDPOINT], ':me': state.promotion.id },
      ConditionExpression: 'promotionId = :me AND attribute_not_exists(recoveredBy)',
    });
  });

  test('GIVEN an abort flagged as the token is parked THEN the wait fails with its error instead of sleeping', async () => {
    const state = stateAt('shifted');
    dynamo.on(UpdateCommand).resolves({ Attributes: { promotionId: state.promotion.id, abortRequested: { error: 'PromotionAborted', reason: 'stop (jane)', at: 'now' } } });

    await expect(awaitEndpoint({ token: 't', phase: 'shift', state })).rejects.toMatchObject({ name: 'PromotionAborted', message: 'stop (jane)' });
  });
});

describe('on-endpoint-change', () => {
  test('GIVEN a promotion waiting on the validation endpoint WHEN it goes IN_SERVICE THEN its wait is woken with the status', async () => {
    dynamo.on(QueryCommand).resolves({ Items: [{ ...lock, waitTaskToken: 'token-3', watchedEndpoints: [VALIDATION_ENDPOINT] }] });

    await expect(onEndpointChange(endpointEvent(VALIDATION_ENDPOINT, 'IN_SERVICE'))).resolves.toEqual({
      endpointName: VALIDATION_ENDPOINT,
      status: 'IN_SERVICE',
      promotions: [{ endpointName: ENDPOINT, promotionId: 'p-1', result: 'woken' }],
    });
    expect(sfn).toHaveReceivedCommandWith(SendTaskSuccessCommand, { taskToken: 'token-3', output: JSON.stringify({ by: 'endpoint-event', endpointName: VALIDATION_ENDPOINT, status: 'IN_SERVICE' }) });
  });

  test('GIVEN an endpoint nobody waits on (another endpoint, or the lock has no wait parked) THEN nothing is woken', async () => {
    dynamo.on(QueryCommand).resolves({ Items: [{ ...lock, waitTaskToken: 'token-3', watchedEndpoints: [ENDPOINT] }, { ...lock, endpointName: 'other', watchedEndpoints: ['other'] }] });

    await expect(onEndpointChange(endpointEvent('other', 'IN_SERVICE'))).resolves.toMatchObject({ promotions: [] });
    expect(sfn).not.toHaveReceivedCommand(SendTaskSuccessCommand);
  });

  test('GIVEN the wait already moved on (token timed out) THEN the event is noted as not waiting, not an error', async () => {
    dynamo.on(QueryCommand).resolves({ Items: [{ ...lock, waitTaskToken: 'old', watchedEndpoints: [ENDPOINT.toUpperCase()] }] });
    sfn.on(SendTaskSuccessCommand).rejects(stale());

    await expect(onEndpointChange(endpointEvent(ENDPOINT, 'FAILED'))).resolves.toMatchObject({ promotions: [{ result: 'not-waiting' }] });
  });

  test('GIVEN a malformed event THEN it is rejected naming the field', async () => {
    await expect(onEndpointChange({ source: 'aws.sagemaker', 'detail-type': 'SageMaker Endpoint State Change', detail: { EndpointName: ENDPOINT } })).rejects.toMatchObject({
      name: 'InvalidPromotionInput',
      message: expect.stringMatching(/detail\.EndpointStatus/),
    });
  });
});

describe('on-backstop', () => {
  const state = stateAt('baking');
  const { names } = state.promotion;
  const watch = { endpointName: ENDPOINT, configName: names.pairConfig, weights: { [BLUE_VARIANT]: 0, [names.variant]: 1 } };
  const baking: LockItem = { ...lock, bakeTaskToken: 'bake-token', watchedAlarms: ['churn-5xx'], bakeWatch: watch };
  const alarmsIn = (value: 'OK' | 'ALARM') =>
    cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [{ AlarmName: 'churn-5xx', StateValue: value, StateReason: 'Threshold Crossed: 1 datapoint [3.0] was greater than the threshold (0.0).' }] });

  beforeEach(() => {
    dynamo.on(QueryCommand, { IndexName: 'Queued' }).resolves({ Items: [] });
    sagemaker.on(DescribeEndpointCommand).resolves(anEndpoint(names.pairConfig, [{ name: BLUE_VARIANT, weight: 0 }, { name: names.variant, weight: 1 }]));
  });

  test('GIVEN a bake whose alarms and endpoint are fine THEN nothing is signalled', async () => {
    dynamo.on(QueryCommand, { IndexName: 'InFlight' }).resolves({ Items: [baking, { ...lock, endpointName: 'not-baking' }] });
    alarmsIn('OK');

    await expect(onBackstop({})).resolves.toEqual({ baking: [{ endpointName: ENDPOINT, promotionId: 'p-1', result: 'ok' }], queued: [] });
    expect(sfn).not.toHaveReceivedCommand(SendTaskFailureCommand);
  });

  test('GIVEN an alarm in ALARM whose event was lost THEN the bake fails GuardrailAlarm at once, only while it still bakes', async () => {
    dynamo.on(QueryCommand, { IndexName: 'InFlight' }).resolves({ Items: [baking] });
    alarmsIn('ALARM');

    await expect(onBackstop({})).resolves.toMatchObject({ baking: [{ result: 'signalled', problem: expect.stringMatching(/churn-5xx is in ALARM/) }] });
    expect(dynamo).toHaveReceivedCommandWith(UpdateCommand, { ConditionExpression: 'promotionId = :id AND attribute_exists(bakeWatch)' });
    expect(sfn).toHaveReceivedCommandWith(SendTaskFailureCommand, { taskToken: 'bake-token', error: 'GuardrailAlarm' });
  });

  test('GIVEN the endpoint was changed under the bake THEN it fails UnexpectedEndpointState', async () => {
    dynamo.on(QueryCommand, { IndexName: 'InFlight' }).resolves({ Items: [baking] });
    alarmsIn('OK');
    sagemaker.on(DescribeEndpointCommand).resolves(anEndpoint('hand-made-config', [{ name: BLUE_VARIANT, weight: 1 }]));

    await expect(onBackstop({})).resolves.toMatchObject({ baking: [{ result: 'signalled' }] });
    expect(sfn).toHaveReceivedCommandWith(SendTaskFailureCommand, { taskToken: 'bake-token', error: 'UnexpectedEndpointState', cause: expect.stringMatching(/hand-made-config/) });
  });

  test('GIVEN the bake ended between the read and the flag THEN the conditional write refuses and nothing is signalled', async () => {
    dynamo.on(QueryCommand, { IndexName: 'InFlight' }).resolves({ Items: [baking] });
    alarmsIn('ALARM');
    dynamo.on(UpdateCommand).rejects(Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException' }));

    await expect(onBackstop({})).resolves.toMatchObject({ baking: [{ result: 'not-running' }] });
    expect(sfn).not.toHaveReceivedCommand(SendTaskFailureCommand);
  });

  test('GIVEN CloudWatch throttles for one promotion THEN the others are still checked', async () => {
    dynamo.on(QueryCommand, { IndexName: 'InFlight' }).resolves({ Items: [baking, { ...baking, endpointName: 'second', promotionId: 'p-2' }] });
    cloudwatch.on(DescribeAlarmsCommand).rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'Throttling' })).resolves({ MetricAlarms: [{ AlarmName: 'churn-5xx', StateValue: 'OK' }] });

    await expect(onBackstop({})).resolves.toMatchObject({ baking: [{ promotionId: 'p-1', result: 'error' }, { promotionId: 'p-2', result: 'ok' }] });
  });
});

describe('requestAbort', () => {
  const abort = { error: 'PromotionAborted' as const, reason: 'stop', at: 'now' };

  test('GIVEN an InService wait parked (and a stale bake token) THEN the wait in progress is failed at once', async () => {
    dynamo.on(UpdateCommand).resolves({ Attributes: { ...lock, bakeTaskToken: 'old-bake', waitTaskToken: 'wait-token' } });
    sfn.on(SendTaskFailureCommand, { taskToken: 'old-bake' }).rejects(stale());

    await expect(requestAbort({ dynamo: dynamoClient, sfn: sfnClient }, 'table', lock, abort)).resolves.toBe('signalled');
    expect(sfn).toHaveReceivedCommandWith(SendTaskFailureCommand, { taskToken: 'wait-token', error: 'PromotionAborted', cause: 'stop' });
  });

  test('GIVEN a token parked after the caller read the lock THEN the tokens read back from the flag write are the ones failed', async () => {
    dynamo.on(UpdateCommand).resolves({ Attributes: { ...lock, waitTaskToken: 'parked-meanwhile' } });

    await expect(requestAbort({ dynamo: dynamoClient, sfn: sfnClient }, 'table', lock, abort)).resolves.toBe('signalled');
    expect(sfn).toHaveReceivedCommandWith(SendTaskFailureCommand, { taskToken: 'parked-meanwhile' });
  });
});
