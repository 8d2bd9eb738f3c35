import type { DescribeEndpointConfigOutput, DescribeEndpointOutput } from '@aws-sdk/client-sagemaker';
import {
  cleanupLeftovers,
  decideOutcome,
  deploymentConfigFor,
  expectationFor,
  guardrailsConfigsFromBlue,
  nextRollbackAction,
  routingWaitSeconds,
  terminationWaitSeconds,
} from '../../lambdas/shared/decisions';
import { aBlue, aGreen, anEndpoint, aPromotion, BLUE_CONFIG, BLUE_MODEL, BLUE_VARIANT, stateAt } from '../support/fixtures';

/** The guardrails strategy's pure decisions (SageMaker deployment guardrails: API_DeploymentConfig, API_BlueGreenUpdatePolicy). */
const promotion = aPromotion({ strategy: 'guardrails', bakeSeconds: 1800, inServicePolls: 4, pollSeconds: 30 });
const { names } = promotion;
const green = { ...aGreen(promotion), variantName: BLUE_VARIANT, pairConfigName: undefined, validationConfigName: names.validationConfig, validationEndpointName: names.validationEndpoint };
const blue = aBlue();
const abort = { alarmName: `${names.alarmPrefix}-abort`, tripped: false };

describe('guardrailsConfigsFromBlue', () => {
  const blueConfig: DescribeEndpointConfigOutput = {
    EndpointConfigName: BLUE_CONFIG,
    EndpointConfigArn: `arn:aws:sagemaker:us-east-1:111122223333:endpoint-config/${BLUE_CONFIG}`,
    CreationTime: new Date(0),
    ProductionVariants: [{ VariantName: BLUE_VARIANT, ModelName: BLUE_MODEL, InstanceType: 'ml.m5.large', InitialInstanceCount: 1, InitialVariantWeight: 1 }],
    DataCaptureConfig: { InitialSamplingPercentage: 20, DestinationS3Uri: 's3://capture', CaptureOptions: [{ CaptureMode: 'Input' }] },
    KmsKeyId: 'key',
  };
  const running = anEndpoint(BLUE_CONFIG, [{ name: BLUE_VARIANT, weight: 1, instances: 3 }]);
  const tags = [{ Key: 'k', Value: 'v' }];

  test('GIVEN blue WHEN green is built THEN only the model changes: same variant name (guardrails require it), blue\'s running size, every setting copied', () => {
    const { green: g } = guardrailsConfigsFromBlue(blueConfig, running, names, tags);
    expect(g).toEqual({
      EndpointConfigName: names.greenConfig,
      ProductionVariants: [{ VariantName: BLUE_VARIANT, ModelName: names.model, InstanceType: 'ml.m5.large', InitialInstanceCount: 3, InitialVariantWeight: 1 }],
      DataCaptureConfig: blueConfig.DataCaptureConfig,
      KmsKeyId: 'key',
      Tags: tags,
    });
  });

  test('GIVEN blue WHEN the validation config is built THEN it is green at one instance, without data capture (its requests are samples, not customers\')', () => {
    const { validation } = guardrailsConfigsFromBlue(blueConfig, running, names, tags);
    expect(validation).toMatchObject({ EndpointConfigName: names.validationConfig, KmsKeyId: 'key', ProductionVariants: [expect.objectContaining({ ModelName: names.model, InitialInstanceCount: 1 })] });
    expect(validation.DataCaptureConfig).toBeUndefined();
  });
});

