import { InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import { CreateEndpointCommand, CreateModelCommand, UpdateEndpointCommand, UpdateEndpointWeightsAndCapacitiesCommand } from '@aws-sdk/client-sagemaker';
import { loadHandlers, startExecution, type ExecutionResult } from '../../local/executor';
import { mockAws, packageArn, type Knobs } from '../support/mock-aws';
import { applyFunctionEnvironment, synthesizedWorkflow } from '../support/workflow';

/**
 * The synthesized state machine (taken from the template, not hand-copied), executed by
 * aws-local-stepfunctions with the real handlers in-process and the SDK clients mocked.
 */
const workflow = synthesizedWorkflow();
applyFunctionEnvironment(workflow);
const handlers = loadHandlers();

const input = (version: number, extra: Record<string, unknown> = {}) => ({
  endpointName: 'churn-prediction',
  modelPackageArn: packageArn(version),
  // These cases pin the variant strategy's mechanics (weights, pair config); guardrails has its own file.
  strategy: 'variant',
  bakeSeconds: 120,
  validation: { samples: [{ name: 'typical-customer', body: '{"tenure": 12}', expectContains: 'churn' }] },
  ...extra,
});

async function run(knobs: Knobs, promotionInput: unknown, given: 'blue' | 'nothing' = 'blue') {
  const aws = mockAws(knobs);
  if (given === 'blue') aws.givenBlue();
  const result = await startExecution(workflow, { input: promotionInput, name: 'promotion-1', handlers }).result;
  return { aws, result };
}

function history(aws: ReturnType<typeof mockAws>) {
  return [...aws.table.values()].find((i) => String(i.sk).startsWith('PROMOTION#'));
}
const entered = (result: ExecutionResult) => result.events.filter((e) => e.type === 'StateEntered').map((e) => e.state);

describe('promotion workflow (synthesized definition, mocked SDK)', () => {
  test('GIVEN blue serves v1 WHEN v2 is promoted THEN green serves all traffic, blue is deleted, the lock is released', async () => {
    const { aws, result } = await run({}, input(2));

    expect(result.status).toBe('SUCCEEDED');
    const ep = aws.endpoint!;
    expect(ep.status).toBe('InService');
    expect(ep.config).toMatch(/^churn-prediction-v2-[0-9a-f]{6}$/);
    expect(ep.variants).toEqual([expect.objectContaining({ VariantName: expect.stringMatching(/^v2-/), CurrentWeight: 1 })]);
    // Green copied every setting of blue's config; only the model changed.
    const green = aws.configs.get(ep.config)!;
    expect(green.KmsKeyId).toBe('arn:aws:kms:us-east-1:111122223333:key/blue-key');
    expect(green.DataCaptureConfig?.DestinationS3Uri).toBe('s3://capture/churn');
    expect(green.ProductionVariants?.[0]).toMatchObject({ InstanceType: 'ml.m5.large', InitialInstanceCount: 2, ModelName: expect.stringMatching(/-v2-/) });
    // Blue's config is gone only if we created it; v1's config predates the tool and is kept, with the reason recorded.
    expect(aws.configs.has('churn-v1-config')).toBe(true);
    expect([...aws.configs.keys()].some((n) => n.endsWith('-pair'))).toBe(false);
    expect(aws.alarms.size).toBe(0);
    expect(aws.table.has('churn-prediction|LOCK')).toBe(false);
    expect(history(aws)).toMatchObject({ outcome: 'promoted', leftovers: expect.arrayContaining([expect.objectContaining({ resource: 'config churn-v1-config' })]) });
    // Validation went to green only.
    expect(aws.runtime).toHaveReceivedCommandWith(InvokeEndpointCommand, { EndpointName: 'churn-prediction', TargetVariant: expect.stringMatching(/^v2-/) });
    expect(aws.sagemaker).toHaveReceivedCommandWith(UpdateEndpointWeightsAndCapacitiesCommand, {
      DesiredWeightsAndCapacities: expect.arrayContaining([{ VariantName: 'AllTraffic', DesiredWeight: 0 }, { VariantName: expect.stringMatching(/^v2-/), DesiredWeight: 1 }]),
    });
    expect(entered(result)).toEqual(expect.arrayContaining(['StandUpGreen', 'ValidateGreen', 'ShiftTraffic', 'CheckGuardrails', 'Finalize', 'CleanupBlue', 'Promoted']));
  });

  test('GIVEN no endpoint WHEN v1 is promoted THEN it is created from green and validated, with no bake', async () => {
    const { aws, result } = await run({}, input(1), 'nothing');

    expect(result.status).toBe('SUCCEEDED');
    expect(aws.sagemaker).toHaveReceivedCommandWith(CreateEndpointCommand, { EndpointName: 'churn-prediction' });
    expect(aws.configs.get(aws.endpoint!.config)!.ProductionVariants?.[0]).toMatchObject({ InstanceType: 'ml.m5.xlarge', InitialInstanceCount: 1 });
    expect(entered(result)).not.toContain('ShiftTraffic');
    expect(history(aws)).toMatchObject({ outcome: 'promoted', firstDeployment: true });
  });

  test('GIVEN green answers 500 WHEN validated THEN traffic never moves, green is removed and the execution fails PromotionRolledBack naming the request', async () => {
    const { aws, result } = await run({ greenStatus: 500 }, input(2));

    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('PromotionRolledBack');
    expect(result.cause).toMatch(/GreenValidationFailed: .*typical-customer: status 500, expected 200/);
    expect(aws.sagemaker).not.toHaveReceivedCommand(UpdateEndpointWeightsAndCapacitiesCommand);
    expect(aws.endpoint).toMatchObject({ config: 'churn-v1-config', status: 'InService' });
    expect([...aws.models.keys()]).toEqual(['churn-v1']);
    expect([...aws.configs.keys()]).toEqual(['churn-v1-config']);
    expect(aws.table.has('churn-prediction|LOCK')).toBe(false);
    expect(history(aws)).toMatchObject({ outcome: 'rolled_back' });
  });

  test('GIVEN a guardrail alarm fires during the bake THEN traffic goes back to blue in one weights call, then blue config, and green is deleted', async () => {
    // No alarm trigger here: the check at the bake's end finds the alarm (the first DescribeAlarms of the bake).
    const { aws, result } = await run({ alarmAfterChecks: 0 }, input(2));

    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('PromotionRolledBack');
    expect(result.cause).toMatch(/GuardrailAlarm: guardrail alarm bluegreen-churn-prediction-v2-[0-9a-f]{6}-5xx is in ALARM: Threshold Crossed/);
    expect(aws.sagemaker).toHaveReceivedCommandWith(UpdateEndpointWeightsAndCapacitiesCommand, {
      DesiredWeightsAndCapacities: expect.arrayContaining([{ VariantName: 'AllTraffic', DesiredWeight: 1 }]),
    });
    expect(aws.sagemaker).toHaveReceivedCommandWith(UpdateEndpointCommand, { EndpointConfigName: 'churn-v1-config' });
    expect(aws.endpoint).toMatchObject({ config: 'churn-v1-config', status: 'InService', variants: [expect.objectContaining({ VariantName: 'AllTraffic', CurrentWeight: 1 })] });
    expect(aws.alarms.size).toBe(0);
    expect([...aws.models.keys()]).toEqual(['churn-v1']);
    expect(history(aws)).toMatchObject({ outcome: 'rolled_back', rollbackActions: expect.arrayContaining([expect.stringMatching(/^traffic back to blue/)]) });
  });

  test('GIVEN green is not InService by the deadline THEN the promotion rolls back once SageMaker lets it (an update cannot be cancelled)', async () => {
    // 120 s deadline at a 30 s poll = 4 polls; the update takes 7 describes.
    const { aws, result } = await run({ updateDescribes: 7 }, input(2, { deadlines: { inServiceSeconds: 120 } }));

    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('PromotionRolledBack');
    expect(result.cause).toMatch(/DeadlineExceeded: standUp: endpoint churn-prediction still Updating after 4 polls \(deadline\)/);
    expect(aws.endpoint).toMatchObject({ config: 'churn-v1-config', status: 'InService' });
    expect([...aws.configs.keys()]).toEqual(['churn-v1-config']);
    expect(history(aws)).toMatchObject({ outcome: 'rolled_back', rollbackActions: expect.arrayContaining(['waiting: endpoint Updating', 'endpoint back to blue config churn-v1-config']) });
  });

  test('GIVEN the endpoint stays Updating forever THEN the bounded rollback gives up with RollbackFailed, recorded, and the lock released', async () => {
    const { aws, result } = await run({ neverInService: true }, input(2, { deadlines: { inServiceSeconds: 60 } }));

    expect(result.error).toBe('RollbackFailed');
    expect(result.cause).toMatch(/rollback did not complete .*did not get back to blue within 6 polls.*DeadlineExceeded/);
    expect(history(aws)).toMatchObject({ outcome: 'failed' });
    expect(aws.table.has('churn-prediction|LOCK')).toBe(false);
  });

  test('GIVEN green fails to provision THEN SageMaker\'s FailureReason is the rollback reason', async () => {
    const { aws, result } = await run({ failUpdate: 'The primary container for production variant v2 did not pass the ping health check.' }, input(2));

    expect(result.error).toBe('PromotionRolledBack');
    expect(result.cause).toMatch(/GreenNotInService: .*did not pass the ping health check/);
    expect(aws.endpoint).toMatchObject({ config: 'churn-v1-config', status: 'InService' });
    expect([...aws.configs.keys()]).toEqual(['churn-v1-config']);
  });

  test('GIVEN SageMaker rolls the update back silently THEN InService alone is not trusted and the promotion rolls back', async () => {
    const { aws, result } = await run({ silentRollback: true }, input(2));

    expect(result.error).toBe('PromotionRolledBack');
    expect(result.cause).toMatch(/UnexpectedEndpointState: .*InService on config churn-v1-config, expected churn-prediction-v2-[0-9a-f]{6}-pair; SageMaker rolled the update back without a FailureReason/);
    expect(aws.sagemaker).not.toHaveReceivedCommand(UpdateEndpointWeightsAndCapacitiesCommand);
    expect(aws.endpoint?.config).toBe('churn-v1-config');
  });

  test('GIVEN a bad input THEN the first state fails naming the fields and nothing is touched', async () => {
    const { aws, result } = await run({}, { endpointName: 'bad_name!', modelPackageArn: 'arn:aws:sagemaker:us-east-1:111122223333:model-package/churn-models', bakeSeconds: -5 });

    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('InvalidPromotionInput');
    expect(result.cause).toMatch(/endpointName: .*modelPackageArn: .*bakeSeconds/);
    expect(entered(result)).toEqual(['Recovery?', 'ValidateInput', 'Rejected']);
    expect(aws.sagemaker.calls()).toHaveLength(0);
    expect(aws.dynamo.calls()).toHaveLength(0);
  });

  test('GIVEN a model package that is not Approved THEN it is refused before anything is created', async () => {
    const aws = mockAws();
    aws.givenBlue();
    aws.approvedPackages.delete(3);
    const result = await startExecution(workflow, { input: input(3), handlers }).result;

    expect(result.error).toBe('ModelPackageNotDeployable');
    expect(result.cause).toMatch(/is PendingManualApproval; only Approved model packages are deployed/);
    expect(aws.models.size).toBe(1);
    // Only the lock was read (a busy endpoint is refused first): nothing written.
    expect(aws.dynamo.calls().map((c) => (c.args[0] as { constructor: { name: string } }).constructor.name)).toEqual(['GetCommand']);
  });

  test('GIVEN another promotion holds the lock THEN the second is rejected naming the running one', async () => {
    const aws = mockAws();
    aws.givenBlue();
    aws.table.set('churn-prediction|LOCK', { endpointName: 'churn-prediction', sk: 'LOCK', promotionId: 'promotion-0', modelPackageArn: packageArn(2), acquiredAt: '2026-11-22T00:00:00Z' });
    const result = await startExecution(workflow, { input: input(3), handlers }).result;

    expect(result.error).toBe('PromotionInProgress');
    expect(result.cause).toMatch(/being promoted by promotion-0/);
    // in the first state, and recorded as a refused start
    expect(entered(result)).toEqual(['Recovery?', 'ValidateInput', 'Rejected']);
    expect([...aws.table.values()]).toContainEqual(expect.objectContaining({ endpointName: 'churn-prediction', outcome: 'refused', refusedFor: 'promotion-0' }));
    expect(aws.models.size).toBe(1);
    expect(aws.sagemaker).not.toHaveReceivedCommand(CreateModelCommand);
  });
});
