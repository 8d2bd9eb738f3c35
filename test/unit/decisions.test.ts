import type { DescribeEndpointConfigOutput, DescribeEndpointOutput, ProductionVariant } from '@aws-sdk/client-sagemaker';
import {
  cleanupPlan,
  otherEndpointsToCheck,
  usageWindowStart,
  decideOutcome,
  expectationFor,
  greenConfigsFromBlue,
  judgeEndpoint,
  judgeGuardrails,
  judgeSample,
  nextRollbackAction,
  unsupportedReasons,
  type Expectation,
} from '../../lambdas/shared/decisions';
import {
  aBlue,
  aGreen,
  anEndpoint,
  aPromotion,
  BLUE_CONFIG,
  BLUE_MODEL,
  BLUE_VARIANT,
  ENDPOINT,
  NO_BLUE,
  ROLE,
  stateAt,
} from '../support/fixtures';

const promotion = aPromotion();
const { names } = promotion;
const GREEN = names.variant;

const blueVariant = (overrides: Partial<ProductionVariant> = {}): ProductionVariant => ({
  VariantName: BLUE_VARIANT,
  ModelName: BLUE_MODEL,
  InstanceType: 'ml.m5.large',
  InitialInstanceCount: 2,
  InitialVariantWeight: 1,
  ...overrides,
});

const blueConfig = (overrides: Partial<DescribeEndpointConfigOutput> = {}): DescribeEndpointConfigOutput => ({
  EndpointConfigName: BLUE_CONFIG,
  EndpointConfigArn: `arn:aws:sagemaker:us-east-1:111122223333:endpoint-config/${BLUE_CONFIG}`,
  CreationTime: new Date('2024-06-01T00:00:00Z'),
  ProductionVariants: [blueVariant()],
  ...overrides,
});

describe('unsupportedReasons', () => {
  test('GIVEN one instance-backed production variant WHEN checked THEN there is no reason to refuse', () => {
    expect(unsupportedReasons(blueConfig())).toEqual([]);
  });

  test('GIVEN two production variants, a serverless variant or an asynchronous config WHEN checked THEN none is refused: each kind has a strategy (kinds.ts)', () => {
    expect(unsupportedReasons(blueConfig({ ProductionVariants: [blueVariant(), blueVariant({ VariantName: 'Canary', ModelName: 'churn-canary' })] }))).toEqual([]);
    expect(
      unsupportedReasons(blueConfig({ ProductionVariants: [blueVariant({ InstanceType: undefined, InitialInstanceCount: undefined, ServerlessConfig: { MemorySizeInMB: 2048, MaxConcurrency: 5 } })] })),
    ).toEqual([]);
    expect(unsupportedReasons(blueConfig({ AsyncInferenceConfig: { OutputConfig: { S3OutputPath: 's3://out/churn' } } }))).toEqual([]);
  });

  test('GIVEN shadow variants WHEN checked THEN it is refused, asking to stop the shadow test', () => {
    const reasons = unsupportedReasons(blueConfig({ ShadowProductionVariants: [blueVariant({ VariantName: 'Shadow', ModelName: 'churn-shadow' })] }));

    expect(reasons).toEqual([expect.stringMatching(/shadow variants; stop the shadow test/)]);
  });

  test('GIVEN no production variant and shadow variants WHEN checked THEN both are reported at once', () => {
    const reasons = unsupportedReasons(blueConfig({ ProductionVariants: [], ShadowProductionVariants: [blueVariant({ VariantName: 'Shadow' })] }));

    expect(reasons).toEqual([expect.stringMatching(new RegExp(`${BLUE_CONFIG} has no production variant`)), expect.stringMatching(/shadow variants/)]);
  });
});

