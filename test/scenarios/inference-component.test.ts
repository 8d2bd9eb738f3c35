import { PutMetricAlarmCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeInferenceComponentCommand, type DescribeInferenceComponentOutput } from '@aws-sdk/client-sagemaker';
import { UpdateInferenceComponentRuntimeConfigCommand } from '@aws-sdk/client-sagemaker';
import { ended, entered, eventually, historyRow, lockItem, promotionInput, settle, startPromotion, startWorld, type World } from './world';

/**
 * The component strategy on the local AWS (inference components: local/emulator/sagemaker/inference-components.ts):
 * green validated on a short-lived validation component of the same endpoint, then ONE
 * UpdateInferenceComponent with a rolling update (API_InferenceComponentRollingUpdatePolicy) and
 * SageMaker's auto-rollback on the guardrail alarms, watched to its end, then the bake.
 * Each endpoint: 2 × ml.g5.12xlarge, one GPU a copy (Seed.componentEndpoint), its component running v1's model.
 */
let world: World;

const ENDPOINTS = {
  promote: 'demo-ic-promote',
  invalid: 'demo-ic-invalid',
  alarm: 'demo-ic-alarm',
  deadline: 'demo-ic-deadline',
  zero: 'demo-ic-zero',
  several: 'demo-ic-several',
  one: 'demo-ic-one',
  bake: 'demo-ic-bake',
  outside: 'demo-ic-outside',
  full: 'demo-ic-full',
  batch: 'demo-ic-batch',
};
const components: Record<string, string> = {};

beforeAll(async () => {
  world = await startWorld([]);
  const copies: Record<string, number> = { promote: 4, invalid: 2, alarm: 4, deadline: 2, zero: 0, several: 2, one: 1, bake: 2, outside: 2, full: 4, batch: 6 };
  // full: 4 copies fill the 4 GPUs of ONE ml.g5.12xlarge (no room for a validation copy); batch: 6 copies on 8 GPUs
  // (room for the validation copy, not for the default rolling batch of 3).
  const instanceCount: Record<string, number> = { full: 1 };
  await Promise.all(
    Object.entries(ENDPOINTS).map(async ([key, endpointName]) => {
      components[key] = await world.seed.componentEndpoint(endpointName, world.v1, copies[key], { instanceCount: instanceCount[key] });
    }),
  );
  // A second component on the same endpoint: the promotion must be told which one.
  await world.seed.component(ENDPOINTS.several, `${ENDPOINTS.several}-other-ic`, `${ENDPOINTS.several}-handmade-model`, 2);
}, 60000);
afterEach(async () => settle(world));
afterAll(async () => world?.aws.close());

const componentInput = (endpointName: string, extra: Record<string, unknown> = {}) => {
  const { strategy: _variant, ...input } = promotionInput(endpointName, world.v2);
  return { ...input, ...extra };
};
const describe_ = (name: string): Promise<DescribeInferenceComponentOutput> => world.sagemaker.send(new DescribeInferenceComponentCommand({ InferenceComponentName: name }));
const calls = (operation: string, from: number, filter: (input: Record<string, unknown>) => boolean = () => true) =>
  world.aws.emulator.callLog.slice(from).filter((c) => c.operation === operation && filter(c.input as Record<string, unknown>));
const componentNames = () => world.aws.emulator.inspect().inferenceComponents;

