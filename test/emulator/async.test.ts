import { GetMetricStatisticsCommand, type Statistic } from '@aws-sdk/client-cloudwatch';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  DeleteEndpointCommand,
  DeleteEndpointConfigCommand,
  DescribeEndpointCommand,
  UpdateEndpointCommand,
} from '@aws-sdk/client-sagemaker';
import { InvokeEndpointAsyncCommand, type InvokeEndpointAsyncCommandInput } from '@aws-sdk/client-sagemaker-runtime';
import type { EmulatorOptions } from '../../local/emulator';
import { inputShape } from '../../local/emulator/validate';
import { blueEndpoint, createModel, errorOf, startTestAws, type TestAws, waitFor, waitForStatus } from './helpers';

let aws: TestAws;
let s3: S3Client;
async function start(options: EmulatorOptions = {}): Promise<void> {
  aws = await startTestAws(options);
  s3 = new S3Client({ endpoint: aws.emu.url, region: 'us-east-1', maxAttempts: 1 });
  aws.emu.s3.createBucket('async-in');
  aws.emu.s3.createBucket('async-out');
}
afterEach(async () => {
  s3.destroy();
  await aws.close();
});

/** An async endpoint config: outputs under s3://async-out/out, failures under s3://async-out/fail. */
async function asyncConfig(name: string, model: string, perInstance?: number): Promise<void> {
  await createModel(aws.sm, model);
  await aws.sm.send(
    new CreateEndpointConfigCommand({
      EndpointConfigName: name,
      ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: model, InstanceType: 'ml.m5.large', InitialInstanceCount: 1 }],
      AsyncInferenceConfig: {
        OutputConfig: { S3OutputPath: 's3://async-out/out', S3FailurePath: 's3://async-out/fail' },
        ClientConfig: perInstance === undefined ? undefined : { MaxConcurrentInvocationsPerInstance: perInstance },
      },
    }),
  );
}

async function asyncEndpoint(perInstance?: number): Promise<void> {
  await asyncConfig('async-a', 'model-a', perInstance);
  await aws.sm.send(new CreateEndpointCommand({ EndpointName: 'ep', EndpointConfigName: 'async-a' }));
  await waitForStatus(aws.sm, 'ep', 'InService');
}

async function putInput(key: string, body: unknown): Promise<string> {
  await s3.send(new PutObjectCommand({ Bucket: 'async-in', Key: key, Body: JSON.stringify(body), ContentType: 'application/json' }));
  return `s3://async-in/${key}`;
}

const invokeAsync = (input: Partial<InvokeEndpointAsyncCommandInput> & { InputLocation: string }) =>
  aws.rt.send(new InvokeEndpointAsyncCommand({ EndpointName: 'ep', ContentType: 'application/json', ...input }));

/** The object at an s3:// URI, once it exists. */
async function objectAt(uri: string, timeoutMs = 3000): Promise<string> {
  const [, bucket, key] = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri) as RegExpExecArray;
  return waitFor(
    async () => {
      try {
        return await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body?.transformToString();
      } catch (e) {
        if ((e as Error).name === 'NoSuchKey') return undefined;
        throw e;
      }
    },
    timeoutMs,
    `an object at ${uri}`,
  );
}

async function keys(prefix: string): Promise<string[]> {
  const out = await s3.send(new ListObjectsV2Command({ Bucket: 'async-out', Prefix: prefix }));
  return (out.Contents ?? []).map((c) => c.Key as string);
}

async function stat(metric: string, statistic: Statistic, variant?: string): Promise<number | undefined> {
  const now = Date.now();
  const out = await aws.cw.send(
    new GetMetricStatisticsCommand({
      Namespace: 'AWS/SageMaker',
      MetricName: metric,
      Dimensions: [{ Name: 'EndpointName', Value: 'ep' }, ...(variant ? [{ Name: 'VariantName', Value: variant }] : [])],
      StartTime: new Date(now - 600_000),
      EndTime: new Date(now + 60_000),
      Period: 3600,
      Statistics: [statistic],
    }),
  );
  return out.Datapoints?.[0]?.[statistic];
}

