import { DescribeEndpointCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import type { PromotionState, WakeResult } from '../../../lambdas/shared/contracts';
import { handler } from '../../../lambdas/wait-for-endpoint';
import { anEndpoint, BLUE_CONFIG, BLUE_VARIANT, ENDPOINT, notFound, setStepEnvironment, stateAt, throttled, lockHeldBy } from '../../support/fixtures';

const sagemaker = mockClient(SageMakerClient);
/** The lock: every wait loop reads it for an abort request. */
const dynamo = mockClient(DynamoDBDocumentClient);

/** Green was just asked to stand up; inServicePolls = 4 at a 30 s poll in the fixture: a 120 s deadline. */
const state = stateAt('greenCreated');
const { names } = state.promotion;
const GREEN = names.variant;
const pairInService = anEndpoint(names.pairConfig, [{ name: BLUE_VARIANT, weight: 1 }, { name: GREEN, weight: 0 }]);
const TIMED_OUT: WakeResult = { Error: 'States.Timeout', Cause: 'the task timed out' };
/** The shift asked (ArmGuardrails, then ShiftTraffic stored their results): what the shift's wait checks. */
const shifted = { shift: stateAt('baking').shift, bake: stateAt('baking').bake };
/** `attempt` checks of `phase` done, `elapsedSeconds` waited so far, and the last WaitFor<X> ended as `wake`. */
const withWait = (phase: 'standUp' | 'shift', attempt: number, elapsedSeconds = (attempt - 1) * 30, wake: WakeResult = TIMED_OUT): PromotionState => ({
  ...state,
  wait: { phase, attempt, ready: false, status: 'Updating', elapsedSeconds, waitSeconds: 30 },
  wake,
});

beforeEach(() => {
  dynamo.reset();
  dynamo.on(GetCommand).resolves(lockHeldBy());
  sagemaker.reset();
  setStepEnvironment();
  sagemaker.on(DescribeEndpointCommand).resolves(pairInService);
});

describe('wait-for-endpoint', () => {
  test('GIVEN the endpoint is InService on the pair config with green at 0 WHEN polled THEN it is ready', async () => {
    await expect(handler({ phase: 'standUp', state })).resolves.toEqual({ phase: 'standUp', attempt: 1, ready: true, status: 'InService', elapsedSeconds: 0, waitSeconds: 30 });
    expect(sagemaker).toHaveReceivedCommandWith(DescribeEndpointCommand, { EndpointName: ENDPOINT });
  });

  test('GIVEN the endpoint is Updating WHEN checked again after a backstop poll THEN it is pending, the attempt counts on and the poll counts as time waited', async () => {
    sagemaker.on(DescribeEndpointCommand).resolves(anEndpoint(BLUE_CONFIG, [{ name: BLUE_VARIANT, weight: 1 }], { EndpointStatus: 'Updating' }));

    await expect(handler({ phase: 'standUp', state: withWait('standUp', 2) })).resolves.toEqual({ phase: 'standUp', attempt: 3, ready: false, status: 'Updating', elapsedSeconds: 60, waitSeconds: 30 });
  });

  test('GIVEN an endpoint event woke the wait early WHEN checked THEN no time counts (the deadline is never early)', async () => {
    sagemaker.on(DescribeEndpointCommand).resolves(anEndpoint(BLUE_CONFIG, [{ name: BLUE_VARIANT, weight: 1 }], { EndpointStatus: 'Updating' }));
    const woken = withWait('standUp', 2, 30, { by: 'endpoint-event', endpointName: ENDPOINT, status: 'IN_SERVICE' });

    await expect(handler({ phase: 'standUp', state: woken })).resolves.toMatchObject({ attempt: 3, elapsedSeconds: 30 });
  });

  test('GIVEN endpoint events wake the waits WHEN checked THEN the backstop poll is an eighth of the deadline, at least the poll interval', async () => {
    const evented = (inServicePolls: number) => stateAt('greenCreated', { promotion: { endpointEvents: true, inServicePolls } });
    sagemaker.on(DescribeEndpointCommand).resolves(anEndpoint(BLUE_CONFIG, [{ name: BLUE_VARIANT, weight: 1 }], { EndpointStatus: 'Updating' }));

    // 120 polls × 30 s = a 60-minute deadline → 450 s; 4 polls (120 s) → 30 s, the poll interval.
    await expect(handler({ phase: 'standUp', state: evented(120) })).resolves.toMatchObject({ waitSeconds: 450 });
    await expect(handler({ phase: 'standUp', state: evented(4) })).resolves.toMatchObject({ waitSeconds: 30 });
  });

  test('GIVEN the last check was of another phase WHEN checked THEN the attempt and the time start again', async () => {
    sagemaker.on(DescribeEndpointCommand).resolves(anEndpoint(names.pairConfig, [{ name: BLUE_VARIANT, weight: 1, desired: 0 }, { name: GREEN, weight: 0, desired: 1 }], { EndpointStatus: 'Updating' }));

    await expect(handler({ phase: 'shift', state: { ...withWait('standUp', 4), ...shifted } })).resolves.toMatchObject({ phase: 'shift', attempt: 1, ready: false, elapsedSeconds: 0 });
  });

  test('GIVEN still Updating once the waits add up to the deadline WHEN checked THEN DeadlineExceeded names the phase', async () => {
    sagemaker.on(DescribeEndpointCommand).resolves(anEndpoint(BLUE_CONFIG, [], { EndpointStatus: 'Updating' }));

    await expect(handler({ phase: 'standUp', state: withWait('standUp', 3) })).resolves.toMatchObject({ elapsedSeconds: 90, ready: false });
    await expect(handler({ phase: 'standUp', state: withWait('standUp', 4) })).rejects.toMatchObject({
      name: 'DeadlineExceeded',
      message: `standUp: endpoint ${ENDPOINT} still Updating after 4 polls (deadline)`,
    });
  });

  test('GIVEN the update ended InService on blue’s config with a FailureReason WHEN polled THEN GreenNotInService carries SageMaker’s reason', async () => {
    sagemaker.on(DescribeEndpointCommand).resolves(anEndpoint(BLUE_CONFIG, [{ name: BLUE_VARIANT, weight: 1 }], { FailureReason: 'Failed to download model data.' }));

    await expect(handler({ phase: 'standUp', state })).rejects.toMatchObject({
      name: 'GreenNotInService',
      message: expect.stringMatching(/^standUp: endpoint churn-prediction is InService on config churn-v1-config, expected .*-pair; SageMaker reports: Failed to download model data\./),
    });
  });

  test('GIVEN the update ended InService on blue’s config without a reason WHEN polled THEN UnexpectedEndpointState', async () => {
    sagemaker.on(DescribeEndpointCommand).resolves(anEndpoint(BLUE_CONFIG, [{ name: BLUE_VARIANT, weight: 1 }]));

    await expect(handler({ phase: 'standUp', state })).rejects.toMatchObject({ name: 'UnexpectedEndpointState', message: expect.stringMatching(/^standUp: .*without a FailureReason/) });
  });

  test('GIVEN a first deployment whose endpoint Failed WHEN polled THEN GreenNotInService with the FailureReason', async () => {
    sagemaker.on(DescribeEndpointCommand).resolves(anEndpoint(names.greenConfig, [], { EndpointStatus: 'Failed', FailureReason: 'Insufficient capacity for ml.g5.xlarge' }));

    await expect(handler({ phase: 'standUp', state: stateAt('stoodUp', { firstDeployment: true }) })).rejects.toMatchObject({
      name: 'GreenNotInService',
      message: `standUp: endpoint ${ENDPOINT} is Failed: Insufficient capacity for ml.g5.xlarge`,
    });
  });

  test('GIVEN the endpoint was deleted (ValidationException "Could not find endpoint") WHEN polled THEN someone else deleted it: OutsideChange', async () => {
    sagemaker.on(DescribeEndpointCommand).rejects(notFound('endpoint', ENDPOINT));

    await expect(handler({ phase: 'finalize', state })).rejects.toMatchObject({ name: 'OutsideChange', message: expect.stringMatching(/^endpoint churn-prediction was deleted by someone else/) });
  });

  test('GIVEN guardrails’ validation endpoint (the promotion’s own) is gone WHEN its stand-up is polled THEN GreenNotInService', async () => {
    const guardrails = stateAt('greenCreated', { promotion: { strategy: 'guardrails' } });
    const validating: PromotionState = {
      ...guardrails,
      green: { ...guardrails.green!, variantName: BLUE_VARIANT, pairConfigName: undefined, validationConfigName: names.validationConfig, validationEndpointName: names.validationEndpoint },
    };
    sagemaker.on(DescribeEndpointCommand, { EndpointName: ENDPOINT }).resolves(anEndpoint(BLUE_CONFIG, [{ name: BLUE_VARIANT, weight: 1 }]));
    sagemaker.on(DescribeEndpointCommand, { EndpointName: names.validationEndpoint }).rejects(notFound('endpoint', names.validationEndpoint));

    await expect(handler({ phase: 'standUp', state: validating })).rejects.toMatchObject({ name: 'GreenNotInService', message: expect.stringMatching(/^standUp: .*does not exist/) });
  });

  test('GIVEN the shift was asked and weights are settling WHEN polled THEN it is pending, then ready once CurrentWeight arrives', async () => {
    sagemaker
      .on(DescribeEndpointCommand)
      .resolvesOnce(anEndpoint(names.pairConfig, [{ name: BLUE_VARIANT, weight: 1, desired: 0 }, { name: GREEN, weight: 0, desired: 1 }]))
      .resolves(anEndpoint(names.pairConfig, [{ name: BLUE_VARIANT, weight: 0 }, { name: GREEN, weight: 1 }]));

    const first = await handler({ phase: 'shift', state: { ...state, ...shifted } });
    const second = await handler({ phase: 'shift', state: { ...state, ...shifted, wait: first } });

    expect(first).toMatchObject({ phase: 'shift', attempt: 1, ready: false, status: 'InService (weights settling)' });
    expect(second).toMatchObject({ phase: 'shift', attempt: 2, ready: true, status: 'InService' });
  });

  test('GIVEN SageMaker throttles WHEN polled THEN ThrottlingException propagates', async () => {
    sagemaker.on(DescribeEndpointCommand).rejects(throttled());

    await expect(handler({ phase: 'standUp', state })).rejects.toMatchObject({ name: 'ThrottlingException' });
  });
  test('GIVEN the alarm trigger flagged the lock WHEN polled THEN GuardrailAlarm with the alarm reason', async () => {
    const s = stateAt('shifted');
    dynamo.on(GetCommand).resolves({ Item: { promotionId: s.promotion.id, abortRequested: { error: 'GuardrailAlarm', reason: 'guardrail alarm x is in ALARM: Threshold Crossed', at: 'now' } } });
    await expect(handler({ phase: 'shift', state: s })).rejects.toMatchObject({ name: 'GuardrailAlarm', message: expect.stringMatching(/Threshold Crossed/) });
  });
});
