import type { DescribeEndpointConfigOutput, ProductionVariant } from '@aws-sdk/client-sagemaker';
import { chooseStrategy, endpointKindOf, ENDPOINT_KINDS, KIND_STRATEGIES, kindPhrase, sageMakerWatchesAlarms, targetVariant } from '../../lambdas/shared/kinds';
import { STRATEGIES } from '../../lambdas/shared/strategy-names';

/** Which kind an endpoint config is, and the strategy each kind gets (lambdas/shared/kinds.ts). */
const instances = (name: string, model = `${name}-model`): ProductionVariant => ({ VariantName: name, ModelName: model, InstanceType: 'ml.m5.large', InitialInstanceCount: 1 });
const config = (variants: ProductionVariant[], extra: Partial<DescribeEndpointConfigOutput> = {}): DescribeEndpointConfigOutput => ({
  EndpointConfigName: 'blue-config',
  EndpointConfigArn: 'arn:aws:sagemaker:us-east-1:111122223333:endpoint-config/blue-config',
  CreationTime: new Date(0),
  ProductionVariants: variants,
  ...extra,
});

describe('endpointKindOf', () => {
  test.each<[string, DescribeEndpointConfigOutput, string]>([
    ['one instance-backed variant', config([instances('AllTraffic')]), 'real-time'],
    ['two instance-backed variants (an A/B test)', config([instances('A'), instances('B')]), 'multi-variant'],
    [
      'a variant with ServerlessConfig (serverless-endpoints-create-config: no instance type or count)',
      config([{ VariantName: 'AllTraffic', ModelName: 'm', ServerlessConfig: { MemorySizeInMB: 2048, MaxConcurrency: 5 } }]),
      'serverless',
    ],
    ['AsyncInferenceConfig (async-inference-create-endpoint)', config([instances('AllTraffic')], { AsyncInferenceConfig: { OutputConfig: { S3OutputPath: 's3://out/' } } }), 'asynchronous'],
    [
      'variants that name no model (an inference component endpoint: realtime-endpoints-deploy-models, CreateEndpointConfig without ModelName)',
      config([{ VariantName: 'AllTraffic', InstanceType: 'ml.g5.2xlarge', InitialInstanceCount: 1 }], { ExecutionRoleArn: 'arn:aws:iam::111122223333:role/r' }),
      'inference-component',
    ],
  ])('GIVEN %s WHEN its kind is read THEN it is %s', (_, c, kind) => {
    expect(endpointKindOf(c)).toBe(kind);
  });
});

describe('KIND_STRATEGIES', () => {
  test('GIVEN every kind THEN it has at least one strategy, every strategy serves some kind, and each has its reason', () => {
    for (const kind of ENDPOINT_KINDS) {
      expect(KIND_STRATEGIES[kind].strategies.length).toBeGreaterThan(0);
      expect(KIND_STRATEGIES[kind].why).toMatch(/\w{10,}/);
    }
    const served = new Set(ENDPOINT_KINDS.flatMap((k) => KIND_STRATEGIES[k].strategies));
    expect([...served].sort()).toEqual([...STRATEGIES].sort());
  });
});

describe('chooseStrategy', () => {
  test('GIVEN a real-time endpoint and no strategy in the input WHEN chosen THEN the stack default applies (guardrails or variant)', () => {
    expect(chooseStrategy('real-time', undefined, 'variant')).toMatchObject({ strategy: 'variant', why: expect.stringMatching(/stack's default strategy variant/) });
    expect(chooseStrategy('real-time', undefined, 'guardrails')).toMatchObject({ strategy: 'guardrails' });
  });

  test.each([
    ['serverless', 'replace'],
    ['asynchronous', 'guardrails'],
    ['multi-variant', 'guardrails'],
    ['inference-component', 'component'],
  ] as const)('GIVEN a %s endpoint, a stack defaulting to variant and no strategy in the input WHEN chosen THEN the kind decides: %s, saying why', (kind, strategy) => {
    const choice = chooseStrategy(kind, undefined, 'variant');
    expect(choice).toEqual({ strategy, why: expect.stringContaining(`chosen for ${kindPhrase(kind)}`) });
  });

  test('GIVEN an explicit strategy that fits WHEN chosen THEN it is kept, saying it came from the input', () => {
    expect(chooseStrategy('real-time', 'variant', 'guardrails')).toMatchObject({ strategy: 'variant', why: expect.stringMatching(/^strategy variant from the input/) });
  });

  test.each([
    ['serverless', 'guardrails', /use strategy replace/],
    ['serverless', 'variant', /use strategy replace/],
    ['asynchronous', 'variant', /use strategy guardrails/],
    ['multi-variant', 'variant', /use strategy guardrails/],
    ['inference-component', 'guardrails', /use strategy component/],
    ['real-time', 'component', /use strategy guardrails or variant/],
  ] as const)('GIVEN a %s endpoint and an explicit strategy %s WHEN chosen THEN it is a problem naming the field, the kind and the fix', (kind, explicit, fix) => {
    const choice = chooseStrategy(kind, explicit, 'guardrails');
    expect(choice).toEqual({ problem: expect.stringMatching(new RegExp(`^strategy: ${explicit} does not fit ${kindPhrase(kind)}`)) });
    expect((choice as { problem: string }).problem).toMatch(fix);
  });
});

test('GIVEN each kind WHEN phrased for a message THEN its article fits it', () => {
  expect(ENDPOINT_KINDS.map(kindPhrase)).toEqual(['a real-time endpoint', 'a multi-variant endpoint', 'an asynchronous endpoint', 'a serverless endpoint', 'an inference-component endpoint']);
});

describe('targetVariant', () => {
  const ab = config([instances('ModelA'), instances('ModelB')]);

  test('GIVEN one variant and no variantName WHEN the target is read THEN it is that variant', () => {
    expect(targetVariant(config([instances('AllTraffic')]), 'churn', undefined)).toEqual({ variantName: 'AllTraffic' });
  });

  test('GIVEN two variants and variantName ModelB WHEN the target is read THEN it is ModelB', () => {
    expect(targetVariant(ab, 'churn', 'ModelB')).toEqual({ variantName: 'ModelB' });
  });

  test('GIVEN two variants and no variantName WHEN the target is read THEN the problem lists them and asks to name one', () => {
    expect(targetVariant(ab, 'churn', undefined)).toEqual({ problem: 'variantName: churn serves 2 production variants (ModelA, ModelB); name the one to promote in variantName (the others keep their models and weights)' });
  });

  test('GIVEN a variantName the endpoint does not have WHEN the target is read THEN the problem names it and the ones there are', () => {
    expect(targetVariant(ab, 'churn', 'ModelC')).toEqual({ problem: 'variantName: churn has no production variant ModelC (it serves ModelA, ModelB); name one of them' });
  });
});

test('GIVEN each strategy WHEN asked whether SageMaker watches its alarms (AutoRollbackConfiguration, at most 10) THEN only guardrails and component', () => {
  expect(STRATEGIES.filter(sageMakerWatchesAlarms)).toEqual(['guardrails', 'component']);
});