test('GIVEN a component of 4 copies serving v1 WHEN v2 is promoted (component strategy) THEN a validation component answers the samples first and goes, ONE UpdateInferenceComponent rolls 2 copies at a time with the guardrail alarms, green serves all 4 copies, and a later promotion deletes the model it replaces', async () => {
  const endpointName = ENDPOINTS.promote;
  const component = components.promote!;
  const from = world.aws.emulator.callLog.length;
  const meterBefore = world.aws.emulator.meter().endpoints[endpointName]!;

  const promotion = await startPromotion(world, 'ic-promote-1', componentInput(endpointName));
  const execution = await ended(world, promotion.executionArn);

  expect(execution).toMatchObject({ status: 'SUCCEEDED' });
  // The validation component: green's specification, one copy, on the endpoint's variant, answered both samples, then deleted.
  const validation = promotion.green.validationComponent;
  expect(calls('CreateInferenceComponent', from)).toEqual([
    expect.objectContaining({
      input: expect.objectContaining({
        InferenceComponentName: validation,
        EndpointName: endpointName,
        VariantName: 'AllTraffic',
        RuntimeConfig: { CopyCount: 1 },
        // Blue's settings kept (compute, container environment), blue's model replaced by green's.
        Specification: { ModelName: promotion.green.model, Container: { Environment: { MAX_BATCH: '8' } }, ComputeResourceRequirements: { NumberOfAcceleratorDevicesRequired: 1, MinMemoryRequiredInMb: 1024 } },
      }),
    }),
  ]);
  expect(calls('InvokeEndpoint', from, (i) => i.InferenceComponentName === validation)).toHaveLength(2);
  expect(calls('InvokeEndpoint', from, (i) => i.InferenceComponentName === component)).toHaveLength(2); // the revalidation of the serving copies
  expect(calls('DeleteInferenceComponent', from, (i) => i.InferenceComponentName === validation).length).toBeGreaterThanOrEqual(1);
  await eventually(() => !(validation in componentNames()), 'the validation component to be gone');
  // ONE update, rolling 2 of 4 copies per batch (the largest batch within 50%), SageMaker watching green's alarms and the abort alarm.
  const updates = calls('UpdateInferenceComponent', from);
  expect(updates).toHaveLength(1);
  expect(updates[0]!.input).toMatchObject({
    InferenceComponentName: component,
    Specification: { ModelName: promotion.green.model },
    DeploymentConfig: {
      RollingUpdatePolicy: { MaximumBatchSize: { Type: 'COPY_COUNT', Value: 2 }, WaitIntervalInSeconds: 300 },
      AutoRollbackConfiguration: { Alarms: [{ AlarmName: `${promotion.green.alarmPrefix}-5xx` }, { AlarmName: `${promotion.green.alarmPrefix}-latency` }, { AlarmName: `${promotion.green.alarmPrefix}-abort` }] },
    },
  });
  const after = await describe_(component);
  expect(after).toMatchObject({ InferenceComponentStatus: 'InService', Specification: { ModelName: promotion.green.model }, RuntimeConfig: { DesiredCopyCount: 4, CurrentCopyCount: 4 } });
  expect(after.FailureReason).toBeUndefined();
  // No endpoint update and no new fleet: copies run on the endpoint's instances.
  expect(calls('UpdateEndpoint', from, (i) => i.EndpointName === endpointName)).toHaveLength(0);
  expect(world.aws.emulator.meter().endpoints[endpointName]!.provisioningCycles).toBe(meterBefore.provisioningCycles);
  // Blue's hand-made model predates the tool: kept, with the reason.
  const row = await historyRow(world, promotion);
  expect(row).toMatchObject({ outcome: 'promoted' });
  expect(await lockItem(world, endpointName)).toBeUndefined();

  // A second promotion replaces the first one's green model, which the tool created: nothing runs it any more, so it goes.
  const second = await startPromotion(world, 'ic-promote-2', componentInput(endpointName));
  expect(await ended(world, second.executionArn)).toMatchObject({ status: 'SUCCEEDED' });
  expect(await describe_(component)).toMatchObject({ Specification: { ModelName: second.green.model } });
  const models = Object.keys(world.aws.emulator.inspect().models);
  expect(models).not.toContain(promotion.green.model);
  expect(models).toEqual(expect.arrayContaining([second.green.model, `${endpointName}-handmade-model`]));
}, 60000);

