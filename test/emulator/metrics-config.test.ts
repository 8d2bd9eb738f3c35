import { DescribeAlarmsCommand, GetMetricStatisticsCommand, PutMetricAlarmCommand, type PutMetricAlarmCommandInput } from '@aws-sdk/client-cloudwatch';
import { CreateEndpointCommand, CreateEndpointConfigCommand, DescribeEndpointConfigCommand } from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import { createModel, errorOf, startTestAws, type TestAws, waitFor, waitForStatus } from './helpers';

/**
 * MetricsConfig (API_MetricsConfig: MetricPublishFrequencyInSeconds 10, 30, 60, 120, 180, 240 or 300,
 * applied to invocation metrics only with EnableEnhancedMetrics) and high-resolution alarms
 * (PutMetricAlarm Period 10, 20, 30 or a multiple of 60; a short period on a metric published every
 * minute finds no data in most periods).
 */
let aws: TestAws;
afterEach(async () => {
  await aws.close();
});

async function endpointWith(metricsConfig: { EnableEnhancedMetrics?: boolean; MetricPublishFrequencyInSeconds?: 10 | 60 } | undefined): Promise<void> {
  await createModel(aws.sm, 'm');
  await aws.sm.send(
    new CreateEndpointConfigCommand({
      EndpointConfigName: 'c',
      ProductionVariants: [{ VariantName: 'blue', ModelName: 'm', InstanceType: 'ml.m5.large', InitialInstanceCount: 1 }],
      MetricsConfig: metricsConfig,
    }),
  );
  await aws.sm.send(new CreateEndpointCommand({ EndpointName: 'ep', EndpointConfigName: 'c' }));
  await waitForStatus(aws.sm, 'ep', 'InService');
}

const alarm = (period: number): PutMetricAlarmCommandInput => ({
  AlarmName: `ep-5xx-${period}`,
  Namespace: 'AWS/SageMaker',
  MetricName: 'Invocation5XXErrors',
  Dimensions: [
    { Name: 'EndpointName', Value: 'ep' },
    { Name: 'VariantName', Value: 'blue' },
  ],
  Statistic: 'Sum',
  Period: period,
  EvaluationPeriods: 1,
  Threshold: 0,
  ComparisonOperator: 'GreaterThanThreshold',
  TreatMissingData: 'notBreaching',
});

/** Invokes ep (answering 500) until `alarmName` is in ALARM; then the simulated timestamps (s) of its Invocation5XXErrors data points, queried at a 10-second period. */
/**
 * Invokes the failing endpoint until the alarm is in ALARM, then until three data points are published.
 * Returns their timestamps and the reason data of the ALARM transition (read as it happened: a loaded
 * machine may leave a later 10-second period without a request, and the alarm moves on).
 */
async function breachUntilAlarm(alarmName: string): Promise<{ timestamps: number[]; alarmReason?: string; alarmReasonData: unknown }> {
  aws.emu.faults.variantErrors({ endpointName: 'ep', statusCode: 500 });
  let alarmReasonData: unknown;
  let alarmReason: string | undefined;
  await waitFor(
    async () => {
      await aws.rt.send(new InvokeEndpointCommand({ EndpointName: 'ep', Body: Buffer.from('{}') })).catch(() => undefined);
      const d = await aws.cw.send(new DescribeAlarmsCommand({ AlarmNames: [alarmName] }));
      if (d.MetricAlarms?.[0]?.StateValue !== 'ALARM') return false;
      alarmReasonData = JSON.parse(d.MetricAlarms[0].StateReasonData ?? 'null');
      alarmReason = d.MetricAlarms[0].StateReason;
      return true;
    },
    20_000,
    `${alarmName} in ALARM`,
  );
  // Then on, until three data points are published, so that their spacing shows.
  const { Namespace, MetricName, Dimensions } = alarm(10);
  const timestamps = await waitFor(
    async () => {
      await aws.rt.send(new InvokeEndpointCommand({ EndpointName: 'ep', Body: Buffer.from('{}') })).catch(() => undefined);
      const end = new Date();
      const stats = await aws.cw.send(new GetMetricStatisticsCommand({ Namespace, MetricName, Dimensions, Period: 10, StartTime: new Date(end.getTime() - 3_600_000), EndTime: end, Statistics: ['Sum'] }));
      const timestamps = (stats.Datapoints ?? []).map((d) => d.Timestamp!.getTime() / 1000).sort((a, b) => a - b);
      return timestamps.length >= 3 && timestamps;
    },
    20_000,
    'three published data points',
  );
  return { timestamps, alarmReason, alarmReasonData };
}

