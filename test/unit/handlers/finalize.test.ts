import { DescribeEndpointCommand, SageMakerClient, UpdateEndpointCommand } from '@aws-sdk/client-sagemaker';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { handler } from '../../../lambdas/finalize';
import { anEndpoint, BLUE_VARIANT, ENDPOINT, inProgress, setStepEnvironment, stateAt, throttled, lockHeldBy } from '../../support/fixtures';

const sagemaker = mockClient(SageMakerClient);
/** The lock: every step reads it first, and acts only while its promotion holds it. */
const dynamo = mockClient(DynamoDBDocumentClient);

const state = stateAt('baking');
const { names } = state.promotion;
const shifted = anEndpoint(names.pairConfig, [{ name: BLUE_VARIANT, weight: 0 }, { name: names.variant, weight: 1 }]);

beforeEach(() => {
  sagemaker.reset();
  dynamo.reset();
  dynamo.on(GetCommand).resolves(lockHeldBy());
  setStepEnvironment();
  sagemaker.on(DescribeEndpointCommand).resolves(shifted);
  sagemaker.on(UpdateEndpointCommand).resolves({ EndpointArn: shifted.EndpointArn });
});

describe('finalize', () => {
  test('GIVEN the endpoint serves green on the pair config WHEN finalized THEN it is updated to green’s config alone', async () => {
    await expect(handler(state)).resolves.toEqual({ configName: names.greenConfig, at: expect.any(String) });
    expect(sagemaker).toHaveReceivedCommandWith(UpdateEndpointCommand, { EndpointName: ENDPOINT, EndpointConfigName: names.greenConfig });
  });

  test('GIVEN the endpoint already runs green’s config (a retry) WHEN finalized THEN no update is sent', async () => {
    sagemaker.on(DescribeEndpointCommand).resolves(anEndpoint(names.greenConfig, [{ name: names.variant, weight: 1 }]));

    await expect(handler(state)).resolves.toMatchObject({ configName: names.greenConfig });
    expect(sagemaker).not.toHaveReceivedCommand(UpdateEndpointCommand);
  });

  test('GIVEN an earlier try’s update to green’s config is still running (a retry) WHEN finalized THEN no second update is sent', async () => {
    sagemaker.on(DescribeEndpointCommand).resolves({
      ...shifted,
      EndpointStatus: 'Updating',
      PendingDeploymentSummary: { EndpointConfigName: names.greenConfig, StartTime: new Date('2025-01-01T00:20:00Z') },
    });
    sagemaker.on(UpdateEndpointCommand).rejects(inProgress());

    await expect(handler(state)).resolves.toMatchObject({ configName: names.greenConfig });
    expect(sagemaker).not.toHaveReceivedCommand(UpdateEndpointCommand);
  });

  test('GIVEN the endpoint is still settling the weights WHEN finalized THEN SageMaker’s in-progress ValidationException propagates', async () => {
    sagemaker.on(DescribeEndpointCommand).resolves({ ...shifted, EndpointStatus: 'Updating' });
    sagemaker.on(UpdateEndpointCommand).rejects(inProgress());

    await expect(handler(state)).rejects.toMatchObject({ name: 'ValidationException', message: expect.stringMatching(/Cannot update in-progress endpoint/) });
  });

  test('GIVEN SageMaker throttles WHEN finalized THEN ThrottlingException propagates', async () => {
    sagemaker.on(UpdateEndpointCommand).rejects(throttled());

    await expect(handler(state)).rejects.toMatchObject({ name: 'ThrottlingException' });
  });
});
