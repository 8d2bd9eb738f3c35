import { describeIssues, modelPackageParts, promotionInputSchema } from '../../lambdas/shared/input';
import { packageArn, ROLE } from '../support/fixtures';

const minimal = { endpointName: 'churn-prediction', modelPackageArn: packageArn(2) };

/** The one-line message validate-input would throw for this input (undefined: the input is valid). */
function problemsOf(input: unknown): string | undefined {
  const parsed = promotionInputSchema.safeParse(input);
  return parsed.success ? undefined : describeIssues(parsed.error);
}

describe('promotion input schema', () => {
  test('GIVEN only the endpoint and a versioned model package WHEN parsed THEN it is valid', () => {
    expect(promotionInputSchema.parse(minimal)).toEqual(minimal);
  });

  test('GIVEN every documented field WHEN parsed THEN it is valid and kept as given', () => {
    const full = {
      ...minimal,
      bakeSeconds: 0,
      executionRoleArn: ROLE,
      instanceType: 'ml.m5.xlarge',
      initialInstanceCount: 2,
      validation: {
        contentType: 'text/csv',
        accept: 'application/json',
        maxLatencyMs: 500,
        samples: [
          { name: 'typical-customer', body: '12,1,0', expectedStatus: 200, expectContains: 'churn', expectJson: { churn: 0.12 } },
          { s3Uri: 's3://validation-bucket/churn/sample.csv', contentType: 'text/csv' },
        ],
      },
      guardrailAlarmNames: ['churn-5xx'],
      greenAlarms: { enabled: false, max5xxErrors: 3, maxModelLatencyMs: 250 },
      deadlines: { inServiceSeconds: 3600 },
      requestedBy: 'model-registry',
    };

    expect(promotionInputSchema.parse(full)).toEqual(full);
  });

  test('GIVEN an endpoint name with an underscore WHEN parsed THEN the message names endpointName and the pattern', () => {
    expect(problemsOf({ ...minimal, endpointName: 'churn_prediction' })).toMatch(/^endpointName: endpointName must match \^\[a-zA-Z0-9\]\(-\*\[a-zA-Z0-9\]\)\{0,62\}/);
  });

  test('GIVEN an endpoint name with a leading hyphen WHEN parsed THEN endpointName is refused', () => {
    expect(problemsOf({ ...minimal, endpointName: '-churn' })).toMatch(/^endpointName: /);
  });

  test('GIVEN a 64-character endpoint name WHEN parsed THEN the message names endpointName and the 63 limit', () => {
    expect(problemsOf({ ...minimal, endpointName: 'e'.repeat(64) })).toMatch(/endpointName: endpointName must be at most 63 characters/);
    expect(problemsOf({ ...minimal, endpointName: 'e'.repeat(63) })).toBeUndefined();
  });

  test('GIVEN an endpoint name that is not a string WHEN parsed THEN the message says so', () => {
    expect(problemsOf({ ...minimal, endpointName: 42 })).toBe('endpointName: endpointName must be a string');
  });

  test('GIVEN a model package group ARN without version WHEN parsed THEN the message names modelPackageArn and asks for a versioned ARN', () => {
    const unversioned = 'arn:aws:sagemaker:us-east-1:111122223333:model-package-group/churn-models';

    expect(problemsOf({ ...minimal, modelPackageArn: unversioned })).toMatch(/^modelPackageArn: modelPackageArn must be a versioned model package ARN/);
    expect(problemsOf({ ...minimal, modelPackageArn: 'arn:aws:sagemaker:us-east-1:111122223333:model-package/churn-models' })).toMatch(/^modelPackageArn: /);
  });

  test('GIVEN a negative bake WHEN parsed THEN the message names bakeSeconds', () => {
    expect(problemsOf({ ...minimal, bakeSeconds: -1 })).toMatch(/^bakeSeconds: .*>=0/);
  });

  test('GIVEN an unknown key WHEN parsed THEN it is refused naming the key (strict)', () => {
    expect(problemsOf({ ...minimal, bakeMinutes: 5 })).toMatch(/bakeMinutes/);
  });

  test('GIVEN an unknown key inside validation WHEN parsed THEN it is refused naming the path and the key', () => {
    expect(problemsOf({ ...minimal, validation: { sampels: [] } })).toMatch(/^validation: .*sampels/);
  });

  test('GIVEN a sample with both body and s3Uri WHEN parsed THEN the message names that sample', () => {
    const input = { ...minimal, validation: { samples: [{ body: '{}' }, { body: '{}', s3Uri: 's3://validation-bucket/a.json' }] } };

    expect(problemsOf(input)).toBe('validation.samples.1: each validation sample needs exactly one of body or s3Uri');
  });

  test('GIVEN a sample with neither body nor s3Uri WHEN parsed THEN the message names that sample', () => {
    expect(problemsOf({ ...minimal, validation: { samples: [{ name: 'empty' }] } })).toBe('validation.samples.0: each validation sample needs exactly one of body or s3Uri');
  });

  test('GIVEN 51 samples WHEN parsed THEN the message names validation.samples and the limit', () => {
    const samples = Array.from({ length: 51 }, (_, i) => ({ body: `{"n":${i}}` }));

    expect(problemsOf({ ...minimal, validation: { samples } })).toMatch(/^validation\.samples: .*50/);
    expect(problemsOf({ ...minimal, validation: { samples: samples.slice(0, 50) } })).toBeUndefined();
  });

  test('GIVEN a malformed s3Uri WHEN parsed THEN the message names the sample field', () => {
    expect(problemsOf({ ...minimal, validation: { samples: [{ s3Uri: 'https://bucket/key' }] } })).toBe('validation.samples.0.s3Uri: s3Uri must look like s3://bucket/key');
  });

  test('GIVEN a role ARN that is not IAM WHEN parsed THEN the message names executionRoleArn', () => {
    expect(problemsOf({ ...minimal, executionRoleArn: 'arn:aws:sts::111122223333:assumed-role/x' })).toBe('executionRoleArn: executionRoleArn must be an IAM role ARN');
  });

  test('GIVEN a deadline under a minute WHEN parsed THEN the message names deadlines.inServiceSeconds', () => {
    expect(problemsOf({ ...minimal, deadlines: { inServiceSeconds: 10 } })).toMatch(/^deadlines\.inServiceSeconds: /);
  });
});

