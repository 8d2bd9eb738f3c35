import { CloudWatchClient, DeleteAlarmsCommand, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import {
  DeleteEndpointConfigCommand,
  DeleteModelCommand,
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  DescribeModelCommand,
  ListEndpointsCommand,
  SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { handler } from '../../../lambdas/cleanup';
import type { CleanupEvent } from '../../../lambdas/shared/contracts';
import {
  aBlue,
  anEndpoint,
  BLUE_CONFIG,
  BLUE_MODEL,
  BLUE_VARIANT,
  cloudWatchError,
  ENDPOINT,
  notFound,
  sageMakerError,
  setStepEnvironment,
  stateAt,
  throttled,
  lockHeldBy,
} from '../../support/fixtures';

const sagemaker = mockClient(SageMakerClient);
const cloudwatch = mockClient(CloudWatchClient);
/** The lock: every step reads it first, and acts only while its promotion holds it. */
const dynamo = mockClient(DynamoDBDocumentClient);

/** Blue was itself put there by an earlier promotion, so its names are the tool's own and may be deleted. */
const OWN_BLUE = 'churn-prediction-v1-abc123';
const promoted = stateAt('finalized', {}, { blue: aBlue({ endpointConfigName: OWN_BLUE, modelNames: [OWN_BLUE] }) });
const { names } = promoted.promotion;
const alarms = promoted.bake!.createdAlarms;

/** When the configs and models a cleanup would delete were created; endpoints last modified before cannot run them. */
const CANDIDATES_CREATED = new Date('2026-11-01T10:00:00Z');
const LATER = new Date('2026-11-20T10:00:00Z');
const EARLIER = new Date('2026-10-01T10:00:00Z');

interface AnEndpoint { name: string; config: string; model: string; modified?: Date }

/**
 * The account's endpoints: ours on `config`, and fraud-detection on its own config; each last
 * modified at `modified` (LATER by default). ListEndpoints applies LastModifiedTimeAfter as SageMaker does.
 */
function givenEndpoints(config: string, model: string, others: AnEndpoint[] = []) {
  const all: AnEndpoint[] = [{ name: ENDPOINT, config, model }, { name: 'fraud-detection', config: 'fraud-config', model: 'fraud-v1' }, ...others];
  sagemaker.on(ListEndpointsCommand).callsFake((input: { LastModifiedTimeAfter?: Date }) => ({
    Endpoints: all
      .filter((e) => input.LastModifiedTimeAfter === undefined || (e.modified ?? LATER) > input.LastModifiedTimeAfter)
      .map((e) => ({ EndpointName: e.name, EndpointArn: `arn:${e.name}`, CreationTime: EARLIER, LastModifiedTime: e.modified ?? LATER, EndpointStatus: 'InService' })),
  }));
  // The candidates (and any config or model not named below) exist, created at CANDIDATES_CREATED.
  sagemaker.on(DescribeEndpointConfigCommand).resolves({ CreationTime: CANDIDATES_CREATED, ProductionVariants: [] });
  sagemaker.on(DescribeModelCommand).resolves({ CreationTime: CANDIDATES_CREATED });
  for (const e of all) {
    // Ours on green's config serves green's variant (the promotion's own, which blue's cleanup judges against).
    const variant = e.name === ENDPOINT && e.config === names.greenConfig ? names.variant : 'AllTraffic';
    sagemaker.on(DescribeEndpointCommand, { EndpointName: e.name }).resolves(anEndpoint(e.config, [{ name: variant, weight: 1 }], { EndpointName: e.name }));
    sagemaker.on(DescribeEndpointConfigCommand, { EndpointConfigName: e.config }).resolves({ EndpointConfigName: e.config, CreationTime: CANDIDATES_CREATED, ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: e.model }] });
  }
}

const blueEvent: CleanupEvent = { target: 'blue', state: promoted };

beforeEach(() => {
  sagemaker.reset();
  cloudwatch.reset();
  dynamo.reset();
  dynamo.on(GetCommand).resolves(lockHeldBy());
  setStepEnvironment();
  givenEndpoints(names.greenConfig, names.model);
  sagemaker.on(DeleteEndpointConfigCommand).resolves({});
  sagemaker.on(DeleteModelCommand).resolves({});
  cloudwatch.on(DeleteAlarmsCommand).resolves({});
  // Cleanup deletes only alarms that exist: here, all it asks about.
  cloudwatch.on(DescribeAlarmsCommand).callsFake((input: { AlarmNames?: string[] }) => ({ MetricAlarms: (input.AlarmNames ?? []).map((AlarmName) => ({ AlarmName })) }));
});

