import { DescribeScalableTargetsCommand, RegisterScalableTargetCommand, ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { readLock, requestAbort } from '../../lambdas/shared/locks';
import {
  describeEndpoint,
  ended,
  entered,
  eventually,
  expectBackOnBlue,
  handMade,
  historyRow,
  lockItem,
  promotionInput,
  resourcesOf,
  settle,
  startPromotion,
  startWorld,
  Traffic,
  variantsOf,
  type World,
} from './world';

/**
 * The guardrails strategy on the local AWS: green validated on a short-lived validation endpoint,
 * then ONE UpdateEndpoint with SageMaker's deployment guardrails (blue/green, the variant name
 * kept, the bake as termination wait, auto-rollback on the guardrail alarms), watched to its end.
 * Blue = 2 × ml.m5.large (Seed.blueEndpoint); the local clock runs 600×.
 */
let world: World;

const BLUES = ['demo-g-promote', 'demo-g-invalid', 'demo-g-canary', 'demo-g-termination', 'demo-g-abort', 'demo-g-scaled', 'demo-g-long', 'demo-g-deadline'];

beforeAll(async () => {
  world = await startWorld(BLUES);
}, 60000);
afterEach(async () => settle(world));
afterAll(async () => world?.aws.close());

const guardrails = (endpointName: string, extra: Record<string, unknown> = {}) => ({ ...promotionInput(endpointName, world.v2), strategy: 'guardrails', ...extra });

const meterOf = (endpointName: string) => world.aws.emulator.meter().endpoints[endpointName]!;
const greenServes = (endpointName: string, share = 0) => () =>
  meterOf(endpointName).fleets.some((f) => f.trafficShare > share && f.variants.some((v) => v.modelPackageVersion === 2));
const mainUpdates = (endpointName: string, from: number) =>
  world.aws.emulator.callLog.slice(from).filter((c) => c.operation === 'UpdateEndpoint' && (c.input as { EndpointName?: string }).EndpointName === endpointName);

test('GIVEN blue serves v1 WHEN v2 is promoted with guardrails THEN a validation endpoint checks green first, ONE UpdateEndpoint with deployment guardrails moves traffic, the variant name is kept, the serving fleet is validated too, and nothing is left behind', async () => {
  const endpointName = 'demo-g-promote';
  const from = world.aws.emulator.callLog.length;
  const cyclesBefore = meterOf(endpointName).provisioningCycles;
  const traffic = new Traffic(world, endpointName);

  const promotion = await startPromotion(world, 'g-promote-1', guardrails(endpointName));
  const execution = await ended(world, promotion.executionArn);
  const outcomes = await traffic.stop();

  expect(execution).toMatchObject({ status: 'SUCCEEDED' });
  const endpoint = await describeEndpoint(world, endpointName);
  expect(endpoint).toMatchObject({ EndpointStatus: 'InService', EndpointConfigName: promotion.green.greenConfig });
  expect(variantsOf(endpoint)).toEqual([{ VariantName: 'AllTraffic', CurrentWeight: 1 }]);
  // One UpdateEndpoint on the promoted endpoint, with SageMaker's blue/green and the alarms for auto-rollback.
  const updates = mainUpdates(endpointName, from);
  expect(updates).toHaveLength(1);
  expect(updates[0]!.input).toMatchObject({
    EndpointConfigName: promotion.green.greenConfig,
    DeploymentConfig: {
      BlueGreenUpdatePolicy: { TrafficRoutingConfiguration: { Type: 'ALL_AT_ONCE' }, TerminationWaitInSeconds: 300 },
      AutoRollbackConfiguration: {
        Alarms: [{ AlarmName: `${promotion.green.alarmPrefix}-5xx` }, { AlarmName: `${promotion.green.alarmPrefix}-latency` }, { AlarmName: `${promotion.green.alarmPrefix}-abort` }],
      },
    },
  });
  // The validation endpoint ran green's model on one instance, answered the samples before any user request, and is gone.
  const validation = meterOf(promotion.green.validationEndpoint);
  expect(validation.provisioningCycles).toBe(1);
  expect(validation.fleets[0]).toMatchObject({ status: 'Terminated', targetedInvocations: 2 });
  expect(validation.fleets[0]!.variants[0]).toMatchObject({ instances: 0, modelPackageVersion: 2 });
  expect(Object.keys(world.aws.emulator.inspect().endpoints)).not.toContain(promotion.green.validationEndpoint);
  // One fleet for green on the promoted endpoint; it is the one serving, and it answered the samples too.
  expect(meterOf(endpointName).provisioningCycles - cyclesBefore).toBe(1);
  const serving = meterOf(endpointName).fleets.filter((f) => f.status === 'InService');
  expect(serving).toHaveLength(1);
  expect(serving[0]!.targetedInvocations).toBe(2);
  expect(outcomes).toEqual({ ok: expect.any(Number), modelErrors: 0, other: [] });
  // Blue's hand-made model and config predate the tool: kept, with the reason in the history (cleanup never deletes what it did not create).
  const blue = handMade(endpointName);
  expect(resourcesOf(world, endpointName)).toEqual({ models: [blue.model, promotion.green.model].sort(), endpointConfigs: [blue.config, promotion.green.greenConfig].sort(), alarms: [] });
  expect(await lockItem(world, endpointName)).toBeUndefined();
  expect(await historyRow(world, promotion)).toMatchObject({ outcome: 'promoted' });
  expect(execution.statesEntered).toEqual(expect.arrayContaining(['StandUpGreen', 'ValidateGreen', 'ArmGuardrails', 'ShiftTraffic', 'RevalidateGreen', 'CleanupBlue', 'Promoted']));
  expect(execution.statesEntered).not.toContain('RollBack');
}, 30000);

test('GIVEN green answers 500 WHEN it is validated on the validation endpoint THEN no user request ever reaches it, blue is untouched and the promotion ends PromotionFailed naming the request', async () => {
  const endpointName = 'demo-g-invalid';
  world.aws.emulator.faults.variantErrors({ endpointName: 'demo-g-invalid-v2-', modelPackageVersion: 2, statusCode: 500 });
  const from = world.aws.emulator.callLog.length;
  const promotion = await startPromotion(world, 'g-invalid-1', guardrails(endpointName));
  // The fault is per endpoint name: put it on the validation endpoint, which the names make known in advance.
  world.aws.emulator.faults.variantErrors({ endpointName: promotion.green.validationEndpoint, modelPackageVersion: 2, statusCode: 500 });
  const execution = await ended(world, promotion.executionArn);

  expect(execution).toMatchObject({ status: 'FAILED', error: 'PromotionFailed' });
  expect(execution.cause).toMatch(new RegExp(`^GreenValidationFailed: green \\(validation endpoint ${promotion.green.validationEndpoint}\\) failed 2 of 2 validation requests: typical-customer: status 500`));
  expect(mainUpdates(endpointName, from)).toHaveLength(0);
  expect(meterOf(endpointName).fleets.map((f) => f.variants[0]?.modelPackageVersion)).not.toContain(2);
  await expectBackOnBlue(world, { endpointName });
  await eventually(() => !Object.keys(world.aws.emulator.inspect().endpoints).includes(promotion.green.validationEndpoint), 'the validation endpoint to be deleted');
  expect(await historyRow(world, promotion)).toMatchObject({ outcome: 'failed' });
}, 30000);

test('GIVEN a CANARY deployment WHEN green\'s 5xx alarm fires during the canary step THEN SageMaker moves traffic back to blue\'s fleet (no new fleet) and the promotion ends PromotionRolledBack naming the alarm', async () => {
  const endpointName = 'demo-g-canary';
  const traffic = new Traffic(world, endpointName);
  const promotion = await startPromotion(world, 'g-canary-1', guardrails(endpointName, { traffic: { type: 'CANARY', percent: 50, waitSeconds: 600 } }));
  await eventually(greenServes(endpointName), 'the canary step');
  expect(meterOf(endpointName).fleets.find((f) => f.variants[0]?.modelPackageVersion === 2)?.trafficShare).toBe(0.5);
  const cycles = meterOf(endpointName).provisioningCycles;
  world.aws.emulator.faults.variantErrors({ endpointName, modelPackageVersion: 2, statusCode: 503 });
  const execution = await ended(world, promotion.executionArn);
  const outcomes = await traffic.stop();

  expect(execution).toMatchObject({ status: 'FAILED', error: 'PromotionRolledBack' });
  // SageMaker's auto-rollback and the workflow's alarm trigger race to it; either way the alarm is named.
  expect(execution.cause).toMatch(new RegExp(`^GuardrailAlarm: .*${promotion.green.alarmPrefix}-5xx`));
  expect(meterOf(endpointName).provisioningCycles).toBe(cycles);
  await expectBackOnBlue(world, { endpointName });
  expect(outcomes.other).toEqual([]);
  expect(await historyRow(world, promotion)).toMatchObject({ outcome: 'rolled_back' });
}, 30000);

test('GIVEN ALL_AT_ONCE WHEN green\'s 5xx alarm fires during the termination wait (the bake SageMaker watches) THEN blue\'s fleet, still there, takes the traffic back without re-provisioning', async () => {
  const endpointName = 'demo-g-termination';
  const traffic = new Traffic(world, endpointName);
  const promotion = await startPromotion(world, 'g-termination-1', guardrails(endpointName));
  await eventually(greenServes(endpointName, 0.99), 'all traffic on green');
  const cycles = meterOf(endpointName).provisioningCycles;
  world.aws.emulator.faults.variantErrors({ endpointName, modelPackageVersion: 2, statusCode: 500 });
  const execution = await ended(world, promotion.executionArn);
  await traffic.stop();

  expect(execution).toMatchObject({ status: 'FAILED', error: 'PromotionRolledBack' });
  // SageMaker's auto-rollback and the workflow's alarm trigger race to it; either way blue's fleet takes the traffic back.
  expect(execution.cause).toMatch(/^GuardrailAlarm: .*-5xx/);
  expect(meterOf(endpointName).provisioningCycles).toBe(cycles);
  await expectBackOnBlue(world, { endpointName });
}, 30000);

test('GIVEN SageMaker is deploying green WHEN an operator aborts THEN the workflow sets the abort alarm to ALARM, SageMaker rolls back, and the reason is the operator\'s', async () => {
  const endpointName = 'demo-g-abort';
  const promotion = await startPromotion(world, 'g-abort-1', guardrails(endpointName, { traffic: { type: 'CANARY', percent: 50, waitSeconds: 1200 } }));
  await eventually(greenServes(endpointName), 'the canary step');
  const lock = await readLock(world.dynamo, world.aws.tableName, endpointName);
  await requestAbort({ dynamo: world.dynamo, sfn: world.sfn }, world.aws.tableName, lock!, { error: 'PromotionAborted', reason: 'conversion dropped', by: 'jane', at: new Date().toISOString() } as never);
  const execution = await ended(world, promotion.executionArn);

  expect(execution).toMatchObject({ status: 'FAILED', error: 'PromotionRolledBack' });
  expect(execution.cause).toMatch(/^PromotionAborted: conversion dropped/);
  const alarms = await world.cloudwatch.send(new DescribeAlarmsCommand({ AlarmNamePrefix: promotion.green.alarmPrefix }));
  expect(alarms.MetricAlarms ?? []).toEqual([]); // the abort alarm served and was deleted with green's
  const row = await historyRow(world, promotion);
  expect(JSON.stringify(row)).toContain(`abort alarm ${promotion.green.alarmPrefix}-abort set to ALARM`);
  await expectBackOnBlue(world, { endpointName });
}, 30000);

test('GIVEN blue autoscales WHEN green is promoted with guardrails THEN the scalable target stays on the variant (same name), with its min and max', async () => {
  const endpointName = 'demo-g-scaled';
  const aas = new ApplicationAutoScalingClient({});
  const resourceId = `endpoint/${endpointName}/variant/AllTraffic`;
  await aas.send(
    new RegisterScalableTargetCommand({ ServiceNamespace: 'sagemaker', ResourceId: resourceId, ScalableDimension: 'sagemaker:variant:DesiredInstanceCount', MinCapacity: 2, MaxCapacity: 4 }),
  );
  const promotion = await startPromotion(world, 'g-scaled-1', guardrails(endpointName));
  const execution = await ended(world, promotion.executionArn);

  expect(execution).toMatchObject({ status: 'SUCCEEDED' });
  const targets = await aas.send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'sagemaker', ResourceIds: [resourceId] }));
  expect(targets.ScalableTargets).toEqual([expect.objectContaining({ ResourceId: resourceId, MinCapacity: 2, MaxCapacity: 4 })]);
  aas.destroy();
}, 30000);

