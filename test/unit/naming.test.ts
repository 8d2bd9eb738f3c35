import { SAGEMAKER_NAME_PATTERN } from '../../lambdas/shared/input';
import { greenNames, isOwnName, MAX_NAME, OWN_PREFIX_LENGTH } from '../../lambdas/shared/naming';

/** SageMaker's rule for model, endpoint config and variant names, as the API reference states it. */
const SAGEMAKER_NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;
const LONGEST = `a${'-b'.repeat(31)}`; // 63 characters, hyphens all along

const createdNames = (n: ReturnType<typeof greenNames>) => [n.model, n.greenConfig, n.pairConfig, n.variant];

describe('greenNames', () => {
  test('GIVEN the same endpoint, version and promotion WHEN named twice THEN the names are the same (a retry finds its own resources)', () => {
    expect(greenNames('churn-prediction', 2, 'promotion-1')).toEqual(greenNames('churn-prediction', 2, 'promotion-1'));
  });

  test('GIVEN a short endpoint name WHEN named THEN the names read <endpoint>-v<version>-<hash6>[-pair]', () => {
    const n = greenNames('churn-prediction', 2, 'promotion-1');

    expect(n.model).toMatch(/^churn-prediction-v2-[0-9a-f]{6}$/);
    expect(n.greenConfig).toBe(n.model);
    expect(n.pairConfig).toBe(`${n.greenConfig}-pair`);
    expect(n.variant).toMatch(/^v2-[0-9a-f]{6}$/);
    expect(n.alarmPrefix).toBe(`bluegreen-churn-prediction-${n.variant}`);
  });

  test('GIVEN two promotions of the same version WHEN named THEN every created name differs', () => {
    const first = greenNames('churn-prediction', 2, 'promotion-1');
    const second = greenNames('churn-prediction', 2, 'promotion-2');

    for (const [a, b] of createdNames(first).map((name, i) => [name, createdNames(second)[i]])) expect(a).not.toBe(b);
    expect(first.alarmPrefix).not.toBe(second.alarmPrefix);
  });

  test.each([
    ['a 63-character endpoint name', 'e'.repeat(63), 2],
    ['a 63-character name of single hyphens', LONGEST, 2],
    ['a name whose cut falls on hyphens', `${'a'.repeat(46)}${'-'.repeat(6)}${'b'.repeat(11)}`, 7],
    ['a five-digit version', 'e'.repeat(63), 99999],
    ['a one-character name', 'e', 1],
  ])('GIVEN %s WHEN named THEN every name fits 63 characters and SageMaker’s pattern', (_label, endpointName, version) => {
    const n = greenNames(endpointName, version, 'promotion-with-a-rather-long-execution-name-0123456789');

    for (const name of createdNames(n)) {
      expect(name.length).toBeLessThanOrEqual(MAX_NAME);
      expect(name).toMatch(SAGEMAKER_NAME);
      expect(name).toMatch(SAGEMAKER_NAME_PATTERN);
    }
  });

  test('GIVEN a 63-character endpoint name WHEN named THEN the model and pair config use all 63 characters and stay distinct', () => {
    const n = greenNames('e'.repeat(63), 2, 'promotion-1');

    expect(n.model).toHaveLength(63);
    expect(n.pairConfig).toHaveLength(63);
    expect(n.pairConfig).not.toBe(n.greenConfig);
  });
});

describe('isOwnName', () => {
  test('GIVEN names a promotion created WHEN checked THEN they are own', () => {
    const n = greenNames('churn-prediction', 2, 'promotion-1');

    expect(isOwnName('churn-prediction', n.model)).toBe(true);
    expect(isOwnName('churn-prediction', n.pairConfig)).toBe(true);
  });

  test('GIVEN a 63-character endpoint WHEN its trimmed names are checked THEN they are own (the IAM prefix holds)', () => {
    const endpoint = 'e'.repeat(63);
    const n = greenNames(endpoint, 99999, 'promotion-1');

    expect(OWN_PREFIX_LENGTH).toBe(MAX_NAME - '-v99999-abcdef-pair'.length);
    for (const name of [n.model, n.greenConfig, n.pairConfig]) expect(isOwnName(endpoint, name)).toBe(true);
  });

  test('GIVEN another case WHEN checked THEN the match ignores case, like SageMaker names', () => {
    expect(isOwnName('Churn-Prediction', 'churn-prediction-v2-abc123')).toBe(true);
  });

  test('GIVEN names the user created WHEN checked THEN they are not own', () => {
    expect(isOwnName('churn-prediction', 'churn-v1-config')).toBe(false);
    expect(isOwnName('churn-prediction', 'churn-prediction-config')).toBe(false);
    expect(isOwnName('churn-prediction', 'churn-prediction-v2-ABCDEG')).toBe(false);
  });

  test('GIVEN a name of the right shape for another endpoint WHEN checked THEN it is not own', () => {
    expect(isOwnName('churn-prediction', 'fraud-detection-v2-abc123')).toBe(false);
  });
});
