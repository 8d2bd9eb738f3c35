import { request } from 'node:http';
import { gzipSync } from 'node:zlib';
import {
  DeleteAlarmsCommand,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  GetMetricStatisticsCommand,
  PutMetricAlarmCommand,
  type PutMetricAlarmCommandInput,
  SetAlarmStateCommand,
} from '@aws-sdk/client-cloudwatch';
import { InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import type { BridgeEvent, EmulatorOptions } from '../../local/emulator';
import { blueEndpoint, errorOf, startTestAws, type TestAws, waitFor } from './helpers';

let aws: TestAws;
async function start(options: EmulatorOptions = {}): Promise<void> {
  aws = await startTestAws(options);
}
afterEach(async () => {
  await aws.close();
});

const alarm = (name: string, extra: Partial<PutMetricAlarmCommandInput> = {}): PutMetricAlarmCommandInput => ({
  AlarmName: name,
  Namespace: 'AWS/SageMaker',
  MetricName: 'Invocation5XXErrors',
  Dimensions: [
    { Name: 'EndpointName', Value: 'ep' },
    { Name: 'VariantName', Value: 'blue' },
  ],
  Statistic: 'Sum',
  Period: 60,
  EvaluationPeriods: 1,
  Threshold: 1,
  ComparisonOperator: 'GreaterThanOrEqualToThreshold',
  ...extra,
});

const invoke = (variant?: string): Promise<unknown> =>
  aws.rt.send(new InvokeEndpointCommand({ EndpointName: 'ep', Body: Buffer.from('{}'), TargetVariant: variant })).catch((e: Error) => e);

describe('alarm CRUD', () => {
  beforeEach(() => start());

  it('GIVEN a new alarm WHEN described THEN INSUFFICIENT_DATA "Unchecked: Initial alarm creation"; an update keeps the state', async () => {
    // TreatMissingData 'ignore': with no traffic, evaluation never changes the state set below.
    await aws.cw.send(new PutMetricAlarmCommand(alarm('ep-5xx', { AlarmDescription: 'errors', TreatMissingData: 'ignore' })));
    await aws.cw.send(new PutMetricAlarmCommand(alarm('other')));
    const d = await aws.cw.send(new DescribeAlarmsCommand({ AlarmNamePrefix: 'ep-' }));
    expect(d.MetricAlarms).toHaveLength(1);
    expect(d.MetricAlarms?.[0]).toMatchObject({
      AlarmName: 'ep-5xx',
      AlarmArn: 'arn:aws:cloudwatch:us-east-1:111122223333:alarm:ep-5xx',
      StateValue: 'INSUFFICIENT_DATA',
      StateReason: 'Unchecked: Initial alarm creation',
      ActionsEnabled: true,
      Threshold: 1,
    });
    expect(d.CompositeAlarms).toEqual([]);

    await aws.cw.send(new SetAlarmStateCommand({ AlarmName: 'ep-5xx', StateValue: 'OK', StateReason: 'manual' }));
    await aws.cw.send(new PutMetricAlarmCommand(alarm('ep-5xx', { Threshold: 5, TreatMissingData: 'ignore' })));
    const after = await aws.cw.send(new DescribeAlarmsCommand({ AlarmNames: ['ep-5xx'] }));
    expect(after.MetricAlarms?.[0]).toMatchObject({ StateValue: 'OK', Threshold: 5 });
    expect((await aws.cw.send(new DescribeAlarmsCommand({ StateValue: 'OK' }))).MetricAlarms?.map((a) => a.AlarmName)).toEqual(['ep-5xx']);
  });

  it('GIVEN bad input WHEN PutMetricAlarm THEN ValidationException with CloudWatch code ValidationError', async () => {
    const bad = await errorOf(aws.cw.send(new PutMetricAlarmCommand(alarm('x', { ComparisonOperator: 'Bigger' as never }))));
    expect(bad.name).toBe('ValidationException');
    expect(bad.Code).toBe('ValidationError');
    expect(bad.message).toContain("at 'comparisonOperator' failed to satisfy constraint: Member must satisfy enum value set");
    const missing = await errorOf(aws.cw.send(new PutMetricAlarmCommand(alarm('x', { MetricName: undefined }))));
    expect(missing.name).toBe('ValidationException');
    expect(missing.message).toBe('MetricName must not be null');
  });

  it('GIVEN unknown names WHEN DeleteAlarms THEN the known ones are deleted and no error; SetAlarmState on unknown → ResourceNotFound', async () => {
    await aws.cw.send(new PutMetricAlarmCommand(alarm('a')));
    await aws.cw.send(new DeleteAlarmsCommand({ AlarmNames: ['a', 'never-existed'] }));
    expect((await aws.cw.send(new DescribeAlarmsCommand({}))).MetricAlarms).toEqual([]);
    const err = await errorOf(aws.cw.send(new SetAlarmStateCommand({ AlarmName: 'a', StateValue: 'ALARM', StateReason: 'x' })));
    expect(err.name).toBe('ResourceNotFound');
  });

  it('GIVEN SetAlarmState WHEN the state changes THEN a "CloudWatch Alarm State Change" event with the documented shape', async () => {
    const events: BridgeEvent[] = [];
    aws.emu.events.on('event', (e: BridgeEvent) => events.push(e));
    await aws.cw.send(new PutMetricAlarmCommand(alarm('ep-5xx', { AlarmDescription: 'errors' })));
    await aws.cw.send(new SetAlarmStateCommand({ AlarmName: 'ep-5xx', StateValue: 'ALARM', StateReason: 'testing' }));
    // The set state's event first; the alarm's own evaluation may follow at once if its period ends then (a second event).
    expect(events.length).toBeGreaterThanOrEqual(1);
    const e = events[0] as BridgeEvent;
    expect(e).toMatchObject({
      version: '0',
      'detail-type': 'CloudWatch Alarm State Change',
      source: 'aws.cloudwatch',
      account: '111122223333',
      region: 'us-east-1',
      resources: ['arn:aws:cloudwatch:us-east-1:111122223333:alarm:ep-5xx'],
      detail: {
        alarmName: 'ep-5xx',
        state: { value: 'ALARM', reason: 'testing' },
        previousState: { value: 'INSUFFICIENT_DATA', reason: 'Unchecked: Initial alarm creation' },
        configuration: {
          description: 'errors',
          metrics: [
            {
              metricStat: { metric: { dimensions: { EndpointName: 'ep', VariantName: 'blue' }, name: 'Invocation5XXErrors', namespace: 'AWS/SageMaker' }, period: 60, stat: 'Sum' },
              returnData: true,
            },
          ],
        },
      },
    });
    expect(e.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect((e.detail.state as { timestamp: string }).timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/);
  });

  it('GIVEN a gzip-encoded request body WHEN sent THEN it is decoded', async () => {
    await aws.cw.send(new PutMetricAlarmCommand(alarm('zipped')));
    const body = gzipSync(JSON.stringify({ AlarmNames: ['zipped'] }));
    const url = new URL(aws.emu.url);
    const text = await new Promise<string>((resolve, reject) => {
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          method: 'POST',
          path: '/',
          headers: { 'content-type': 'application/x-amz-json-1.0', 'content-encoding': 'gzip', 'x-amz-target': 'GraniteServiceVersion20100801.DescribeAlarms' },
        },
        (res) => {
          let s = '';
          res.on('data', (c: Buffer) => (s += c.toString()));
          res.on('end', () => resolve(s));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
    expect((JSON.parse(text) as { MetricAlarms: Array<{ AlarmName: string }> }).MetricAlarms.map((a) => a.AlarmName)).toEqual(['zipped']);
  });
});

describe('alarm evaluation on invocation metrics', () => {
  // timeScale 150: a 60 s period spans 400 real ms, wide enough that a busy machine (the whole suite on two
  // cores) cannot slip an invocation or an evaluation into the next period (at 600×, 100 ms, it failed once).
  beforeEach(() => start({ timeScale: 150 }));

  it('GIVEN 5xx from blue WHEN evaluated THEN ALARM with an AWS-style reason, then OK when errors stop (notBreaching)', async () => {
    await blueEndpoint(aws.sm);
    const events: BridgeEvent[] = [];
    aws.emu.events.on('event', (e: BridgeEvent) => events.push(e));
    await aws.cw.send(new PutMetricAlarmCommand(alarm('ep-5xx', { TreatMissingData: 'notBreaching' })));
    await waitFor(() => aws.emu.inspect().alarms['ep-5xx']?.StateValue === 'OK', 10_000, 'OK with no data');

    aws.emu.faults.variantErrors({ endpointName: 'ep', variantName: 'blue' });
    await invoke();
    const inAlarm = await waitFor(() => events.find((e) => (e.detail.state as { value: string }).value === 'ALARM'), 10_000, 'ALARM event');
    expect((inAlarm.detail.state as { reason: string }).reason).toMatch(
      /^Threshold Crossed: 1 datapoint \[1\.0 \(\d\d\/\d\d\/\d\d \d\d:\d\d:\d\d\)\] was greater than or equal to the threshold \(1\.0\)\.$/,
    );
    expect(inAlarm.detail.previousState).toMatchObject({ value: 'OK' });

    aws.emu.faults.clear();
    await waitFor(() => aws.emu.inspect().alarms['ep-5xx']?.StateValue === 'OK', 10_000, 'back to OK');
  });

  it('GIVEN healthy traffic WHEN evaluated with default TreatMissingData THEN OK, and INSUFFICIENT_DATA once traffic stops', async () => {
    await blueEndpoint(aws.sm);
    const states: Array<{ value: string; reason: string }> = [];
    aws.emu.events.on('event', (e: BridgeEvent) => states.push(e.detail.state as { value: string; reason: string }));
    await aws.cw.send(new PutMetricAlarmCommand(alarm('ep-5xx', { EvaluationPeriods: 2, DatapointsToAlarm: 2 })));
    await invoke();
    await waitFor(() => states.some((s) => s.value === 'INSUFFICIENT_DATA'), 10_000, 'OK then INSUFFICIENT_DATA');
    expect(states.map((s) => s.value)).toEqual(['OK', 'INSUFFICIENT_DATA']);
    expect(states[0]?.reason).toMatch(
      /^Threshold Crossed: 1 out of the last 2 datapoints \[0\.0 \(.+\)\] was not greater than or equal to the threshold \(1\.0\) \(minimum 2 datapoints for INSUFFICIENT_DATA -> OK transition\)\.$/,
    );
    expect(states[1]?.reason).toBe('Insufficient Data: 2 datapoints were unknown.');
  });

  it('GIVEN an alarm on the endpoint-only dimension WHEN errors happen THEN no data (CloudWatch matches dimensions exactly)', async () => {
    await blueEndpoint(aws.sm);
    await aws.cw.send(new PutMetricAlarmCommand(alarm('endpoint-level', { Dimensions: [{ Name: 'EndpointName', Value: 'ep' }], TreatMissingData: 'notBreaching' })));
    aws.emu.faults.variantErrors({ endpointName: 'ep' });
    await invoke();
    await waitFor(() => aws.emu.inspect().alarms['endpoint-level']?.StateValue === 'OK', 10_000, 'OK');
    await new Promise((r) => setTimeout(r, 400));
    expect(aws.emu.inspect().alarms['endpoint-level']?.StateValue).toBe('OK');
  });
});

describe('metric queries', () => {
  // 60×: SageMaker's 60-second publish interval is one real second.
  beforeEach(() => start({ timeScale: 60 }));

  it('GIVEN 3 invocations (1 failing) WHEN GetMetricStatistics and GetMetricData THEN sums and latency come from them', async () => {
    await blueEndpoint(aws.sm);
    await invoke();
    await invoke();
    aws.emu.faults.variantErrors({ endpointName: 'ep', latencyMs: 30, statusCode: 500 });
    await invoke();
    // The data points are published at the end of their (simulated) minute: query once it has passed.
    await new Promise((r) => setTimeout(r, 1100));
    const now = Date.now();
    const dims = [
      { Name: 'EndpointName', Value: 'ep' },
      { Name: 'VariantName', Value: 'blue' },
    ];
    const stats = await aws.cw.send(
      new GetMetricStatisticsCommand({
        Namespace: 'AWS/SageMaker',
        MetricName: 'Invocations',
        Dimensions: dims,
        StartTime: new Date(now - 300_000),
        EndTime: new Date(now + 60_000),
        Period: 60,
        Statistics: ['Sum', 'SampleCount'],
      }),
    );
    expect(stats.Label).toBe('Invocations');
    expect(stats.Datapoints?.reduce((a, d) => a + (d.Sum ?? 0), 0)).toBe(3);
    expect(stats.Datapoints?.[0]?.Unit).toBe('None');

    const data = await aws.cw.send(
      new GetMetricDataCommand({
        StartTime: new Date(now - 300_000),
        EndTime: new Date(now + 60_000),
        MetricDataQueries: [
          { Id: 'errors', MetricStat: { Metric: { Namespace: 'AWS/SageMaker', MetricName: 'Invocation5XXErrors', Dimensions: dims }, Period: 300, Stat: 'Sum' } },
          { Id: 'latency', MetricStat: { Metric: { Namespace: 'AWS/SageMaker', MetricName: 'ModelLatency', Dimensions: dims }, Period: 300, Stat: 'Maximum' } },
        ],
      }),
    );
    const byId = Object.fromEntries((data.MetricDataResults ?? []).map((r) => [r.Id, r]));
    expect(byId.errors?.Values?.reduce((a: number, b: number) => a + b, 0)).toBe(1);
    expect(byId.errors?.StatusCode).toBe('Complete');
    expect(Math.max(...(byId.latency?.Values ?? []))).toBe(30_000);
    expect(byId.latency?.Timestamps?.[0]).toBeInstanceOf(Date);
  });

  it('GIVEN StartTime after EndTime WHEN GetMetricStatistics THEN InvalidParameterValueException', async () => {
    const err = await errorOf(
      aws.cw.send(
        new GetMetricStatisticsCommand({ Namespace: 'AWS/SageMaker', MetricName: 'Invocations', StartTime: new Date(2000), EndTime: new Date(1000), Period: 60, Statistics: ['Sum'] }),
      ),
    );
    expect(err.name).toBe('InvalidParameterValueException');
    expect(err.Code).toBe('InvalidParameterValue');
  });
});
