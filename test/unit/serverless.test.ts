import type { DescribeEndpointConfigOutput, DescribeEndpointOutput } from '@aws-sdk/client-sagemaker';
import type { PromotionState } from '../../lambdas/shared/contracts';
import { cleanupPlan, expectationFor, greenAlarmNames, guardrailsConfigsFromBlue, nextRollbackAction, waitDeadlineSeconds } from '../../lambdas/shared/decisions';
import { greenAlarmSpecs } from '../../lambdas/shared/green-metrics';
import { switchesConfig } from '../../lambdas/shared/kinds';
import { footprintOf } from '../../lambdas/shared/outside';
import { coldStartAlarmProblem, validationServerlessConfig, watchesColdStarts } from '../../lambdas/shared/serverless';
import { STRATEGIES } from '../../lambdas/shared/strategy-names';
import { nextWaitSeconds, workflowBakeSeconds } from '../../lambdas/shared/waits';
import { aBlue, aGreen, aPromotion, BLUE_CONFIG, BLUE_MODEL, BLUE_VARIANT, ENDPOINT } from '../support/fixtures';

/** The replace strategy's pure pieces (serverless endpoints). */
const promotion = aPromotion({ strategy: 'replace', kind: 'serverless', variantName: BLUE_VARIANT, bakeSeconds: 1800, inServicePolls: 4, pollSeconds: 30 });
const { names } = promotion;
const blue = aBlue({ variants: [{ variantName: BLUE_VARIANT, modelName: BLUE_MODEL, currentWeight: 1 }] });
const green = { ...aGreen(promotion), variantName: BLUE_VARIANT, pairConfigName: undefined, validationConfigName: names.validationConfig, validationEndpointName: names.validationEndpoint };
const state = (extra: Partial<PromotionState> = {}): PromotionState => ({ promotion, lock: { owner: promotion.id, acquiredAt: '2025-01-01T00:00:01.000Z' }, blue, green, ...extra });
const serverlessEndpoint = (config: string, extra: Partial<DescribeEndpointOutput> = {}): DescribeEndpointOutput => ({
  EndpointName: ENDPOINT,
  EndpointArn: `arn:aws:sagemaker:us-east-1:111122223333:endpoint/${ENDPOINT}`,
  EndpointConfigName: config,
  EndpointStatus: 'InService',
  ProductionVariants: [{ VariantName: BLUE_VARIANT, CurrentWeight: 1, DesiredWeight: 1, CurrentServerlessConfig: { MemorySizeInMB: 2048, MaxConcurrency: 5 } }],
  CreationTime: new Date(0),
  LastModifiedTime: new Date(0),
  ...extra,
});

describe('switchesConfig', () => {
  test.each(STRATEGIES.map((s) => [s, s === 'guardrails' || s === 'replace']))('%s switches config (green keeps the variant name, a validation endpoint, one UpdateEndpoint): %s', (strategy, expected) => {
    expect(switchesConfig(strategy as (typeof STRATEGIES)[number])).toBe(expected);
  });
});

describe('serverless configs (ProductionVariantServerlessConfig; serverless-endpoints feature exclusions)', () => {
  const blueConfig: DescribeEndpointConfigOutput = {
    EndpointConfigName: BLUE_CONFIG,
    EndpointConfigArn: `arn:aws:sagemaker:us-east-1:111122223333:endpoint-config/${BLUE_CONFIG}`,
    CreationTime: new Date(0),
    ProductionVariants: [{ VariantName: BLUE_VARIANT, ModelName: BLUE_MODEL, InitialVariantWeight: 1, ServerlessConfig: { MemorySizeInMB: 4096, MaxConcurrency: 20, ProvisionedConcurrency: 5 } }],
    KmsKeyId: 'key',
  };
  const tags = [{ Key: 'k', Value: 'v' }];

  test('GIVEN a serverless blue WHEN green is built THEN only the model changes: memory, max and provisioned concurrency copied, no instance count', () => {
    const { green: g } = guardrailsConfigsFromBlue(blueConfig, serverlessEndpoint(BLUE_CONFIG), names, tags, BLUE_VARIANT);
    expect(g.ProductionVariants).toEqual([{ VariantName: BLUE_VARIANT, ModelName: names.model, InitialVariantWeight: 1, ServerlessConfig: { MemorySizeInMB: 4096, MaxConcurrency: 20, ProvisionedConcurrency: 5 } }]);
    expect(g.DataCaptureConfig).toBeUndefined();
  });

  test('GIVEN a serverless blue with provisioned concurrency WHEN the validation config is built THEN blue\'s memory, one warm container, no instance count, no data capture', () => {
    const { validation } = guardrailsConfigsFromBlue(blueConfig, serverlessEndpoint(BLUE_CONFIG), names, tags, BLUE_VARIANT);
    expect(validation.ProductionVariants).toEqual([
      expect.objectContaining({ VariantName: BLUE_VARIANT, ModelName: names.model, ServerlessConfig: { MemorySizeInMB: 4096, MaxConcurrency: 1, ProvisionedConcurrency: 1 } }),
    ]);
    expect(validation.ProductionVariants?.[0]).not.toHaveProperty('InitialInstanceCount');
    expect(validation.DataCaptureConfig).toBeUndefined();
  });

  test('GIVEN on-demand blue (no provisioned concurrency) THEN the validation endpoint is on demand too: it cold-starts as users will', () => {
    expect(validationServerlessConfig({ MemorySizeInMB: 1024, MaxConcurrency: 50 })).toEqual({ MemorySizeInMB: 1024, MaxConcurrency: 1 });
  });
});