test('GIVEN green answers 500 WHEN it is validated on the validation component THEN the target component is never updated, the validation component is gone and the promotion ends PromotionFailed naming it', async () => {
  const endpointName = ENDPOINTS.invalid;
  world.aws.emulator.faults.variantErrors({ endpointName, modelPackageVersion: 2, statusCode: 500 });
  const from = world.aws.emulator.callLog.length;
  const promotion = await startPromotion(world, 'ic-invalid-1', componentInput(endpointName));
  const execution = await ended(world, promotion.executionArn);

  expect(execution).toMatchObject({ status: 'FAILED', error: 'PromotionFailed' });
  expect(execution.cause).toMatch(`GreenValidationFailed: green (validation component ${promotion.green.validationComponent}) failed 2 of 2 validation requests`);
  expect(calls('UpdateInferenceComponent', from)).toHaveLength(0);
  expect(await describe_(components.invalid!)).toMatchObject({ InferenceComponentStatus: 'InService', Specification: { ModelName: `${endpointName}-handmade-model` }, RuntimeConfig: { CurrentCopyCount: 2 } });
  // Deleted by the cleanup (Deleting, then gone).
  expect(calls('DeleteInferenceComponent', from, (i) => i.InferenceComponentName === promotion.green.validationComponent)).toHaveLength(1);
  await eventually(() => !(promotion.green.validationComponent in componentNames()), 'the validation component to be gone');
  // Green's model is the promotion's own and nothing runs it: deleted.
  expect(Object.keys(world.aws.emulator.inspect().models)).not.toContain(promotion.green.model);
  expect(await historyRow(world, promotion)).toMatchObject({ outcome: 'failed' });
}, 30000);

test("GIVEN a guardrail alarm WHEN it fires during the rolling update THEN SageMaker rolls the component back to blue's copies (AutoRollbackConfiguration) and the promotion ends PromotionRolledBack naming the alarm", async () => {
  const endpointName = ENDPOINTS.alarm;
  const alarmName = `${endpointName}-team-errors`;
  await world.cloudwatch.send(
    new PutMetricAlarmCommand({ AlarmName: alarmName, Namespace: 'Team', MetricName: 'Errors', Statistic: 'Sum', Period: 60, EvaluationPeriods: 1, Threshold: 1, ComparisonOperator: 'GreaterThanThreshold' }),
  );
  const from = world.aws.emulator.callLog.length;
  const promotion = await startPromotion(world, 'ic-alarm-1', componentInput(endpointName, { guardrailAlarmNames: [alarmName], rollingUpdate: { maximumBatchCopies: 1, waitSeconds: 600 } }));
  await eventually(async () => (await describe_(components.alarm!)).InferenceComponentStatus === 'Updating', 'the rolling update to start');
  await eventually(async () => ((await describe_(components.alarm!)).RuntimeConfig?.CurrentCopyCount ?? 0) > 0 && calls('UpdateInferenceComponent', from).length === 1, 'the first batch');
  await world.cloudwatch.send(new SetAlarmStateCommand({ AlarmName: alarmName, StateValue: 'ALARM', StateReason: 'team errors above 1' }));
  const execution = await ended(world, promotion.executionArn);

  expect(execution).toMatchObject({ status: 'FAILED', error: 'PromotionRolledBack' });
  expect(execution.cause).toMatch(new RegExp(`GuardrailAlarm: .*${alarmName}`));
  // SageMaker rolled back itself: the workflow sent no second update.
  expect(calls('UpdateInferenceComponent', from)).toHaveLength(1);
  expect(calls('UpdateInferenceComponent', from)[0]!.input).toMatchObject({ DeploymentConfig: { RollingUpdatePolicy: { MaximumBatchSize: { Type: 'COPY_COUNT', Value: 1 }, WaitIntervalInSeconds: 600 } } });
  const after = await describe_(components.alarm!);
  expect(after).toMatchObject({ InferenceComponentStatus: 'InService', Specification: { ModelName: `${endpointName}-handmade-model` }, RuntimeConfig: { CurrentCopyCount: 4 } });
  expect(after.FailureReason).toMatch(alarmName);
  expect(Object.keys(world.aws.emulator.inspect().models)).not.toContain(promotion.green.model);
  expect(await historyRow(world, promotion)).toMatchObject({ outcome: 'rolled_back' });
}, 30000);