describe('greenConfigsFromBlue', () => {
  const tags = [{ Key: 'sagemaker-bluegreen:promotion', Value: promotion.id }];
  /** Blue with every setting a config and a variant can carry. */
  const richBlue = blueConfig({
    ProductionVariants: [
      blueVariant({
        InstanceType: 'ml.g5.xlarge',
        InitialInstanceCount: 2,
        VolumeSizeInGB: 128,
        ModelDataDownloadTimeoutInSeconds: 1800,
        ContainerStartupHealthCheckTimeoutInSeconds: 900,
        EnableSSMAccess: true,
        RoutingConfig: { RoutingStrategy: 'LEAST_OUTSTANDING_REQUESTS' },
        InferenceAmiVersion: 'al2-ami-sagemaker-inference-gpu-2',
        CoreDumpConfig: { DestinationS3Uri: 's3://dumps/churn', KmsKeyId: 'alias/dumps' },
        ManagedInstanceScaling: { Status: 'ENABLED', MinInstanceCount: 1, MaxInstanceCount: 4 },
      }),
    ],
    DataCaptureConfig: {
      EnableCapture: true,
      InitialSamplingPercentage: 20,
      DestinationS3Uri: 's3://capture/churn',
      KmsKeyId: 'alias/capture',
      CaptureOptions: [{ CaptureMode: 'Input' }, { CaptureMode: 'Output' }],
      CaptureContentTypeHeader: { JsonContentTypes: ['application/json'] },
    },
    KmsKeyId: 'arn:aws:kms:us-east-1:111122223333:key/blue-key',
    ExecutionRoleArn: ROLE,
    VpcConfig: { SecurityGroupIds: ['sg-0123456789abcdef0'], Subnets: ['subnet-0123456789abcdef0'] },
    EnableNetworkIsolation: true,
    MetricsConfig: { EnableEnhancedMetrics: true, MetricPublishFrequencyInSeconds: 10 },
  });
  const blueEndpoint = anEndpoint(BLUE_CONFIG, [{ name: BLUE_VARIANT, weight: 1, instances: 3 }]);
  const configs = () => greenConfigsFromBlue(richBlue, blueEndpoint, names, tags);

  test('GIVEN blue with every config-level setting WHEN green is copied THEN green and pair keep each one as blue has it', () => {
    const { green, pair } = configs();
    // Everything but identity and the variants themselves must be carried over.
    const identity = new Set(['EndpointConfigName', 'EndpointConfigArn', 'CreationTime', 'ProductionVariants', 'ShadowProductionVariants']);
    const settings = Object.fromEntries(Object.entries(richBlue).filter(([key]) => !identity.has(key)));

    expect(Object.keys(settings)).toEqual(expect.arrayContaining(['DataCaptureConfig', 'KmsKeyId', 'VpcConfig', 'MetricsConfig']));
    expect(green).toMatchObject(settings);
    expect(pair).toMatchObject(settings);
    expect(green.EndpointConfigName).toBe(names.greenConfig);
    expect(pair.EndpointConfigName).toBe(names.pairConfig);
    expect(green.Tags).toEqual(tags);
    expect(pair.Tags).toEqual(tags);
  });

  test('GIVEN blue variant settings WHEN green is copied THEN only the model, the variant name, the weight and the count differ', () => {
    const { green } = configs();
    const template = richBlue.ProductionVariants![0]!;

    expect(green.ProductionVariants).toEqual([
      { ...template, VariantName: GREEN, ModelName: names.model, InitialVariantWeight: 1, InitialInstanceCount: 3 },
    ]);
  });

  test('GIVEN autoscaling moved blue to 3 instances WHEN green is sized THEN it gets blue’s CurrentInstanceCount, not the config’s initial 2', () => {
    const { green, pair } = configs();

    expect(green.ProductionVariants?.[0]?.InitialInstanceCount).toBe(3);
    expect(pair.ProductionVariants?.find((v) => v.VariantName === GREEN)?.InitialInstanceCount).toBe(3);
  });

  test('GIVEN blue does not report a current count WHEN green is sized THEN the config’s initial count is used', () => {
    const endpoint = anEndpoint(BLUE_CONFIG, [{ name: BLUE_VARIANT, weight: 1 }]);
    delete endpoint.ProductionVariants![0]!.CurrentInstanceCount;

    const { green } = greenConfigsFromBlue(richBlue, endpoint, names, tags);

    expect(green.ProductionVariants?.[0]?.InitialInstanceCount).toBe(2);
  });

  test('GIVEN blue serves at weight 1 WHEN the pair config is built THEN blue stays as it runs and green joins at weight 0', () => {
    const { pair } = configs();
    const template = richBlue.ProductionVariants![0]!;

    expect(pair.ProductionVariants).toEqual([
      { ...template, InitialVariantWeight: 1, InitialInstanceCount: 3 },
      { ...template, VariantName: GREEN, ModelName: names.model, InitialVariantWeight: 0, InitialInstanceCount: 3 },
    ]);
  });

  test('GIVEN blue runs at a current weight other than its initial one WHEN the pair config is built THEN blue keeps its current weight', () => {
    const endpoint = anEndpoint(BLUE_CONFIG, [{ name: BLUE_VARIANT, weight: 0.5, instances: 2 }]);

    const { pair } = greenConfigsFromBlue(blueConfig(), endpoint, names, tags);

    expect(pair.ProductionVariants?.[0]).toMatchObject({ VariantName: BLUE_VARIANT, InitialVariantWeight: 0.5 });
  });

  test('GIVEN blue has no production variant WHEN green is copied THEN it throws naming the config', () => {
    expect(() => greenConfigsFromBlue(blueConfig({ ProductionVariants: [] }), blueEndpoint, names, tags)).toThrow(new RegExp(`blue config ${BLUE_CONFIG} has no production variant`));
  });
});

