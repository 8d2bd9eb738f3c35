import { CreateEndpointCommand, DescribeEndpointCommand, SageMakerClient, UpdateEndpointCommand } from '@aws-sdk/client-sagemaker';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { MANAGED_TAG } from '../../../lambdas/shared/sagemaker';
import { handler } from '../../../lambdas/stand-up-green';
import { anEndpoint, BLUE_CONFIG, BLUE_VARIANT, ENDPOINT, inProgress, notFound, PROMOTION_ID, setStepEnvironment, stateAt, throttled, lockHeldBy } from '../../support/fixtures';

const sagemaker = mockClient(SageMakerClient);
/** The lock: every step reads it first, and acts only while its promotion holds it. */
const dynamo = mockClient(DynamoDBDocumentClient);

const state = stateAt('greenCreated');
const { names } = state.promotion;
const blueInService = anEndpoint(BLUE_CONFIG, [{ name: BLUE_VARIANT, weight: 1 }]);

beforeEach(() => {
  sagemaker.reset();
  dynamo.reset();
  dynamo.on(GetCommand).resolves(lockHeldBy());
  setStepEnvironment();
  sagemaker.on(DescribeEndpointCommand).resolves(blueInService);
  sagemaker.on(UpdateEndpointCommand).resolves({ EndpointArn: blueInService.EndpointArn });
  sagemaker.on(CreateEndpointCommand).resolves({ EndpointArn: blueInService.EndpointArn });
});

describe('stand-up-green', () => {
  test('GIVEN blue serves WHEN green stands up THEN the endpoint is updated to the pair config (green at weight 0)', async () => {
    const result = await handler(state);

    expect(result).toEqual({ action: 'UpdateEndpoint', configName: names.pairConfig, at: expect.any(String) });
    expect(sagemaker).toHaveReceivedCommandWith(UpdateEndpointCommand, { EndpointName: ENDPOINT, EndpointConfigName: names.pairConfig });
    expect(sagemaker).not.toHaveReceivedCommand(CreateEndpointCommand);
  });

  test('GIVEN the endpoint already runs the pair config (a retry) WHEN green stands up THEN no update is sent', async () => {
    sagemaker.on(DescribeEndpointCommand).resolves(anEndpoint(names.pairConfig, [{ name: BLUE_VARIANT, weight: 1 }, { name: names.variant, weight: 0 }]));

    await expect(handler(state)).resolves.toMatchObject({ action: 'UpdateEndpoint', configName: names.pairConfig });
    expect(sagemaker).not.toHaveReceivedCommand(UpdateEndpointCommand);
  });

  test('GIVEN an earlier try’s update to the pair config is still running (a retry) WHEN green stands up THEN no second update is sent', async () => {
    // While Updating, DescribeEndpoint still reports blue's config; the target is in PendingDeploymentSummary.
    // A second UpdateEndpoint would fail with "Cannot update in-progress endpoint" and roll the promotion back.
    sagemaker.on(DescribeEndpointCommand).resolves(
      anEndpoint(BLUE_CONFIG, [{ name: BLUE_VARIANT, weight: 1 }], {
        EndpointStatus: 'Updating',
        PendingDeploymentSummary: { EndpointConfigName: names.pairConfig, StartTime: new Date('2025-01-01T00:01:00Z') },
      }),
    );
    sagemaker.on(UpdateEndpointCommand).rejects(inProgress());

    await expect(handler(state)).resolves.toMatchObject({ action: 'UpdateEndpoint', configName: names.pairConfig });
    expect(sagemaker).not.toHaveReceivedCommand(UpdateEndpointCommand);
  });

  test('GIVEN the endpoint is Updating for another reason WHEN green stands up THEN SageMaker’s in-progress ValidationException propagates', async () => {
    sagemaker.on(DescribeEndpointCommand).resolves(anEndpoint(BLUE_CONFIG, [{ name: BLUE_VARIANT, weight: 1 }], { EndpointStatus: 'Updating' }));
    sagemaker.on(UpdateEndpointCommand).rejects(inProgress());

    await expect(handler(state)).rejects.toMatchObject({ name: 'ValidationException', message: expect.stringMatching(/^Cannot update in-progress endpoint "arn:aws:sagemaker:/) });
  });

  test('GIVEN SageMaker throttles UpdateEndpoint WHEN green stands up THEN ThrottlingException propagates', async () => {
    sagemaker.on(UpdateEndpointCommand).rejects(throttled());

    await expect(handler(state)).rejects.toMatchObject({ name: 'ThrottlingException' });
  });

  test('GIVEN a first deployment and no endpoint WHEN green stands up THEN the endpoint is created from green’s config, tagged with the promotion', async () => {
    sagemaker.on(DescribeEndpointCommand).rejects(notFound('endpoint', ENDPOINT));

    const result = await handler(stateAt('greenCreated', { firstDeployment: true }));

    expect(result).toEqual({ action: 'CreateEndpoint', configName: names.greenConfig, at: expect.any(String) });
    expect(sagemaker).toHaveReceivedCommandWith(CreateEndpointCommand, {
      EndpointName: ENDPOINT,
      EndpointConfigName: names.greenConfig,
      Tags: [{ Key: MANAGED_TAG, Value: PROMOTION_ID }],
    });
    expect(sagemaker).not.toHaveReceivedCommand(UpdateEndpointCommand);
  });

  test('GIVEN a first deployment whose endpoint an earlier try created WHEN green stands up again THEN nothing is created', async () => {
    sagemaker.on(DescribeEndpointCommand).resolves(anEndpoint(names.greenConfig, [], { EndpointStatus: 'Creating' }));

    await expect(handler(stateAt('greenCreated', { firstDeployment: true }))).resolves.toMatchObject({ action: 'CreateEndpoint' });
    expect(sagemaker).not.toHaveReceivedCommand(CreateEndpointCommand);
  });

  test('GIVEN DescribeEndpoint is throttled WHEN green stands up THEN ThrottlingException propagates and nothing is sent', async () => {
    sagemaker.on(DescribeEndpointCommand).rejects(throttled());

    await expect(handler(stateAt('greenCreated', { firstDeployment: true }))).rejects.toMatchObject({ name: 'ThrottlingException' });
    expect(sagemaker).not.toHaveReceivedCommand(CreateEndpointCommand);
  });
});