describe('guardrailsConfigsFromBlue on a multi-variant endpoint (an A/B test)', () => {
  const abConfig: DescribeEndpointConfigOutput = {
    EndpointConfigName: BLUE_CONFIG,
    EndpointConfigArn: `arn:aws:sagemaker:us-east-1:111122223333:endpoint-config/${BLUE_CONFIG}`,
    CreationTime: new Date(0),
    ProductionVariants: [
      { VariantName: 'ModelA', ModelName: 'churn-a', InstanceType: 'ml.m5.large', InitialInstanceCount: 2, InitialVariantWeight: 1 },
      { VariantName: 'ModelB', ModelName: 'churn-b', InstanceType: 'ml.c5.large', InitialInstanceCount: 1, InitialVariantWeight: 1 },
    ],
  };
  // An operator moved the A/B split to 70/30 and autoscaling grew B to 3 instances since the config was made.
  const running = anEndpoint(BLUE_CONFIG, [
    { name: 'ModelA', weight: 0.7, instances: 2 },
    { name: 'ModelB', weight: 0.3, instances: 3 },
  ]);

  test('GIVEN variantName ModelB WHEN green is built THEN only ModelB\'s model changes; ModelA keeps its model, and both keep the weights and sizes they run with', () => {
    const { green: g } = guardrailsConfigsFromBlue(abConfig, running, names, [], 'ModelB');
    expect(g.ProductionVariants).toEqual([
      { VariantName: 'ModelA', ModelName: 'churn-a', InstanceType: 'ml.m5.large', InitialInstanceCount: 2, InitialVariantWeight: 0.7 },
      { VariantName: 'ModelB', ModelName: names.model, InstanceType: 'ml.c5.large', InitialInstanceCount: 3, InitialVariantWeight: 0.3 },
    ]);
  });

  test('GIVEN variantName ModelB WHEN the validation config is built THEN it holds ModelB\'s green alone, at one instance and all the weight', () => {
    const { validation } = guardrailsConfigsFromBlue(abConfig, running, names, [], 'ModelB');
    expect(validation.ProductionVariants).toEqual([{ VariantName: 'ModelB', ModelName: names.model, InstanceType: 'ml.c5.large', InitialInstanceCount: 1, InitialVariantWeight: 1, ManagedInstanceScaling: undefined }]);
  });

  test('GIVEN a variant name blue does not have WHEN green is built THEN it throws naming it (validate-input refuses it first)', () => {
    expect(() => guardrailsConfigsFromBlue(abConfig, running, names, [], 'ModelC')).toThrow(/no production variant ModelC/);
  });
});

describe('deploymentConfigFor', () => {
  test('GIVEN ALL_AT_ONCE and a 30-minute bake WHEN configured THEN SageMaker bakes all of it (TerminationWaitInSeconds) with the alarms for auto-rollback', () => {
    expect(deploymentConfigFor(promotion, ['a', 'b'])).toEqual({
      BlueGreenUpdatePolicy: {
        TrafficRoutingConfiguration: { Type: 'ALL_AT_ONCE', WaitIntervalInSeconds: 0 },
        TerminationWaitInSeconds: 1800,
        MaximumExecutionTimeoutInSeconds: 2 * (4 * 30 + 1800),
      },
      AutoRollbackConfiguration: { Alarms: [{ AlarmName: 'a' }, { AlarmName: 'b' }] },
    });
  });

  test('GIVEN a 2-hour bake WHEN configured THEN the termination wait is SageMaker\'s maximum, 3600 s (the rest is the workflow\'s)', () => {
    const long = { ...promotion, bakeSeconds: 7200 };
    expect(terminationWaitSeconds(long)).toBe(3600);
    expect(deploymentConfigFor(long, [])).toMatchObject({ BlueGreenUpdatePolicy: { TerminationWaitInSeconds: 3600 } });
    expect(deploymentConfigFor(long, [])).not.toHaveProperty('AutoRollbackConfiguration');
  });

  test('GIVEN CANARY and LINEAR WHEN configured THEN sizes are percentages of capacity, with their wait, and the deadline includes the routing waits', () => {
    const canary = { ...promotion, traffic: { type: 'CANARY' as const, percent: 20, waitSeconds: 120 } };
    expect(deploymentConfigFor(canary, []).BlueGreenUpdatePolicy).toMatchObject({
      TrafficRoutingConfiguration: { Type: 'CANARY', CanarySize: { Type: 'CAPACITY_PERCENT', Value: 20 }, WaitIntervalInSeconds: 120 },
    });
    const linear = { ...promotion, traffic: { type: 'LINEAR' as const, percent: 25 } };
    expect(routingWaitSeconds(linear.traffic)).toBe(3 * 300);
    expect(deploymentConfigFor(linear, []).BlueGreenUpdatePolicy).toMatchObject({
      TrafficRoutingConfiguration: { Type: 'LINEAR', LinearStepSize: { Type: 'CAPACITY_PERCENT', Value: 25 }, WaitIntervalInSeconds: 300 },
    });
  });

  test('GIVEN more than 10 alarms WHEN configured THEN at most 10 go to SageMaker (API_AutoRollbackConfig; validate-input refuses more)', () => {
    const alarms = Array.from({ length: 12 }, (_, i) => `a${i}`);
    expect((deploymentConfigFor(promotion, alarms).AutoRollbackConfiguration as { Alarms: unknown[] }).Alarms).toHaveLength(10);
  });
});

