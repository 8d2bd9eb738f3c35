import { DescribeAlarmsCommand, type CloudWatchClient, type CompositeAlarm, type MetricAlarm } from '@aws-sdk/client-cloudwatch';

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