test('GIVEN the validation component never comes up WHEN the in-service deadline passes THEN the promotion ends PromotionFailed (DeadlineExceeded), the target untouched and the validation component deleted', async () => {
  const endpointName = ENDPOINTS.deadline;
  const from = world.aws.emulator.callLog.length;
  const input = componentInput(endpointName, { deadlines: { inServiceSeconds: 600 } });
  const promotion = await startPromotion(world, 'ic-deadline-1', input);
  world.aws.emulator.faults.slowFleet({ modelName: promotion.green.model, provisioningMs: 120_000 });
  const execution = await ended(world, promotion.executionArn);

  expect(execution).toMatchObject({ status: 'FAILED', error: 'PromotionFailed' });
  expect(execution.cause).toMatch(/DeadlineExceeded: standUp: inference component .* still Creating/);
  expect(calls('UpdateInferenceComponent', from)).toHaveLength(0);
  expect(calls('DeleteInferenceComponent', from, (i) => i.InferenceComponentName === promotion.green.validationComponent)).toHaveLength(1);
  expect(await describe_(components.deadline!)).toMatchObject({ InferenceComponentStatus: 'InService', Specification: { ModelName: `${endpointName}-handmade-model` } });
}, 30000);

test('GIVEN a component scaled to zero copies WHEN a promotion names it THEN it is refused before the lock with the reason and the fix', async () => {
  const promotion = await startPromotion(world, 'ic-zero-1', componentInput(ENDPOINTS.zero));
  const execution = await ended(world, promotion.executionArn);
  expect(execution).toMatchObject({ status: 'FAILED', error: 'InvalidPromotionInput' });
  expect(execution.cause).toMatch(`inferenceComponentName: ${components.zero} runs 0 copies (scaled to zero)`);
  expect(execution.cause).toMatch(/scale it up/);
  expect(await lockItem(world, ENDPOINTS.zero)).toBeUndefined();
});

test('GIVEN an endpoint hosting two components WHEN no inferenceComponentName is given THEN the refusal names both', async () => {
  const promotion = await startPromotion(world, 'ic-several-1', componentInput(ENDPOINTS.several));
  const execution = await ended(world, promotion.executionArn);
  expect(execution).toMatchObject({ status: 'FAILED', error: 'InvalidPromotionInput' });
  expect(execution.cause).toMatch(`inferenceComponentName: ${ENDPOINTS.several} hosts 2 inference components`);
  expect(execution.cause).toMatch(components.several!);
  expect(execution.cause).toMatch(`${ENDPOINTS.several}-other-ic`);
});

test('GIVEN a component of one copy WHEN v2 is promoted THEN it is updated WITHOUT DeploymentConfig (no whole batch is within 50% of one copy), the workflow bakes it, and green serves its copy', async () => {
  const endpointName = ENDPOINTS.one;
  const from = world.aws.emulator.callLog.length;
  const promotion = await startPromotion(world, 'ic-one-1', componentInput(endpointName));
  const execution = await ended(world, promotion.executionArn);

  expect(execution).toMatchObject({ status: 'SUCCEEDED' });
  const updates = calls('UpdateInferenceComponent', from);
  expect(updates).toHaveLength(1);
  expect(updates[0]!.input).not.toHaveProperty('DeploymentConfig');
  expect(await describe_(components.one!)).toMatchObject({ InferenceComponentStatus: 'InService', Specification: { ModelName: promotion.green.model }, RuntimeConfig: { CurrentCopyCount: 1 } });
  expect(execution.statesEntered).toEqual(expect.arrayContaining(['ShiftTraffic', 'Bake', 'CheckGuardrails', 'RevalidateGreen', 'CleanupBlue']));
}, 30000);

