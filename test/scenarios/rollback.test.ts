import { PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import {
  describeEndpoint,
  ended,
  entered,
  eventually,
  expectBackOnBlue,
  handMade,
  historyRow,
  lockItem,
  plannedPromotion,
  promotionInput,
  resourcesOf,
  settle,
  startPromotion,
  startWorld,
  Traffic,
  variantsOf,
  waitInService,
  type World,
} from './world';

/** Whole promotions that go wrong once green is stood up beside blue: they roll back to blue (or, past the rollback's deadline, fail recorded). */
let world: World;

beforeAll(async () => {
  world = await startWorld(['demo-validation', 'demo-alarm', 'demo-early-alarm', 'demo-silent', 'demo-fleet', 'demo-slow', 'demo-stuck']);
}, 60000);
afterEach(async () => settle(world));
afterAll(async () => world?.aws.close());

test('GIVEN green answers 500 WHEN it is validated THEN traffic never moves, green is removed and the promotion ends PromotionRolledBack naming the failed request', async () => {
  const endpointName = 'demo-validation'; // a hand-made blue serving v1 (world setup)
  world.aws.emulator.faults.variantErrors({ endpointName, modelPackageVersion: 2, statusCode: 500 });
  const logFrom = world.aws.emulator.callLog.length;

  const promotion = await startPromotion(world, 'validation-1', promotionInput(endpointName, world.v2));
  const execution = await ended(world, promotion.executionArn);

  expect(execution).toMatchObject({ status: 'FAILED', error: 'PromotionRolledBack' });
  expect(execution.cause).toMatch(/^GreenValidationFailed: .*typical-customer: status 500, expected 200.*new-customer: status 500, expected 200/);
  await expectBackOnBlue(world, promotion);
  const calls = world.aws.emulator.callLog.slice(logFrom);
  expect(calls.filter((c) => c.operation === 'UpdateEndpointWeightsAndCapacities')).toEqual([]);
  // Only green was asked, never blue.
  expect(calls.filter((c) => c.operation === 'InvokeEndpoint').map((c) => (c.input as { TargetVariant?: string }).TargetVariant)).toEqual([promotion.green.variant, promotion.green.variant]);
  expect(await historyRow(world, promotion)).toMatchObject({
    outcome: 'rolled_back',
    reason: execution.cause,
    failedWith: 'GreenValidationFailed',
    rollbackActions: expect.arrayContaining([`endpoint back to blue config ${handMade(endpointName).config}`]),
    cleanedUp: expect.arrayContaining([`config ${promotion.green.pairConfig}`, `config ${promotion.green.greenConfig}`, `model ${promotion.green.model}`]),
  });
}, 30000);

test('GIVEN green starts failing once it carries all traffic WHEN its 5xx guardrail alarm goes to ALARM during the bake THEN traffic goes back to blue, green and its alarms are removed, and no request is dropped', async () => {
  const endpointName = 'demo-alarm'; // a hand-made blue serving v1 (world setup)
  const traffic = new Traffic(world, endpointName);

  const promotion = await startPromotion(world, 'alarm-1', promotionInput(endpointName, world.v2));
  await entered(world, promotion.executionArn, 'BakeDone?');
  // Once the bake has parked its task token on the lock, an alarm reaches it through the alarm trigger.
  await eventually(async () => (await lockItem(world, endpointName))?.bakeTaskToken !== undefined, 'the bake to park its task token');
  world.aws.emulator.faults.variantErrors({ endpointName, modelPackageVersion: 2, statusCode: 503 });
  const execution = await ended(world, promotion.executionArn);
  const outcomes = await traffic.stop();

  expect(execution).toMatchObject({ status: 'FAILED', error: 'PromotionRolledBack' });
  const alarm = `${promotion.green.alarmPrefix}-5xx`;
  expect(execution.cause).toMatch(new RegExp(`^GuardrailAlarm: guardrail alarm ${alarm} is in ALARM: Threshold Crossed`));
  expect(execution.statesEntered).not.toContain('Finalize');
  await expectBackOnBlue(world, promotion);
  expect(await historyRow(world, promotion)).toMatchObject({
    outcome: 'rolled_back',
    reason: execution.cause,
    rollbackActions: expect.arrayContaining([expect.stringMatching(/^traffic back to blue \(AllTraffic=1, v2-[0-9a-f]{6}=0\)$/), `endpoint back to blue config ${handMade(endpointName).config}`]),
    cleanedUp: expect.arrayContaining([`alarms ${alarm}, ${promotion.green.alarmPrefix}-latency`]),
  });
  // The alarm's state-change event reached the alarm trigger, which told this promotion to roll back.
  const alarmDeliveries = world.aws.deliveries.filter((d) => d.target === 'on-alarm' && (d.event as { detail?: { alarmName?: string } }).detail?.alarmName === alarm);
  expect(alarmDeliveries.map((d) => d.result)).toContainEqual({ alarmName: alarm, promotions: [{ endpointName, promotionId: promotion.id, result: expect.stringMatching(/^(signalled|flagged)$/) }] });
  // Green really failed requests, and every request got an answer: no gap while traffic moved, either way.
  expect(outcomes.modelErrors).toBeGreaterThan(0);
  expect(outcomes.ok).toBeGreaterThan(0);
  expect(outcomes.other).toEqual([]);
}, 30000);

test('GIVEN a guardrail alarm the user named WHEN it goes to ALARM as the bake starts, before the bake has parked its task token THEN the alarm trigger still tells the promotion to roll back', async () => {
  const endpointName = 'demo-early-alarm'; // a hand-made blue serving v1 (world setup)
  const input = promotionInput(endpointName, world.v2, { guardrailAlarmNames: [`${endpointName}-green-5xx`] });
  const planned = plannedPromotion('early-alarm-1', input);
  // The team's own alarm on the variant the promotion will create (its name is deterministic).
  await world.cloudwatch.send(
    new PutMetricAlarmCommand({
      AlarmName: `${endpointName}-green-5xx`,
      Namespace: 'AWS/SageMaker',
      MetricName: 'Invocation5XXErrors',
      Dimensions: [{ Name: 'EndpointName', Value: endpointName }, { Name: 'VariantName', Value: planned.green.variant }],
      Statistic: 'Sum',
      Period: 60,
      EvaluationPeriods: 1,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    }),
  );
  // CloudWatch throttles the bake's own alarms for a moment: the bake starts, but has not parked yet.
  world.aws.emulator.faults.throttle({ operation: 'PutMetricAlarm', times: 2 });
  const traffic = new Traffic(world, endpointName);

  const promotion = await startPromotion(world, planned.id, input);
  await entered(world, promotion.executionArn, 'BakeDone?');
  world.aws.emulator.faults.variantErrors({ endpointName, modelPackageVersion: 2, statusCode: 500 });
  const execution = await ended(world, promotion.executionArn);
  await traffic.stop();

  expect(execution).toMatchObject({ status: 'FAILED', error: 'PromotionRolledBack' });
  expect(execution.cause).toMatch(/^GuardrailAlarm: guardrail alarm .* is in ALARM/);
  await expectBackOnBlue(world, promotion);
  // The team's alarm is theirs: kept.
  expect(Object.keys(world.aws.emulator.inspect().alarms)).toContain(`${endpointName}-green-5xx`);
  const userAlarmDeliveries = world.aws.deliveries.filter(
    (d) => d.target === 'on-alarm' && (d.event as { detail?: { alarmName?: string } }).detail?.alarmName === `${endpointName}-green-5xx`,
  );
  expect(userAlarmDeliveries.map((d) => d.result)).toContainEqual({
    alarmName: `${endpointName}-green-5xx`,
    promotions: [{ endpointName, promotionId: promotion.id, result: expect.stringMatching(/^(signalled|flagged)$/) }],
  });
}, 30000);

test('GIVEN SageMaker rolls the stand-up back silently WHEN the endpoint reports InService THEN InService alone is not trusted: the promotion rolls back with UnexpectedEndpointState before any traffic moves', async () => {
  const endpointName = 'demo-silent'; // a hand-made blue serving v1 (world setup)
  world.aws.emulator.faults.silentRollback({ endpointName });
  const logFrom = world.aws.emulator.callLog.length;

  const promotion = await startPromotion(world, 'silent-1', promotionInput(endpointName, world.v2));
  const execution = await ended(world, promotion.executionArn);

  expect(execution).toMatchObject({ status: 'FAILED', error: 'PromotionRolledBack' });
  expect(execution.cause).toMatch(
    new RegExp(
      `^UnexpectedEndpointState: standUp: endpoint ${endpointName} is InService on config ${handMade(endpointName).config}, expected ${promotion.green.pairConfig}; SageMaker rolled the update back without a FailureReason`,
    ),
  );
  expect(execution.statesEntered).not.toContain('ValidateGreen');
  expect(world.aws.emulator.callLog.slice(logFrom).filter((c) => c.operation === 'UpdateEndpointWeightsAndCapacities')).toEqual([]);
  await expectBackOnBlue(world, promotion);
  expect(await historyRow(world, promotion)).toMatchObject({ outcome: 'rolled_back', reason: execution.cause, failedWith: 'UnexpectedEndpointState' });
}, 30000);

test('GIVEN green\'s fleet fails to provision WHEN it is stood up THEN SageMaker\'s FailureReason is the rollback reason and blue serves as before', async () => {
  const endpointName = 'demo-fleet'; // a hand-made blue serving v1 (world setup)
  const failure = 'The primary container for production variant v2 did not pass the ping health check. Please check CloudWatch logs for this endpoint.';
  world.aws.emulator.faults.failFleet({ modelNamePrefix: `${endpointName}-v2-`, reason: failure });

  const promotion = await startPromotion(world, 'fleet-1', promotionInput(endpointName, world.v2));
  const execution = await ended(world, promotion.executionArn);

  expect(execution).toMatchObject({ status: 'FAILED', error: 'PromotionRolledBack' });
  expect(execution.cause).toBe(
    `GreenNotInService: standUp: endpoint ${endpointName} is InService on config ${handMade(endpointName).config}, expected ${promotion.green.pairConfig}; SageMaker reports: ${failure}`,
  );
  expect(execution.statesEntered).not.toContain('ValidateGreen');
  await expectBackOnBlue(world, promotion);
  expect(await historyRow(world, promotion)).toMatchObject({
    outcome: 'rolled_back',
    reason: execution.cause,
    failedWith: 'GreenNotInService',
    cleanedUp: expect.arrayContaining([`config ${promotion.green.pairConfig}`, `config ${promotion.green.greenConfig}`, `model ${promotion.green.model}`]),
  });
}, 30000);

test('GIVEN green takes longer than the in-service deadline WHEN the deadline passes THEN the promotion waits out the update it cannot cancel, goes back to blue and ends PromotionRolledBack naming the deadline', async () => {
  const endpointName = 'demo-slow'; // a hand-made blue serving v1 (world setup)
  // Deadline 600 s = 20 polls. Green's update is held until the rollback has waited on it once, then finishes:
  // past the deadline and within the rollback's polls by construction, however a loaded machine stretches the polls.
  world.aws.emulator.faults.slowFleet({ modelNamePrefix: `${endpointName}-v2-`, provisioningMs: -1 });

  const promotion = await startPromotion(world, 'slow-1', promotionInput(endpointName, world.v2, { deadlines: { inServiceSeconds: 600 } }));
  await entered(world, promotion.executionArn, 'WaitForRollback');
  world.aws.emulator.faults.clear();
  const execution = await ended(world, promotion.executionArn);

  expect(execution).toMatchObject({ status: 'FAILED', error: 'PromotionRolledBack' });
  expect(execution.cause).toBe(`DeadlineExceeded: standUp: endpoint ${endpointName} still Updating after 20 polls (deadline)`);
  expect(execution.statesEntered).not.toContain('ValidateGreen');
  await expectBackOnBlue(world, promotion);
  expect(await historyRow(world, promotion)).toMatchObject({
    outcome: 'rolled_back',
    reason: execution.cause,
    rollbackActions: ['waiting: endpoint Updating', `endpoint back to blue config ${handMade(endpointName).config}`, 'waiting: endpoint Updating', `endpoint serves blue config ${handMade(endpointName).config}`],
  });
}, 30000);

test('GIVEN green\'s update outlasts what the rollback may wait WHEN the rollback gives up THEN it ends RollbackFailed, recorded with every resource it leaves behind, the lock released and blue still serving', async () => {
  const endpointName = 'demo-stuck'; // a hand-made blue serving v1 (world setup)
  // Deadline 120 s = 4 polls, so the rollback may wait 2 × 4 + 2 polls; green's update is held until the promotion has ended.
  world.aws.emulator.faults.slowFleet({ modelNamePrefix: `${endpointName}-v2-`, provisioningMs: -1 });

  const promotion = await startPromotion(world, 'stuck-1', promotionInput(endpointName, world.v2, { deadlines: { inServiceSeconds: 120 } }));
  const execution = await ended(world, promotion.executionArn);

  expect(execution).toMatchObject({ status: 'FAILED', error: 'RollbackFailed' });
  expect(execution.cause).toMatch(
    /^rollback did not complete \(endpoint demo-stuck did not get back to blue within 10 polls; last: waiting: endpoint Updating\) after DeadlineExceeded: standUp: endpoint demo-stuck still Updating after 4 polls \(deadline\); check the endpoint$/,
  );
  expect(await lockItem(world, endpointName)).toBeUndefined();
  const row = await historyRow(world, promotion);
  expect(row).toMatchObject({ outcome: 'failed', reason: execution.cause });

  // Once SageMaker finishes the update (released now), blue carries all traffic; green is still deployed beside it at weight 0.
  world.aws.emulator.faults.clear();
  await waitInService(world, endpointName);
  const endpoint = await describeEndpoint(world, endpointName);
  expect(endpoint.EndpointConfigName).toBe(promotion.green.pairConfig);
  expect(variantsOf(endpoint)).toEqual([
    { VariantName: 'AllTraffic', CurrentWeight: 1 },
    { VariantName: promotion.green.variant, CurrentWeight: 0 },
  ]);
  // What the stuck update still needs stays (the pair config and green's model); what nothing uses is deleted.
  const left = resourcesOf(world, endpointName);
  expect(left.models).toEqual(expect.arrayContaining([promotion.green.model]));
  expect(left.endpointConfigs).toEqual(expect.arrayContaining([promotion.green.pairConfig]));
  expect(left.endpointConfigs).not.toContain(promotion.green.greenConfig);
  // Nothing half-created is left behind without being recorded (DESIGN.md): the history names what is left, and why.
  expect(row?.cleanedUp).toEqual(expect.arrayContaining([`config ${promotion.green.greenConfig}`]));
  expect(row?.leftovers).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ resource: `model ${promotion.green.model}`, reason: 'still used by an endpoint' }),
      expect.objectContaining({ resource: `config ${promotion.green.pairConfig}`, reason: 'still used by an endpoint' }),
    ]),
  );
}, 30000);
