import { CreateEndpointCommand } from '@aws-sdk/client-sagemaker';
import { describeEndpoint, ended, GROUP, historyRow, promotionInput, resourcesOf, settle, startPromotion, startWorld, waitInService, type World } from './world';

/**
 * Cleanup never deletes a config or model another endpoint runs, without describing every endpoint
 * of the account: SageMaker's DeleteEndpointConfig and DeleteModel do not refuse one in use
 * (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DeleteEndpointConfig.html: "You must
 * not delete an EndpointConfig in use by an endpoint that is live"; API_DeleteModel: no such check).
 */
let world: World;

beforeAll(async () => {
  world = await startWorld(['demo-shared']);
}, 60000);
afterEach(async () => settle(world));
afterAll(async () => world?.aws.close());

test('GIVEN blue’s config (made by an earlier promotion) was pointed at by another endpoint by hand WHEN the next promotion cleans blue THEN that config and its model are kept as in use and the other endpoint still serves', async () => {
  const endpointName = 'demo-shared';
  const first = await startPromotion(world, 'shared-1', promotionInput(endpointName, world.v2));
  expect(await ended(world, first.executionArn)).toMatchObject({ status: 'SUCCEEDED' });
  // Someone copies the serving setup onto an endpoint of their own, reusing the promotion's config.
  await world.sagemaker.send(new CreateEndpointCommand({ EndpointName: 'demo-shared-copy', EndpointConfigName: first.green.greenConfig }));
  await waitInService(world, 'demo-shared-copy');
  const v3 = await world.seed.register(GROUP);
  await world.seed.setApproval(v3, 'Approved');

  const second = await startPromotion(world, 'shared-2', promotionInput(endpointName, v3));
  expect(await ended(world, second.executionArn)).toMatchObject({ status: 'SUCCEEDED' });

  // Kept by the cleanup's own decision: SageMaker (and the emulator) would delete them, and settle() would then fail on the hazard.
  const row = await historyRow(world, second);
  expect(row?.leftovers).toEqual(
    expect.arrayContaining([
      { resource: `config ${first.green.greenConfig}`, reason: 'still used by an endpoint' },
      { resource: `model ${first.green.model}`, reason: 'still used by an endpoint' },
    ]),
  );
  const left = resourcesOf(world, endpointName);
  expect(left.endpointConfigs).toEqual(expect.arrayContaining([first.green.greenConfig]));
  expect(left.models).toEqual(expect.arrayContaining([first.green.model]));
  // What nothing else uses went: the first promotion's pair config.
  expect(left.endpointConfigs).not.toContain(first.green.pairConfig);
  expect(await describeEndpoint(world, 'demo-shared-copy')).toMatchObject({ EndpointStatus: 'InService', EndpointConfigName: first.green.greenConfig });
}, 60000);