test("GIVEN green serves every copy WHEN a guardrail alarm fires during the workflow's bake THEN the rollback updates the component back to blue's specification (all copies at once) and the promotion ends PromotionRolledBack", async () => {
  const endpointName = ENDPOINTS.bake;
  const alarmName = `${endpointName}-team-errors`;
  await world.cloudwatch.send(
    new PutMetricAlarmCommand({ AlarmName: alarmName, Namespace: 'Team', MetricName: 'Errors', Statistic: 'Sum', Period: 60, EvaluationPeriods: 1, Threshold: 1, ComparisonOperator: 'GreaterThanThreshold' }),
  );
  const from = world.aws.emulator.callLog.length;
  const promotion = await startPromotion(world, 'ic-bake-1', componentInput(endpointName, { guardrailAlarmNames: [alarmName], bakeSeconds: 6000 }));
  await entered(world, promotion.executionArn, 'Bake');
  expect(await describe_(components.bake!)).toMatchObject({ InferenceComponentStatus: 'InService', Specification: { ModelName: promotion.green.model } });
  await world.cloudwatch.send(new SetAlarmStateCommand({ AlarmName: alarmName, StateValue: 'ALARM', StateReason: 'team errors above 1' }));
  const execution = await ended(world, promotion.executionArn);

  expect(execution).toMatchObject({ status: 'FAILED', error: 'PromotionRolledBack' });
  expect(execution.cause).toMatch(alarmName);
  const updates = calls('UpdateInferenceComponent', from);
  expect(updates).toHaveLength(2);
  // Back to blue's specification as DescribeInferenceComponent gave it, without a rolling update.
  expect(updates[1]!.input).toEqual({
    InferenceComponentName: components.bake,
    Specification: { ModelName: `${endpointName}-handmade-model`, Container: { Environment: { MAX_BATCH: '8' } }, ComputeResourceRequirements: { NumberOfAcceleratorDevicesRequired: 1, MinMemoryRequiredInMb: 1024 } },
  });
  expect(await describe_(components.bake!)).toMatchObject({ InferenceComponentStatus: 'InService', Specification: { ModelName: `${endpointName}-handmade-model` }, RuntimeConfig: { CurrentCopyCount: 2 } });
  expect(Object.keys(world.aws.emulator.inspect().models)).not.toContain(promotion.green.model);
  expect(await historyRow(world, promotion)).toMatchObject({ outcome: 'rolled_back' });
}, 30000);

test("GIVEN the bake WHEN someone else changes the component's copy count THEN the promotion ends interrupted, naming the change, and never undoes it", async () => {
  const endpointName = ENDPOINTS.outside;
  const from = world.aws.emulator.callLog.length;
  const promotion = await startPromotion(world, 'ic-outside-1', componentInput(endpointName, { bakeSeconds: 1500 }));
  await entered(world, promotion.executionArn, 'Bake');
  await world.sagemaker.send(new UpdateInferenceComponentRuntimeConfigCommand({ InferenceComponentName: components.outside, DesiredRuntimeConfig: { CopyCount: 3 } }));
  const execution = await ended(world, promotion.executionArn);

  expect(execution).toMatchObject({ status: 'FAILED', error: 'PromotionInterrupted' });
  expect(execution.cause).toMatch(`inference component ${components.outside} wants 3 copies, expected 2`);
  // Their change stands: green's model on their 3 copies, no update from the workflow after the switch.
  expect(calls('UpdateInferenceComponent', from)).toHaveLength(1);
  await world.seed.componentInService(components.outside!);
  expect(await describe_(components.outside!)).toMatchObject({ Specification: { ModelName: promotion.green.model }, RuntimeConfig: { DesiredCopyCount: 3, CurrentCopyCount: 3 } });
  expect(await historyRow(world, promotion)).toMatchObject({ outcome: 'interrupted' });
}, 30000);

