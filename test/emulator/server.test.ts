import { CloudWatchClient, DescribeAlarmsCommand, PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeEndpointCommand, ListModelsCommand, SageMakerClient, UpdateEndpointCommand } from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { blueEndpoint, errorOf, startTestAws, type TestAws } from './helpers';

let aws: TestAws;
afterEach(async () => {
  await aws.close();
});

async function post(path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${aws.emu.url}${path}`, { method: 'POST', body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

describe('endpoint resolution through AWS_ENDPOINT_URL_<SERVICE>', () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const k of ['AWS_ENDPOINT_URL_SAGEMAKER', 'AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME', 'AWS_ENDPOINT_URL_CLOUDWATCH']) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  });

  it('GIVEN the three env vars WHEN clients are built without an endpoint option THEN all three reach the emulator', async () => {
    aws = await startTestAws();
    await blueEndpoint(aws.sm);
    process.env.AWS_ENDPOINT_URL_SAGEMAKER = aws.emu.url;
    process.env.AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME = aws.emu.url;
    process.env.AWS_ENDPOINT_URL_CLOUDWATCH = aws.emu.url;
    const sm = new SageMakerClient({ maxAttempts: 1 });
    const rt = new SageMakerRuntimeClient({ maxAttempts: 1 });
    const cw = new CloudWatchClient({ maxAttempts: 1 });
    try {
      const before = aws.emu.callLog.length;
      await sm.send(new ListModelsCommand({}));
      await rt.send(new InvokeEndpointCommand({ EndpointName: 'ep', Body: Buffer.from('{}') }));
      await cw.send(new DescribeAlarmsCommand({}));
      expect(aws.emu.callLog.slice(before).map((c) => `${c.service}:${c.operation}`)).toEqual([
        'sagemaker:ListModels',
        'runtime:InvokeEndpoint',
        'cloudwatch:DescribeAlarms',
      ]);
    } finally {
      sm.destroy();
      rt.destroy();
      cw.destroy();
    }
  });
});

describe('fault API over HTTP and in-process', () => {
  it('GIVEN a persistent throttle posted over HTTP WHEN called THEN ThrottlingException until reset-faults', async () => {
    aws = await startTestAws();
    await blueEndpoint(aws.sm);
    expect((await post('/_emulator/faults/throttle', { operation: 'DescribeEndpoint', times: -1 })).status).toBe(200);
    for (let i = 0; i < 3; i++) {
      const err = await errorOf(aws.sm.send(new DescribeEndpointCommand({ EndpointName: 'ep' })));
      expect(err.name).toBe('ThrottlingException');
    }
    expect((await post('/_emulator/reset-faults')).status).toBe(200);
    expect((await aws.sm.send(new DescribeEndpointCommand({ EndpointName: 'ep' }))).EndpointStatus).toBe('InService');
  });

  it('GIVEN one InternalFailure WHEN the SDK retries THEN the second attempt succeeds', async () => {
    aws = await startTestAws({}, 3);
    await blueEndpoint(aws.sm);
    aws.emu.faults.throttle({ operation: 'DescribeEndpoint', times: 1, errorName: 'InternalFailure' });
    const before = aws.emu.callLog.length;
    const out = await aws.sm.send(new DescribeEndpointCommand({ EndpointName: 'ep' }));
    expect(out.$metadata.attempts).toBe(2);
    expect(aws.emu.callLog.slice(before).map((c) => c.error)).toEqual(['InternalFailure', undefined]);
  });

  it('GIVEN throttles on CloudWatch and Runtime WHEN called THEN their services’ error names (Throttling, ServiceUnavailable)', async () => {
    aws = await startTestAws();
    await blueEndpoint(aws.sm);
    aws.emu.faults.throttle({ operation: 'PutMetricAlarm', times: 1 });
    aws.emu.faults.throttle({ operation: 'InvokeEndpoint', times: 1, errorName: 'ServiceUnavailable' });
    const cwErr = await errorOf(aws.cw.send(new PutMetricAlarmCommand({ AlarmName: 'a', Namespace: 'n', MetricName: 'm', Statistic: 'Sum', Period: 60, EvaluationPeriods: 1, Threshold: 1, ComparisonOperator: 'GreaterThanThreshold' })));
    expect(cwErr.name).toBe('Throttling');
    const rtErr = await errorOf(aws.rt.send(new InvokeEndpointCommand({ EndpointName: 'ep', Body: Buffer.from('{}') })));
    expect(rtErr.name).toBe('ServiceUnavailable');
    expect((rtErr.$metadata as { httpStatusCode: number }).httpStatusCode).toBe(503);
  });

  it('GIVEN failFleet and setAlarmState over HTTP THEN they act like the in-process calls; bad arguments → 400', async () => {
    aws = await startTestAws();
    await blueEndpoint(aws.sm);
    await aws.cw.send(new PutMetricAlarmCommand({ AlarmName: 'a', Namespace: 'Custom', MetricName: 'm', Statistic: 'Sum', Period: 60, EvaluationPeriods: 1, Threshold: 1, ComparisonOperator: 'GreaterThanThreshold' }));
    expect((await post('/_emulator/faults/setAlarmState', { alarmName: 'a', state: 'ALARM', reason: 'demo' })).status).toBe(200);
    expect(aws.emu.inspect().alarms.a?.StateValue).toBe('ALARM');
    expect((await post('/_emulator/faults/failFleet', { modelName: 'blue-model', reason: 'boom' })).status).toBe(200);
    expect(aws.emu.inspect().faults.failFleets).toEqual([expect.objectContaining({ modelName: 'blue-model', reason: 'boom' })]);
    expect((await post('/_emulator/faults/throttle', { times: 1 })).status).toBe(400);
    expect((await post('/_emulator/faults/setAlarmState', { alarmName: 'nope', state: 'OK', reason: 'x' })).status).toBe(400);
    expect((await post('/_emulator/faults/explode', {})).status).toBe(404);
    const state = (await (await fetch(`${aws.emu.url}/_emulator/state`)).json()) as { endpoints: Record<string, { EndpointStatus: string }> };
    expect(state.endpoints.ep?.EndpointStatus).toBe('InService');
  });
});

describe('call log and snapshot', () => {
  it('GIVEN a rejected call WHEN inspecting the call log THEN it is recorded with its error, and the snapshot is a copy', async () => {
    aws = await startTestAws();
    await blueEndpoint(aws.sm);
    await errorOf(aws.sm.send(new UpdateEndpointCommand({ EndpointName: 'ep', EndpointConfigName: 'missing' })));
    const last = aws.emu.callLog[aws.emu.callLog.length - 1];
    expect(last).toMatchObject({ service: 'sagemaker', operation: 'UpdateEndpoint', error: 'ValidationException', input: { EndpointName: 'ep', EndpointConfigName: 'missing' } });
    const snap = aws.emu.inspect();
    (snap.endpoints.ep as { EndpointStatus: string }).EndpointStatus = 'Failed';
    expect(aws.emu.inspect().endpoints.ep?.EndpointStatus).toBe('InService');
  });

  it('GIVEN an operation the emulator does not serve WHEN called THEN UnknownOperationException', async () => {
    aws = await startTestAws();
    const res = await fetch(aws.emu.url, {
      method: 'POST',
      headers: { 'x-amz-target': 'SageMaker.CreateTrainingJob', 'content-type': 'application/x-amz-json-1.1' },
      body: '{}',
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { __type: string }).__type).toBe('UnknownOperationException');
  });
});