describe('the replace strategy through the shared decisions', () => {
  test('waits: stand-up on the validation endpoint, the shift on green\'s config alone; no SageMaker routing or termination wait in any deadline', () => {
    expect(expectationFor('standUp', state())).toEqual({ endpointName: names.validationEndpoint, configName: names.validationConfig, weights: {} });
    expect(expectationFor('shift', state())).toEqual({ configName: names.greenConfig, weights: { [BLUE_VARIANT]: 1 } });
    expect(waitDeadlineSeconds('shift', promotion)).toBe(4 * 30);
    expect(nextWaitSeconds('shift', { ...promotion, endpointEvents: false }, 1)).toBe(30);
  });

  test('the whole bake is the workflow\'s (SageMaker watches nothing)', () => {
    expect(workflowBakeSeconds(promotion)).toBe(1800);
    expect(workflowBakeSeconds({ strategy: 'guardrails', bakeSeconds: 1800 })).toBe(0);
  });

  test('cleanup: the validation config and green\'s (or blue\'s) resources, no pair, no abort alarm', () => {
    const none = { configs: new Set<string>(), models: new Set<string>() };
    expect(cleanupPlan('green', state(), none)).toMatchObject({ configs: [names.validationConfig, names.greenConfig], models: [names.model], alarms: [`${names.alarmPrefix}-5xx`, `${names.alarmPrefix}-latency`] });
    expect(cleanupPlan('blue', state(), none).configs).toEqual([names.validationConfig]);
  });

  test('outside changes: the promotion\'s own configs are green\'s and the validation config; green serving counts once the shift\'s wait saw it', () => {
    const before = footprintOf(state({ wait: { phase: 'shift', attempt: 1, ready: false, status: 'Updating', elapsedSeconds: 0, waitSeconds: 30 } }))!;
    expect(before).toMatchObject({ ownConfigs: [names.greenConfig, names.validationConfig], offBlue: false });
    expect(footprintOf(state({ wait: { phase: 'shift', attempt: 2, ready: true, status: 'InService', elapsedSeconds: 30, waitSeconds: 30 } }))!.offBlue).toBe(true);
  });

  test('rollback: an update to green in flight is waited out (nothing cancels it); green serving → UpdateEndpoint back to blue\'s config; blue serving → done', () => {
    const updating = serverlessEndpoint(BLUE_CONFIG, { EndpointStatus: 'Updating', PendingDeploymentSummary: { EndpointConfigName: names.greenConfig, StageStatus: [] } as never });
    expect(nextRollbackAction(updating, blue, green)).toEqual({ kind: 'wait', note: 'endpoint Updating' });
    expect(nextRollbackAction(serverlessEndpoint(names.greenConfig), blue, green)).toEqual({ kind: 'updateToBlue', configName: BLUE_CONFIG });
    expect(nextRollbackAction(serverlessEndpoint(BLUE_CONFIG), blue, green)).toMatchObject({ kind: 'done' });
  });
});

describe('green\'s cold-start alarm (ModelSetupTime, serverless-endpoints-monitoring)', () => {
  const withSetup = { ...promotion, greenAlarms: { enabled: true, max5xxErrors: 0, maxModelLatencyMs: 1000, maxModelSetupTimeMs: 4000 } };

  test('only a serverless promotion that sets maxModelSetupTimeMs gets one, named -setup, on the slowest cold start (µs)', () => {
    expect(greenAlarmNames(state({ promotion: withSetup }))).toEqual([`${names.alarmPrefix}-5xx`, `${names.alarmPrefix}-latency`, `${names.alarmPrefix}-setup`]);
    expect(greenAlarmNames(state())).toEqual([`${names.alarmPrefix}-5xx`, `${names.alarmPrefix}-latency`]);
    const specs = greenAlarmSpecs({ kind: 'serverless', strategy: 'replace', endpointName: ENDPOINT, green }, withSetup.greenAlarms);
    expect(specs.find((s) => s.suffix === 'setup')).toMatchObject({ MetricName: 'ModelSetupTime', Statistic: 'Maximum', Threshold: 4_000_000 });
    expect(greenAlarmSpecs({ kind: 'real-time', strategy: 'guardrails', endpointName: ENDPOINT, green }, withSetup.greenAlarms).map((s) => s.suffix)).toEqual(['5xx', 'latency']);
  });

  test('green\'s alarms off: no cold-start alarm either', () => {
    expect(watchesColdStarts('serverless', { enabled: false, maxModelSetupTimeMs: 4000 })).toBe(false);
  });

  test('maxModelSetupTimeMs on another kind is a problem naming the field and the fix', () => {
    expect(coldStartAlarmProblem('asynchronous', 'e', 4000)).toMatch(/^greenAlarms.maxModelSetupTimeMs: e is not serverless \(kind asynchronous\).*remove maxModelSetupTimeMs$/);
    expect(coldStartAlarmProblem('serverless', 'e', 4000)).toBeUndefined();
    expect(coldStartAlarmProblem('real-time', 'e', undefined)).toBeUndefined();
  });
});
