import {
  asyncLeftoverRecord,
  asyncResponse,
  failureText,
  inputLocation,
  judgeAsyncSample,
  mergeAsyncLeftovers,
  outputPathProblem,
  ownObjectsAfter,
  parseS3Uri,
  s3Join,
  servingOutputExtension,
  validationAsyncConfig,
  withAsyncLeftovers,
  type AsyncLeftover,
} from '../../lambdas/shared/async-validation';

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

  describe('what the workflow leaves in S3', () => {
    const request = { uploaded: 's3://b/e/bluegreen-validation/v/inputs/p-sample-1', outputLocation: 's3://b/e/bluegreen-validation/v/1.out', failureLocation: 's3://b/f/bluegreen-validation/v/x-1-error.out' };

    test('GIVEN a request answered THEN its upload and the answer go, nothing is pending', () => {
      expect(ownObjectsAfter({ ...request, answer: request.failureLocation, waited: true }, 30)).toEqual({ remove: [request.uploaded, request.failureLocation] });
      expect(ownObjectsAfter({ outputLocation: request.outputLocation, answer: request.outputLocation, waited: true }, 30)).toEqual({ remove: [request.outputLocation] });
    });

    test('GIVEN SageMaker refused the request THEN only the upload goes: no answer will come', () => {
      expect(ownObjectsAfter({ uploaded: request.uploaded, waited: false }, 30)).toEqual({ remove: [request.uploaded] });
    });

    test('GIVEN no answer by the deadline THEN the upload goes and both places the answer may still land are pending, with the deadline', () => {
      expect(ownObjectsAfter({ ...request, waited: true }, 30)).toEqual({ remove: [request.uploaded], pending: { kind: 'pending', uris: [request.outputLocation, request.failureLocation], seconds: 30 } });
    });

    test('GIVEN the validation ended before a request\'s answer was awaited THEN whatever is there goes and both places stay pending, without a deadline', () => {
      expect(ownObjectsAfter({ ...request, waited: false }, 30)).toEqual({
        remove: [request.uploaded, request.outputLocation, request.failureLocation],
        pending: { kind: 'pending', uris: [request.outputLocation, request.failureLocation] },
      });
    });

    test('GIVEN leftovers THEN the history row names the objects by S3 URI and says what to do', () => {
      expect(asyncLeftoverRecord({ kind: 'undeleted', uri: request.uploaded, error: 'AccessDenied: Access Denied' })).toEqual({
        resource: `object ${request.uploaded}`,
        reason: "the workflow's own validation object could not be deleted (AccessDenied: Access Denied): delete it",
      });
      expect(asyncLeftoverRecord({ kind: 'pending', uris: [request.outputLocation, request.failureLocation], seconds: 30 })).toEqual({
        resource: `objects ${request.outputLocation}, ${request.failureLocation}`,
        reason: 'no answer within validation.asyncOutputSeconds (30 s): an answer (output or failure object) may still arrive here; delete it once it does',
      });
      expect(asyncLeftoverRecord({ kind: 'pending', uris: [request.outputLocation] })).toEqual({
        resource: `object ${request.outputLocation}`,
        reason: 'the validation ended before its answer was awaited: an answer (output or failure object) may still arrive here; delete it once it does',
      });
    });

    test('GIVEN a retried validation records the same objects again THEN each is kept once, the later entry winning', () => {
      const first: AsyncLeftover = { kind: 'undeleted', uri: request.uploaded, error: 'AccessDenied: first' };
      const again: AsyncLeftover = { kind: 'undeleted', uri: request.uploaded, error: 'AccessDenied: again' };
      const pending: AsyncLeftover = { kind: 'pending', uris: [request.outputLocation], seconds: 30 };
      expect(mergeAsyncLeftovers([first, pending], [again, pending])).toEqual([again, pending]);
      expect(mergeAsyncLeftovers([], [])).toEqual([]);
    });

    test('GIVEN the cleanup\'s leftovers THEN the async ones are added after them, a resource already named not twice', () => {
      const kept = [{ resource: 'config c', reason: 'in use' }];
      const undeleted: AsyncLeftover = { kind: 'undeleted', uri: request.uploaded, error: 'AccessDenied: x' };
      expect(withAsyncLeftovers(kept, undefined)).toBe(kept);
      expect(withAsyncLeftovers(undefined, [])).toBeUndefined();
      expect(withAsyncLeftovers(kept, [undeleted])).toEqual([...kept, asyncLeftoverRecord(undeleted)]);
      expect(withAsyncLeftovers([asyncLeftoverRecord(undeleted)], [undeleted])).toEqual([asyncLeftoverRecord(undeleted)]);
      expect(withAsyncLeftovers(undefined, [undeleted])).toEqual([asyncLeftoverRecord(undeleted)]);
    });
  });
});