describe('describeIssues', () => {
  test('GIVEN several problems WHEN described THEN there is one entry per problem, each naming its field, joined by "; "', () => {
    const message = problemsOf({ endpointName: 'bad_name', modelPackageArn: 'nope', bakeSeconds: -5 })!;
    const parts = message.split('; ');

    expect(parts).toEqual([expect.stringMatching(/^endpointName: /), expect.stringMatching(/^modelPackageArn: /), expect.stringMatching(/^bakeSeconds: /)]);
  });

  test('GIVEN an input that is not an object WHEN described THEN the field is "(input)"', () => {
    expect(problemsOf('churn-prediction')).toMatch(/^\(input\): /);
  });

  test('GIVEN a missing required field WHEN described THEN it is named', () => {
    expect(problemsOf({ endpointName: 'churn-prediction' })).toMatch(/^modelPackageArn: /);
  });
});

describe('modelPackageParts', () => {
  test('GIVEN a versioned ARN WHEN split THEN region, account, group and version come out', () => {
    expect(modelPackageParts(packageArn(12))).toEqual({ region: 'us-east-1', account: '111122223333', group: 'churn-models', version: 12 });
  });

  test('GIVEN an unversioned ARN WHEN split THEN it throws naming the ARN', () => {
    expect(() => modelPackageParts('arn:aws:sagemaker:us-east-1:111122223333:model-package/churn')).toThrow(/not a versioned model package ARN: arn:aws:sagemaker/);
  });
});
