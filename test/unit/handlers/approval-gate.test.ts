import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { handler } from '../../../lambdas/approval-gate';
import type { PromotionState } from '../../../lambdas/shared/contracts';
import { DETAIL_TYPES, EVENT_SOURCE } from '../../../lambdas/shared/lifecycle';
import { logger } from '../../../lambdas/shared/powertools';
import { ENV } from '../../../lambdas/shared/settings';
import { conditionalCheckFailed, lockHeldBy, setStepEnvironment, stateAt } from '../../support/fixtures';
import { schemaErrors } from '../../support/events-schema';

const dynamo = mockClient(DynamoDBDocumentClient);
const eventBridge = mockClient(EventBridgeClient);
const GATE = { timeoutSeconds: 1800, onTimeout: 'rollback' as const };
const gated = (approval?: PromotionState['approval'], onTimeout: 'rollback' | 'promote' = 'rollback'): PromotionState => {
  const state = stateAt('stoodUp', { promotion: { approval: { ...GATE, onTimeout } } });
  return approval ? { ...state, approval } : state;
};

beforeEach(() => {
  dynamo.reset();
  eventBridge.reset();
  eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
  delete process.env[ENV.eventBusName];
  jest.restoreAllMocks();
  setStepEnvironment();
  dynamo.on(GetCommand).resolves(lockHeldBy());
  dynamo.on(UpdateCommand).resolves({ Attributes: lockHeldBy().Item });
});

describe('approval-gate park (AwaitApproval)', () => {
  test('GIVEN the gate opens THEN its token and what it waits for are parked on the lock, for the CLI and `bluegreen status`', async () => {
    const state = gated();
    await expect(handler({ action: 'park', token: 'token-a', state })).resolves.toEqual({ parked: true });

    expect(dynamo).toHaveReceivedCommandWith(UpdateCommand, {
      UpdateExpression: 'SET approvalTaskToken = :token, approvalWait = :wait',
      ConditionExpression: 'promotionId = :me AND attribute_not_exists(recoveredBy)',
      ExpressionAttributeValues: { ':token': 'token-a', ':wait': expect.objectContaining({ timeoutSeconds: 1800, onTimeout: 'rollback' }), ':me': state.promotion.id },
    });
  });

  test('GIVEN an abort flagged as the token is parked THEN the wait fails with it instead of waiting for a person', async () => {
    const state = gated();
    dynamo.on(UpdateCommand).resolves({ Attributes: { promotionId: state.promotion.id, abortRequested: { error: 'PromotionAborted', reason: 'freeze (jane)', at: 'now' } } });

    await expect(handler({ action: 'park', token: 't', state })).rejects.toMatchObject({ name: 'PromotionAborted', message: 'freeze (jane)' });
  });

  test('GIVEN the promotion no longer holds its lock THEN PromotionEnded and nothing parked', async () => {
    dynamo.on(GetCommand).resolves({});
    await expect(handler({ action: 'park', token: 't', state: gated() })).rejects.toMatchObject({ name: 'PromotionEnded' });
    expect(dynamo).not.toHaveReceivedCommand(UpdateCommand);
    expect(eventBridge).not.toHaveReceivedCommand(PutEventsCommand);
  });
});

