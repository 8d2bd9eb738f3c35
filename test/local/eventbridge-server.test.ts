import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { PutEventsOutcome } from '../../local/eventbridge';
import { startEventBridgeServer, type LocalEventBridge } from '../../local/eventbridge-server';

/**
 * The local EventBridge over HTTP, as the real SDK client reaches it (what the approval gate's
 * Approval Needed goes through). Behaviour per the PutEvents API reference
 * (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html) and its model.
 */
let server: LocalEventBridge;
let client: EventBridgeClient;
const put: PutEventsOutcome['accepted'] = [];

beforeAll(async () => {
  server = await startEventBridgeServer({ account: '123456789012', region: 'us-east-1', publish: (accepted) => put.push(...accepted) });
  client = new EventBridgeClient({ endpoint: server.url, region: 'us-east-1', maxAttempts: 1 });
});
beforeEach(() => void put.splice(0));
afterAll(async () => {
  client.destroy();
  await server.close();
});

const entry = (extra: Record<string, unknown> = {}) => ({ Source: 'sagemaker-bluegreen', DetailType: 'Approval Needed', Detail: '{"endpointName":"churn"}', ...extra });

test('GIVEN a well-formed entry THEN its EventId comes back and the event is put as EventBridge delivers it, its Resources as sent and its bus by name', async () => {
  const out = await client.send(new PutEventsCommand({ Entries: [entry({ Resources: ['arn:aws:states:us-east-1:123456789012:execution:m:e'], EventBusName: 'arn:aws:events:us-east-1:123456789012:event-bus/ops-events' })] }));

  expect(out.FailedEntryCount).toBe(0);
  expect(put).toEqual([
    {
      bus: 'ops-events',
      event: {
        version: '0',
        id: out.Entries![0]!.EventId,
        'detail-type': 'Approval Needed',
        source: 'sagemaker-bluegreen',
        account: '123456789012',
        time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        region: 'us-east-1',
        resources: ['arn:aws:states:us-east-1:123456789012:execution:m:e'],
        detail: { endpointName: 'churn' },
      },
    },
  ]);
});

test('GIVEN entries without Detail or with a Detail that is not JSON THEN each fails alone in the response (InvalidArgument, MalformedDetail), the others are put', async () => {
  const out = await client.send(new PutEventsCommand({ Entries: [entry({ Detail: undefined }), entry({ Detail: '{not json' }), entry()] }));

  expect(out.FailedEntryCount).toBe(2);
  expect(out.Entries!.map((e) => e.ErrorCode ?? 'ok')).toEqual(['InvalidArgument', 'MalformedDetail', 'ok']);
  expect(put).toHaveLength(1);
});

test('GIVEN a request the model refuses (11 entries, a bus name off its pattern) THEN ValidationException naming the member, and nothing put', async () => {
  await expect(client.send(new PutEventsCommand({ Entries: Array.from({ length: 11 }, () => entry()) }))).rejects.toMatchObject({
    name: 'ValidationException',
    message: expect.stringMatching(/entries.*Member must have length less than or equal to 10/),
  });
  await expect(client.send(new PutEventsCommand({ Entries: [entry({ EventBusName: 'bus with spaces' })] }))).rejects.toMatchObject({ name: 'ValidationException', message: expect.stringMatching(/eventBusName/) });
  expect(put).toEqual([]);
});

test('GIVEN entries over 256 KB in total THEN the whole request is refused (ValidationException), nothing put', async () => {
  const big = JSON.stringify({ pad: 'x'.repeat(140 * 1024) });
  await expect(client.send(new PutEventsCommand({ Entries: [entry({ Detail: big }), entry({ Detail: big })] }))).rejects.toMatchObject({ name: 'ValidationException', message: expect.stringMatching(/over the limit/) });
  expect(put).toEqual([]);
});

test('GIVEN another EventBridge operation THEN UnknownOperationException: only PutEvents is served', async () => {
  const res = await fetch(server.url, { method: 'POST', headers: { 'x-amz-target': 'AWSEvents.ListRules', 'content-type': 'application/x-amz-json-1.1' }, body: '{}' });
  expect(res.status).toBe(400);
  expect(await res.json()).toMatchObject({ __type: 'UnknownOperationException' });
});