describe('InvokeEndpointAsync (API_runtime_InvokeEndpointAsync)', () => {
  it('API_runtime_InvokeEndpointAsync: GIVEN an input in S3 WHEN invoked THEN 202 with InferenceId and locations, and the model’s answer appears at the output location', async () => {
    await start();
    await asyncEndpoint();
    const input = await putInput('req-1.json', { features: [1, 2] });
    const out = await invokeAsync({ InputLocation: input, InferenceId: 'req-1' });
    expect(out.$metadata.httpStatusCode).toBe(202);
    expect(out.InferenceId).toBe('req-1');
    expect(out.OutputLocation).toBe('s3://async-out/out/req-1.out');
    expect(out.FailureLocation).toBe('s3://async-out/fail/req-1-error.out');
    expect(JSON.parse(await objectAt(out.OutputLocation as string))).toEqual({ model: 'model-a', modelPackageVersion: null, variant: 'AllTraffic', input: { features: [1, 2] } });
    expect(await stat('InvocationsProcessed', 'Sum', 'AllTraffic')).toBe(1);
    // Async endpoints publish InvocationsProcessed, not Invocations (async-inference-monitor.html).
    expect(await stat('Invocations', 'Sum', 'AllTraffic')).toBeUndefined();

    const generated = await invokeAsync({ InputLocation: input, S3OutputPathExtension: 'batch-7' });
    expect(generated.InferenceId).toMatch(/^[0-9a-f-]{36}$/);
    expect(generated.OutputLocation).toBe(`s3://async-out/out/batch-7/${generated.InferenceId}.out`);
    await objectAt(generated.OutputLocation as string);
  });

  it('async-inference-monitor: GIVEN the model answers 500 (variantErrors) THEN the failure location gets the error and InvocationFailures counts it', async () => {
    await start();
    await asyncEndpoint();
    aws.emu.faults.variantErrors({ endpointName: 'ep', statusCode: 500, message: 'boom' });
    const out = await invokeAsync({ InputLocation: await putInput('req.json', {}), InferenceId: 'bad' });
    const failure = JSON.parse(await objectAt(out.FailureLocation as string)) as Record<string, unknown>;
    expect(failure).toMatchObject({ InferenceId: 'bad', VariantName: 'AllTraffic', OriginalStatusCode: 500 });
    expect(failure.message).toContain('boom');
    expect(await keys('out/')).toEqual([]);
    expect(await stat('InvocationFailures', 'Sum', 'AllTraffic')).toBe(1);
    expect(await stat('InvocationsProcessed', 'Sum', 'AllTraffic')).toBeUndefined();
  });

  it('async-inference-monitor: GIVEN an input location with no object THEN RequestDownloadFailures and a failure document', async () => {
    await start();
    await asyncEndpoint();
    const out = await invokeAsync({ InputLocation: 's3://async-in/missing.json', InferenceId: 'lost' });
    expect(JSON.parse(await objectAt(out.FailureLocation as string))).toMatchObject({ InferenceId: 'lost' });
    expect(await stat('RequestDownloadFailures', 'Sum', 'AllTraffic')).toBe(1);
  });

  it('API_runtime_InvokeEndpointAsync: GIVEN the API model THEN there is no TargetVariant (nor TargetModel, InferenceComponentName); the SDK does not send one', async () => {
    const members = Object.keys(inputShape('runtime', 'InvokeEndpointAsync')?.members ?? {});
    expect(members).toContain('InputLocation');
    expect(members).not.toEqual(expect.arrayContaining(['TargetVariant']));
    expect(members.filter((m) => ['TargetVariant', 'TargetModel', 'InferenceComponentName'].includes(m))).toEqual([]);
    await start();
    await asyncEndpoint();
    await invokeAsync({ InputLocation: await putInput('r.json', {}), ...({ TargetVariant: 'green' } as object) });
    const call = aws.emu.callLog.find((c) => c.operation === 'InvokeEndpointAsync');
    expect(call?.input).not.toHaveProperty('TargetVariant');
  });

  it('API_runtime_InvokeEndpointAsync: GIVEN a real-time endpoint (no AsyncInferenceConfig) or an unknown one THEN ValidationError', async () => {
    await start();
    await blueEndpoint(aws.sm);
    const input = await putInput('r.json', {});
    const err = await errorOf(invokeAsync({ InputLocation: input }));
    expect(err.name).toBe('ValidationError');
    expect(err.message).toMatch(/is not an asynchronous inference endpoint.*AsyncInferenceConfig/);
    const missing = await errorOf(invokeAsync({ EndpointName: 'nope', InputLocation: input }));
    expect(missing.message).toBe('Endpoint nope of account 111122223333 not found.');
    const ttl = await errorOf(invokeAsync({ InputLocation: input, RequestTTLSeconds: 10 }));
    expect(ttl.message).toMatch(/Value '?10'? at 'requestTTLSeconds' failed to satisfy constraint: Member must have value greater than or equal to 60/);
  });

  it('async-inference-monitor: GIVEN one instance taking 1 request at a time WHEN 6 arrive at once THEN ApproximateBacklogSize rises and returns to 0', async () => {
    await start({ asyncProcessingMs: 40 });
    await asyncEndpoint(1);
    const input = await putInput('r.json', {});
    const outs = await Promise.all(Array.from({ length: 6 }, (_, i) => invokeAsync({ InputLocation: input, InferenceId: `r${i}` })));
    await Promise.all(outs.map((o) => objectAt(o.OutputLocation as string)));
    // 6 arrive within a few ms, one is taken each 40 ms: at least 3 are waiting or in flight at some point.
    expect(await stat('ApproximateBacklogSize', 'Maximum')).toBeGreaterThanOrEqual(3);
    await waitFor(async () => (await stat('ApproximateBacklogSize', 'Minimum')) === 0, 1000, 'an empty backlog');
    expect(await stat('HasBacklogWithoutCapacity', 'Maximum')).toBe(0);
    expect(await stat('InvocationsProcessed', 'Sum', 'AllTraffic')).toBe(6);
  });

  it('async-inference-update-endpoint (queue undocumented): GIVEN requests queued before, during and after an UpdateEndpoint THEN all are processed, some by the old fleet and some by the new', async () => {
    await start({ asyncProcessingMs: 25, provisioningMs: 60 });
    await asyncEndpoint(1);
    await asyncConfig('async-b', 'model-b', 1);
    const input = await putInput('r.json', { n: 1 });
    const send = async (n: number, tag: string) => {
      const outs = [];
      for (let i = 0; i < n; i++) outs.push(await invokeAsync({ InputLocation: input, InferenceId: `${tag}-${i}` }));
      return outs;
    };
    const locations = (await send(4, 'before')).map((o) => o.OutputLocation as string);
    await aws.sm.send(new UpdateEndpointCommand({ EndpointName: 'ep', EndpointConfigName: 'async-b' }));
    locations.push(...(await send(4, 'during')).map((o) => o.OutputLocation as string));
    await waitForStatus(aws.sm, 'ep', 'InService');
    locations.push(...(await send(2, 'after')).map((o) => o.OutputLocation as string));
    const models = (await Promise.all(locations.map((l) => objectAt(l, 5000)))).map((body) => (JSON.parse(body) as { model: string }).model);
    expect(models).toHaveLength(10);
    expect(models[0]).toBe('model-a'); // taken by the old fleet at once
    expect(models.slice(-2)).toEqual(['model-b', 'model-b']);
    expect(new Set(models)).toEqual(new Set(['model-a', 'model-b']));
    expect(await keys('fail/')).toEqual([]);
    expect(aws.emu.inspect().asyncInference.ep).toMatchObject({ queued: 0, inFlight: 0, processed: 10, failed: 0, expired: 0 });
  });

  it('API_runtime_InvokeEndpointAsync RequestTTLSeconds: GIVEN a request that waits in the queue longer than its TTL THEN it expires (ExpiredRequests) to the failure location', async () => {
    // 600 simulated s per real s: a 60 s TTL is 100 real ms; processing 150 real ms = 90 simulated s.
    await start({ asyncProcessingMs: 150, timeScale: 600 });
    await asyncEndpoint(1);
    const input = await putInput('r.json', {});
    const first = await invokeAsync({ InputLocation: input, InferenceId: 'first', RequestTTLSeconds: 60 });
    const second = await invokeAsync({ InputLocation: input, InferenceId: 'second', RequestTTLSeconds: 60 });
    await objectAt(first.OutputLocation as string);
    expect(JSON.parse(await objectAt(second.FailureLocation as string)).message).toMatch(/expired/);
    expect(aws.emu.inspect().asyncInference.ep).toMatchObject({ processed: 1, expired: 1, failed: 0 });
  });

  it('API_DeleteEndpointConfig (deleting a config in use is not refused): GIVEN the async endpoint’s config deleted THEN DescribeEndpoint keeps its AsyncInferenceConfig and requests are still served by its fleet', async () => {
    await start();
    await asyncEndpoint();
    await aws.sm.send(new DeleteEndpointConfigCommand({ EndpointConfigName: 'async-a' }));
    expect((await aws.sm.send(new DescribeEndpointCommand({ EndpointName: 'ep' }))).AsyncInferenceConfig).toMatchObject({ OutputConfig: { S3OutputPath: 's3://async-out/out' } });
    const out = await invokeAsync({ InputLocation: await putInput('after.json', { features: [3] }), InferenceId: 'after' });
    expect(JSON.parse(await objectAt(out.OutputLocation as string))).toMatchObject({ model: 'model-a', input: { features: [3] } });
    expect(aws.emu.hazards()).toEqual([expect.objectContaining({ resourceName: 'async-a', usage: ['current config'] })]);
  });

  it('GIVEN queued requests WHEN the endpoint is deleted THEN each fails to the failure location', async () => {
    await start({ asyncProcessingMs: 50 });
    await asyncEndpoint(1);
    const input = await putInput('r.json', {});
    const outs = await Promise.all(['a', 'b', 'c'].map((id) => invokeAsync({ InputLocation: input, InferenceId: id })));
    await aws.sm.send(new DeleteEndpointCommand({ EndpointName: 'ep' }));
    for (const o of outs) expect(JSON.parse(await objectAt(o.FailureLocation as string)).message).toMatch(/deleted/);
    expect(await keys('out/')).toEqual([]);
  });
});
