import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { mockClient } from 'aws-sdk-client-mock';
import { parseAppConfig } from '../../lib/config';
import { BlueGreenStack } from '../../lib/stack';
import { MetricsStore, SAGEMAKER_NAMESPACE } from '../../local/emulator/metrics';
import { defaultLocalConfig } from '../../local/template';
import { captureEmf, type EmfDocument } from '../support/emf';
import { lockHeldBy, PROMOTION_ID, setStepEnvironment, stateAt } from '../support/fixtures';

type Json = Record<string, unknown>;
interface DashboardMetric { namespace: string; name: string; dimensions: Record<string, string> }

/** Every metric the synthesized dashboard reads: plain metric rows and the metrics SEARCH expressions select (tokens as TOKEN). */
function dashboardMetrics(): DashboardMetric[] {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new BlueGreenStack(app, 'Dash', { config: parseAppConfig(defaultLocalConfig()), env: { account: '111122223333', region: 'us-east-1' } });
  const [dashboard] = Object.values(Template.fromStack(stack).findResources('AWS::CloudWatch::Dashboard')) as Array<{ Properties: { DashboardBody: { 'Fn::Join': [string, unknown[]] } } }>;
  const body = JSON.parse(dashboard!.Properties.DashboardBody['Fn::Join'][1].map((p) => (typeof p === 'string' ? p : 'TOKEN')).join('')) as { widgets: Array<{ properties: { metrics?: unknown[][] } }> };
  const out: DashboardMetric[] = [];
  for (const row of body.widgets.flatMap((w) => w.properties.metrics ?? [])) {
    const options = row.at(-1) as Json;
    const expression = typeof options === 'object' ? (options.expression as string | undefined) : undefined;
    const search = expression && /^SEARCH\('\{([^}]+)\} MetricName="([^"]+)"( EndpointName="([^"]+)")?/.exec(expression);
    if (search) {
      const [namespace, ...keys] = search[1]!.split(',');
      out.push({ namespace: namespace!, name: search[2]!, dimensions: Object.fromEntries(keys.map((k) => [k, k === 'EndpointName' && search[4] ? search[4] : 'ANY'])) });
    } else if (typeof row[0] === 'string') {
      const plain = row.filter((c): c is string => typeof c === 'string');
      const dims: Record<string, string> = {};
      for (let i = 2; i + 1 < plain.length; i += 2) dims[plain[i]!] = plain[i + 1]!;
      out.push({ namespace: plain[0]!, name: plain[1]!, dimensions: dims });
    }
  }
  return out;
}

/** What record-outcome publishes over a promotion rolled back on an alarm (every metric it has) and a fresh instance (ColdStart). */
async function publishedByTheHandlers(): Promise<EmfDocument[]> {
  process.env.AWS_LAMBDA_INITIALIZATION_TYPE = 'on-demand';
  process.env.AWS_LAMBDA_FUNCTION_NAME = 'record-outcome-fn';
  let documents: EmfDocument[] = [];
  await jest.isolateModulesAsync(async () => {
    documents = captureEmf((await import('@aws-lambda-powertools/metrics')).Metrics);
    const sdk = await import('@aws-sdk/lib-dynamodb');
    const dynamo = mockClient(sdk.DynamoDBDocumentClient);
    dynamo.on(sdk.GetCommand).resolves(lockHeldBy(PROMOTION_ID, { abortRequested: { error: 'GuardrailAlarm', reason: 'x', at: '2025-01-01T00:10:00.000Z' } }));
    dynamo.on(sdk.UpdateCommand).resolves({});
    dynamo.on(sdk.DeleteCommand).resolves({});
    const { handler } = await import('../../lambdas/record-outcome');
    await handler(stateAt('baking', {}, {
      failure: { Error: 'GuardrailAlarm', Cause: JSON.stringify({ errorType: 'GuardrailAlarm', errorMessage: 'x' }) },
      validation: { passed: true, samples: [{ name: 's', ok: true, latencyMs: 3, status: 200 }], at: '2025-01-01T00:04:00.000Z' },
      rollback: { attempt: 2, done: true, actions: [], blueAt: '2025-01-01T00:10:42.500Z' },
    }));
  });
  delete process.env.AWS_LAMBDA_INITIALIZATION_TYPE;
  delete process.env.AWS_LAMBDA_FUNCTION_NAME;
  return documents;
}

describe('dashboard metrics', () => {
  const metrics = dashboardMetrics();

  test('GIVEN the dashboard THEN it reads our namespace, AWS/SageMaker and the state machine’s, nothing else', () => {
    expect([...new Set(metrics.map((m) => m.namespace))].sort()).toEqual(['AWS/SageMaker', 'AWS/States', 'SageMakerBlueGreen']);
  });

  test('GIVEN every SageMakerBlueGreen metric on the dashboard THEN the handlers publish it, with exactly those dimensions', async () => {
    setStepEnvironment();
    const documents = await publishedByTheHandlers();
    const ours = metrics.filter((m) => m.namespace === 'SageMakerBlueGreen');
    const missing = ours.filter(
      (m) =>
        !documents.some(
          (d) =>
            d.namespace === m.namespace &&
            d.metricNames.includes(m.name) &&
            d.dimensionSets.some((set) => [...set].sort().join() === Object.keys(m.dimensions).sort().join()) &&
            Object.entries(m.dimensions).every(([k, v]) => v === 'ANY' || v === 'TOKEN' || k !== 'service' || d.members[k] === v),
        ),
    );
    expect(ours.length).toBeGreaterThan(10);
    expect(missing).toEqual([]);
  });

  test('GIVEN every AWS/SageMaker metric on the dashboard THEN the local SageMaker publishes it with those dimensions', () => {
    const store = new MetricsStore();
    store.record({ endpointName: 'churn-prediction', variantName: 'AllTraffic', configName: 'churn-v2-config', at: 1_000, status: 500, latencyUs: 900 });
    const values: Record<string, string> = { EndpointName: 'churn-prediction', VariantName: 'AllTraffic', EndpointConfigName: 'churn-v2-config' };
    const sagemaker = metrics.filter((m) => m.namespace === SAGEMAKER_NAMESPACE);
    expect(sagemaker.map((m) => m.name).sort()).toEqual(expect.arrayContaining(['Invocation4XXErrors', 'Invocation5XXErrors', 'Invocations', 'ModelLatency']));
    for (const m of sagemaker) {
      const dimensions = Object.keys(m.dimensions).map((Name) => ({ Name, Value: values[Name]! }));
      expect({ metric: m.name, dimensions, samples: store.samples(m.namespace, m.name, dimensions, 0, 2_000).length }).toEqual({ metric: m.name, dimensions, samples: 1 });
    }
  });
});