describe('approval-gate park: Approval Needed, published once the token is parked', () => {
  const sentEntry = (): PutEventsRequestEntry => eventBridge.commandCalls(PutEventsCommand)[0]!.args[0].input.Entries![0]!;

  test('GIVEN the token parked THEN Approval Needed goes to the default bus after the write, its requestedAt the one on the lock, valid against the schema', async () => {
    const state = gated();
    await expect(handler({ action: 'park', token: 'token-a', state })).resolves.toEqual({ parked: true });

    const write = dynamo.commandCalls(UpdateCommand)[0]!;
    const put = eventBridge.commandCalls(PutEventsCommand)[0]!;
    expect(put.calledAfter(write)).toBe(true);
    const entry = sentEntry();
    expect(entry).toMatchObject({ Source: EVENT_SOURCE, DetailType: DETAIL_TYPES.approvalNeeded });
    expect(entry).not.toHaveProperty('EventBusName');
    const wait = write.args[0].input.ExpressionAttributeValues![':wait'] as { requestedAt: string };
    const detail = JSON.parse(entry.Detail!) as Record<string, unknown>;
    expect(detail).toMatchObject({
      endpointName: state.promotion.endpointName,
      promotionId: state.promotion.id,
      approval: { timeoutSeconds: 1800, onTimeout: 'rollback', requestedAt: wait.requestedAt },
      validation: { samples: state.validation!.samples },
      commands: { approve: `bluegreen approve ${state.promotion.endpointName}` },
      links: { endpoint: `https://us-east-1.console.aws.amazon.com/sagemaker/home?region=us-east-1#/endpoints/${state.promotion.endpointName}` },
    });
    // As EventBridge would deliver it (what the notification rule and the schema test see).
    const delivered = { version: '0', id: 'e-1', 'detail-type': entry.DetailType, source: entry.Source, account: '111122223333', time: wait.requestedAt, region: 'us-east-1', resources: entry.Resources, detail };
    expect(schemaErrors(delivered)).toEqual([]);
  });

  test('GIVEN the construct names a bus (bluegreen.json) THEN the event goes there; a deploy-time token (EVENT_BUS_NAME) wins', async () => {
    setStepEnvironment({ eventBusName: 'ops-events' });
    await handler({ action: 'park', token: 't', state: gated() });
    expect(sentEntry().EventBusName).toBe('ops-events');

    eventBridge.resetHistory();
    process.env[ENV.eventBusName] = 'bus-from-a-token';
    await handler({ action: 'park', token: 't', state: gated() });
    expect(sentEntry().EventBusName).toBe('bus-from-a-token');
  });

  test('GIVEN EventBridge fails (after the SDK retries) THEN the wait goes on: parked, nothing thrown, the failure logged', async () => {
    const error = jest.spyOn(logger, 'error').mockImplementation(() => undefined);
    eventBridge.on(PutEventsCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));

    await expect(handler({ action: 'park', token: 'token-a', state: gated() })).resolves.toEqual({ parked: true });
    expect(dynamo).toHaveReceivedCommandWith(UpdateCommand, { ExpressionAttributeValues: expect.objectContaining({ ':token': 'token-a' }) });
    expect(error).toHaveBeenCalledWith('Approval Needed not published: the gate waits all the same', expect.objectContaining({ eventBusName: 'default', error: expect.objectContaining({ name: 'ThrottlingException' }) }));
  });

  test('GIVEN PutEvents refuses the entry in its response (FailedEntryCount, not an error) THEN that is logged too, and the wait goes on', async () => {
    const error = jest.spyOn(logger, 'error').mockImplementation(() => undefined);
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }] });

    await expect(handler({ action: 'park', token: 't', state: gated() })).resolves.toEqual({ parked: true });
    expect(error).toHaveBeenCalledWith('Approval Needed not published: the gate waits all the same', expect.objectContaining({ errorCode: 'InternalFailure', errorMessage: 'try again' }));
  });

  test('GIVEN an abort flagged as the token is parked THEN no Approval Needed: there is nothing to approve', async () => {
    const state = gated();
    dynamo.on(UpdateCommand).resolves({ Attributes: { promotionId: state.promotion.id, abortRequested: { error: 'PromotionAborted', reason: 'freeze (jane)', at: 'now' } } });
    await expect(handler({ action: 'park', token: 't', state })).rejects.toMatchObject({ name: 'PromotionAborted' });
    expect(eventBridge).not.toHaveReceivedCommand(PutEventsCommand);
  });
});

describe('approval-gate decide (CheckApproval)', () => {
  test('GIVEN an approval THEN the lock stops showing the gate and the promotion goes on with who approved', async () => {
    const answer = { decision: 'approved' as const, by: 'alice', at: '2026-12-01T10:00:00.000Z' };
    await expect(handler({ action: 'decide', state: gated(answer) })).resolves.toEqual(answer);
    expect(dynamo).toHaveReceivedCommandWith(UpdateCommand, { UpdateExpression: 'REMOVE approvalTaskToken, approvalWait' });
  });

  test('GIVEN nobody answered and onTimeout rollback THEN ApprovalTimedOut (the rollback), naming the timeout', async () => {
    await expect(handler({ action: 'decide', state: gated({ Error: 'States.Timeout' }) })).rejects.toMatchObject({
      name: 'ApprovalTimedOut',
      message: expect.stringMatching(/^approval timed out: nobody approved or rejected within 1800 s/),
    });
  });

  test('GIVEN nobody answered and onTimeout promote THEN the promotion goes on, recorded as timed out', async () => {
    await expect(handler({ action: 'decide', state: gated({ Error: 'States.Timeout' }, 'promote') })).resolves.toMatchObject({ decision: 'timed-out', onTimeout: 'promote' });
  });

  test('GIVEN an approval and an abort flagged meanwhile THEN the abort wins', async () => {
    const state = gated({ decision: 'approved', by: 'alice', at: 'now' });
    dynamo.on(UpdateCommand).resolves({ Attributes: { promotionId: state.promotion.id, abortRequested: { error: 'GuardrailAlarm', reason: 'p99 in ALARM', at: 'now' } } });
    await expect(handler({ action: 'decide', state })).rejects.toMatchObject({ name: 'GuardrailAlarm' });
  });

  test('GIVEN a recovery took the lock over meanwhile THEN PromotionEnded (the conditional write refuses)', async () => {
    dynamo.on(UpdateCommand).rejects(conditionalCheckFailed());
    await expect(handler({ action: 'decide', state: gated({ decision: 'approved', by: 'a', at: 'now' }) })).rejects.toMatchObject({ name: 'PromotionEnded' });
  });
});
