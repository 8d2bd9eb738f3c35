import { CloudWatchClient, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { DeleteEndpointCommand, DescribeEndpointCommand, SageMakerClient, UpdateEndpointCommand, UpdateEndpointWeightsAndCapacitiesCommand } from '@aws-sdk/client-sagemaker';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import type { PromotionState } from '../../../lambdas/shared/contracts';
import { handler } from '../../../lambdas/rollback';
import { anEndpoint, BLUE_CONFIG, BLUE_VARIANT, cloudWatchError, ENDPOINT, inProgress, notFound, setStepEnvironment, stateAt, throttled, lockHeldBy } from '../../support/fixtures';

const sagemaker = mockClient(SageMakerClient);
const cloudwatch = mockClient(CloudWatchClient);
/** The lock: every step reads it first, and acts only while its promotion holds it. */
const dynamo = mockClient(DynamoDBDocumentClient);

/** A guardrail alarm fired during the bake: all traffic is on green. inServicePolls = 4, so at most 10 rollback polls. */
const failure = { Error: 'GuardrailAlarm', Cause: 'alarm in ALARM' };
const state = stateAt('baking', {}, { failure });
const { names } = state.promotion;
const GREEN = names.variant;
const withRollback = (attempt: number, actions: string[] = []): PromotionState => ({ ...state, rollback: { attempt, done: false, actions } });

beforeEach(() => {
  sagemaker.reset();
  cloudwatch.reset();
  dynamo.reset();
  dynamo.on(GetCommand).resolves(lockHeldBy());
  setStepEnvironment();
  sagemaker.on(DescribeEndpointCommand).resolves(anEndpoint(names.pairConfig, [{ name: BLUE_VARIANT, weight: 0 }, { name: GREEN, weight: 1 }]));
  sagemaker.on(UpdateEndpointWeightsAndCapacitiesCommand).resolves({});
  sagemaker.on(UpdateEndpointCommand).resolves({});
  sagemaker.on(DeleteEndpointCommand).resolves({});
});

describe('rollback', () => {
  test('GIVEN all traffic on green in the pair config WHEN rolled back THEN one weights call puts traffic back on blue first', async () => {
    const result = await handler(state);

    expect(result).toEqual({ attempt: 1, done: false, actions: [`traffic back to blue (${BLUE_VARIANT}=1, ${GREEN}=0)`] });
    expect(sagemaker).toHaveReceivedCommandWith(UpdateEndpointWeightsAndCapacitiesCommand, {
      EndpointName: ENDPOINT,
      DesiredWeightsAndCapacities: [
        { VariantName: BLUE_VARIANT, DesiredWeight: 1 },
        { VariantName: GREEN, DesiredWeight: 0 },
      ],
    });
    expect(sagemaker).not.toHaveReceivedCommand(UpdateEndpointCommand);
  });

  test('GIVEN traffic is back on blue in the pair config WHEN rolled back THEN the endpoint is updated to blue’s config', async () => {
    sagemaker.on(DescribeEndpointCommand).resolves(anEndpoint(names.pairConfig, [{ name: BLUE_VARIANT, weight: 1 }, { name: GREEN, weight: 0 }]));

    const result = await handler(withRollback(2, ['traffic back to blue (AllTraffic=1, x=0)', 'waiting: endpoint Updating']));

    expect(result).toEqual({ attempt: 3, done: false, actions: ['traffic back to blue (AllTraffic=1, x=0)', 'waiting: endpoint Updating', `endpoint back to blue config ${BLUE_CONFIG}`] });
    expect(sagemaker).toHaveReceivedCommandWith(UpdateEndpointCommand, { EndpointName: ENDPOINT, EndpointConfigName: BLUE_CONFIG });
    expect(sagemaker).not.toHaveReceivedCommand(UpdateEndpointWeightsAndCapacitiesCommand);
  });

  test('GIVEN green alone after finalize WHEN rolled back THEN the endpoint is updated to blue’s config', async () => {
    sagemaker.on(DescribeEndpointCommand).resolves(anEndpoint(names.greenConfig, [{ name: GREEN, weight: 1 }]));

    await handler(stateAt('finalized', {}, { failure }));

    expect(sagemaker).toHaveReceivedCommandWith(UpdateEndpointCommand, { EndpointConfigName: BLUE_CONFIG });
  });

  test('GIVEN the endpoint is Updating WHEN rolled back twice THEN it only waits, logging the wait once', async () => {
    sagemaker.on(DescribeEndpointCommand).resolves(anEndpoint(names.pairConfig, [], { EndpointStatus: 'Updating' }));

    const first = await handler(state);
    const second = await handler({ ...state, rollback: first });

    expect(second).toEqual({ attempt: 2, done: false, actions: ['waiting: endpoint Updating'] });
    expect(sagemaker).not.toHaveReceivedCommand(UpdateEndpointCommand);
    expect(sagemaker).not.toHaveReceivedCommand(UpdateEndpointWeightsAndCapacitiesCommand);
  });

  test('GIVEN the endpoint serves blue’s config again WHEN rolled back THEN it is done, with when it saw blue serving (the AlarmToBlue metric)', async () => {
    sagemaker.on(DescribeEndpointCommand).resolves(anEndpoint(BLUE_CONFIG, [{ name: BLUE_VARIANT, weight: 1 }]));
    const before = Date.now();

    const result = await handler(withRollback(4, ['x']));

    expect(result).toEqual({ attempt: 5, done: true, actions: ['x', `endpoint serves blue config ${BLUE_CONFIG}`], blueAt: expect.any(String) });
    expect(Date.parse(result.blueAt!)).toBeGreaterThanOrEqual(before - 1);
  });

  test('GIVEN blue existed WHEN the endpoint no longer exists THEN someone else deleted it: the rollback stops with OutsideChange, acting on nothing', async () => {
    sagemaker.on(DescribeEndpointCommand).rejects(notFound('endpoint', ENDPOINT));

    await expect(handler(state)).rejects.toMatchObject({ name: 'OutsideChange', message: expect.stringMatching(/was deleted by someone else/) });
    expect(sagemaker).not.toHaveReceivedCommand(UpdateEndpointCommand);
    expect(sagemaker).not.toHaveReceivedCommand(UpdateEndpointWeightsAndCapacitiesCommand);
  });

  test('GIVEN a first deployment on green’s config WHEN rolled back THEN the endpoint is deleted', async () => {
    // A first deployment's one instance (its input's initialInstanceCount, default 1).
    sagemaker.on(DescribeEndpointCommand).resolves(anEndpoint(names.greenConfig, [{ name: GREEN, weight: 1, instances: 1 }]));

    const result = await handler(stateAt('stoodUp', { firstDeployment: true }, { failure }));

    expect(result).toEqual({ attempt: 1, done: false, actions: [`first deployment: deleted endpoint ${ENDPOINT}`] });
    expect(sagemaker).toHaveReceivedCommandWith(DeleteEndpointCommand, { EndpointName: ENDPOINT });
  });

  test('GIVEN a first deployment whose endpoint is gone WHEN rolled back THEN it is done', async () => {
    sagemaker.on(DescribeEndpointCommand).rejects(notFound('endpoint', ENDPOINT));

    await expect(handler(stateAt('stoodUp', { firstDeployment: true }, { failure }))).resolves.toMatchObject({ done: true, actions: ['no endpoint left behind'] });
    expect(sagemaker).not.toHaveReceivedCommand(DeleteEndpointCommand);
  });

  test('GIVEN the rollback already used all its polls WHEN polled once more THEN RollbackFailed names the last action and nothing is called', async () => {
    await expect(handler(withRollback(10, ['waiting: endpoint Updating']))).rejects.toMatchObject({
      name: 'RollbackFailed',
      message: `endpoint ${ENDPOINT} did not get back to blue within 10 polls; last: waiting: endpoint Updating`,
    });
    expect(sagemaker).not.toHaveReceivedCommand(DescribeEndpointCommand);
  });

  test('GIVEN the last allowed poll WHEN rolled back THEN it still acts', async () => {
    await expect(handler(withRollback(9))).resolves.toMatchObject({ attempt: 10, done: false });
    expect(sagemaker).toHaveReceivedCommand(UpdateEndpointWeightsAndCapacitiesCommand);
  });

  test('GIVEN SageMaker throttles the weights call WHEN rolled back THEN ThrottlingException propagates', async () => {
    sagemaker.on(UpdateEndpointWeightsAndCapacitiesCommand).rejects(throttled());

    await expect(handler(state)).rejects.toMatchObject({ name: 'ThrottlingException' });
  });

  test('GIVEN UpdateEndpoint answers in-progress WHEN rolled back THEN the ValidationException propagates', async () => {
    sagemaker.on(DescribeEndpointCommand).resolves(anEndpoint(names.greenConfig, [{ name: GREEN, weight: 1 }]));
    sagemaker.on(UpdateEndpointCommand).rejects(inProgress());

    await expect(handler(state)).rejects.toMatchObject({ name: 'ValidationException', message: expect.stringMatching(/^Cannot update in-progress endpoint/) });
  });
});

describe('rollback while SageMaker deploys green (guardrails)', () => {
  const base = stateAt('baking', { promotion: { strategy: 'guardrails' } }, { failure: { Error: 'PromotionAborted', Cause: 'operator abort' } });
  const abortAlarm = `${base.promotion.names.alarmPrefix}-abort`;
  const deploying: PromotionState = { ...base, green: { ...base.green!, variantName: BLUE_VARIANT, pairConfigName: undefined }, bake: { ...base.bake!, abortAlarm } };

  beforeEach(() => {
    sagemaker
      .on(DescribeEndpointCommand)
      .resolves(anEndpoint(BLUE_CONFIG, [{ name: BLUE_VARIANT, weight: 1 }], { EndpointStatus: 'Updating', PendingDeploymentSummary: { EndpointConfigName: base.promotion.names.greenConfig } }));
  });

  test('GIVEN SetAlarmState fails WHEN rolled back THEN the loop goes on, the failure noted, and trips the abort alarm at its next turn', async () => {
    cloudwatch.on(SetAlarmStateCommand).rejectsOnce(cloudWatchError('ValidationException', 'no')).resolves({});

    const first = await handler(deploying);
    const second = await handler({ ...deploying, rollback: first });

    expect(first).toEqual({ attempt: 1, done: false, actions: [expect.stringMatching(/^could not set abort alarm \S+-abort to ALARM \(ValidationException: no\)/)] });
    expect(second).toEqual({ attempt: 2, done: false, actions: [first.actions[0], `abort alarm ${abortAlarm} set to ALARM: SageMaker moves traffic back to blue's fleet`] });
    expect(cloudwatch).toHaveReceivedCommandTimes(SetAlarmStateCommand, 2);
  });
});
