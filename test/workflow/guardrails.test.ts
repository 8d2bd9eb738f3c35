import { PutMetricAlarmCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { CreateEndpointCommand, CreateEndpointConfigCommand, DeleteEndpointCommand, UpdateEndpointCommand, UpdateEndpointWeightsAndCapacitiesCommand } from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import { greenNames } from '../../lambdas/shared/naming';
import { loadHandlers, startExecution } from '../../local/executor';
import { alarmRollbackReason, mockAws, packageArn, type Knobs } from '../support/mock-aws';
import { applyFunctionEnvironment, synthesizedWorkflow } from '../support/workflow';

/**
 * The guardrails strategy on the synthesized state machine, run by aws-local-stepfunctions with
 * the real handlers and the SDK mocked: green validated on a short-lived validation endpoint, then
 * ONE UpdateEndpoint with SageMaker's DeploymentConfig. Assertions are on SDK calls and outcomes,
 * not on the states entered or how often a wait looks, so they hold however the waits are built.
 */
const workflow = synthesizedWorkflow();
applyFunctionEnvironment(workflow);
const handlers = loadHandlers();

const ENDPOINT = 'churn-prediction';
const ID = 'promotion-1';
const green = greenNames(ENDPOINT, 2, ID);
const abortAlarm = `${green.alarmPrefix}-abort`;

const input = (version: number, extra: Record<string, unknown> = {}) => ({
  endpointName: ENDPOINT,
  modelPackageArn: packageArn(version),
  strategy: 'guardrails',
  bakeSeconds: 120,
  validation: { samples: [{ name: 'typical-customer', body: '{"tenure": 12}', expectContains: 'churn' }] },
  ...extra,
});

async function run(knobs: Knobs, promotionInput: unknown, given: 'blue' | 'nothing' = 'blue') {
  const aws = mockAws(knobs);
  if (given === 'blue') aws.givenBlue();
  const result = await startExecution(workflow, { input: promotionInput, name: ID, handlers }).result;
  return { aws, result };
}

type Aws = ReturnType<typeof mockAws>;
const history = (aws: Aws) => [...aws.table.values()].find((i) => String(i.sk).startsWith('PROMOTION#'));
/** The UpdateEndpoint calls on the promoted endpoint, as sent. */
const updatesOfPromoted = (aws: Aws) =>
  aws.sagemaker.commandCalls(UpdateEndpointCommand).map((c) => c.args[0].input).filter((i) => i.EndpointName === ENDPOINT);

describe('guardrails workflow (synthesized definition, mocked SDK)', () => {
  test('GIVEN blue serves v1 WHEN v2 is promoted with guardrails THEN green is validated on a validation endpoint, ONE UpdateEndpoint with deployment guardrails moves traffic, the serving fleet is validated again and nothing is left behind', async () => {
    const { aws, result } = await run({}, input(2));

    expect(result.status).toBe('SUCCEEDED');
    // The validation endpoint: created from the validation config, asked the samples, deleted.
    expect(aws.sagemaker).toHaveReceivedCommandWith(CreateEndpointCommand, { EndpointName: green.validationEndpoint, EndpointConfigName: green.validationConfig });
    expect(aws.sagemaker).toHaveReceivedCommandTimes(CreateEndpointCommand, 1);
    expect(aws.sagemaker).toHaveReceivedCommandWith(CreateEndpointConfigCommand, {
      EndpointConfigName: green.validationConfig,
      ProductionVariants: [expect.objectContaining({ VariantName: 'AllTraffic', InitialInstanceCount: 1, ModelName: green.model })],
    });
    expect(aws.runtime).toHaveReceivedCommandWith(InvokeEndpointCommand, { EndpointName: green.validationEndpoint, TargetVariant: 'AllTraffic' });
    expect(aws.sagemaker).toHaveReceivedCommandWith(DeleteEndpointCommand, { EndpointName: green.validationEndpoint });
    expect(aws.endpoints.has(green.validationEndpoint)).toBe(false);
    // ONE UpdateEndpoint on the promoted endpoint, to green's config, with SageMaker's blue/green and the alarms.
    const updates = updatesOfPromoted(aws);
    expect(updates).toHaveLength(1);
    expect(updates[0]).toMatchObject({
      EndpointConfigName: green.greenConfig,
      DeploymentConfig: {
        BlueGreenUpdatePolicy: { TrafficRoutingConfiguration: { Type: 'ALL_AT_ONCE' }, TerminationWaitInSeconds: 120 },
        AutoRollbackConfiguration: { Alarms: [{ AlarmName: `${green.alarmPrefix}-5xx` }, { AlarmName: `${green.alarmPrefix}-latency` }, { AlarmName: abortAlarm }] },
      },
    });
    // Every alarm SageMaker watches existed before the deployment started.
    const alarmsPut = aws.cloudwatch.commandCalls(PutMetricAlarmCommand).map((c) => c.args[0].input.AlarmName);
    expect(alarmsPut).toEqual(expect.arrayContaining([`${green.alarmPrefix}-5xx`, `${green.alarmPrefix}-latency`, abortAlarm]));
    expect(aws.sagemaker).not.toHaveReceivedCommand(UpdateEndpointWeightsAndCapacitiesCommand);
    expect(aws.cloudwatch).not.toHaveReceivedCommand(SetAlarmStateCommand);
    // Green keeps blue's variant name and every setting of blue's config; only the model changed.
    expect(aws.endpoint).toMatchObject({ status: 'InService', config: green.greenConfig, variants: [expect.objectContaining({ VariantName: 'AllTraffic', CurrentWeight: 1 })] });
    expect(aws.configs.get(green.greenConfig)).toMatchObject({
      KmsKeyId: 'arn:aws:kms:us-east-1:111122223333:key/blue-key',
      DataCaptureConfig: { DestinationS3Uri: 's3://capture/churn' },
      ProductionVariants: [expect.objectContaining({ VariantName: 'AllTraffic', InstanceType: 'ml.m5.large', InitialInstanceCount: 2, ModelName: green.model })],
    });
    // RevalidateGreen: the samples again, on the promoted endpoint (the fleet users now reach).
    expect(aws.runtime).toHaveReceivedCommandWith(InvokeEndpointCommand, { EndpointName: ENDPOINT, TargetVariant: 'AllTraffic' });
    // Cleanup: the validation config and green's alarms go; blue's hand-made config and model predate the tool and stay, recorded.
    expect([...aws.configs.keys()].sort()).toEqual(['churn-v1-config', green.greenConfig].sort());
    expect([...aws.models.keys()].sort()).toEqual(['churn-v1', green.model].sort());
    expect(aws.alarms.size).toBe(0);
    expect(aws.table.has(`${ENDPOINT}|LOCK`)).toBe(false);
    expect(history(aws)).toMatchObject({
      outcome: 'promoted',
      greenVariant: 'AllTraffic',
      leftovers: expect.arrayContaining([expect.objectContaining({ resource: 'config churn-v1-config' }), expect.objectContaining({ resource: 'model churn-v1' })]),
    });
  });

  test('GIVEN green answers 500 WHEN it is validated on the validation endpoint THEN the promoted endpoint is never updated, the validation endpoint is deleted and the promotion ends PromotionFailed', async () => {
    const { aws, result } = await run({ greenStatus: 500 }, input(2));

    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('PromotionFailed');
    expect(result.cause).toMatch(new RegExp(`GreenValidationFailed: green \\(validation endpoint ${green.validationEndpoint}\\) failed 1 of 1 validation requests: typical-customer: status 500`));
    expect(aws.runtime).not.toHaveReceivedCommandWith(InvokeEndpointCommand, { EndpointName: ENDPOINT });
    expect(updatesOfPromoted(aws)).toEqual([]);
    expect(aws.sagemaker).not.toHaveReceivedCommand(UpdateEndpointWeightsAndCapacitiesCommand);
    expect(aws.sagemaker).toHaveReceivedCommandWith(DeleteEndpointCommand, { EndpointName: green.validationEndpoint });
    expect(aws.sagemaker).not.toHaveReceivedCommandWith(DeleteEndpointCommand, { EndpointName: ENDPOINT });
    expect(aws.endpoint).toMatchObject({ config: 'churn-v1-config', status: 'InService' });
    expect([...aws.configs.keys()]).toEqual(['churn-v1-config']);
    expect([...aws.models.keys()]).toEqual(['churn-v1']);
    expect(aws.table.has(`${ENDPOINT}|LOCK`)).toBe(false);
    expect(history(aws)).toMatchObject({ outcome: 'failed', failedWith: 'GreenValidationFailed' });
  });

  test('GIVEN green\'s 5xx alarm goes to ALARM while SageMaker deploys THEN SageMaker\'s auto-rollback leaves blue\'s config InService and the promotion ends PromotionRolledBack with GuardrailAlarm naming the alarm', async () => {
    const { aws, result } = await run({ alarmDuringDeployment: true }, input(2));

    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('PromotionRolledBack');
    expect(result.cause).toContain(`GuardrailAlarm: SageMaker rolled the deployment back to blue's fleet: ${alarmRollbackReason(`${green.alarmPrefix}-5xx`)}`);
    // SageMaker did the rollback: the workflow neither aborts it nor updates the endpoint again.
    expect(updatesOfPromoted(aws)).toEqual([expect.objectContaining({ EndpointConfigName: green.greenConfig, DeploymentConfig: expect.anything() })]);
    expect(aws.cloudwatch).not.toHaveReceivedCommand(SetAlarmStateCommand);
    expect(aws.sagemaker).not.toHaveReceivedCommand(UpdateEndpointWeightsAndCapacitiesCommand);
    expect(aws.runtime).not.toHaveReceivedCommandWith(InvokeEndpointCommand, { EndpointName: ENDPOINT });
    expect(aws.endpoint).toMatchObject({ config: 'churn-v1-config', status: 'InService', variants: [expect.objectContaining({ VariantName: 'AllTraffic', CurrentWeight: 1 })] });
    expect([...aws.configs.keys()]).toEqual(['churn-v1-config']);
    expect([...aws.models.keys()]).toEqual(['churn-v1']);
    expect(aws.alarms.size).toBe(0);
    expect(aws.table.has(`${ENDPOINT}|LOCK`)).toBe(false);
    expect(history(aws)).toMatchObject({ outcome: 'rolled_back', failedWith: 'GuardrailAlarm' });
  });

  test('GIVEN SageMaker is deploying green WHEN an operator aborts THEN the rollback sets the abort alarm to ALARM once, SageMaker goes back to blue and no other update is sent', async () => {
    // The deployment would take 50 looks at the endpoint: only the abort alarm ends it early.
    const { aws, result } = await run({ abortDuringDeployment: true, updateDescribes: 50 }, input(2));

    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('PromotionRolledBack');
    expect(result.cause).toMatch(/^PromotionAborted: conversion dropped/);
    expect(aws.cloudwatch).toHaveReceivedCommandTimes(SetAlarmStateCommand, 1);
    expect(aws.cloudwatch).toHaveReceivedCommandWith(SetAlarmStateCommand, { AlarmName: abortAlarm, StateValue: 'ALARM' });
    // No second UpdateEndpoint (to blue): SageMaker's rollback moves traffic back to blue's fleet, still there.
    expect(updatesOfPromoted(aws)).toHaveLength(1);
    expect(aws.sagemaker).not.toHaveReceivedCommand(UpdateEndpointWeightsAndCapacitiesCommand);
    expect(aws.endpoint).toMatchObject({ config: 'churn-v1-config', status: 'InService', failureReason: alarmRollbackReason(abortAlarm) });
    expect([...aws.configs.keys()]).toEqual(['churn-v1-config']);
    expect(aws.alarms.size).toBe(0);
    expect(aws.table.has(`${ENDPOINT}|LOCK`)).toBe(false);
    // While SageMaker rolls back, the endpoint still shows green's deployment pending: the rollback waits, it does not trip the alarm again.
    expect(history(aws)).toMatchObject({
      outcome: 'rolled_back',
      rollbackActions: [expect.stringMatching(new RegExp(`^abort alarm ${abortAlarm} set to ALARM`)), 'waiting: endpoint Updating', 'endpoint serves blue config churn-v1-config'],
    });
  });

  test('GIVEN SageMaker\'s deployment outlasts the deadline THEN the rollback aborts it through the abort alarm, once, and blue serves', async () => {
    // The deployment never ends on its own within any deadline the workflow may wait.
    const { aws, result } = await run({ updateDescribes: 10_000 }, input(2, { deadlines: { inServiceSeconds: 60 } }));

    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('PromotionRolledBack');
    expect(result.cause).toMatch(/^DeadlineExceeded: shift: /);
    expect(aws.cloudwatch).toHaveReceivedCommandTimes(SetAlarmStateCommand, 1);
    expect(aws.cloudwatch).toHaveReceivedCommandWith(SetAlarmStateCommand, { AlarmName: abortAlarm, StateValue: 'ALARM' });
    expect(updatesOfPromoted(aws)).toHaveLength(1);
    expect(aws.endpoint).toMatchObject({ config: 'churn-v1-config', status: 'InService' });
    expect(history(aws)).toMatchObject({ outcome: 'rolled_back' });
  });

  test('GIVEN no endpoint WHEN v1 is promoted with guardrails THEN it is a first deployment like any other: created from green, validated on itself, no validation endpoint, no deployment, no alarms', async () => {
    const { aws, result } = await run({}, input(1), 'nothing');

    expect(result.status).toBe('SUCCEEDED');
    const names = greenNames(ENDPOINT, 1, ID);
    expect(aws.sagemaker).toHaveReceivedCommandTimes(CreateEndpointCommand, 1);
    expect(aws.sagemaker).toHaveReceivedCommandWith(CreateEndpointCommand, { EndpointName: ENDPOINT, EndpointConfigName: names.greenConfig });
    expect(aws.sagemaker).not.toHaveReceivedCommand(UpdateEndpointCommand);
    expect(aws.sagemaker).not.toHaveReceivedCommand(UpdateEndpointWeightsAndCapacitiesCommand);
    expect(aws.cloudwatch).not.toHaveReceivedCommand(PutMetricAlarmCommand);
    expect(aws.runtime).toHaveReceivedCommandWith(InvokeEndpointCommand, { EndpointName: ENDPOINT, TargetVariant: 'AllTraffic' });
    expect([...aws.endpoints.keys()]).toEqual([ENDPOINT]);
    expect(aws.endpoint).toMatchObject({ status: 'InService', config: names.greenConfig, variants: [expect.objectContaining({ VariantName: 'AllTraffic', CurrentWeight: 1 })] });
    expect(aws.configs.get(names.greenConfig)?.ProductionVariants?.[0]).toMatchObject({ InstanceType: 'ml.m5.xlarge', InitialInstanceCount: 1 });
    expect([...aws.configs.keys()]).toEqual([names.greenConfig]);
    expect(history(aws)).toMatchObject({ outcome: 'promoted', firstDeployment: true });
  });
});
