import { PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import { DETAIL_TYPES, EVENT_SOURCE } from '../../lambdas/shared/lifecycle';
import type { ExecutionEvent } from '../../local/executor';
import type { BusEvent } from '../../local/eventbridge';
import { schemaErrors } from '../support/events-schema';
import { ended, entered, eventually, historyRow, lockItem, promotionInput, settle, startPromotion, startWorld, Traffic, type World } from './world';

/**
 * The lifecycle events a promotion publishes from its state machine (lib/events.ts), as the local
 * EventBridge receives them: in order, per promotion, each valid against schema/events.schema.json.
 */
let world: World;
const seen: BusEvent[] = [];

beforeAll(async () => {
  world = await startWorld(['demo-events-ok', 'demo-events-validation', 'demo-events-alarm', 'demo-events-bake-end', 'demo-events-gate']);
  world.aws.bus.on('lifecycle', (event: BusEvent) => seen.push(event));
}, 60000);
afterEach(async () => settle(world));
afterAll(async () => world?.aws.close());

type Detail = Record<string, unknown> & { promotionId: string };
const eventsOf = (promotionId: string) => world.aws.lifecycleEvents().filter((e) => (e.detail as Detail).promotionId === promotionId);

function expectValid(events: BusEvent[]): void {
  for (const event of events) expect({ detailType: event['detail-type'], errors: schemaErrors(event) }).toEqual({ detailType: event['detail-type'], errors: [] });
}

test('GIVEN a promotion WHEN it succeeds THEN it publishes Started, Green Validated, Traffic Shifted and Succeeded in order, each valid against the schema, with links and timings', async () => {
  const promotion = await startPromotion(world, 'events-ok-1', promotionInput('demo-events-ok', world.v2));
  const execution = await ended(world, promotion.executionArn);

  expect(execution.status).toBe('SUCCEEDED');
  const events = eventsOf(promotion.id);
  expect(events.map((e) => e['detail-type'])).toEqual([DETAIL_TYPES.started, DETAIL_TYPES.validated, DETAIL_TYPES.shifted, DETAIL_TYPES.succeeded]);
  expectValid(events);
  // Step Functions appends the execution's and state machine's ARNs to each entry (connect-eventbridge).
  for (const e of events) expect(e).toMatchObject({ source: EVENT_SOURCE, resources: [promotion.executionArn, world.aws.stateMachineArn] });
  const succeeded = events[3]!.detail as Detail;
  expect(succeeded).toMatchObject({
    endpointName: 'demo-events-ok',
    strategy: 'variant',
    green: { modelPackageArn: world.v2, version: 2 },
    blue: { exists: true, endpointConfigName: expect.any(String) },
    outcome: 'promoted',
    error: 'None',
    links: {
      execution: `https://us-east-1.console.aws.amazon.com/states/home?region=us-east-1#/v2/executions/details/${promotion.executionArn}`,
      endpoint: 'https://us-east-1.console.aws.amazon.com/sagemaker/home?region=us-east-1#/endpoints/demo-events-ok',
    },
    timings: { durationSeconds: expect.any(Number) },
  });
  // The event's own time is never before the promotion's start, and the end is the history row's.
  const timings = succeeded.timings as { startedAt: string; at: string; finishedAt: string };
  expect(Date.parse(timings.at)).toBeGreaterThanOrEqual(Date.parse(timings.startedAt));
  // The events were published as they happened, to subscribers of the local bus too.
  expect(seen.filter((e) => (e.detail as Detail).promotionId === promotion.id)).toEqual(events);
  // The state document is untouched: no PutEvents response landed in it.
  expect(JSON.parse(execution.output ?? '{}')).not.toHaveProperty('Entries');
}, 30000);

test('GIVEN green answers 500 WHEN it is validated THEN the promotion publishes Started then Rolled Back with the reason, green logs and the failing samples structured, and no Green Validated', async () => {
  const endpointName = 'demo-events-validation';
  world.aws.emulator.faults.variantErrors({ endpointName, modelPackageVersion: 2, statusCode: 500, message: 'model weights not found' });
  const promotion = await startPromotion(world, 'events-validation-1', promotionInput(endpointName, world.v2));
  const execution = await ended(world, promotion.executionArn);

  expect(execution).toMatchObject({ status: 'FAILED', error: 'PromotionRolledBack' });
  const events = eventsOf(promotion.id);
  expect(events.map((e) => e['detail-type'])).toEqual([DETAIL_TYPES.started, DETAIL_TYPES.rolledBack]);
  expectValid(events);
  expect(events[1]!.detail).toMatchObject({
    outcome: 'rolled_back',
    error: 'PromotionRolledBack',
    reason: execution.cause,
    evidence: { alarm: null, greenLogs: { logGroup: `/aws/sagemaker/Endpoints/${endpointName}`, validationLogGroup: null } },
  });
  expect((events[1]!.detail as Detail).reason).toMatch(/typical-customer: status 500/);
  // The samples, structured (validate-green left them on the lock; a Lambda error carries only a message):
  // what green answered (the container's OriginalMessage), where it logged (LogStreamArn) and what was expected.
  const logStreamArn = expect.stringMatching(new RegExp(`^arn:aws:logs:us-east-1:\\d{12}:log-group:/aws/sagemaker/Endpoints/${endpointName}`));
  const failing = (name: string, expected: Record<string, unknown>) => ({ name, status: 500, latencyMs: expect.any(Number), problem: expect.stringMatching(/^status 500, expected 200 \(ModelError/), bodyExcerpt: 'model weights not found', logStreamArn, expected: { status: 200, maxLatencyMs: expect.any(Number), contains: null, json: null, ...expected } });
  expect((events[1]!.detail as Detail).evidence).toEqual({
    alarm: null,
    validation: {
      target: `variant ${promotion.green.variant}`,
      failed: 2,
      total: 2,
      at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      samples: [failing('typical-customer', { contains: 'modelPackageVersion' }), failing('new-customer', {})],
    },
    greenLogs: { logGroup: `/aws/sagemaker/Endpoints/${endpointName}`, validationLogGroup: null },
  });
  // The history row keeps it too (a retried record-outcome, after the lock is gone, publishes the same).
  expect(await historyRow(world, promotion)).toMatchObject({ evidence: (events[1]!.detail as Detail).evidence });
}, 30000);

test('GIVEN green fails once it carries all traffic WHEN its 5xx alarm goes to ALARM during the bake THEN the Rolled Back event names the alarm and its state reason', async () => {
  const endpointName = 'demo-events-alarm';
  // Requests all along: the 5xx alarm needs green's errors in its metric.
  const traffic = new Traffic(world, endpointName);
  const promotion = await startPromotion(world, 'events-alarm-1', promotionInput(endpointName, world.v2));
  await entered(world, promotion.executionArn, 'BakeDone?');
  await eventually(async () => (await lockItem(world, endpointName))?.bakeTaskToken !== undefined, 'the bake to park its task token');
  world.aws.emulator.faults.variantErrors({ endpointName, modelPackageVersion: 2, statusCode: 503 });
  const execution = await ended(world, promotion.executionArn);

  expect(execution).toMatchObject({ status: 'FAILED', error: 'PromotionRolledBack' });
  await traffic.stop();
  const events = eventsOf(promotion.id);
  expect(events.map((e) => e['detail-type'])).toEqual([DETAIL_TYPES.started, DETAIL_TYPES.validated, DETAIL_TYPES.shifted, DETAIL_TYPES.rolledBack]);
  expectValid(events);
  expect(events[3]!.detail).toMatchObject({
    outcome: 'rolled_back',
    evidence: { alarm: { name: `${promotion.green.alarmPrefix}-5xx`, stateReason: expect.stringMatching(/^Threshold Crossed/) } },
  });
}, 30000);

/** Runs `then` once, synchronously, when the execution records entering `state` (before that state's task gets far: its first call is to DynamoDB). */
function whenEntered(executionArn: string, state: string, then: () => void): void {
  const history = world.aws.stepFunctions.list().find((e) => e.arn === executionArn)!.events;
  const push = history.push.bind(history);
  let done = false;
  history.push = (...entries: ExecutionEvent[]) => {
    const n = push(...entries);
    if (!done && entries.some((e) => e.type === 'StateEntered' && e.state === state)) {
      done = true;
      then();
    }
    return n;
  };
}

test("GIVEN a guardrail alarm that goes to ALARM as the bake ends, its event lost WHEN the bake's own check finds it THEN the Rolled Back event names the alarm and its state reason", async () => {
  const endpointName = 'demo-events-bake-end';
  // A user's guardrail alarm on their own metric (the local CloudWatch evaluates only AWS/SageMaker's): its state is the one set.
  const alarmName = 'demo-events-bake-end-app-errors';
  await world.cloudwatch.send(
    new PutMetricAlarmCommand({ AlarmName: alarmName, Namespace: 'Churn/App', MetricName: 'Errors', Statistic: 'Sum', Period: 60, EvaluationPeriods: 1, Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' }),
  );
  const stateReason = 'Threshold Crossed: 1 datapoint [4.0 (01/12/26 10:00:00)] was greater than the threshold (0.0).';
  const promotion = await startPromotion(world, 'events-bake-end-1', { ...promotionInput(endpointName, world.v2), guardrailAlarmNames: [alarmName] });
  // Neither the alarm trigger (its event is lost) nor the backstop (the alarm was OK all bake long) acts: CheckGuardrails finds it.
  world.aws.dropNextEvent((e) => (e as { source?: string; detail?: { alarmName?: string } }).source === 'aws.cloudwatch' && (e as { detail?: { alarmName?: string } }).detail?.alarmName === alarmName);
  whenEntered(promotion.executionArn, 'CheckGuardrails', () => world.aws.emulator.faults.setAlarmState({ alarmName, state: 'ALARM', reason: stateReason }));
  const execution = await ended(world, promotion.executionArn);

  expect(execution).toMatchObject({ status: 'FAILED', error: 'PromotionRolledBack' });
  // The bake's own check, not a flag: its cause has no "(found by the bake's backstop)".
  expect(execution.cause).toBe(`GuardrailAlarm: guardrail alarm ${alarmName} is in ALARM: ${stateReason}`);
  expect(world.aws.dropped).toContainEqual(expect.objectContaining({ detail: expect.objectContaining({ alarmName }) }));
  const events = eventsOf(promotion.id);
  expect(events.map((e) => e['detail-type'])).toEqual([DETAIL_TYPES.started, DETAIL_TYPES.validated, DETAIL_TYPES.shifted, DETAIL_TYPES.rolledBack]);
  expectValid(events);
  expect(events[3]!.detail).toMatchObject({ outcome: 'rolled_back', evidence: { alarm: { name: alarmName, stateReason }, validation: null } });
}, 30000);

test('GIVEN an approval gate nobody answers WHEN it times out (onTimeout rollback) THEN Approval Needed comes after Green Validated with the deadline, the samples and the commands, then Rolled Back, each valid against the schema', async () => {
  const endpointName = 'demo-events-gate';
  const promotion = await startPromotion(world, 'events-gate-1', { ...promotionInput(endpointName, world.v2), approval: { timeoutSeconds: 60, onTimeout: 'rollback' } });
  const execution = await ended(world, promotion.executionArn);

  expect(execution).toMatchObject({ status: 'FAILED', error: 'PromotionRolledBack' });
  const events = eventsOf(promotion.id);
  expect(events.map((e) => e['detail-type'])).toEqual([DETAIL_TYPES.started, DETAIL_TYPES.validated, DETAIL_TYPES.approvalNeeded, DETAIL_TYPES.rolledBack]);
  expectValid(events);
  expect(events[2]!.detail).toMatchObject({
    approval: { timeoutSeconds: 60, onTimeout: 'rollback', requestedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) },
    validation: { samples: [expect.objectContaining({ name: 'typical-customer', ok: true }), expect.objectContaining({ name: 'new-customer', ok: true })] },
    commands: { approve: `bluegreen approve ${endpointName}`, reject: `bluegreen reject ${endpointName} --reason "<why>"` },
  });
  // Nobody answered: no alarm, no failing sample to point at.
  expect(events[3]!.detail).toMatchObject({ outcome: 'rolled_back', evidence: { alarm: null, validation: null } });
}, 30000);