test("GIVEN blue's 4 copies fill the endpoint's one ml.g5.12xlarge WHEN v2 is promoted THEN the validation copy cannot be placed: PromotionFailed before any user traffic, naming the capacity and the fixes, the target untouched and the validation component deleted", async () => {
  const endpointName = ENDPOINTS.full;
  const from = world.aws.emulator.callLog.length;
  const promotion = await startPromotion(world, 'ic-full-1', componentInput(endpointName));
  const execution = await ended(world, promotion.executionArn);

  expect(execution).toMatchObject({ status: 'FAILED', error: 'PromotionFailed' });
  expect(execution.cause).toMatch(`GreenNotInService: standUp: inference component ${promotion.green.validationComponent} is Failed: Insufficient capacity`);
  // The fixes, in the workflow's words (AWS's FailureReason wording is not documented).
  expect(execution.cause).toMatch(/add instances to the variant, enable ManagedInstanceScaling .*, or set validation\.mode off/);
  // Before any user traffic: the target was never updated and still runs blue's 4 copies.
  expect(calls('UpdateInferenceComponent', from)).toHaveLength(0);
  expect(calls('InvokeEndpoint', from, (i) => i.InferenceComponentName === components.full)).toHaveLength(0);
  expect(await describe_(components.full!)).toMatchObject({ InferenceComponentStatus: 'InService', Specification: { ModelName: `${endpointName}-handmade-model` }, RuntimeConfig: { DesiredCopyCount: 4, CurrentCopyCount: 4 } });
  expect(calls('DeleteInferenceComponent', from, (i) => i.InferenceComponentName === promotion.green.validationComponent)).toHaveLength(1);
  await eventually(() => !(promotion.green.validationComponent in componentNames()), 'the validation component to be gone');
  expect(await historyRow(world, promotion)).toMatchObject({ outcome: 'failed' });
  expect(await lockItem(world, endpointName)).toBeUndefined();
}, 30000);

test("GIVEN room for the validation copy but not for a rolling batch of 3 beside blue's 6 copies WHEN v2 is promoted THEN SageMaker rolls the update back, blue's copies serve, and the promotion ends naming the capacity and the fixes", async () => {
  const endpointName = ENDPOINTS.batch;
  const from = world.aws.emulator.callLog.length;
  const promotion = await startPromotion(world, 'ic-batch-1', componentInput(endpointName));
  const execution = await ended(world, promotion.executionArn);

  expect(execution).toMatchObject({ status: 'FAILED', error: 'PromotionRolledBack' });
  // The validation copy fitted (7 of 8 GPUs) and answered; the first batch (6 + 3 > 8) did not.
  expect(calls('InvokeEndpoint', from, (i) => i.InferenceComponentName === promotion.green.validationComponent)).toHaveLength(2);
  expect(calls('UpdateInferenceComponent', from)).toHaveLength(1);
  expect(calls('UpdateInferenceComponent', from)[0]!.input).toMatchObject({ DeploymentConfig: { RollingUpdatePolicy: { MaximumBatchSize: { Type: 'COPY_COUNT', Value: 3 } } } });
  expect(execution.cause).toMatch(`GreenNotInService: shift: inference component ${components.batch} is InService on model ${endpointName}-handmade-model`);
  expect(execution.cause).toMatch(/SageMaker reports: Insufficient capacity: 3 copies of inference component/);
  expect(execution.cause).toMatch(/add instances to the variant, enable ManagedInstanceScaling .*, or a smaller rollingUpdate\.maximumBatchCopies/);
  const after = await describe_(components.batch!);
  expect(after).toMatchObject({ InferenceComponentStatus: 'InService', Specification: { ModelName: `${endpointName}-handmade-model` }, RuntimeConfig: { DesiredCopyCount: 6, CurrentCopyCount: 6 } });
  expect(after.FailureReason).toMatch(/^Insufficient capacity/);
  expect(Object.keys(world.aws.emulator.inspect().models)).not.toContain(promotion.green.model);
  expect(await historyRow(world, promotion)).toMatchObject({ outcome: 'rolled_back' });
  expect(await lockItem(world, endpointName)).toBeUndefined();
}, 30000);