describe('expectationFor', () => {
  test('GIVEN blue exists WHEN green stands up THEN the pair config with blue at its weight and green at 0 is expected', () => {
    expect(expectationFor('standUp', stateAt('greenCreated'))).toEqual({ configName: names.pairConfig, weights: { [BLUE_VARIANT]: 1, [GREEN]: 0 } });
  });

  test('GIVEN a first deployment WHEN green stands up THEN green’s own config with green at weight 1 is expected', () => {
    expect(expectationFor('standUp', stateAt('greenCreated', { firstDeployment: true }))).toEqual({ configName: names.greenConfig, weights: { [GREEN]: 1 } });
  });

  test('GIVEN the shift WHEN waited on THEN the pair config with blue at 0 and green at 1 is expected', () => {
    expect(expectationFor('shift', stateAt('stoodUp'))).toEqual({ configName: names.pairConfig, weights: { [BLUE_VARIANT]: 0, [GREEN]: 1 } });
  });

  test('GIVEN finalize WHEN waited on THEN green’s config alone with green at 1 is expected', () => {
    expect(expectationFor('finalize', stateAt('baking'))).toEqual({ configName: names.greenConfig, weights: { [GREEN]: 1 } });
  });

  test('GIVEN no green in the state WHEN asked THEN it throws naming the phase', () => {
    expect(() => expectationFor('shift', stateAt('described'))).toThrow(/wait phase shift needs \$\.green/);
  });
});

