import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DescribeEndpointCommand, DescribeEndpointConfigCommand, DescribeModelCommand, ListModelPackagesCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { DescribeExecutionCommand, SendTaskFailureCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { handler as onApproval } from '../../../lambdas/on-approval';
import { queueItem, type QueuedApproval } from '../../../lambdas/shared/queue-decisions';
import { conditionalCheckFailed, ENDPOINT, notFound, packageArn, setStepEnvironment, changeStepSettings } from '../../support/fixtures';

/**
 * on-approval's decisions about a busy endpoint (lambdas/shared/queue.ts): queue, supersede,
 * refuse a downgrade, roll back a rejected version in flight, unqueue a rejected one. The table
 * and Step Functions are mocked; the decisions themselves are tested in test/unit/queue.test.ts.
 */
const sagemaker = mockClient(SageMakerClient);
const sfn = mockClient(SFNClient);
const dynamo = mockClient(DynamoDBDocumentClient);

const TABLE = 'bluegreen-promotions';
const STATE_MACHINE = 'arn:aws:states:us-east-1:111122223333:stateMachine:Promotion';
const APPROVED_AT = '2026-12-01T12:03:00Z';

const sample = (name: string): unknown => JSON.parse(readFileSync(join(__dirname, '..', '..', 'fixtures', 'events', `${name}.json`), 'utf8'));
function registryEvent(version: number, status: 'Approved' | 'Rejected', at = APPROVED_AT) {
  const event = sample('model_package_state_change') as { detail: Record<string, unknown> } & Record<string, unknown>;
  return {
    ...event,
    id: `event-${version}-${status}-${at}`,
    detail: { ...event.detail, ModelPackageGroupName: 'churn-models', ModelPackageVersion: version, ModelPackageArn: packageArn(version), ModelApprovalStatus: status, LastModifiedTime: at },
  };
}

const LOCK = { endpointName: ENDPOINT, sk: 'LOCK', promotionId: 'running-v7', executionArn: `${STATE_MACHINE}:running-v7`, modelPackageArn: packageArn(7), acquiredAt: '2026-12-01T12:00:00Z', inFlight: 'yes', bakeTaskToken: 'bake-token' };
const lockKey = { Key: { endpointName: ENDPOINT, sk: 'LOCK' } };
const queueKey = { Key: { endpointName: ENDPOINT, sk: 'QUEUED' } };
const held = () => dynamo.on(GetCommand, lockKey).resolves({ Item: LOCK });
const waiting = (item: QueuedApproval) => dynamo.on(GetCommand, queueKey).resolves({ Item: item });
/** The endpoint serves `version` (blue's model built from that package). */
function serving(version: number) {
  sagemaker.on(DescribeEndpointCommand).resolves({ EndpointName: ENDPOINT, EndpointConfigName: 'c', ProductionVariants: [{ VariantName: 'AllTraffic', CurrentWeight: 1 }] });
  sagemaker.on(DescribeEndpointConfigCommand).resolves({ ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: 'm' }] });
  sagemaker.on(DescribeModelCommand).resolves({ PrimaryContainer: { ModelPackageName: packageArn(version) } });
}
const puts = () => dynamo.commandCalls(PutCommand).map((c) => c.args[0].input);
const rows = (outcome: string) => puts().filter((p) => (p.Item as { outcome?: string }).outcome === outcome).map((p) => p.Item as Record<string, unknown>);
const routes = (extra: Record<string, unknown> = {}) => changeStepSettings({ approvalRoutes: { 'churn-models': { endpoints: [ENDPOINT], bakeSeconds: 600, ...extra } } });

beforeEach(() => {
  sagemaker.reset();
  sfn.reset();
  dynamo.reset();
  setStepEnvironment();
  process.env.STATE_MACHINE_ARN = STATE_MACHINE;
  routes();
  dynamo.on(GetCommand).resolves({});
  dynamo.on(PutCommand).resolves({});
  sagemaker.on(DescribeEndpointCommand).rejects(notFound('endpoint', ENDPOINT));
  sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:exec' });
  sfn.on(DescribeExecutionCommand).rejects(Object.assign(new Error('Execution Does Not Exist'), { name: 'ExecutionDoesNotExist' }));
  sfn.on(SendTaskFailureCommand).resolves({});
});

