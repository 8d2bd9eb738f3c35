import { DescribeEndpointCommand, SageMakerClient, UpdateEndpointWeightsAndCapacitiesCommand } from '@aws-sdk/client-sagemaker';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { handler } from '../../../lambdas/shift-traffic';
import { anEndpoint, BLUE_VARIANT, ENDPOINT, inProgress, setStepEnvironment, stateAt, throttled, lockHeldBy } from '../../support/fixtures';

const sagemaker = mockClient(SageMakerClient);
/** The lock: every step reads it first, and acts only while its promotion holds it. */
const dynamo = mockClient(DynamoDBDocumentClient);

/** Green stood up and validated, the guardrails armed: the shift always comes right after ArmGuardrails. */
const state = { ...stateAt('stoodUp'), bake: stateAt('baking').bake };
const { names } = state.promotion;
const GREEN = names.variant;
const stoodUp = anEndpoint(names.pairConfig, [{ name: BLUE_VARIANT, weight: 1 }, { name: GREEN, weight: 0 }]);

beforeEach(() => {
  sagemaker.reset();
  dynamo.reset();
  dynamo.on(GetCommand).resolves(lockHeldBy());
  setStepEnvironment();
  sagemaker.on(DescribeEndpointCommand).resolves(stoodUp);
  sagemaker.on(UpdateEndpointWeightsAndCapacitiesCommand).resolves({ EndpointArn: stoodUp.EndpointArn });
});

describe('shift-traffic', () => {
  test('GIVEN green stands at weight 0 WHEN traffic shifts THEN one weights call gives green 1 and blue 0', async () => {
    await expect(handler(state)).resolves.toEqual({ weights: { [BLUE_VARIANT]: 0, [GREEN]: 1 }, at: expect.any(String) });
    expect(sagemaker).toHaveReceivedCommandTimes(UpdateEndpointWeightsAndCapacitiesCommand, 1);
    expect(sagemaker).toHaveReceivedCommandWith(UpdateEndpointWeightsAndCapacitiesCommand, {
      EndpointName: ENDPOINT,
      DesiredWeightsAndCapacities: [
        { VariantName: BLUE_VARIANT, DesiredWeight: 0 },
        { VariantName: GREEN, DesiredWeight: 1 },
      ],
    });
  });

  test('GIVEN an abort flagged since the last wait (a rejection in the Model Registry during validation) WHEN the shift runs THEN no traffic moves: PromotionAborted', async () => {
    const abortRequested = { error: 'PromotionAborted', reason: 'model package churn-models/2 was Rejected in the Model Registry', at: '2026-12-01T10:00:00Z' };
    dynamo.on(GetCommand).resolves(lockHeldBy(undefined, { abortRequested }));

    await expect(handler(state)).rejects.toMatchObject({ name: 'PromotionAborted', message: expect.stringMatching(/Rejected in the Model Registry/) });
    expect(sagemaker).not.toHaveReceivedCommand(UpdateEndpointWeightsAndCapacitiesCommand);
  });

  test('GIVEN the DesiredWeights were already asked by an earlier try WHEN traffic shifts again THEN no call is sent', async () => {
    sagemaker.on(DescribeEndpointCommand).resolves(
      anEndpoint(names.pairConfig, [{ name: BLUE_VARIANT, weight: 1, desired: 0 }, { name: GREEN, weight: 0, desired: 1 }], { EndpointStatus: 'Updating' }),
    );
    sagemaker.on(UpdateEndpointWeightsAndCapacitiesCommand).rejects(inProgress());

    await expect(handler(state)).resolves.toMatchObject({ weights: { [BLUE_VARIANT]: 0, [GREEN]: 1 } });
    expect(sagemaker).not.toHaveReceivedCommand(UpdateEndpointWeightsAndCapacitiesCommand);
  });

  test('GIVEN the weights are already in place WHEN traffic shifts THEN no call is sent', async () => {
    sagemaker.on(DescribeEndpointCommand).resolves(anEndpoint(names.pairConfig, [{ name: BLUE_VARIANT, weight: 0 }, { name: GREEN, weight: 1 }]));

    await handler(state);

    expect(sagemaker).not.toHaveReceivedCommand(UpdateEndpointWeightsAndCapacitiesCommand);
  });

  test('GIVEN weights that are neither the stand-up’s nor the shift’s (someone else set them) WHEN traffic shifts THEN OutsideChange and no weights call', async () => {
    sagemaker.on(DescribeEndpointCommand).resolves(anEndpoint(names.pairConfig, [{ name: BLUE_VARIANT, weight: 1 }, { name: GREEN, weight: 1 }]));

    await expect(handler(state)).rejects.toMatchObject({ name: 'OutsideChange', message: expect.stringMatching(/^weights moved on .*-pair: AllTraffic=1, v2-[0-9a-f]{6}=1, expected/) });
    expect(sagemaker).not.toHaveReceivedCommand(UpdateEndpointWeightsAndCapacitiesCommand);
  });

  test('GIVEN the endpoint is Updating for another reason WHEN traffic shifts THEN SageMaker’s in-progress ValidationException propagates', async () => {
    sagemaker.on(DescribeEndpointCommand).resolves({ ...stoodUp, EndpointStatus: 'Updating' });
    sagemaker.on(UpdateEndpointWeightsAndCapacitiesCommand).rejects(inProgress());

    await expect(handler(state)).rejects.toMatchObject({ name: 'ValidationException', message: expect.stringMatching(/^Cannot update in-progress endpoint/) });
  });

  test('GIVEN SageMaker throttles WHEN traffic shifts THEN ThrottlingException propagates', async () => {
    sagemaker.on(UpdateEndpointWeightsAndCapacitiesCommand).rejects(throttled());

    await expect(handler(state)).rejects.toMatchObject({ name: 'ThrottlingException' });
  });
});
