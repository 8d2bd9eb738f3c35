import { DescribeAlarmsCommand, GetMetricStatisticsCommand, type CloudWatchClient, type CompositeAlarm, type MetricAlarm } from '@aws-sdk/client-cloudwatch';

/** Metric and composite alarms by name, 100 names per DescribeAlarms call (the API's maximum). */
export async function describeAlarmsByName(cloudwatch: CloudWatchClient, names: string[]): Promise<Array<MetricAlarm | CompositeAlarm>> {
  const alarms: Array<MetricAlarm | CompositeAlarm> = [];
  for (let i = 0; i < names.length; i += 100) {
    const page = await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: names.slice(i, i + 100), AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] }));
    alarms.push(...(page.MetricAlarms ?? []), ...(page.CompositeAlarms ?? []));
  }
  return alarms;
}

/** The names among `names` that no alarm has. */
export async function missingAlarms(cloudwatch: CloudWatchClient, names: string[]): Promise<string[]> {
  const found = new Set((await describeAlarmsByName(cloudwatch, names)).map((a) => a.AlarmName));
  return names.filter((n) => !found.has(n));
}

/**
 * The Sum of a metric over the last `seconds` (relative to now, so that a compressed local clock
 * reads the same window), one data point per period; a period is a multiple of 60 and a call
 * returns at most 1,440 data points (GetMetricStatistics).
 */
export async function metricSumOverLast(
  cloudwatch: CloudWatchClient,
  metric: { Namespace: string; MetricName: string; Dimensions: Array<{ Name: string; Value: string }> },
  seconds: number,
): Promise<number> {
  const period = 60 * Math.max(1, Math.ceil(seconds / 60 / 1440));
  const end = Date.now();
  const out = await cloudwatch.send(
    new GetMetricStatisticsCommand({ ...metric, StartTime: new Date(end - Math.max(seconds, period) * 1000), EndTime: new Date(end), Period: period, Statistics: ['Sum'] }),
  );
  return (out.Datapoints ?? []).reduce((total, d) => total + (d.Sum ?? 0), 0);
}