describe('cleanup', () => {
  test('GIVEN a promotion WHEN blue is cleaned THEN the pair config, blue’s config and model and green’s alarms are deleted', async () => {
    const result = await handler(blueEvent);

    expect(result).toEqual({
      target: 'blue',
      deleted: [`config ${names.pairConfig}`, `config ${OWN_BLUE}`, `model ${OWN_BLUE}`, `alarms ${alarms.join(', ')}`],
      kept: [],
    });
    expect(sagemaker).toHaveReceivedCommandWith(DeleteEndpointConfigCommand, { EndpointConfigName: names.pairConfig });
    expect(sagemaker).toHaveReceivedCommandWith(DeleteEndpointConfigCommand, { EndpointConfigName: OWN_BLUE });
    expect(sagemaker).toHaveReceivedCommandWith(DeleteModelCommand, { ModelName: OWN_BLUE });
    expect(sagemaker).not.toHaveReceivedCommandWith(DeleteEndpointConfigCommand, { EndpointConfigName: names.greenConfig });
    expect(sagemaker).not.toHaveReceivedCommandWith(DeleteModelCommand, { ModelName: names.model });
    expect(cloudwatch).toHaveReceivedCommandWith(DeleteAlarmsCommand, { AlarmNames: alarms });
  });

  test('GIVEN a rollback WHEN green is cleaned THEN green’s configs, model and alarms are deleted and blue’s are not', async () => {
    givenEndpoints(OWN_BLUE, OWN_BLUE);

    const result = await handler({ target: 'green', state: stateAt('baking', {}, { blue: aBlue({ endpointConfigName: OWN_BLUE, modelNames: [OWN_BLUE] }) }) });

    expect(result.deleted).toEqual([`config ${names.pairConfig}`, `config ${names.greenConfig}`, `model ${names.model}`, `alarms ${alarms.join(', ')}`]);
    expect(sagemaker).not.toHaveReceivedCommandWith(DeleteEndpointConfigCommand, { EndpointConfigName: OWN_BLUE });
    expect(sagemaker).not.toHaveReceivedCommandWith(DeleteModelCommand, { ModelName: OWN_BLUE });
  });

  test('GIVEN another endpoint runs blue’s model WHEN blue is cleaned THEN the model is kept as in use', async () => {
    givenEndpoints(names.greenConfig, names.model, [{ name: 'churn-shadow', config: 'churn-shadow-config', model: OWN_BLUE }]);

    const result = await handler(blueEvent);

    expect(result.kept).toEqual([{ resource: `model ${OWN_BLUE}`, reason: 'still used by an endpoint' }]);
    expect(sagemaker).not.toHaveReceivedCommand(DeleteModelCommand);
  });

  test('GIVEN endpoints last modified before the candidates were created WHEN blue is cleaned THEN only the endpoints modified since are listed and described', async () => {
    givenEndpoints(names.greenConfig, names.model, [{ name: 'old-endpoint', config: 'old-config', model: 'old-model', modified: EARLIER }]);

    await handler(blueEvent);

    expect(sagemaker).toHaveReceivedCommandWith(ListEndpointsCommand, { LastModifiedTimeAfter: new Date(CANDIDATES_CREATED.getTime() - 1000) });
    expect(sagemaker).toHaveReceivedCommandWith(DescribeEndpointCommand, { EndpointName: 'fraud-detection' });
    expect(sagemaker).not.toHaveReceivedCommandWith(DescribeEndpointCommand, { EndpointName: 'old-endpoint' });
    expect(sagemaker).not.toHaveReceivedCommandWith(DescribeEndpointConfigCommand, { EndpointConfigName: 'old-config' });
  });

  test('GIVEN another endpoint was pointed at blue’s config by hand WHEN blue is cleaned THEN the config and its model are kept as in use', async () => {
    givenEndpoints(names.greenConfig, names.model, [{ name: 'churn-copy', config: OWN_BLUE, model: OWN_BLUE }]);

    const result = await handler(blueEvent);

    expect(result.kept).toEqual([
      { resource: `config ${OWN_BLUE}`, reason: 'still used by an endpoint' },
      { resource: `model ${OWN_BLUE}`, reason: 'still used by an endpoint' },
    ]);
    expect(sagemaker).not.toHaveReceivedCommandWith(DeleteEndpointConfigCommand, { EndpointConfigName: OWN_BLUE });
    expect(sagemaker).not.toHaveReceivedCommand(DeleteModelCommand);
  });

  test('GIVEN another endpoint runs a config since deleted WHEN blue is cleaned THEN its models cannot be known and every candidate model is kept', async () => {
    givenEndpoints(names.greenConfig, names.model, [{ name: 'churn-orphan', config: 'gone-config', model: 'unknown' }]);
    sagemaker.on(DescribeEndpointConfigCommand, { EndpointConfigName: 'gone-config' }).rejects(notFound('endpoint configuration', 'gone-config'));

    const result = await handler(blueEvent);

    expect(result.kept).toEqual([{ resource: `model ${OWN_BLUE}`, reason: 'still used by an endpoint' }]);
    expect(sagemaker).not.toHaveReceivedCommand(DeleteModelCommand);
  });

  test('GIVEN an operator is deleting the promotion’s endpoint WHEN green is cleaned THEN what it ran is not held as in use and green’s side is deleted', async () => {
    const state = stateAt('baking', {}, { blue: aBlue({ endpointConfigName: OWN_BLUE, modelNames: [OWN_BLUE] }) });
    givenEndpoints(names.pairConfig, names.model);
    sagemaker.on(DescribeEndpointCommand, { EndpointName: ENDPOINT }).resolves(anEndpoint(names.pairConfig, [{ name: 'AllTraffic', weight: 0 }], { EndpointName: ENDPOINT, EndpointStatus: 'Deleting' }));

    const result = await handler({ target: 'green', state });

    expect(result.deleted).toEqual(expect.arrayContaining([`config ${names.pairConfig}`, `model ${names.model}`]));
    expect(result.kept).toEqual([]);
  });

  test('GIVEN the candidates are all gone already WHEN blue is cleaned THEN no endpoint is listed', async () => {
    sagemaker.on(DescribeEndpointConfigCommand).rejects(notFound('endpoint configuration', OWN_BLUE));
    sagemaker.on(DescribeModelCommand).rejects(notFound('model', OWN_BLUE));
    sagemaker.on(DescribeEndpointCommand, { EndpointName: ENDPOINT }).resolves(anEndpoint(names.greenConfig, [{ name: names.variant, weight: 1 }], { EndpointName: ENDPOINT }));

    await handler(blueEvent);

    expect(sagemaker).not.toHaveReceivedCommand(ListEndpointsCommand);
  });

  test('GIVEN blue’s config and model predate the tool WHEN blue is cleaned THEN they are kept with the reason and not deleted', async () => {
    const result = await handler({ target: 'blue', state: stateAt('finalized') });

    expect(result.kept).toEqual([
      { resource: `config ${BLUE_CONFIG}`, reason: expect.stringMatching(/not created by sagemaker-bluegreen/) },
      { resource: `model ${BLUE_MODEL}`, reason: expect.stringMatching(/not created by sagemaker-bluegreen/) },
    ]);
    expect(sagemaker).not.toHaveReceivedCommandWith(DeleteEndpointConfigCommand, { EndpointConfigName: BLUE_CONFIG });
    expect(sagemaker).not.toHaveReceivedCommand(DeleteModelCommand);
  });

  test('GIVEN an earlier try already deleted some (ValidationException "Could not find") WHEN cleaned again THEN it succeeds and lists only what it deleted', async () => {
    sagemaker.on(DeleteEndpointConfigCommand, { EndpointConfigName: names.pairConfig }).rejects(notFound('endpoint configuration', names.pairConfig));
    sagemaker.on(DeleteModelCommand).rejects(notFound('model', OWN_BLUE));

    const result = await handler(blueEvent);

    expect(result).toEqual({ target: 'blue', deleted: [`config ${OWN_BLUE}`, `alarms ${alarms.join(', ')}`], kept: [] });
  });

  test('GIVEN a delete SageMaker refuses for good WHEN cleaned THEN it is recorded as kept with the error and the rest is still deleted', async () => {
    sagemaker.on(DeleteModelCommand).rejects(sageMakerError('AccessDeniedException', `User is not authorized to perform: sagemaker:DeleteModel on resource ${OWN_BLUE}`));

    const result = await handler(blueEvent);

    expect(result.kept).toEqual([{ resource: `model ${OWN_BLUE}`, reason: expect.stringMatching(/^AccessDeniedException: User is not authorized/) }]);
    expect(result.deleted).toEqual([`config ${names.pairConfig}`, `config ${OWN_BLUE}`, `alarms ${alarms.join(', ')}`]);
  });

  test('GIVEN SageMaker throttles a delete WHEN cleaned THEN ThrottlingException is rethrown for the state machine to retry', async () => {
    sagemaker.on(DeleteEndpointConfigCommand).rejects(throttled());

    await expect(handler(blueEvent)).rejects.toMatchObject({ name: 'ThrottlingException' });
    expect(sagemaker).not.toHaveReceivedCommand(DeleteModelCommand);
  });

  test('GIVEN CloudWatch throttles DeleteAlarms WHEN cleaned THEN the error is rethrown', async () => {
    cloudwatch.on(DeleteAlarmsCommand).rejects(cloudWatchError('Throttling', 'Rate exceeded'));

    await expect(handler(blueEvent)).rejects.toMatchObject({ name: 'Throttling' });
  });

  test('GIVEN an endpoint is deleted while the account is listed WHEN cleaned THEN it is skipped as using nothing', async () => {
    givenEndpoints(names.greenConfig, names.model, [{ name: 'short-lived', config: 'short-lived-config', model: OWN_BLUE }]);
    sagemaker.on(DescribeEndpointCommand, { EndpointName: 'short-lived' }).rejects(notFound('endpoint', 'short-lived'));

    const result = await handler(blueEvent);

    expect(result.deleted).toContain(`model ${OWN_BLUE}`);
  });

  test('GIVEN describing a listed endpoint is throttled WHEN cleaned THEN the error propagates before anything is deleted', async () => {
    sagemaker.on(DescribeEndpointCommand, { EndpointName: 'fraud-detection' }).rejects(throttled());

    await expect(handler(blueEvent)).rejects.toMatchObject({ name: 'ThrottlingException' });
    expect(sagemaker).not.toHaveReceivedCommand(DeleteEndpointConfigCommand);
  });

  test('GIVEN the endpoints come in several pages WHEN cleaned THEN every page is read for resources in use', async () => {
    sagemaker
      .on(ListEndpointsCommand)
      .resolvesOnce({ Endpoints: [{ EndpointName: ENDPOINT, EndpointArn: 'arn:1', CreationTime: new Date(), LastModifiedTime: new Date(), EndpointStatus: 'InService' }], NextToken: 'page-2' })
      .resolvesOnce({ Endpoints: [{ EndpointName: 'churn-shadow', EndpointArn: 'arn:2', CreationTime: new Date(), LastModifiedTime: new Date(), EndpointStatus: 'InService' }] });
    sagemaker.on(DescribeEndpointCommand, { EndpointName: 'churn-shadow' }).resolves(anEndpoint('churn-shadow-config', [{ name: BLUE_VARIANT, weight: 1 }], { EndpointName: 'churn-shadow' }));
    sagemaker.on(DescribeEndpointConfigCommand, { EndpointConfigName: 'churn-shadow-config' }).resolves({ EndpointConfigName: 'churn-shadow-config', ProductionVariants: [{ VariantName: BLUE_VARIANT, ModelName: OWN_BLUE }] });

    const result = await handler(blueEvent);

    expect(sagemaker).toHaveReceivedCommandTimes(ListEndpointsCommand, 2);
    expect(result.kept).toEqual([{ resource: `model ${OWN_BLUE}`, reason: 'still used by an endpoint' }]);
  });
  test('GIVEN the endpoint is still updating to the pair config (a rollback that gave up) THEN green\'s model, which that pending config needs, is kept', async () => {
    const rolledBack = stateAt('stoodUp');
    const green = rolledBack.promotion.names;
    sagemaker
      .on(DescribeEndpointCommand, { EndpointName: ENDPOINT })
      .resolves(anEndpoint('churn-v1-config', [{ name: 'AllTraffic', weight: 1 }], { EndpointName: ENDPOINT, EndpointStatus: 'Updating', PendingDeploymentSummary: { EndpointConfigName: green.pairConfig } }));
    sagemaker.on(DescribeEndpointConfigCommand, { EndpointConfigName: 'churn-v1-config' }).resolves({ ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: 'churn-v1' }] });
    sagemaker.on(DescribeEndpointConfigCommand, { EndpointConfigName: green.pairConfig }).resolves({
      ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: 'churn-v1' }, { VariantName: green.variant, ModelName: green.model }],
    });

    const result = await handler({ target: 'green', state: rolledBack });

    expect(sagemaker).not.toHaveReceivedCommandWith(DeleteModelCommand, { ModelName: green.model });
    expect(sagemaker).not.toHaveReceivedCommandWith(DeleteEndpointConfigCommand, { EndpointConfigName: green.pairConfig });
    expect(sagemaker).toHaveReceivedCommandWith(DeleteEndpointConfigCommand, { EndpointConfigName: green.greenConfig });
    expect(result.kept).toEqual(expect.arrayContaining([{ resource: `model ${green.model}`, reason: 'still used by an endpoint' }]));
  });
});
