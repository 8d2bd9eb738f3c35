import {
  CreateEndpointConfigCommand,
  DeleteEndpointCommand,
  UpdateEndpointCommand,
  UpdateEndpointWeightsAndCapacitiesCommand,
} from '@aws-sdk/client-sagemaker';
import { bluegreen, cliEnv } from '../cli/helpers';
import {
  describeEndpoint,
  ended,
  entered,
  eventually,
  handMade,
  historyRow,
  lockItem,
  promotionInput,
  resourcesOf,
  settle,
  startPromotion,
  startWorld,
  variantsOf,
  waitInService,
  type Ended,
  type HistoryRow,
  type Promotion,
  type World,
} from './world';

/**
 * Outside changes win (issue 11): someone else changes the endpoint while a promotion runs (an
 * operator's weights call, UpdateEndpoint to another config or back to blue's, DeleteEndpoint).
 * The promotion stops acting on the endpoint at once — no finalize, no rollback that would undo
 * the operator — deletes only its own resources that nothing uses, records the outcome
 * `interrupted` with what changed, and releases the lock. Both strategies, on the local AWS
 * (blue = 2 × ml.m5.large, the clock at 600×).
 */
let world: World;

const VARIANT = ['demo-o-weights', 'demo-o-config', 'demo-o-deleted', 'demo-o-back'];
const GUARDRAILS = ['demo-og-capacity', 'demo-og-config', 'demo-og-deleted', 'demo-og-back'];

beforeAll(async () => {
  // A 1200× clock: every operator acts on what the promotion shows (its InService, its bake), not on wall time.
  world = await startWorld([...VARIANT, ...GUARDRAILS], { timeScale: 1200 });
}, 60000);
afterEach(async () => settle(world));
afterAll(async () => world?.aws.close());

/** variant: an hour's bake, so the operator acts while the bake waits (6 s here); it ends at once when the change is seen. */
const variantInput = (endpointName: string) => ({ ...promotionInput(endpointName, world.v2), bakeSeconds: 3600 });
/** guardrails: SageMaker's termination wait takes the first 3600 s, the workflow bakes 1800 s more, after the deployment. */
const guardrailsInput = (endpointName: string, bakeSeconds = 5400) => ({ ...promotionInput(endpointName, world.v2), strategy: 'guardrails', bakeSeconds });

/** The workflow's own bake waits (its task token parked on the lock). */
async function baking(promotion: Promotion): Promise<void> {
  await entered(world, promotion.executionArn, 'Bake');
  await eventually(async () => (await lockItem(world, promotion.endpointName))?.bakeTaskToken !== undefined, 'the bake to park its task token');
}

/** Calls that change the endpoint (by anyone) from log index `from` on. */
const changesOf = (endpointName: string, from: number) =>
  world.aws.emulator.callLog
    .slice(from)
    .filter((c) => ['UpdateEndpoint', 'UpdateEndpointWeightsAndCapacities', 'DeleteEndpoint'].includes(c.operation) && (c.input as { EndpointName?: string }).EndpointName === endpointName)
    .map((c) => c.operation);

/** The outcome names the change, the lock is free, and nothing of the promotion's own is left unrecorded. */
async function expectInterrupted(execution: Ended, promotion: Promotion, change: RegExp): Promise<HistoryRow> {
  expect(execution).toMatchObject({ status: 'FAILED', error: 'PromotionInterrupted' });
  expect(execution.cause).toMatch(new RegExp(`^OutsideChange: ${change.source}`));
  expect(execution.statesEntered).toEqual(expect.arrayContaining(['CleanupInterrupted', 'RecordInterrupted', 'PromotionInterrupted']));
  for (const state of ['Finalize', 'RollBack', 'CleanupBlue', 'CleanupGreen']) expect(execution.statesEntered).not.toContain(state);
  expect(await lockItem(world, promotion.endpointName)).toBeUndefined();
  const row = (await historyRow(world, promotion))!;
  expect(row).toMatchObject({
    outcome: 'interrupted',
    reason: execution.cause,
    interruption: { change: expect.stringMatching(change), detectedBy: expect.any(String), detectedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) },
  });
  // Every resource of the promotion's own that still exists is in the record, with the reason it was kept.
  const kept = new Set((row.leftovers ?? []).map((l) => l.resource));
  const left = resourcesOf(world, promotion.endpointName);
  // The promotion's own names: green's model and config, and the -pair/-val configs derived from them.
  const own = (name: string) => name.startsWith(promotion.green.model);
  for (const config of left.endpointConfigs.filter(own)) expect(kept).toContain(`config ${config}`);
  for (const model of left.models.filter(own)) expect(kept).toContain(`model ${model}`);
  expect(left.alarms).toEqual([]);
  return row;
}