describe('judgeEndpoint', () => {
  const standUp: Expectation = { configName: names.pairConfig, weights: { [BLUE_VARIANT]: 1, [GREEN]: 0 } };
  const pairInService = (extra: Partial<DescribeEndpointOutput> = {}) =>
    anEndpoint(names.pairConfig, [{ name: BLUE_VARIANT, weight: 1 }, { name: GREEN, weight: 0 }], extra);

  test('GIVEN InService on the expected config and weights WHEN judged THEN it is ready', () => {
    expect(judgeEndpoint(pairInService(), standUp, 1, 10)).toEqual({ kind: 'ready' });
  });

  test.each(['Creating', 'Updating', 'SystemUpdating', 'RollingBack'])('GIVEN %s before the deadline WHEN judged THEN it is pending', (status) => {
    expect(judgeEndpoint(anEndpoint(BLUE_CONFIG, [], { EndpointStatus: status as 'Updating' }), standUp, 3, 10)).toEqual({ kind: 'pending', status });
  });

  test('GIVEN still Updating at the last attempt WHEN judged THEN it fails DeadlineExceeded', () => {
    const verdict = judgeEndpoint(anEndpoint(BLUE_CONFIG, [], { EndpointStatus: 'Updating' }), standUp, 10, 10);

    expect(verdict).toEqual({ kind: 'failed', error: 'DeadlineExceeded', message: `endpoint ${ENDPOINT} still Updating after 10 polls (deadline)` });
  });

  test('GIVEN Failed with a FailureReason WHEN judged THEN it fails GreenNotInService carrying the reason', () => {
    const verdict = judgeEndpoint(anEndpoint(names.greenConfig, [], { EndpointStatus: 'Failed', FailureReason: 'Image pull failed: manifest unknown' }), standUp, 1, 10);

    expect(verdict).toEqual({ kind: 'failed', error: 'GreenNotInService', message: `endpoint ${ENDPOINT} is Failed: Image pull failed: manifest unknown` });
  });

  test('GIVEN the endpoint is gone WHEN judged THEN it fails GreenNotInService', () => {
    expect(judgeEndpoint(undefined, standUp, 1, 10)).toMatchObject({ kind: 'failed', error: 'GreenNotInService', message: expect.stringMatching(/does not exist/) });
  });

  test('GIVEN InService back on blue’s config with a FailureReason WHEN judged THEN it fails GreenNotInService with SageMaker’s reason', () => {
    const verdict = judgeEndpoint(
      anEndpoint(BLUE_CONFIG, [{ name: BLUE_VARIANT, weight: 1 }], { FailureReason: 'The primary container for production variant v2 did not pass the ping health check.' }),
      standUp,
      2,
      10,
    );

    expect(verdict).toMatchObject({
      kind: 'failed',
      error: 'GreenNotInService',
      message: expect.stringMatching(new RegExp(`on config ${BLUE_CONFIG}, expected ${names.pairConfig}; SageMaker reports: The primary container .* did not pass the ping health check`)),
    });
  });

  test('GIVEN InService back on blue’s config without a FailureReason WHEN judged THEN it fails UnexpectedEndpointState (silent rollback)', () => {
    const verdict = judgeEndpoint(anEndpoint(BLUE_CONFIG, [{ name: BLUE_VARIANT, weight: 1 }]), standUp, 2, 10);

    expect(verdict).toMatchObject({ kind: 'failed', error: 'UnexpectedEndpointState', message: expect.stringMatching(/rolled the update back without a FailureReason/) });
  });

  test('GIVEN the right config but a weight that is not the expected one WHEN judged THEN it fails UnexpectedEndpointState naming the variant', () => {
    const endpoint = anEndpoint(names.pairConfig, [{ name: BLUE_VARIANT, weight: 0 }, { name: GREEN, weight: 1 }]);

    expect(judgeEndpoint(endpoint, standUp, 1, 10)).toEqual({
      kind: 'failed',
      error: 'UnexpectedEndpointState',
      message: `endpoint ${ENDPOINT} variant ${BLUE_VARIANT} has weight 0, expected 1`,
    });
  });

  test('GIVEN the right config without the expected variant WHEN judged THEN it fails UnexpectedEndpointState', () => {
    const endpoint = anEndpoint(names.pairConfig, [{ name: BLUE_VARIANT, weight: 1 }]);

    expect(judgeEndpoint(endpoint, standUp, 1, 10)).toMatchObject({ kind: 'failed', error: 'UnexpectedEndpointState', message: expect.stringMatching(new RegExp(`has no variant ${GREEN}`)) });
  });

  test('GIVEN DesiredWeight already asked but CurrentWeight not yet there WHEN judged before the deadline THEN it is pending (weights settling)', () => {
    const shift: Expectation = { configName: names.pairConfig, weights: { [BLUE_VARIANT]: 0, [GREEN]: 1 } };
    const endpoint = anEndpoint(names.pairConfig, [{ name: BLUE_VARIANT, weight: 1, desired: 0 }, { name: GREEN, weight: 0, desired: 1 }]);

    expect(judgeEndpoint(endpoint, shift, 2, 10)).toEqual({ kind: 'pending', status: 'InService (weights settling)' });
    expect(judgeEndpoint(endpoint, shift, 10, 10)).toMatchObject({ kind: 'failed', error: 'UnexpectedEndpointState' });
  });
});

