import { CreateEndpointCommand, UpdateEndpointCommand } from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand, type InvokeEndpointCommandOutput } from '@aws-sdk/client-sagemaker-runtime';
import { BASELINE_LATENCY_US } from '../../local/emulator';
import { createConfig, createModel, errorOf, publishedDatapoints, startTestAws, type TestAws, total, waitForStatus } from './helpers';

let aws: TestAws;
beforeEach(async () => {
  // 60×: SageMaker's 60-second metric publish interval is one real second.
  aws = await startTestAws({ timeScale: 60 });
});
afterEach(async () => {
  await aws.close();
});

async function twoVariantEndpoint(blueWeight: number, greenWeight: number): Promise<void> {
  await createModel(aws.sm, 'blue-model');
  await createModel(aws.sm, 'green-model');
  await createConfig(aws.sm, 'cfg', [
    { name: 'blue', model: 'blue-model', weight: blueWeight },
    { name: 'green', model: 'green-model', weight: greenWeight },
  ]);
  await aws.sm.send(new CreateEndpointCommand({ EndpointName: 'ep', EndpointConfigName: 'cfg' }));
  await waitForStatus(aws.sm, 'ep', 'InService');
}

const invoke = (body: string, targetVariant?: string, endpoint = 'ep'): Promise<InvokeEndpointCommandOutput> =>
  aws.rt.send(new InvokeEndpointCommand({ EndpointName: endpoint, Body: Buffer.from(body), ContentType: 'application/json', TargetVariant: targetVariant }));

const json = (out: InvokeEndpointCommandOutput): Record<string, unknown> => JSON.parse(Buffer.from(out.Body).toString('utf8')) as Record<string, unknown>;

describe('InvokeEndpoint', () => {
  it('GIVEN weights 3:1 WHEN invoked 8 times untargeted THEN a deterministic 6:2 split by weighted round-robin', async () => {
    await twoVariantEndpoint(3, 1);
    const variants: string[] = [];
    for (let i = 0; i < 8; i++) variants.push((await invoke('{}')).InvokedProductionVariant as string);
    expect(variants).toEqual(['blue', 'blue', 'green', 'blue', 'blue', 'blue', 'green', 'blue']);
    expect(aws.emu.inspect().invocations.ep).toEqual({
      blue: { total: 6, '2xx': 6, '4xx': 0, '5xx': 0 },
      green: { total: 2, '2xx': 2, '4xx': 0, '5xx': 0 },
    });
  });

  it('GIVEN green at weight 0 WHEN untargeted THEN never green; WHEN targeted THEN green answers with its model and the echoed input', async () => {
    await twoVariantEndpoint(1, 0);
    for (let i = 0; i < 5; i++) expect((await invoke('{}')).InvokedProductionVariant).toBe('blue');
    const out = await invoke('{"features":[1,2]}', 'green');
    expect(out.InvokedProductionVariant).toBe('green');
    expect(out.ContentType).toBe('application/json');
    expect(json(out)).toEqual({ model: 'green-model', modelPackageVersion: null, variant: 'green', input: { features: [1, 2] } });
    expect(json(await invoke('plain text', 'green')).input).toBe('plain text');
  });

  it('GIVEN no such endpoint (or a different case) WHEN invoked THEN ValidationError "Endpoint X of account Y not found."', async () => {
    await twoVariantEndpoint(1, 1);
    const missing = await errorOf(invoke('{}', undefined, 'nope'));
    expect(missing.name).toBe('ValidationError');
    expect(missing.message).toBe('Endpoint nope of account 111122223333 not found.');
    expect((await errorOf(invoke('{}', undefined, 'EP'))).name).toBe('ValidationError');
    const variant = await errorOf(invoke('{}', 'purple'));
    expect(variant.name).toBe('ValidationError');
    expect(variant.message).toContain('purple');
  });

  it('GIVEN a variantErrors fault on green WHEN green is invoked THEN ModelError 424 with the container status and 5xx is recorded', async () => {
    await twoVariantEndpoint(1, 1);
    aws.emu.faults.variantErrors({ endpointName: 'ep', variantName: 'green', statusCode: 503, message: 'overloaded' });
    const err = await errorOf(invoke('{}', 'green'));
    expect(err.name).toBe('ModelError');
    expect(err.OriginalStatusCode).toBe(503);
    expect(err.OriginalMessage).toBe('overloaded');
    expect((err.$metadata as { httpStatusCode: number }).httpStatusCode).toBe(424);
    expect(err.message).toMatch(/^Received server error \(503\) from green with message "overloaded"/);
    expect((await invoke('{}', 'blue')).InvokedProductionVariant).toBe('blue');
    expect(aws.emu.inspect().invocations.ep?.green).toEqual({ total: 1, '2xx': 0, '4xx': 0, '5xx': 1 });
  });

  it('GIVEN rate 0.5 WHEN invoked 6 times THEN exactly every second call fails (repeatable)', async () => {
    await twoVariantEndpoint(1, 0);
    aws.emu.faults.variantErrors({ endpointName: 'ep', rate: 0.5, statusCode: 400 });
    const outcomes: string[] = [];
    for (let i = 0; i < 6; i++) {
      outcomes.push(await invoke('{}').then(() => 'ok', (e: Error) => e.name));
    }
    expect(outcomes).toEqual(['ok', 'ModelError', 'ok', 'ModelError', 'ok', 'ModelError']);
    expect(aws.emu.inspect().invocations.ep?.blue).toEqual({ total: 6, '2xx': 3, '4xx': 3, '5xx': 0 });
  });

  it('GIVEN a latency-only fault WHEN invoked THEN success with the latency recorded in ModelLatency (not slept in full)', async () => {
    await twoVariantEndpoint(1, 0);
    aws.emu.faults.variantErrors({ endpointName: 'ep', latencyMs: 5000 });
    expect((await invoke('{}')).InvokedProductionVariant).toBe('blue');
    aws.emu.faults.clear();
    await invoke('{}');
    const all = await publishedDatapoints(
      aws.cw,
      {
        Namespace: 'AWS/SageMaker',
        MetricName: 'ModelLatency',
        Dimensions: [
          { Name: 'EndpointName', Value: 'ep' },
          { Name: 'VariantName', Value: 'blue' },
        ],
        Period: 60,
        Statistics: ['Maximum', 'Minimum', 'SampleCount'],
      },
      (points) => total(points, 'SampleCount') >= 2,
    );
    expect(total(all, 'SampleCount')).toBe(2);
    expect(Math.max(...all.map((d) => d.Maximum ?? 0))).toBe(5_000_000);
    expect(Math.min(...all.map((d) => d.Minimum ?? Infinity))).toBe(BASELINE_LATENCY_US);
    expect(all[0]?.Unit).toBe('Microseconds');
  });

  it('GIVEN an endpoint being updated WHEN invoked THEN the old variants keep serving until the switch', async () => {
    await aws.close();
    aws = await startTestAws({ provisioningMs: 400 }); // long enough to invoke while Updating, even under load
    await twoVariantEndpoint(1, 0);
    await createModel(aws.sm, 'next-model');
    await createConfig(aws.sm, 'next', [{ name: 'next', model: 'next-model' }]);
    await aws.sm.send(new UpdateEndpointCommand({ EndpointName: 'ep', EndpointConfigName: 'next' }));
    expect((await invoke('{}')).InvokedProductionVariant).toBe('blue');
    await waitForStatus(aws.sm, 'ep', 'InService');
    expect((await invoke('{}')).InvokedProductionVariant).toBe('next');
  });
});