describe('variant strategy: someone else acts during the bake', () => {
  test('GIVEN all traffic on green WHEN an operator moves the weights back to blue THEN the promotion ends interrupted naming the weights, the endpoint stays as the operator left it, and status, history and watch say so', async () => {
    const endpointName = 'demo-o-weights';
    const promotion = await startPromotion(world, 'o-weights-1', variantInput(endpointName));
    await baking(promotion);
    const from = world.aws.emulator.callLog.length;
    await world.sagemaker.send(
      new UpdateEndpointWeightsAndCapacitiesCommand({
        EndpointName: endpointName,
        DesiredWeightsAndCapacities: [{ VariantName: 'AllTraffic', DesiredWeight: 1 }, { VariantName: promotion.green.variant, DesiredWeight: 0 }],
      }),
    );
    const execution = await ended(world, promotion.executionArn);

    const row = await expectInterrupted(execution, promotion, new RegExp(`weights moved on ${promotion.green.pairConfig}: AllTraffic=1, ${promotion.green.variant}=0, expected AllTraffic=0, ${promotion.green.variant}=1`));
    // The operator's weights call is the only change to the endpoint since: no finalize, no rollback.
    expect(changesOf(endpointName, from)).toEqual(['UpdateEndpointWeightsAndCapacities']);
    await waitInService(world, endpointName);
    const endpoint = await describeEndpoint(world, endpointName);
    expect(endpoint.EndpointConfigName).toBe(promotion.green.pairConfig);
    expect(variantsOf(endpoint)).toEqual([{ VariantName: 'AllTraffic', CurrentWeight: 1 }, { VariantName: promotion.green.variant, CurrentWeight: 0 }]);
    // Green's config alone is used by nothing: deleted; the pair and green's model serve: kept, recorded. Blue's are untouched.
    const blue = handMade(endpointName);
    expect(resourcesOf(world, endpointName)).toEqual({ models: [blue.model, promotion.green.model].sort(), endpointConfigs: [blue.config, promotion.green.pairConfig].sort(), alarms: [] });
    expect(row.cleanedUp).toEqual(expect.arrayContaining([`config ${promotion.green.greenConfig}`, expect.stringMatching(/^alarms bluegreen-demo-o-weights-v2-/)]));
    expect(row.leftovers).toEqual(expect.arrayContaining([{ resource: `config ${promotion.green.pairConfig}`, reason: 'still used by an endpoint' }]));

    // The CLI: watch ends with a clear line and exit 3; status and history show the interruption and the change.
    const env = cliEnv(world.aws);
    const watched = await bluegreen(env, 'watch', promotion.executionArn, '--interval', '10ms');
    expect(watched.code).toBe(3);
    expect(watched.stdout).toMatch(/Interrupted after .*: someone else changed the endpoint, and their change stands: OutsideChange: weights moved on /);
    const status = await bluegreen(env, 'status', endpointName);
    expect(status.stdout).toContain('No promotion in flight.');
    expect(status.stdout).toMatch(/Last promotion o-weights-1: interrupted at \S+: someone else changed the endpoint \(seen by \S+ at \S+\): weights moved on /);
    const history = await bluegreen(env, 'history', endpointName, '--json');
    expect(JSON.parse(history.stdout).promotions[0]).toMatchObject({ promotionId: 'o-weights-1', outcome: 'interrupted', interruption: { change: expect.stringMatching(/^weights moved on /) } });
  }, 30000);

  test('GIVEN the bake WHEN an operator updates the endpoint to another config THEN the promotion ends interrupted naming that config and never calls UpdateEndpoint after it', async () => {
    const endpointName = 'demo-o-config';
    const hotfix = `${endpointName}-hotfix-config`;
    await world.sagemaker.send(
      new CreateEndpointConfigCommand({
        EndpointConfigName: hotfix,
        ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: handMade(endpointName).model, InstanceType: 'ml.m5.large', InitialInstanceCount: 2, InitialVariantWeight: 1 }],
      }),
    );
    const promotion = await startPromotion(world, 'o-config-1', variantInput(endpointName));
    await baking(promotion);
    const from = world.aws.emulator.callLog.length;
    await world.sagemaker.send(new UpdateEndpointCommand({ EndpointName: endpointName, EndpointConfigName: hotfix }));
    const execution = await ended(world, promotion.executionArn);

    await expectInterrupted(execution, promotion, new RegExp(`endpoint ${endpointName} (is updating to|runs) config ${hotfix}`));
    expect(changesOf(endpointName, from)).toEqual(['UpdateEndpoint']);
    await waitInService(world, endpointName);
    expect(await describeEndpoint(world, endpointName)).toMatchObject({ EndpointStatus: 'InService', EndpointConfigName: hotfix });
    expect(resourcesOf(world, endpointName).endpointConfigs).not.toContain(promotion.green.greenConfig);
  }, 30000);

  test('GIVEN the bake WHEN an operator deletes the endpoint THEN the promotion ends interrupted naming the deletion, and its own resources go', async () => {
    const endpointName = 'demo-o-deleted';
    const promotion = await startPromotion(world, 'o-deleted-1', variantInput(endpointName));
    await baking(promotion);
    const from = world.aws.emulator.callLog.length;
    await world.sagemaker.send(new DeleteEndpointCommand({ EndpointName: endpointName }));
    const execution = await ended(world, promotion.executionArn);

    await expectInterrupted(execution, promotion, new RegExp(`endpoint ${endpointName} (is being deleted|was deleted) by someone else`));
    expect(changesOf(endpointName, from)).toEqual(['DeleteEndpoint']);
    // An endpoint being deleted uses nothing: green's configs and model are gone; blue's hand-made ones are not the promotion's to delete.
    const blue = handMade(endpointName);
    expect(resourcesOf(world, endpointName)).toEqual({ models: [blue.model], endpointConfigs: [blue.config], alarms: [] });
  }, 30000);

  test('GIVEN the bake WHEN an operator updates the endpoint back to blue’s config THEN the promotion ends interrupted (not a rollback of its own) and blue serves as the operator set it', async () => {
    const endpointName = 'demo-o-back';
    const blue = handMade(endpointName);
    const promotion = await startPromotion(world, 'o-back-1', variantInput(endpointName));
    await baking(promotion);
    const from = world.aws.emulator.callLog.length;
    await world.sagemaker.send(new UpdateEndpointCommand({ EndpointName: endpointName, EndpointConfigName: blue.config }));
    const execution = await ended(world, promotion.executionArn);

    await expectInterrupted(execution, promotion, new RegExp(`endpoint ${endpointName} is (updating back to|back on) blue's config ${blue.config}`));
    expect(changesOf(endpointName, from)).toEqual(['UpdateEndpoint']);
    await waitInService(world, endpointName);
    const endpoint = await describeEndpoint(world, endpointName);
    expect(endpoint.EndpointConfigName).toBe(blue.config);
    expect(variantsOf(endpoint)).toEqual([{ VariantName: 'AllTraffic', CurrentWeight: 1 }]);
  }, 30000);
});