describe('judgeSample', () => {
  const ok = { status: 200, latencyMs: 40, body: '{"churn":0.12,"segment":{"tier":"gold","since":2019}}' };

  test('GIVEN a 200 in time WHEN judged THEN there is no problem', () => {
    expect(judgeSample({}, ok, 1000)).toBeUndefined();
  });

  test('GIVEN a status other than the expected one WHEN judged THEN the problem names both and the error', () => {
    expect(judgeSample({}, { status: 500, latencyMs: 3, body: '', error: 'ModelError: boom' }, 1000)).toBe('status 500, expected 200 (ModelError: boom)');
  });

  test('GIVEN an expected non-200 status WHEN green answers it THEN there is no problem', () => {
    expect(judgeSample({ expectedStatus: 400 }, { status: 400, latencyMs: 3, body: '' }, 1000)).toBeUndefined();
  });

  test('GIVEN an answer slower than the ceiling WHEN judged THEN the problem names the latency and the ceiling', () => {
    expect(judgeSample({}, { ...ok, latencyMs: 1001 }, 1000)).toBe('latency 1001 ms over the 1000 ms ceiling');
    expect(judgeSample({}, { ...ok, latencyMs: 1000 }, 1000)).toBeUndefined();
  });

  test('GIVEN expectContains WHEN the body lacks the text THEN that is the problem', () => {
    expect(judgeSample({ expectContains: 'churn' }, ok, 1000)).toBeUndefined();
    expect(judgeSample({ expectContains: 'fraud' }, ok, 1000)).toBe('response does not contain "fraud"');
  });

  test('GIVEN expectJson WHEN every key deep-equals THEN there is no problem, and a different value is named', () => {
    expect(judgeSample({ expectJson: { churn: 0.12, segment: { tier: 'gold', since: 2019 } } }, ok, 1000)).toBeUndefined();
    expect(judgeSample({ expectJson: { churn: 0.5 } }, ok, 1000)).toBe('response.churn is 0.12, expected 0.5');
    expect(judgeSample({ expectJson: { missing: true } }, ok, 1000)).toBe('response.missing is undefined, expected true');
  });

  test('GIVEN expectJson with a nested object WHEN the response has the same keys in another order THEN it still deep-equals', () => {
    // JSON objects are unordered: {"since":2019,"tier":"gold"} is the same value as {"tier":"gold","since":2019}.
    expect(judgeSample({ expectJson: { segment: { since: 2019, tier: 'gold' } } }, ok, 1000)).toBeUndefined();
  });

  test('GIVEN expectJson WHEN the body is not JSON THEN that is the problem', () => {
    expect(judgeSample({ expectJson: { churn: 0.12 } }, { ...ok, body: 'churn=0.12' }, 1000)).toBe('response is not JSON but expectJson was given');
  });
});

describe('judgeGuardrails', () => {
  test('GIVEN every alarm OK or without data WHEN judged THEN it is clear', () => {
    expect(
      judgeGuardrails(['a', 'b'], [
        { AlarmName: 'a', StateValue: 'OK' },
        { AlarmName: 'b', StateValue: 'INSUFFICIENT_DATA' },
      ]),
    ).toEqual({ kind: 'clear' });
  });

  test('GIVEN one alarm in ALARM WHEN judged THEN it names that alarm and its reason', () => {
    expect(
      judgeGuardrails(['a', 'b'], [
        { AlarmName: 'a', StateValue: 'OK' },
        { AlarmName: 'b', StateValue: 'ALARM', StateReason: 'Threshold Crossed' },
      ]),
    ).toEqual({ kind: 'alarm', alarmName: 'b', reason: 'Threshold Crossed' });
  });

  test('GIVEN an alarm that no longer exists WHEN judged THEN it is reported missing', () => {
    expect(judgeGuardrails(['a', 'gone'], [{ AlarmName: 'a', StateValue: 'OK' }])).toEqual({ kind: 'missing', alarmNames: ['gone'] });
  });

  test('GIVEN an alarm in ALARM and another missing WHEN judged THEN the ALARM wins', () => {
    expect(judgeGuardrails(['a', 'gone'], [{ AlarmName: 'a', StateValue: 'ALARM' }])).toEqual({ kind: 'alarm', alarmName: 'a', reason: 'no reason given' });
  });
});

