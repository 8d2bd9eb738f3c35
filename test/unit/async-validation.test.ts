import { asyncResponse, failureText, inputLocation, judgeAsyncSample, outputPathProblem, parseS3Uri, s3Join, servingOutputExtension, validationAsyncConfig } from '../../lambdas/shared/async-validation';

describe('async-validation', () => {
  const blue = {
    OutputConfig: { S3OutputPath: 's3://out/churn/', S3FailurePath: 's3://out/churn-failures', NotificationConfig: { SuccessTopic: 'arn:aws:sns:us-east-1:111122223333:done' } },
    ClientConfig: { MaxConcurrentInvocationsPerInstance: 2 },
  };

  test('GIVEN blue\'s AsyncInferenceConfig THEN the validation config keeps its settings, writes under its own bluegreen-validation prefixes and notifies nobody', () => {
    expect(validationAsyncConfig(blue, 'churn-v2-abc-val')).toEqual({
      OutputConfig: { S3OutputPath: 's3://out/churn/bluegreen-validation/churn-v2-abc-val', S3FailurePath: 's3://out/churn-failures/bluegreen-validation/churn-v2-abc-val', NotificationConfig: undefined },
      ClientConfig: { MaxConcurrentInvocationsPerInstance: 2 },
    });
  });

  test('GIVEN blue has no failure path THEN the validation endpoint still gets one (beside its outputs), so a failure is seen before the deadline', () => {
    expect(validationAsyncConfig({ OutputConfig: { S3OutputPath: 's3://out/churn' } }, 'v')?.OutputConfig?.S3FailurePath).toBe('s3://out/churn/bluegreen-validation/v/failures');
    expect(validationAsyncConfig(undefined, 'v')).toBeUndefined();
  });

  test('GIVEN the locations THEN inputs and serving outputs are under bluegreen-validation/ keys (what the IAM policy allows)', () => {
    expect(inputLocation('s3://out/churn/bluegreen-validation/v', undefined, 'p1', 0)).toBe('s3://out/churn/bluegreen-validation/v/inputs/p1-sample-1');
    expect(inputLocation('s3://out/churn/', servingOutputExtension('p1'), 'p1', 1)).toBe('s3://out/churn/bluegreen-validation/p1/inputs/p1-sample-2');
    expect(s3Join('s3://b/a/', '/x/', '', 'y')).toBe('s3://b/a/x/y');
    expect(parseS3Uri('s3://b/k/l')).toEqual({ bucket: 'b', key: 'k/l' });
    expect(parseS3Uri('https://b/k')).toBeUndefined();
  });

  test('GIVEN a config without S3OutputPath or AsyncInferenceConfig THEN the problem names the fix', () => {
    expect(outputPathProblem({ EndpointConfigName: 'c', AsyncInferenceConfig: { OutputConfig: {} } })).toMatch(/no AsyncInferenceConfig\.OutputConfig\.S3OutputPath.*give blue's config an S3OutputPath/);
    expect(outputPathProblem({ EndpointConfigName: 'c' })).toMatch(/has no AsyncInferenceConfig/);
    expect(outputPathProblem({ EndpointConfigName: 'c', AsyncInferenceConfig: blue })).toBeUndefined();
  });

  test('GIVEN an output THEN it is judged like a synchronous 200 answer, its time to appear never held against maxLatencyMs', () => {
    const output = { kind: 'output', body: '{"modelPackageVersion":2}', location: 's3://o/1.out', afterMs: 90_000 } as const;
    expect(judgeAsyncSample({ expectContains: '"modelPackageVersion":2' }, output)).toBeUndefined();
    expect(judgeAsyncSample({ expectContains: '"modelPackageVersion":3' }, output)).toMatch(/does not contain/);
    expect(asyncResponse(output)).toMatchObject({ status: 200, latencyMs: 90_000 });
  });

  test('GIVEN a failure object or no object by the deadline THEN the sample fails with the failure\'s message, or the deadline and the fix', () => {
    const failure = { kind: 'failure', body: '{"InferenceId":"1","message":"model exploded"}', location: 's3://f/1-error.out', afterMs: 5 } as const;
    expect(judgeAsyncSample({}, failure)).toBe('status 0, expected 200 (failed: model exploded (s3://f/1-error.out))');
    expect(failureText('plain text')).toBe('plain text');
    const deadline = { kind: 'deadline', outputLocation: 's3://o/1.out', seconds: 30, afterMs: 30_000 } as const;
    expect(judgeAsyncSample({}, deadline)).toMatch(/^status 0, expected 200 \(no output within validation\.asyncOutputSeconds \(30 s\): raise validation\.asyncOutputSeconds \(at most 600\)/);
  });
});