describe('guardrails strategy: someone else acts during the deployment or the bake', () => {
  test('GIVEN the workflow’s bake after SageMaker’s deployment WHEN an operator changes green’s instance count (no autoscaling) THEN the promotion ends interrupted naming the count, and green keeps serving as set', async () => {
    const endpointName = 'demo-og-capacity';
    const promotion = await startPromotion(world, 'og-capacity-1', guardrailsInput(endpointName));
    await baking(promotion);
    const from = world.aws.emulator.callLog.length;
    await world.sagemaker.send(new UpdateEndpointWeightsAndCapacitiesCommand({ EndpointName: endpointName, DesiredWeightsAndCapacities: [{ VariantName: 'AllTraffic', DesiredInstanceCount: 3 }] }));
    const execution = await ended(world, promotion.executionArn);

    await expectInterrupted(execution, promotion, /instance count of variant AllTraffic changed to 3 \(current \d, desired 3\), expected 2/);
    expect(changesOf(endpointName, from)).toEqual(['UpdateEndpointWeightsAndCapacities']);
    await waitInService(world, endpointName);
    const endpoint = await describeEndpoint(world, endpointName);
    expect(endpoint).toMatchObject({ EndpointConfigName: promotion.green.greenConfig, ProductionVariants: [expect.objectContaining({ VariantName: 'AllTraffic', CurrentInstanceCount: 3 })] });
    // The validation endpoint is long gone; blue's hand-made config and model are kept (the interruption never cleans blue).
    expect(Object.keys(world.aws.emulator.inspect().endpoints)).not.toContain(promotion.green.validationEndpoint);
    const blue = handMade(endpointName);
    expect(resourcesOf(world, endpointName)).toEqual({ models: [blue.model, promotion.green.model].sort(), endpointConfigs: [blue.config, promotion.green.greenConfig].sort(), alarms: [] });
  }, 30000);

  test('GIVEN the workflow’s bake WHEN an operator updates the endpoint to another config THEN the promotion ends interrupted and never calls UpdateEndpoint after it', async () => {
    const endpointName = 'demo-og-config';
    const hotfix = `${endpointName}-hotfix-config`;
    await world.sagemaker.send(
      new CreateEndpointConfigCommand({
        EndpointConfigName: hotfix,
        ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: handMade(endpointName).model, InstanceType: 'ml.m5.large', InitialInstanceCount: 2, InitialVariantWeight: 1 }],
      }),
    );
    const promotion = await startPromotion(world, 'og-config-1', guardrailsInput(endpointName));
    await baking(promotion);
    const from = world.aws.emulator.callLog.length;
    await world.sagemaker.send(new UpdateEndpointCommand({ EndpointName: endpointName, EndpointConfigName: hotfix }));
    const execution = await ended(world, promotion.executionArn);

    await expectInterrupted(execution, promotion, new RegExp(`endpoint ${endpointName} (is updating to|runs) config ${hotfix}`));
    expect(changesOf(endpointName, from)).toEqual(['UpdateEndpoint']);
    await waitInService(world, endpointName);
    expect(await describeEndpoint(world, endpointName)).toMatchObject({ EndpointConfigName: hotfix });
  }, 30000);

  test('GIVEN SageMaker is deploying green (the shift’s InService wait) WHEN an operator deletes the endpoint THEN the InService check sees it and the promotion ends interrupted, its validation endpoint, configs and model deleted', async () => {
    const endpointName = 'demo-og-deleted';
    const promotion = await startPromotion(world, 'og-deleted-1', guardrailsInput(endpointName, 300));
    await entered(world, promotion.executionArn, 'WaitForTrafficOnGreen');
    const from = world.aws.emulator.callLog.length;
    await world.sagemaker.send(new DeleteEndpointCommand({ EndpointName: endpointName }));
    const execution = await ended(world, promotion.executionArn);

    const row = await expectInterrupted(execution, promotion, new RegExp(`endpoint ${endpointName} (is being deleted|was deleted) by someone else`));
    expect(row.interruption).toMatchObject({ detectedBy: 'wait-for-endpoint:shift' });
    expect(changesOf(endpointName, from)).toEqual(['DeleteEndpoint']);
    const blue = handMade(endpointName);
    await eventually(() => resourcesOf(world, endpointName).endpointConfigs.length === 1, 'green’s configs to be gone');
    expect(resourcesOf(world, endpointName)).toEqual({ models: [blue.model], endpointConfigs: [blue.config], alarms: [] });
    // Deleted at the shift already (Deleting for a while).
    await eventually(() => !Object.keys(world.aws.emulator.inspect().endpoints).includes(promotion.green.validationEndpoint), 'the validation endpoint to be gone');
  }, 30000);

  test('GIVEN the workflow’s bake after SageMaker’s deployment WHEN an operator updates the endpoint back to blue’s config THEN the promotion ends interrupted and blue serves as the operator set it', async () => {
    const endpointName = 'demo-og-back';
    const blue = handMade(endpointName);
    const promotion = await startPromotion(world, 'og-back-1', guardrailsInput(endpointName));
    await baking(promotion);
    const from = world.aws.emulator.callLog.length;
    await world.sagemaker.send(new UpdateEndpointCommand({ EndpointName: endpointName, EndpointConfigName: blue.config }));
    const execution = await ended(world, promotion.executionArn);

    await expectInterrupted(execution, promotion, new RegExp(`endpoint ${endpointName} is (updating back to|back on) blue's config ${blue.config}`));
    expect(changesOf(endpointName, from)).toEqual(['UpdateEndpoint']);
    await waitInService(world, endpointName);
    expect(await describeEndpoint(world, endpointName)).toMatchObject({ EndpointStatus: 'InService', EndpointConfigName: blue.config });
  }, 30000);
});