describe('nextRollbackAction', () => {
  const blue = aBlue();
  const green = aGreen(promotion);

  test('GIVEN the endpoint already serves blue’s config WHEN asked THEN rollback is done', () => {
    expect(nextRollbackAction(anEndpoint(BLUE_CONFIG, [{ name: BLUE_VARIANT, weight: 1 }]), blue, green)).toEqual({ kind: 'done', note: `endpoint serves blue config ${BLUE_CONFIG}` });
  });

  test('GIVEN the pair config InService with all traffic on green WHEN asked THEN weights go back to blue in one call', () => {
    const endpoint = anEndpoint(names.pairConfig, [{ name: BLUE_VARIANT, weight: 0 }, { name: GREEN, weight: 1 }]);

    expect(nextRollbackAction(endpoint, blue, green)).toEqual({
      kind: 'weightsToBlue',
      weights: [
        { VariantName: BLUE_VARIANT, DesiredWeight: 1 },
        { VariantName: GREEN, DesiredWeight: 0 },
      ],
    });
  });

  test('GIVEN the pair config with traffic on blue WHEN asked THEN the endpoint is updated to blue’s config', () => {
    const endpoint = anEndpoint(names.pairConfig, [{ name: BLUE_VARIANT, weight: 1 }, { name: GREEN, weight: 0 }]);

    expect(nextRollbackAction(endpoint, blue, green)).toEqual({ kind: 'updateToBlue', configName: BLUE_CONFIG });
  });

  test('GIVEN green’s config alone (after finalize) WHEN asked THEN the endpoint is updated to blue’s config', () => {
    const endpoint = anEndpoint(names.greenConfig, [{ name: GREEN, weight: 1 }]);

    expect(nextRollbackAction(endpoint, blue, green)).toEqual({ kind: 'updateToBlue', configName: BLUE_CONFIG });
  });

  test.each(['Updating', 'Creating', 'SystemUpdating', 'RollingBack'])('GIVEN the endpoint is %s WHEN asked THEN the rollback waits', (status) => {
    const endpoint = anEndpoint(names.pairConfig, [{ name: BLUE_VARIANT, weight: 0 }, { name: GREEN, weight: 1 }], { EndpointStatus: status as 'Updating' });

    expect(nextRollbackAction(endpoint, blue, green)).toEqual({ kind: 'wait', note: `endpoint ${status}` });
  });

  test('GIVEN the endpoint was deleted WHEN asked THEN there is nothing to roll back', () => {
    expect(nextRollbackAction(undefined, blue, green)).toMatchObject({ kind: 'done', note: expect.stringMatching(/no longer exists/) });
  });

  test('GIVEN a first deployment on our green config WHEN asked THEN the endpoint is deleted', () => {
    expect(nextRollbackAction(anEndpoint(names.greenConfig, [{ name: GREEN, weight: 1 }]), NO_BLUE, aGreen(promotion, { firstDeployment: true }))).toEqual({ kind: 'deleteEndpoint' });
  });

  test('GIVEN a first deployment whose endpoint Failed on our config WHEN asked THEN the endpoint is deleted', () => {
    const endpoint = anEndpoint(names.greenConfig, [], { EndpointStatus: 'Failed', FailureReason: 'capacity' });

    expect(nextRollbackAction(endpoint, NO_BLUE, aGreen(promotion, { firstDeployment: true }))).toEqual({ kind: 'deleteEndpoint' });
  });

  test('GIVEN a first deployment still Creating WHEN asked THEN the rollback waits', () => {
    const endpoint = anEndpoint(names.greenConfig, [], { EndpointStatus: 'Creating' });

    expect(nextRollbackAction(endpoint, NO_BLUE, aGreen(promotion, { firstDeployment: true }))).toEqual({ kind: 'wait', note: 'endpoint Creating' });
  });

  test('GIVEN a first deployment but the endpoint runs someone else’s config WHEN asked THEN it is left alone', () => {
    const endpoint = anEndpoint('someone-elses-config', [{ name: 'AllTraffic', weight: 1 }]);

    expect(nextRollbackAction(endpoint, NO_BLUE, aGreen(promotion, { firstDeployment: true }))).toEqual({
      kind: 'done',
      note: `endpoint ${ENDPOINT} runs someone-elses-config, which this promotion did not create; left alone`,
    });
  });

  test('GIVEN a first deployment whose endpoint is Deleting WHEN asked THEN the rollback waits', () => {
    const endpoint = anEndpoint(names.greenConfig, [], { EndpointStatus: 'Deleting' });

    expect(nextRollbackAction(endpoint, NO_BLUE, aGreen(promotion, { firstDeployment: true }))).toEqual({ kind: 'wait', note: 'endpoint deleting' });
  });

  test('GIVEN a first deployment whose endpoint is gone WHEN asked THEN rollback is done', () => {
    expect(nextRollbackAction(undefined, NO_BLUE, aGreen(promotion, { firstDeployment: true }))).toEqual({ kind: 'done', note: 'no endpoint left behind' });
  });

  test('GIVEN the failure came before describe-blue WHEN asked THEN an existing endpoint is left alone', () => {
    expect(nextRollbackAction(anEndpoint(BLUE_CONFIG, [{ name: BLUE_VARIANT, weight: 1 }]), undefined, undefined)).toMatchObject({ kind: 'done', note: expect.stringMatching(/left alone/) });
  });
});