describe('on-approval: an approval for a busy endpoint', () => {
  test('GIVEN a promotion of version 7 in flight WHEN version 8 is approved THEN it is queued (the queue item and a `queued` history row), nothing starts and the running one is left alone', async () => {
    held();
    serving(6);
    await expect(onApproval(registryEvent(8, 'Approved'))).resolves.toMatchObject({ action: 'queued', executions: [{ endpointName: ENDPOINT, status: 'queued', note: 'queued behind running-v7' }] });

    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
    expect(sfn).not.toHaveReceivedCommand(SendTaskFailureCommand);
    const [queued] = puts().filter((p) => (p.Item as { sk: string }).sk === 'QUEUED');
    expect(queued).toMatchObject({ TableName: TABLE, ConditionExpression: 'attribute_not_exists(sk)', Item: { endpointName: ENDPOINT, version: 8, behind: 'running-v7', approvedAt: APPROVED_AT } });
    expect(JSON.parse((queued!.Item as QueuedApproval).input)).toMatchObject({ endpointName: ENDPOINT, modelPackageArn: packageArn(8), bakeSeconds: 600, requestedBy: 'model-registry:approved:churn-models/8' });
    expect(rows('queued')).toEqual([expect.objectContaining({ modelPackageVersion: 8, approvalId: (queued!.Item as QueuedApproval).executionName, reason: expect.stringMatching(/while running-v7 promotes churn-prediction: starts when it ends$/) })]);
  });

  test('GIVEN version 8 queued WHEN version 9 is approved THEN 9 replaces 8 (conditional on 8 still waiting) and 8\'s row says superseded by 9', async () => {
    held();
    serving(6);
    const eight = queueItem(ENDPOINT, { executionName: 'v8-name', modelPackageArn: packageArn(8), version: 8, approvedAt: '2026-12-01T12:01:00Z', requestedBy: 'r' }, '{}', '2026-12-01T12:01:01Z', 'running-v7');
    waiting(eight);
    await expect(onApproval(registryEvent(9, 'Approved', '2026-12-01T12:09:00Z'))).resolves.toMatchObject({ action: 'queued' });

    expect(dynamo).toHaveReceivedCommandWith(PutCommand, { Item: expect.objectContaining({ sk: 'QUEUED', version: 9 }), ConditionExpression: 'executionName = :replaces', ExpressionAttributeValues: { ':replaces': 'v8-name' } });
    expect(rows('superseded')).toEqual([expect.objectContaining({ approvalId: 'v8-name', reason: 'superseded by version 9 approved at 2026-12-01T12:09:00Z', supersededBy: expect.stringMatching(/^version 9 \(churn-prediction-v9-approved-/) })]);
  });

  test('GIVEN another approval changed the queue between the read and the write THEN the handler decides again on what waits now', async () => {
    held();
    serving(6);
    const nine = queueItem(ENDPOINT, { executionName: 'v9-name', modelPackageArn: packageArn(9), version: 9, approvedAt: '2026-12-01T12:02:00Z', requestedBy: 'r' }, '{}', '2026-12-01T12:02:01Z', 'running-v7');
    // First read: nothing waits; the write finds version 9 there (a concurrent approval); second read sees it.
    dynamo.on(GetCommand, queueKey).resolvesOnce({}).resolves({ Item: nine });
    dynamo.on(PutCommand, { Item: { sk: 'QUEUED' } }).rejects(conditionalCheckFailed());
    await expect(onApproval(registryEvent(8, 'Approved'))).resolves.toMatchObject({ action: 'superseded', executions: [{ status: 'superseded', note: expect.stringMatching(/^version 9 approved at .* waits already and wins/) }] });
    expect(rows('superseded')).toEqual([expect.objectContaining({ modelPackageVersion: 8, supersededBy: 'version 9 (v9-name)' })]);
  });

  test('GIVEN the running promotion ends between the lock read and the queue write THEN the re-read finds the lock free, claims the item and starts it now', async () => {
    dynamo.on(GetCommand, lockKey).resolvesOnce({ Item: LOCK }).resolves({});
    serving(6);
    let item: QueuedApproval | undefined;
    dynamo.on(PutCommand, { Item: { sk: 'QUEUED' } }).callsFake((input: { Item: QueuedApproval }) => {
      item = input.Item;
      dynamo.on(GetCommand, queueKey).resolves({ Item: item });
      return {};
    });
    dynamo.on(DeleteCommand).callsFake(() => ({ Attributes: item }));

    await expect(onApproval(registryEvent(8, 'Approved'))).resolves.toMatchObject({ action: 'started', executions: [{ status: 'started', note: 'the endpoint became free: started' }] });
    expect(dynamo).toHaveReceivedCommandWith(DeleteCommand, { ...queueKey, ConditionExpression: 'executionName = :name', ExpressionAttributeValues: { ':name': item!.executionName }, ReturnValues: 'ALL_OLD' });
    expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, { stateMachineArn: STATE_MACHINE, name: item!.executionName, input: item!.input });
    expect(rows('queued').at(-1)).toMatchObject({ startedAs: item!.executionName, reason: expect.stringMatching(/waited for running-v7; started as /) });
  });

  test('GIVEN onNewerApproval "supersede" WHEN version 8 is approved during the bake of 7 THEN 8 is queued and 7 is asked to roll back: PromotionAborted, the newer approval as the reason', async () => {
    routes({ onNewerApproval: 'supersede' });
    held();
    serving(6);
    dynamo.on(UpdateCommand).resolves({ Attributes: LOCK });
    await expect(onApproval(registryEvent(8, 'Approved'))).resolves.toMatchObject({ action: 'queued' });

    const reason = `superseded by version 8 approved at ${APPROVED_AT}`;
    expect(dynamo).toHaveReceivedCommandWith(UpdateCommand, { ...lockKey, ConditionExpression: 'promotionId = :id', ExpressionAttributeValues: { ':id': 'running-v7', ':abort': expect.objectContaining({ error: 'PromotionAborted', reason }) } });
    expect(sfn).toHaveReceivedCommandWith(SendTaskFailureCommand, { taskToken: 'bake-token', error: 'PromotionAborted', cause: reason });
  });
});

