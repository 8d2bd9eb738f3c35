import { CloudWatchClient, PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeExecutionCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { LOCK_SK, tableKey } from '../../lambdas/shared/contracts';
import { MAX_BAKE_SECONDS } from '../../lambdas/shared/waits';
import { modelPackageEventSchema } from '../../lambdas/shared/triggers';
import { LOCAL_ACCOUNT, LOCAL_REGION } from '../../local/template';
import {
  APPROVED,
  FOREIGN,
  FOREIGN_GROUP,
  GROUP,
  PENDING,
  Tally,
  changesSince,
  eventually,
  footprint,
  settle,
  startCorpusWorld,
  summarize,
  type CorpusWorld,
} from './world';
import { PART_ONE, executionCases, expectBaseInputsValid, expectExecutionRejected } from './execution-cases';
import { configCases, expectConfigControlsValid, expectConfigRejected, expectStrategyControlsValid, seedStrategyWorld, strategyCases } from './strategy-cases';

/**
 * Bad trigger events, put on the local EventBridge bus (the synthesized rules route them to
 * on-approval / on-alarm): an event the rule lets through must be refused by the function
 * with an error naming the field; one the rule filters out reaches no function. Either way
 * nothing starts, nothing is aborted, and no mutating call reaches the emulator. Then the
 * first half of the execution-input cases (the other half runs beside the CLI cases).
 */
type Json = Record<string, unknown>;

let world: CorpusWorld;
const tally = new Tally();

// --- Model Registry approvals (test/fixtures/events/model_package_state_change.json, trimmed)
let eventId = 0;
function approvalEvent(detail: Json = {}, top: Json = {}): Json {
  return {
    version: '0',
    id: `corpus-approval-${++eventId}`,
    'detail-type': 'SageMaker Model Package State Change',
    source: 'aws.sagemaker',
    account: LOCAL_ACCOUNT,
    time: new Date().toISOString(),
    region: LOCAL_REGION,
    resources: [APPROVED],
    detail: {
      ModelPackageGroupName: GROUP,
      ModelPackageVersion: 2,
      ModelPackageArn: APPROVED,
      ModelPackageStatus: 'Completed',
      ModelApprovalStatus: 'Approved',
      LastModifiedTime: new Date(Date.now() + eventId * 1000).toISOString(),
      ...detail,
    },
    ...top,
  };
}
function approvalWithout(field: string): Json {
  const event = approvalEvent();
  delete (event.detail as Json)[field];
  return event;
}

// --- CloudWatch alarm state changes (test/fixtures/events/cloudwatch_alarm_state_change_single_metric.json, trimmed)
const GUARDRAIL = 'corpus-guardrail';
const BAKING = 'demo-baking';
function alarmEvent(detail: Json = {}, state: Json = {}, top: Json = {}): Json {
  return {
    version: '0',
    id: `corpus-alarm-${++eventId}`,
    'detail-type': 'CloudWatch Alarm State Change',
    source: 'aws.cloudwatch',
    account: LOCAL_ACCOUNT,
    time: new Date().toISOString(),
    region: LOCAL_REGION,
    resources: [`arn:aws:cloudwatch:${LOCAL_REGION}:${LOCAL_ACCOUNT}:alarm:${GUARDRAIL}`],
    detail: {
      alarmName: GUARDRAIL,
      state: { value: 'ALARM', reason: 'Threshold Crossed: 1 out of the last 1 datapoints was greater than the threshold', timestamp: new Date().toISOString(), ...state },
      previousState: { value: 'OK', reason: 'Threshold Crossed', timestamp: new Date().toISOString() },
      ...detail,
    },
    ...top,
  };
}
function alarmWithout(field: string): Json {
  const event = alarmEvent();
  delete (event.detail as Json)[field];
  return event;
}

interface EventCase {
  name: string;
  event: Json;
  /** The function the rule routes the event to, and what its error must say; `filtered` when no rule matches. */
  expect: { target: 'on-approval' | 'on-alarm'; error: RegExp } | 'filtered';
}

const REFUSED_APPROVAL = (field: string) => ({ target: 'on-approval' as const, error: new RegExp(`^InvalidPromotionInput: not a SageMaker Model Package State Change event: .*${field.replace(/\./g, '\\.')}: `) });
const REFUSED_ALARM = (field: string) => ({ target: 'on-alarm' as const, error: new RegExp(`^InvalidPromotionInput: not a CloudWatch Alarm State Change event: .*${field.replace(/\./g, '\\.')}: `) });

const approvalCases: EventCase[] = [
  { name: 'id missing', event: approvalEvent({}, { id: undefined }), expect: REFUSED_APPROVAL('id') },
  { name: 'id a number', event: approvalEvent({}, { id: 42 }), expect: REFUSED_APPROVAL('id') },
  { name: 'detail.ModelPackageVersion missing', event: approvalWithout('ModelPackageVersion'), expect: REFUSED_APPROVAL('detail.ModelPackageVersion') },
  { name: 'detail.ModelPackageVersion a string', event: approvalEvent({ ModelPackageVersion: '2' }), expect: REFUSED_APPROVAL('detail.ModelPackageVersion') },
  { name: 'detail.ModelPackageVersion 0', event: approvalEvent({ ModelPackageVersion: 0 }), expect: REFUSED_APPROVAL('detail.ModelPackageVersion') },
  { name: 'detail.ModelPackageVersion fractional', event: approvalEvent({ ModelPackageVersion: 2.5 }), expect: REFUSED_APPROVAL('detail.ModelPackageVersion') },
  { name: 'detail.ModelPackageArn missing', event: approvalWithout('ModelPackageArn'), expect: REFUSED_APPROVAL('detail.ModelPackageArn') },
  { name: 'detail.ModelPackageArn a number', event: approvalEvent({ ModelPackageArn: 42 }), expect: REFUSED_APPROVAL('detail.ModelPackageArn') },
  { name: 'detail.ModelPackageArn not an ARN', event: approvalEvent({ ModelPackageArn: 'not-an-arn' }), expect: REFUSED_APPROVAL('detail.ModelPackageArn') },
  { name: 'detail.ModelPackageArn of another group than detail.ModelPackageGroupName', event: approvalEvent({ ModelPackageArn: FOREIGN }), expect: REFUSED_APPROVAL('detail.ModelPackageArn') },
  { name: 'detail.ModelPackageArn of another version than detail.ModelPackageVersion', event: approvalEvent({ ModelPackageArn: PENDING }), expect: REFUSED_APPROVAL('detail.ModelPackageArn') },
  { name: 'detail.ModelPackageGroupName a list (matches the rule)', event: approvalEvent({ ModelPackageGroupName: [GROUP] }), expect: REFUSED_APPROVAL('detail.ModelPackageGroupName') },
  { name: 'detail.ModelApprovalStatus a list (matches the rule)', event: approvalEvent({ ModelApprovalStatus: ['Approved'] }), expect: REFUSED_APPROVAL('detail.ModelApprovalStatus') },
  { name: 'detail.LastModifiedTime a number', event: approvalEvent({ LastModifiedTime: 1_700_000_000 }), expect: REFUSED_APPROVAL('detail.LastModifiedTime') },
  // The approval's time when LastModifiedTime is missing (queued approvals compare by it).
  { name: 'time a number', event: approvalEvent({}, { time: 1_700_000_000 }), expect: REFUSED_APPROVAL('time') },
  { name: 'Rejected with detail.ModelPackageVersion a string', event: approvalEvent({ ModelApprovalStatus: 'Rejected', ModelPackageVersion: '2' }), expect: REFUSED_APPROVAL('detail.ModelPackageVersion') },
  { name: 'a group the stack is not configured for', event: approvalEvent({ ModelPackageGroupName: FOREIGN_GROUP, ModelPackageArn: FOREIGN, ModelPackageVersion: 1 }), expect: 'filtered' },
  { name: 'PendingManualApproval', event: approvalEvent({ ModelApprovalStatus: 'PendingManualApproval' }), expect: 'filtered' },
  { name: 'ModelApprovalStatus in lower case', event: approvalEvent({ ModelApprovalStatus: 'approved' }), expect: 'filtered' },
  { name: 'detail missing', event: approvalEvent({}, { detail: undefined }), expect: 'filtered' },
  { name: 'source not aws.sagemaker', event: approvalEvent({}, { source: 'custom.sagemaker' }), expect: 'filtered' },
];

const alarmCases: EventCase[] = [
  { name: 'detail.alarmName missing', event: alarmWithout('alarmName'), expect: REFUSED_ALARM('detail.alarmName') },
  { name: 'detail.alarmName a number', event: alarmEvent({ alarmName: 42 }), expect: REFUSED_ALARM('detail.alarmName') },
  { name: 'detail.alarmName a list', event: alarmEvent({ alarmName: [GUARDRAIL] }), expect: REFUSED_ALARM('detail.alarmName') },
  { name: 'detail.state.reason a number', event: alarmEvent({}, { reason: 42 }), expect: REFUSED_ALARM('detail.state.reason') },
  { name: 'detail.state.timestamp a number', event: alarmEvent({}, { timestamp: 1_700_000_000 }), expect: REFUSED_ALARM('detail.state.timestamp') },
  { name: 'detail.state.value a list (matches the rule)', event: alarmEvent({}, { value: ['ALARM'] }), expect: REFUSED_ALARM('detail.state.value') },
  { name: 'source missing', event: alarmEvent({}, {}, { source: undefined }), expect: 'filtered' },
  { name: 'state OK', event: alarmEvent({}, { value: 'OK' }), expect: 'filtered' },
  { name: 'state in lower case', event: alarmEvent({}, { value: 'alarm' }), expect: 'filtered' },
  { name: 'detail-type of another service', event: alarmEvent({}, {}, { 'detail-type': 'EC2 Instance State-change Notification' }), expect: 'filtered' },
];

/** No delivery when the rule filters the event out; otherwise one, to the function, failing with the error. */
function expectedDeliveries(expected: EventCase['expect']): unknown[] {
  return expected === 'filtered' ? [] : [{ target: expected.target, error: expect.stringMatching(expected.error) }];
}

let bakingArn = '';

beforeAll(async () => {
  world = await startCorpusWorld({ blues: [BAKING] });
  await seedStrategyWorld(world);
  await new CloudWatchClient({}).send(
    new PutMetricAlarmCommand({
      AlarmName: GUARDRAIL,
      Namespace: 'AWS/SageMaker',
      MetricName: 'Invocation5XXErrors',
      Dimensions: [{ Name: 'EndpointName', Value: BAKING }],
      Statistic: 'Sum',
      Period: 60,
      EvaluationPeriods: 1,
      Threshold: 1_000_000,
      ComparisonOperator: 'GreaterThanThreshold',
    }),
  );
  // A promotion baking for the longest bake (18 h), watching GUARDRAIL: what a bad alarm event must not abort.
  const started = await world.sfn.send(
    new StartExecutionCommand({
      stateMachineArn: world.aws.stateMachineArn,
      name: 'corpus-baking',
      input: JSON.stringify({ endpointName: BAKING, modelPackageArn: APPROVED, bakeSeconds: MAX_BAKE_SECONDS, guardrailAlarmNames: [GUARDRAIL], requestedBy: 'bad-input-corpus' }),
    }),
  );
  bakingArn = started.executionArn!;
  await eventually(async () => (await bakingLock())?.bakeTaskToken !== undefined, 'the promotion of demo-baking to bake');
}, 60_000);
afterAll(async () => {
  tally.report('trigger events + execution inputs part 1');
  await world?.aws.close();
});

async function bakingLock(): Promise<{ bakeTaskToken?: string; abortRequested?: unknown } | undefined> {
  const out = await world.dynamo.send(new GetCommand({ TableName: world.aws.tableName, Key: { endpointName: tableKey(BAKING), sk: LOCK_SK }, ConsistentRead: true }));
  return out.Item as { bakeTaskToken?: string; abortRequested?: unknown } | undefined;
}

describe('trigger events (aws.putEvent → rule → function)', () => {
  test('control: the approval event the cases start from is a well-formed Model Package State Change', () => {
    expect(modelPackageEventSchema.safeParse(approvalEvent()).success).toBe(true);
  });

  test.each([...approvalCases.map((c) => ({ ...c, kind: 'approval' })), ...alarmCases.map((c) => ({ ...c, kind: 'alarm' }))])(
    '$kind event refused, nothing started or aborted: $name',
    async ({ kind, name, event, expect: expected }) => {
      await tally.run(`${kind}: ${name}`, async () => {
        const before = await footprint(world);
        // WHEN the event is put on the bus
        const deliveries = await world.aws.putEvent(event);
        // (an execution the trigger wrongly started is let end, so it is counted here and not in the next case)
        await settle(world.aws, [bakingArn]);
        const changes = await changesSince(world, before);
        const baking = await world.sfn.send(new DescribeExecutionCommand({ executionArn: bakingArn }));
        // THEN the function refuses it naming the field (or no rule routes it anywhere), and nothing happened
        expect({
          case: name,
          deliveries: deliveries.map((d) => ({ target: d.target, error: d.error ?? `no error; returned ${JSON.stringify(d.result)}` })),
          executionsStarted: changes.newExecutions,
          ...summarize({ ...changes, newExecutions: [] }),
          bakingPromotion: baking.status,
          abortRequested: (await bakingLock())?.abortRequested,
        }).toEqual({
          case: name,
          deliveries: expectedDeliveries(expected),
          executionsStarted: [],
          mutatingCalls: [],
          tableWrites: [],
          bakingPromotion: 'RUNNING',
          abortRequested: undefined,
        });
      });
    },
  );

  test('control: the same alarm event, well-formed, does roll the baking promotion back', async () => {
    const [delivery] = await world.aws.putEvent(alarmEvent());
    const ended = await world.aws.stepFunctions.waitFor(bakingArn);
    await settle(world.aws);
    // signalled: the bake was waiting on its task token; flagged: it was between two polls, and the next one rolls back
    expect(delivery).toMatchObject({ target: 'on-alarm', result: { alarmName: GUARDRAIL, promotions: [{ endpointName: BAKING, result: expect.stringMatching(/^(signalled|flagged)$/) }] } });
    expect({ status: ended.status, error: ended.error }).toEqual({ status: 'FAILED', error: 'PromotionRolledBack' });
  });
});

let executions = 0;
describe('execution inputs through StartExecution (part 1 of 2)', () => {
  test('control: the valid input every case starts from passes ValidateInput', async () => {
    await expectBaseInputsValid();
  });

  test.each(executionCases.slice(0, PART_ONE))('rejected before any change: $name', async (c) => {
    await tally.run(`execution: ${c.name}`, () => expectExecutionRejected(world, `corpus-a-${++executions}`, c));
  });
});

describe('strategy fields: execution inputs and approval routes (strategy-cases.ts)', () => {
  test('control: the inputs and the configuration the cases start from are valid', async () => {
    await expectStrategyControlsValid();
    expectConfigControlsValid();
  });

  test.each(strategyCases)('rejected before any change: $name', async (c) => {
    await tally.run(`strategy: ${c.name}`, () => expectExecutionRejected(world, `corpus-s-${++executions}`, c));
  });

  test.each(configCases)('approval route refused at synth: $name', async (c) => {
    await tally.run(`config: ${c.name}`, async () => expectConfigRejected(c));
  });
});