describe('cleanupPlan', () => {
  const none = { configs: new Set<string>(), models: new Set<string>() };
  /** Blue created by an earlier promotion of this tool, so its names are the tool's own. */
  const ownBlue = aBlue({ endpointConfigName: 'churn-prediction-v1-abc123', modelNames: ['churn-prediction-v1-abc123'] });

  test('GIVEN a promotion of an own blue WHEN blue is cleaned THEN blue’s config, its model, the pair config and green’s alarms are deleted', () => {
    const state = stateAt('finalized', {}, { blue: ownBlue });

    expect(cleanupPlan('blue', state, none)).toEqual({
      configs: [names.pairConfig, 'churn-prediction-v1-abc123'],
      models: ['churn-prediction-v1-abc123'],
      alarms: [`${names.alarmPrefix}-5xx`, `${names.alarmPrefix}-latency`],
      kept: [],
    });
  });

  test('GIVEN a rollback WHEN green is cleaned THEN green’s config, the pair config and green’s model are deleted, never blue’s', () => {
    const state = stateAt('baking', {}, { blue: ownBlue });

    const plan = cleanupPlan('green', state, none);

    expect(plan.configs).toEqual([names.pairConfig, names.greenConfig]);
    expect(plan.models).toEqual([names.model]);
    expect(plan.configs).not.toContain('churn-prediction-v1-abc123');
  });

  test('GIVEN blue’s names were not created by the tool WHEN blue is cleaned THEN they are kept with the reason', () => {
    const plan = cleanupPlan('blue', stateAt('finalized'), none);

    expect(plan.configs).toEqual([names.pairConfig]);
    expect(plan.models).toEqual([]);
    expect(plan.kept).toEqual([
      { resource: `config ${BLUE_CONFIG}`, reason: expect.stringMatching(/not created by sagemaker-bluegreen/) },
      { resource: `model ${BLUE_MODEL}`, reason: expect.stringMatching(/not created by sagemaker-bluegreen/) },
    ]);
  });

  test('GIVEN an endpoint still uses a config or model WHEN cleaned THEN it is kept as in use', () => {
    const state = stateAt('baking', {}, { blue: ownBlue });
    const inUse = { configs: new Set([names.greenConfig]), models: new Set([names.model]) };

    const plan = cleanupPlan('green', state, inUse);

    expect(plan.configs).toEqual([names.pairConfig]);
    expect(plan.models).toEqual([]);
    expect(plan.kept).toEqual([
      { resource: `config ${names.greenConfig}`, reason: 'still used by an endpoint' },
      { resource: `model ${names.model}`, reason: 'still used by an endpoint' },
    ]);
  });

  test('GIVEN a first deployment rolled back WHEN green is cleaned THEN green’s config and model go and there is no pair config', () => {
    const plan = cleanupPlan('green', stateAt('stoodUp', { firstDeployment: true }), none);

    expect(plan).toEqual({ configs: [names.greenConfig], models: [names.model], alarms: [], kept: [] });
  });
});