describe('guardrails expectations and rollback', () => {
  const state = { ...stateAt('described'), promotion, blue, green };

  test('GIVEN a validation endpoint WHEN standing up THEN the wait looks at it, not at the promoted endpoint', () => {
    expect(expectationFor('standUp', state)).toEqual({ endpointName: names.validationEndpoint, configName: names.validationConfig, weights: {} });
  });

  test('GIVEN validation off WHEN standing up THEN there is nothing to wait for', () => {
    expect(expectationFor('standUp', { ...state, green: { ...green, validationEndpointName: undefined } })).toMatchObject({ none: true });
  });

  test('GIVEN the shift WHEN waited for THEN the endpoint must end on green\'s config with the same variant carrying everything', () => {
    expect(expectationFor('shift', state)).toEqual({ configName: names.greenConfig, weights: { [BLUE_VARIANT]: 1 } });
  });

  const deploying: DescribeEndpointOutput = {
    ...anEndpoint(BLUE_CONFIG, [{ name: BLUE_VARIANT, weight: 1 }]),
    EndpointStatus: 'Updating',
    PendingDeploymentSummary: { EndpointConfigName: names.greenConfig, ProductionVariants: [] },
  };

  test('GIVEN SageMaker is deploying green WHEN rolling back THEN the abort alarm is tripped once (SageMaker has no cancel call), then the loop waits', () => {
    expect(nextRollbackAction(deploying, blue, green, abort)).toEqual({ kind: 'tripAbortAlarm', alarmName: abort.alarmName });
    expect(nextRollbackAction(deploying, blue, green, { ...abort, tripped: true })).toEqual({ kind: 'wait', note: 'endpoint Updating' });
  });

  test('GIVEN the deployment finished on green WHEN rolling back (the workflow\'s own bake) THEN the endpoint goes back to blue\'s config', () => {
    expect(nextRollbackAction(anEndpoint(names.greenConfig, [{ name: BLUE_VARIANT, weight: 1 }]), blue, green, abort)).toEqual({ kind: 'updateToBlue', configName: BLUE_CONFIG });
  });

  test('GIVEN UpdateRollbackFailed (a mix of both fleets serves though the config name is blue\'s) WHEN rolling back THEN blue\'s config is deployed again', () => {
    const mixed = { ...anEndpoint(BLUE_CONFIG, [{ name: BLUE_VARIANT, weight: 1 }]), EndpointStatus: 'UpdateRollbackFailed' as const };
    expect(nextRollbackAction(mixed, blue, green, abort)).toEqual({ kind: 'updateToBlue', configName: BLUE_CONFIG });
  });

  test('GIVEN a failure on the validation endpoint WHEN the outcome is decided THEN blue was never touched: failed, not rolled back', () => {
    const failed = { ...state, standUp: { action: 'CreateValidationEndpoint' as const, configName: names.validationConfig, at: 't' }, failure: { Error: 'GreenValidationFailed', Cause: 'x' } };
    expect(decideOutcome(failed, (c) => c.Cause ?? '')).toMatchObject({ outcome: 'failed', error: 'PromotionFailed' });
    const afterShift = { ...failed, shift: { weights: {}, at: 't' } };
    expect(decideOutcome(afterShift, (c) => c.Cause ?? '')).toMatchObject({ outcome: 'rolled_back' });
  });
});

describe('cleanupLeftovers', () => {
  test('GIVEN green\'s cleanup failed WHEN the leftovers are recorded THEN the validation endpoint is named first, beside its config', () => {
    const state = { ...stateAt('baking', { promotion: { strategy: 'guardrails' } }), green };

    const leftovers = cleanupLeftovers('green', state, 'ThrottlingException: Rate exceeded').map((l) => l.resource);

    expect(leftovers.slice(0, 2)).toEqual([`endpoint ${names.validationEndpoint}`, `config ${names.validationConfig}`]);
  });
});
