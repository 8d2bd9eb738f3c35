import { ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { handler } from '../../../lambdas/record-outcome';
import type { PromotionState } from '../../../lambdas/shared/contracts';
import { captureEmf, type EmfDocument } from '../../support/emf';
import { conditionalCheckFailed, ENDPOINT, lockHeldBy, PROMOTION_ID, setStepEnvironment, stateAt } from '../../support/fixtures';

const dynamo = mockClient(DynamoDBDocumentClient);

const TABLE = 'bluegreen-promotions';
const throughputExceeded = () => new ProvisionedThroughputExceededException({ $metadata: {}, message: 'Rate of requests exceeds the allowed throughput' });
const HISTORY_KEY = { endpointName: ENDPOINT, sk: `PROMOTION#2025-01-01T00:00:00.000Z#${PROMOTION_ID}` };
/** What Lambda puts in a caught error's Cause. */
const lambdaCause = (errorType: string, errorMessage: string) => JSON.stringify({ errorType, errorMessage, trace: [] });

/** The attributes the history row's UpdateCommand sets, by name. */
function recordedAttributes(): Record<string, unknown> {
  const input = dynamo.commandCalls(UpdateCommand)[0]!.args[0].input;
  const names = input.ExpressionAttributeNames ?? {};
  return Object.fromEntries(Object.entries(names).map(([placeholder, name]) => [name, input.ExpressionAttributeValues?.[`:${placeholder.slice(1)}`]]));
}

beforeEach(() => {
  dynamo.reset();
  setStepEnvironment();
  dynamo.on(GetCommand).resolves(lockHeldBy());
  dynamo.on(UpdateCommand).resolves({});
  dynamo.on(DeleteCommand).resolves({});
});

describe('record-outcome', () => {
  test('GIVEN a promotion without failure WHEN recorded THEN the history row says promoted and the lock is released only if this promotion holds it', async () => {
    const state = {
      ...stateAt('finalized'),
      cleanup: { target: 'blue' as const, deleted: ['config x'], kept: [{ resource: 'config churn-v1-config', reason: 'not created by sagemaker-bluegreen' }] },
    };

    const outcome = await handler(state);

    expect(outcome).toEqual({
      outcome: 'promoted',
      reason: 'version 2 promoted',
      error: 'None',
      finishedAt: expect.any(String),
      durationSeconds: expect.any(Number),
      // What the lifecycle events read (lambdas/shared/evidence.ts): every field present, null when unknown.
      blue: { exists: true, modelPackageArn: state.blue?.modelPackageArn ?? null, version: state.blue?.modelPackageVersion ?? null, endpointConfigName: state.blue?.endpointConfigName },
      evidence: { alarm: null, validation: null, greenLogs: { logGroup: `/aws/sagemaker/Endpoints/${state.promotion.endpointName}`, validationLogGroup: null } },
    });
    expect(dynamo).toHaveReceivedCommandWith(UpdateCommand, { TableName: TABLE, Key: HISTORY_KEY });
    expect(recordedAttributes()).toMatchObject({
      outcome: 'promoted',
      reason: 'version 2 promoted',
      failedWith: null,
      firstDeployment: false,
      greenConfig: state.promotion.names.greenConfig,
      cleanedUp: ['config x'],
      leftovers: [{ resource: 'config churn-v1-config', reason: 'not created by sagemaker-bluegreen' }],
      validation: [{ name: 'typical-customer', ok: true, latencyMs: 42, status: 200 }],
    });
    expect(dynamo).toHaveReceivedCommandWith(DeleteCommand, {
      TableName: TABLE,
      Key: { endpointName: ENDPOINT, sk: 'LOCK' },
      ConditionExpression: 'promotionId = :me',
      ExpressionAttributeValues: { ':me': PROMOTION_ID },
    });
  });

  test('GIVEN a failure after stand-up and a finished rollback WHEN recorded THEN it is rolled_back with the error’s own message', async () => {
    const state: PromotionState = {
      ...stateAt('baking'),
      failure: { Error: 'GuardrailAlarm', Cause: lambdaCause('GuardrailAlarm', 'guardrail alarm churn-5xx is in ALARM: Threshold Crossed') },
      rollback: { attempt: 3, done: true, actions: ['traffic back to blue (AllTraffic=1, v2=0)', 'endpoint serves blue config churn-v1-config'] },
    };

    const outcome = await handler(state);

    expect(outcome).toMatchObject({ outcome: 'rolled_back', error: 'PromotionRolledBack', reason: 'GuardrailAlarm: guardrail alarm churn-5xx is in ALARM: Threshold Crossed' });
    expect(recordedAttributes()).toMatchObject({ outcome: 'rolled_back', failedWith: 'GuardrailAlarm', rollbackActions: state.rollback!.actions });
  });

  test('GIVEN a promotion rolled back on a guardrail alarm WHEN recorded THEN its metrics are published by outcome, strategy and cause, with the endpoint as a property only', async () => {
    const documents = captureEmf();
    // The alarm trigger flagged the lock with the alarm's time; the rollback saw blue serving 42.5 s later.
    dynamo.on(GetCommand).resolves(lockHeldBy(PROMOTION_ID, { abortRequested: { error: 'GuardrailAlarm', reason: 'x', at: '2025-01-01T00:10:00.000Z' } }));
    const state = stateAt('baking', {}, {
      failure: { Error: 'GuardrailAlarm', Cause: lambdaCause('GuardrailAlarm', 'x') },
      validation: { passed: true, samples: [{ name: 's', ok: true, latencyMs: 3, status: 200 }], at: '2025-01-01T00:04:00.000Z' },
      rollback: { attempt: 2, done: true, actions: ['traffic back to blue (AllTraffic=1, v2=0)'], blueAt: '2025-01-01T00:10:42.500Z' },
    });

    await handler(state);

    const published = documents.filter((d) => d.namespace === 'SageMakerBlueGreen');
    const find = (name: string) => published.find((d) => d.metricNames.includes(name));
    expect(find('PromotionsEnded')).toMatchObject({ dimensionSets: [['service', 'Outcome', 'Strategy']], members: { Outcome: 'rolled_back', Strategy: 'variant', PromotionsEnded: 1 } });
    expect(find('PromotionDuration')!.members.PromotionDuration).toBeGreaterThan(0);
    expect(find('TimeToValidate')).toMatchObject({ dimensionSets: [['service', 'Strategy']], members: { TimeToValidate: 240, AlarmToBlue: 42.5 } });
    expect(find('Rollbacks')).toMatchObject({ dimensionSets: [['service', 'Cause']], members: { Cause: 'GuardrailAlarm', Rollbacks: 1 } });
    // The endpoint is an EMF property of the outcome metrics, never one of their dimensions…
    expect(find('PromotionsEnded')!.members).toMatchObject({ endpointName: ENDPOINT, promotionId: PROMOTION_ID });
    expect(published.filter((d) => d.metricNames.includes('PromotionsEnded')).flatMap((d) => d.dimensionSets.flat())).not.toContain('EndpointName');
    // …but for the milestones that mark its promotions on its own graphs, each at its own time.
    const milestones = published.filter((d) => d.metricNames.includes('PromotionMilestone'));
    expect(milestones.map((d) => [d.members.Milestone, new Date(d.timestamp).toISOString()])).toEqual([
      ['started', state.promotion.startedAt],
      ['shifted', state.shift!.at],
      ['blueBack', '2025-01-01T00:10:42.500Z'],
      ['ended', expect.any(String)],
    ]);
    expect(milestones[0]).toMatchObject({ dimensionSets: [['service', 'EndpointName', 'Milestone']], members: { EndpointName: ENDPOINT } });
  });

  test('GIVEN green failed validation and left its failing samples on the lock WHEN recorded THEN the outcome (the event\'s evidence) and the history row carry them', async () => {
    const samples = { target: 'variant green', failed: 1, total: 2, at: '2025-01-01T00:03:00.000Z', samples: [{ name: 'typical-customer', status: 500, latencyMs: 31, problem: 'status 500, expected 200', bodyExcerpt: 'model weights not found', logStreamArn: null, expected: { status: 200, maxLatencyMs: 1000, contains: null, json: null } }] };
    dynamo.on(GetCommand).resolves(lockHeldBy(PROMOTION_ID, { validationEvidence: samples }));
    const state = stateAt('stoodUp', {}, { failure: { Error: 'GreenValidationFailed', Cause: lambdaCause('GreenValidationFailed', 'green failed 1 of 2 validation requests') }, rollback: { attempt: 1, done: true, actions: [] } });

    const outcome = await handler(state);

    expect(outcome.evidence).toEqual({ alarm: null, validation: samples, greenLogs: { logGroup: `/aws/sagemaker/Endpoints/${ENDPOINT}`, validationLogGroup: null } });
    expect(recordedAttributes()).toMatchObject({ evidence: outcome.evidence });
  });

  test('GIVEN the bake\'s own check found the alarm (its error a message only) WHEN recorded THEN the evidence names the alarm the check left on the lock', async () => {
    const alarm = { name: 'churn-green-5xx', stateReason: 'Threshold Crossed: 1 datapoint [3.0] was greater than the threshold (0.0).' };
    dynamo.on(GetCommand).resolves(lockHeldBy(PROMOTION_ID, { alarmEvidence: alarm }));
    const state = stateAt('baking', {}, { failure: { Error: 'GuardrailAlarm', Cause: lambdaCause('GuardrailAlarm', `guardrail alarm ${alarm.name} is in ALARM: ${alarm.stateReason}`) }, rollback: { attempt: 1, done: true, actions: [] } });

    await expect(handler(state)).resolves.toMatchObject({ evidence: { alarm, validation: null } });
  });

  test('GIVEN a fresh function instance WHEN it records twice THEN one ColdStart is counted, named by the function Lambda runs', async () => {
    // What Lambda sets (Powertools counts a cold start only for on-demand initialization).
    process.env.AWS_LAMBDA_FUNCTION_NAME = 'record-outcome-fn';
    process.env.AWS_LAMBDA_INITIALIZATION_TYPE = 'on-demand';
    let documents: EmfDocument[] = [];
    await jest.isolateModulesAsync(async () => {
      documents = captureEmf((await import('@aws-lambda-powertools/metrics')).Metrics);
      // The isolated registry has its own SDK classes: mocked here as in beforeEach.
      const isolated = await import('@aws-sdk/lib-dynamodb');
      const freshDynamo = mockClient(isolated.DynamoDBDocumentClient);
      freshDynamo.on(isolated.GetCommand).resolves(lockHeldBy());
      freshDynamo.on(isolated.UpdateCommand).resolves({});
      freshDynamo.on(isolated.DeleteCommand).resolves({});
      const fresh = await import('../../../lambdas/record-outcome');
      await fresh.handler(stateAt('finalized'));
      await fresh.handler(stateAt('finalized'));
    });
    delete process.env.AWS_LAMBDA_FUNCTION_NAME;
    delete process.env.AWS_LAMBDA_INITIALIZATION_TYPE;

    const coldStarts = documents.filter((d) => d.metricNames.includes('ColdStart'));
    expect(coldStarts).toEqual([expect.objectContaining({ namespace: 'SageMakerBlueGreen', dimensionSets: [['service', 'function_name']], members: expect.objectContaining({ function_name: 'record-outcome-fn', ColdStart: 1 }) })]);
  });

  test('GIVEN a promotion rolled back on a bake check (no alarm time on the lock) WHEN recorded THEN no AlarmToBlue is invented', async () => {
    const documents = captureEmf();
    const state = stateAt('baking', {}, {
      failure: { Error: 'GuardrailAlarm', Cause: lambdaCause('GuardrailAlarm', 'x') },
      rollback: { attempt: 2, done: true, actions: [], blueAt: '2025-01-01T00:10:42.500Z' },
    });

    await handler(state);

    expect(documents.flatMap((d) => d.metricNames)).not.toContain('AlarmToBlue');
    expect(documents.flatMap((d) => d.metricNames)).toContain('Rollbacks');
  });

  test('GIVEN a promoted promotion WHEN recorded THEN no rollback is counted', async () => {
    const documents = captureEmf();

    await handler(stateAt('finalized'));

    expect(documents.find((d) => d.metricNames.includes('PromotionsEnded'))?.members).toMatchObject({ Outcome: 'promoted' });
    expect(documents.flatMap((d) => d.metricNames)).not.toContain('Rollbacks');
  });

  test('GIVEN a failure before green stood up WHEN recorded THEN the promotion failed', async () => {
    const state = stateAt('described', {}, { failure: { Error: 'UnsupportedEndpoint', Cause: lambdaCause('UnsupportedEndpoint', 'blue is serverless') } });

    await expect(handler(state)).resolves.toMatchObject({ outcome: 'failed', error: 'PromotionFailed', reason: 'UnsupportedEndpoint: blue is serverless' });
  });

  test('GIVEN the rollback failed WHEN recorded THEN the error is RollbackFailed', async () => {
    const state = stateAt('baking', {}, {
      failure: { Error: 'DeadlineExceeded', Cause: lambdaCause('DeadlineExceeded', 'shift: still Updating') },
      rollbackFailure: { Error: 'RollbackFailed', Cause: lambdaCause('RollbackFailed', 'did not get back to blue within 10 polls') },
    });

    await expect(handler(state)).resolves.toMatchObject({ outcome: 'failed', error: 'RollbackFailed', reason: expect.stringMatching(/^rollback did not complete \(did not get back to blue within 10 polls\) after DeadlineExceeded: shift: still Updating/) });
  });

  test('GIVEN the rollback gave up while SageMaker may still complete green WHEN recorded THEN blue\'s config and model are named beside what green\'s cleanup kept', async () => {
    const state = stateAt('baking', {}, {
      failure: { Error: 'PromotionAborted', Cause: lambdaCause('PromotionAborted', 'operator') },
      rollbackFailure: { Error: 'ThrottlingException', Cause: lambdaCause('ThrottlingException', 'Rate exceeded') },
      cleanup: { target: 'green', deleted: [], kept: [{ resource: 'config churn-v1-config', reason: 'still used by an endpoint' }] },
    });

    await handler(state);

    const { leftovers } = recordedAttributes() as { leftovers: Array<{ resource: string; reason: string }> };
    expect(leftovers).toEqual([
      { resource: 'config churn-v1-config', reason: 'still used by an endpoint' },
      { resource: 'model churn-v1', reason: expect.stringMatching(/^the rollback did not complete: kept; the endpoint may run either side/) },
    ]);
  });

  test('GIVEN a variant promotion interrupted after Finalize deregistered blue\'s autoscaling WHEN recorded THEN the unrestored scalable target is on the record', async () => {
    const finalized = stateAt('finalized');
    const scaling = { minCapacity: 1, maxCapacity: 4, policies: [] } as never;
    const interruption = { Error: 'OutsideChange', Cause: lambdaCause('OutsideChange', 'config other is not this promotion\'s (detected by wait-for-endpoint:finalize at 2026-12-01T10:00:00.000Z)') };
    const blueVariant = finalized.blue!.variants[0]!.variantName;

    await handler({ ...finalized, blue: { ...finalized.blue!, scaling }, interruption, cleanup: { target: 'green', deleted: [], kept: [] } });

    const { outcome, leftovers } = recordedAttributes() as { outcome: string; leftovers: Array<{ resource: string; reason: string }> };
    expect(outcome).toBe('interrupted');
    expect(leftovers).toEqual([{ resource: expect.stringContaining(`scalable target endpoint/${ENDPOINT}/variant/${blueVariant}`), reason: expect.stringMatching(/not restored/) }]);
  });

  test('GIVEN the same interruption without autoscaling on blue WHEN recorded THEN no scaling leftover is invented', async () => {
    const interruption = { Error: 'OutsideChange', Cause: lambdaCause('OutsideChange', 'endpoint deleted (detected by rollback at 2026-12-01T10:00:00.000Z)') };
    await handler({ ...stateAt('finalized'), interruption, cleanup: { target: 'green', deleted: [], kept: [] } });
    expect((recordedAttributes() as { leftovers: unknown[] }).leftovers).toEqual([]);
  });

  test('GIVEN validate-green left async validation objects on the lock (one it could not delete, one request whose answer may still land) WHEN recorded THEN the history row names them by S3 URI beside what the cleanup kept', async () => {
    const asyncLeftovers = [
      { kind: 'undeleted', uri: 's3://out/churn/bluegreen-validation/v/inputs/p-sample-1', error: 'AccessDenied: Access Denied' },
      { kind: 'pending', uris: ['s3://out/churn/bluegreen-validation/v/a.out', 's3://out/failures/bluegreen-validation/v/b-error.out'], seconds: 30 },
    ];
    dynamo.on(GetCommand).resolves(lockHeldBy(PROMOTION_ID, { asyncLeftovers }));
    const state = stateAt('stoodUp', {}, {
      failure: { Error: 'GreenValidationFailed', Cause: lambdaCause('GreenValidationFailed', 'no output within validation.asyncOutputSeconds') },
      cleanup: { target: 'green', deleted: [], kept: [{ resource: 'config churn-v1-config', reason: 'not created by sagemaker-bluegreen' }] },
    });

    await handler(state);

    expect((recordedAttributes() as { leftovers: unknown[] }).leftovers).toEqual([
      { resource: 'config churn-v1-config', reason: 'not created by sagemaker-bluegreen' },
      { resource: 'object s3://out/churn/bluegreen-validation/v/inputs/p-sample-1', reason: expect.stringMatching(/could not be deleted \(AccessDenied: Access Denied\): delete it$/) },
      { resource: 'objects s3://out/churn/bluegreen-validation/v/a.out, s3://out/failures/bluegreen-validation/v/b-error.out', reason: expect.stringMatching(/\(30 s\): an answer \(output or failure object\) may still arrive here; delete it once it does$/) },
    ]);
  });

  test('GIVEN cleanup failed after retries WHEN recorded THEN every resource it would have deleted or kept is named, with why', async () => {
    const state = stateAt('finalized', {}, { cleanupFailure: { Error: 'ThrottlingException', Cause: lambdaCause('ThrottlingException', 'Rate exceeded') } });
    const { names } = state.promotion;

    await handler(state);

    const { outcome, leftovers } = recordedAttributes() as { outcome: string; leftovers: Array<{ resource: string; reason: string }> };
    expect(outcome).toBe('promoted');
    const mayRemain = 'cleanup failed (ThrottlingException: Rate exceeded); may remain: delete it once nothing uses it';
    expect(leftovers).toEqual(
      expect.arrayContaining([
        { resource: `config ${names.pairConfig}`, reason: mayRemain },
        { resource: `alarm ${names.alarmPrefix}-5xx`, reason: mayRemain },
        expect.objectContaining({ resource: expect.stringMatching(/^(config|model) churn-v1/), reason: expect.stringMatching(/not created by sagemaker-bluegreen/) }),
      ]),
    );
  });

  test('GIVEN another promotion holds the lock WHEN recorded THEN the conditional delete fails, the lock is left alone and the outcome still returns', async () => {
    dynamo.on(DeleteCommand).rejects(conditionalCheckFailed());

    await expect(handler(stateAt('finalized'))).resolves.toMatchObject({ outcome: 'promoted' });
    expect(dynamo).toHaveReceivedCommandTimes(DeleteCommand, 1);
  });

  test('GIVEN DynamoDB fails otherwise on the lock WHEN recorded THEN the error propagates', async () => {
    dynamo.on(DeleteCommand).rejects(throughputExceeded());

    await expect(handler(stateAt('finalized'))).rejects.toMatchObject({ name: 'ProvisionedThroughputExceededException' });
  });

  test('GIVEN the history row cannot be written WHEN recorded THEN the error propagates and the lock is kept', async () => {
    dynamo.on(UpdateCommand).rejects(throughputExceeded());

    await expect(handler(stateAt('finalized'))).rejects.toMatchObject({ name: 'ProvisionedThroughputExceededException' });
    expect(dynamo).not.toHaveReceivedCommand(DeleteCommand);
  });
});
