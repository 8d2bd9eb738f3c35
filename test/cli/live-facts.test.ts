/**
 * The live line's green request count reads the traffic guard's metric (lambdas/shared/green-metrics.ts
 * bakeTrafficMetric) on the whole variant: a kind that publishes no Invocations would otherwise show 0 req/min.
 */
import { CloudWatchClient, DescribeAlarmsCommand, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import type { AwsClients } from '../../cli/aws';
import { waitFacts } from '../../cli/live';

const cloudwatch = mockClient(CloudWatchClient);
const clients = { cloudwatch: new CloudWatchClient({ region: 'us-east-1' }) } as unknown as AwsClients;
const now = new Date('2026-12-02T04:00:00Z');

beforeEach(() => {
  cloudwatch.reset();
  cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [] });
  cloudwatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: 'green', Values: [500] }] });
});

const bake = (promotion: Record<string, unknown>) => ({
  name: 'Bake',
  enteredAt: now.getTime() - 60_000,
  input: { promotion: { endpointName: 'churn', bakeSeconds: 1800, ...promotion }, blue: { variants: [{ variantName: 'AllTraffic' }] }, bake: { alarmNames: [], seconds: 1800, elapsedSeconds: 0 } },
});
const metricAsked = () => cloudwatch.commandCalls(GetMetricDataCommand)[0]?.args[0].input.MetricDataQueries?.[0]?.MetricStat?.Metric;

test.each([
  ['guardrails on a real-time endpoint (whole variant, no EndpointConfigName)', { strategy: 'guardrails', kind: 'real-time' }, 'Invocations', [{ Name: 'EndpointName', Value: 'churn' }, { Name: 'VariantName', Value: 'AllTraffic' }]],
  ['an asynchronous endpoint (no Invocations: async-inference-monitor)', { strategy: 'guardrails', kind: 'asynchronous' }, 'InvocationsProcessed', [{ Name: 'EndpointName', Value: 'churn' }, { Name: 'VariantName', Value: 'AllTraffic' }]],
  ['an inference component', { strategy: 'component', kind: 'inference-component', inferenceComponentName: 'churn-ic' }, 'Invocations', [{ Name: 'InferenceComponentName', Value: 'churn-ic' }]],
])('GIVEN the Bake of %s WHEN the live line is read THEN green is counted on the right metric', async (_, promotion, metricName, dimensions) => {
  const facts = await waitFacts(clients, bake(promotion), now);

  expect(metricAsked()).toEqual({ Namespace: 'AWS/SageMaker', MetricName: metricName, Dimensions: dimensions });
  expect(facts.greenPerMinute).toBeGreaterThan(0);
});