describe('on-approval: a duplicate delivery while the endpoint is busy', () => {
  test('GIVEN the approval\'s promotion has run already WHEN its event comes again during another promotion THEN nothing is queued', async () => {
    held();
    serving(6);
    sfn.on(DescribeExecutionCommand).resolves({ status: 'SUCCEEDED' });
    await expect(onApproval(registryEvent(8, 'Approved'))).resolves.toMatchObject({ action: 'duplicate', executions: [{ status: 'duplicate', note: expect.stringMatching(/has run already$/) }] });
    expect(dynamo).not.toHaveReceivedCommand(PutCommand);
  });
});

describe('on-approval: an approval stranded in the queue (its promotion\'s end event lost: Step Functions delivers them best effort)', () => {
  test('GIVEN version 9 waits but no promotion holds the lock WHEN any approval arrives THEN it is recorded and 9 starts', async () => {
    serving(6);
    const nine = queueItem(ENDPOINT, { executionName: 'v9-name', modelPackageArn: packageArn(9), version: 9, approvedAt: '2026-12-01T12:02:00Z', requestedBy: 'r' }, '{"endpointName":"churn-prediction"}', '2026-12-01T12:02:01Z', 'ended-v7');
    waiting(nine);
    dynamo.on(DeleteCommand).resolves({ Attributes: nine });
    await expect(onApproval(registryEvent(8, 'Approved'))).resolves.toMatchObject({ action: 'superseded' });
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
    expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, { name: 'v9-name', input: nine.input });
  });
});