/** Seconds between consecutive data points. */
const gaps = (timestamps: number[]) => timestamps.slice(1).map((t, i) => t - timestamps[i]!);

describe('MetricsConfig', () => {
  beforeEach(async () => {
    aws = await startTestAws({ timeScale: 60 });
  });

  it('GIVEN MetricPublishFrequencyInSeconds 15 WHEN CreateEndpointConfig THEN ValidationException naming the valid values (API_MetricsConfig)', async () => {
    await createModel(aws.sm, 'm');
    const err = await errorOf(
      aws.sm.send(
        new CreateEndpointConfigCommand({
          EndpointConfigName: 'c',
          ProductionVariants: [{ VariantName: 'blue', ModelName: 'm', InstanceType: 'ml.m5.large', InitialInstanceCount: 1 }],
          // The SDK's type allows only the valid values: a caller bypassing it (another SDK, raw HTTP) sends 15.
          MetricsConfig: { EnableEnhancedMetrics: true, MetricPublishFrequencyInSeconds: 15 as never },
        }),
      ),
    );
    expect(err.name).toBe('ValidationException');
    expect(err.message).toMatch(/metricPublishFrequencyInSeconds.*\[10, 30, 60, 120, 180, 240, 300\]/);
  });

  it('GIVEN enhanced metrics at 10 s WHEN DescribeEndpointConfig THEN MetricsConfig is returned as created', async () => {
    await endpointWith({ EnableEnhancedMetrics: true, MetricPublishFrequencyInSeconds: 10 });
    const d = await aws.sm.send(new DescribeEndpointConfigCommand({ EndpointConfigName: 'c' }));
    expect(d.MetricsConfig).toEqual({ EnableEnhancedMetrics: true, MetricPublishFrequencyInSeconds: 10 });
  });

  it('GIVEN enhanced metrics at 10 s and a 10-second alarm WHEN the endpoint answers 5xx THEN its data points lie on a 10 s grid, closer than a minute, and the alarm goes to ALARM on one 10-second data point', async () => {
    await endpointWith({ EnableEnhancedMetrics: true, MetricPublishFrequencyInSeconds: 10 });
    await aws.cw.send(new PutMetricAlarmCommand(alarm(10)));
    await waitFor(() => aws.emu.inspect().alarms['ep-5xx-10']?.StateValue === 'OK', 10_000, 'OK with no data');

    const { timestamps, alarmReasonData } = await breachUntilAlarm('ep-5xx-10');

    // Simulated-time facts, not wall time: sub-minute data points, an alarm evaluated on one of them.
    // An interval without a request publishes nothing (a loaded machine sends fewer): gaps are whole intervals, under 60 s.
    expect(gaps(timestamps).every((g) => g % 10 === 0)).toBe(true);
    expect(Math.min(...gaps(timestamps))).toBeLessThan(60);
    expect(alarmReasonData).toMatchObject({ period: 10, statistic: 'Sum', recentDatapoints: [expect.any(Number)] });
  });

  it('GIVEN 10 s frequency WITHOUT enhanced metrics and a 60-second alarm WHEN 5xx THEN invocation data points stay a minute apart and the alarm trips on a whole minute', async () => {
    await endpointWith({ EnableEnhancedMetrics: false, MetricPublishFrequencyInSeconds: 10 });
    await aws.cw.send(new PutMetricAlarmCommand(alarm(60)));
    await waitFor(() => aws.emu.inspect().alarms['ep-5xx-60']?.StateValue === 'OK', 10_000, 'OK with no data');

    const { timestamps, alarmReason, alarmReasonData } = await breachUntilAlarm('ep-5xx-60');

    // Queried at a 10-second period, a metric published every 60 s has data in one period of six.
    expect(gaps(timestamps).every((g) => g % 60 === 0)).toBe(true);
    expect(alarmReason).toMatch(/^Threshold Crossed: 1 datapoint \[\d+\.0 /);
    expect(alarmReasonData).toMatchObject({ period: 60 });
  });
});