describe('decideOutcome', () => {
  const causes = (caught: { Error: string; Cause?: string }) => caught.Cause ?? 'no cause';

  test('GIVEN no failure WHEN decided THEN the version is promoted', () => {
    expect(decideOutcome(stateAt('finalized'), causes)).toEqual({ outcome: 'promoted', error: 'None', reason: 'version 2 promoted' });
  });

  test('GIVEN no failure at a first deployment WHEN decided THEN it says first deployment', () => {
    expect(decideOutcome(stateAt('stoodUp', { firstDeployment: true }), causes)).toEqual({ outcome: 'promoted', error: 'None', reason: 'first deployment of version 2' });
  });

  test('GIVEN a failure before green stood up WHEN decided THEN the promotion failed with blue untouched', () => {
    const state = stateAt('described', {}, { failure: { Error: 'UnsupportedEndpoint', Cause: 'serverless' } });

    expect(decideOutcome(state, causes)).toEqual({ outcome: 'failed', error: 'PromotionFailed', reason: 'UnsupportedEndpoint: serverless' });
  });

  test('GIVEN a failure after green stood up WHEN decided THEN it was rolled back', () => {
    const state = stateAt('baking', {}, { failure: { Error: 'GuardrailAlarm', Cause: 'alarm x in ALARM' } });

    expect(decideOutcome(state, causes)).toEqual({ outcome: 'rolled_back', error: 'PromotionRolledBack', reason: 'GuardrailAlarm: alarm x in ALARM' });
  });

  test('GIVEN the rollback itself failed WHEN decided THEN it is RollbackFailed naming both causes', () => {
    const state = stateAt('baking', {}, {
      failure: { Error: 'GuardrailAlarm', Cause: 'alarm x in ALARM' },
      rollbackFailure: { Error: 'RollbackFailed', Cause: 'did not get back to blue' },
    });

    expect(decideOutcome(state, causes)).toEqual({
      outcome: 'failed',
      error: 'RollbackFailed',
      reason: 'rollback did not complete (did not get back to blue) after GuardrailAlarm: alarm x in ALARM; check the endpoint',
    });
  });

  test('GIVEN only a cleanup failure WHEN decided THEN the promotion still stands', () => {
    const state = stateAt('finalized', {}, { cleanupFailure: { Error: 'ThrottlingException', Cause: 'Rate exceeded' } });

    expect(decideOutcome(state, causes)).toMatchObject({ outcome: 'promoted', error: 'None' });
  });
});

describe('usageWindowStart', () => {
  test('GIVEN the candidates’ creation times THEN the window starts one second before the oldest, gone ones ignored', () => {
    expect(usageWindowStart([new Date('2026-11-02T00:00:00Z'), undefined, new Date('2026-11-01T00:00:00Z')])).toEqual(new Date('2026-10-31T23:59:59Z'));
  });
  test('GIVEN every candidate is gone THEN there is nothing to check', () => {
    expect(usageWindowStart([undefined, undefined])).toBeUndefined();
    expect(usageWindowStart([])).toBeUndefined();
  });
});

describe('otherEndpointsToCheck', () => {
  test('GIVEN a ListEndpoints page THEN the promotion’s own endpoint (any spelling) and endpoints being deleted are left out', () => {
    const page = [
      { EndpointName: 'Churn-Prediction', EndpointStatus: 'InService' },
      { EndpointName: 'churn-prediction-v2-abc123-val', EndpointStatus: 'Deleting' },
      { EndpointName: 'fraud-detection', EndpointStatus: 'Updating' },
      { EndpointName: 'churn-copy', EndpointStatus: 'Failed' },
    ];
    expect(otherEndpointsToCheck(page, 'churn-prediction')).toEqual(['fraud-detection', 'churn-copy']);
  });
});