describe('on-approval: downgrades', () => {
  test('GIVEN the endpoint serves version 7 WHEN version 5 is approved THEN nothing starts and a `refused` row names the option to set', async () => {
    serving(7);
    await expect(onApproval(registryEvent(5, 'Approved'))).resolves.toMatchObject({ action: 'refused' });
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
    expect(rows('refused')).toEqual([
      expect.objectContaining({ modelPackageVersion: 5, requestedBy: 'model-registry:approved:churn-models/5', reason: expect.stringMatching(/^version 5 is older than version 7, which churn-prediction serves: a downgrade, refused; to allow downgrades set "allowDowngrade": true/) }),
    ]);
  });

  test('GIVEN the route allows downgrades THEN the older version is promoted', async () => {
    routes({ allowDowngrade: true });
    serving(7);
    await expect(onApproval(registryEvent(5, 'Approved'))).resolves.toMatchObject({ action: 'started' });
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
    expect(rows('refused')).toEqual([]);
  });

  test('GIVEN the live version is rejected THEN the move back to an older approved version is the registry\'s decision, not a refused downgrade', async () => {
    serving(7);
    sagemaker.on(ListModelPackagesCommand).resolves({ ModelPackageSummaryList: [5, 7].map((v) => ({ ModelPackageArn: packageArn(v), ModelPackageVersion: v })) as never });
    await expect(onApproval(registryEvent(7, 'Rejected'))).resolves.toMatchObject({ action: 'started', executions: [{ modelPackageArn: packageArn(5) }] });
    expect(rows('refused')).toEqual([]);
  });
});

describe('on-approval: rejections during a promotion', () => {
  test('GIVEN a promotion of version 7 in flight WHEN 7 is rejected THEN it rolls back at once (PromotionAborted to the wait in progress) with the rejection as the reason, and no fallback starts', async () => {
    held();
    serving(7); // the variant strategy's bake: green already serves
    dynamo.on(UpdateCommand).resolves({ Attributes: LOCK });
    await expect(onApproval(registryEvent(7, 'Rejected', '2026-12-01T12:05:00Z'))).resolves.toMatchObject({ action: 'aborted', executions: [{ status: 'aborted', executionName: 'running-v7' }] });

    const reason = 'model package churn-models/7 was Rejected in the Model Registry at 2026-12-01T12:05:00Z';
    expect(sfn).toHaveReceivedCommandWith(SendTaskFailureCommand, { taskToken: 'bake-token', error: 'PromotionAborted', cause: reason });
    expect(sagemaker).not.toHaveReceivedCommand(ListModelPackagesCommand);
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  test('GIVEN version 8 queued WHEN 8 is rejected THEN it leaves the queue (conditional on it still waiting) and its row says why', async () => {
    held();
    serving(6);
    const eight = queueItem(ENDPOINT, { executionName: 'v8-name', modelPackageArn: packageArn(8), version: 8, approvedAt: '2026-12-01T12:01:00Z', requestedBy: 'r' }, '{}', '2026-12-01T12:01:01Z', 'running-v7');
    waiting(eight);
    dynamo.on(DeleteCommand).resolves({ Attributes: eight });
    await expect(onApproval(registryEvent(8, 'Rejected', '2026-12-01T12:06:00Z'))).resolves.toMatchObject({ action: 'unqueued' });

    expect(dynamo).toHaveReceivedCommandWith(DeleteCommand, { ...queueKey, ExpressionAttributeValues: { ':name': 'v8-name' } });
    expect(rows('superseded')).toEqual([
      expect.objectContaining({ approvalId: 'v8-name', reason: 'model package churn-models/8 was Rejected in the Model Registry at 2026-12-01T12:06:00Z: removed from the queue', supersededBy: 'the rejection of version 8' }),
    ]);
    expect(sfn).not.toHaveReceivedCommand(SendTaskFailureCommand);
  });
});