test('GIVEN a bake longer than SageMaker\'s 3600 s termination wait WHEN an alarm fires after it THEN the workflow\'s own bake rolls back with an UpdateEndpoint to blue (a new fleet)', async () => {
  const endpointName = 'demo-g-long';
  const traffic = new Traffic(world, endpointName);
  const promotion = await startPromotion(world, 'g-long-1', guardrails(endpointName, { bakeSeconds: 5400 }));
  await entered(world, promotion.executionArn, 'Bake');
  const cycles = meterOf(endpointName).provisioningCycles;
  world.aws.emulator.faults.variantErrors({ endpointName, modelPackageVersion: 2, statusCode: 500 });
  const execution = await ended(world, promotion.executionArn);
  await traffic.stop();

  expect(execution).toMatchObject({ status: 'FAILED', error: 'PromotionRolledBack' });
  expect(execution.cause).toMatch(/^GuardrailAlarm: guardrail alarm .*-5xx is in ALARM/);
  expect(meterOf(endpointName).provisioningCycles).toBe(cycles + 1);
  const endpoint = await describeEndpoint(world, endpointName);
  expect(endpoint).toMatchObject({ EndpointStatus: 'InService', EndpointConfigName: handMade(endpointName).config });
}, 30000);

test('GIVEN green\'s fleet never gets InService WHEN the deadline passes THEN the workflow aborts SageMaker\'s deployment and blue keeps serving', async () => {
  const endpointName = 'demo-g-deadline';
  const promotion = await startPromotion(world, 'g-deadline-1', guardrails(endpointName, { deadlines: { inServiceSeconds: 600 }, validation: { mode: 'off', samples: [{ body: '{}' }] } }));
  world.aws.emulator.faults.slowFleet({ modelName: promotion.green.model, provisioningMs: world.aws.ms(3600) });
  const execution = await ended(world, promotion.executionArn);

  expect(execution).toMatchObject({ status: 'FAILED', error: 'PromotionRolledBack' });
  expect(execution.cause).toMatch(/^DeadlineExceeded: shift/);
  const endpoint = await describeEndpoint(world, endpointName);
  expect(endpoint).toMatchObject({ EndpointStatus: 'InService', EndpointConfigName: handMade(endpointName).config });
}, 30000);
