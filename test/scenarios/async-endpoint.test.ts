import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DescribeEndpointConfigCommand } from '@aws-sdk/client-sagemaker';
import { InvokeEndpointAsyncCommand } from '@aws-sdk/client-sagemaker-runtime';
import { ASYNC_SEED } from '../../local/seed';
import { describeEndpoint, ended, eventually, expectBackOnBlue, historyRow, startPromotion, startWorld, settle, type HistoryRow, type World } from './world';

/**
 * Asynchronous endpoints (AsyncInferenceConfig) on the local AWS, with the real state machine: the
 * kind chooses the guardrails strategy (deployment guardrails apply to asynchronous endpoints,
 * deployment-guardrails.html); green is validated with InvokeEndpointAsync on the validation endpoint
 * before any traffic, its answers read from S3; the bake watches InvocationFailures and ModelLatency
 * (lambdas/shared/green-metrics.ts). Blues are Seed.asyncBlueEndpoint (one ml.m5.large, outputs in the
 * local S3); the local clock runs 600×.
 */
let world: World;
let s3: S3Client;

const ASYNC_BLUES = ['demo-a-promote', 'demo-a-invalid', 'demo-a-alarm', 'demo-a-deadline', 'demo-a-queue', 'demo-a-undeleted', 'demo-a-undeletable'];
const REALTIME_BLUE = 'demo-a-realtime';

beforeAll(async () => {
  world = await startWorld([REALTIME_BLUE]);
  s3 = new S3Client({});
  for (const endpointName of ASYNC_BLUES) await world.seed.asyncBlueEndpoint(endpointName, world.v1);
}, 60000);
afterEach(async () => settle(world));
afterAll(async () => {
  s3?.destroy();
  await world?.aws.close();
});

const asyncInput = (endpointName: string, validation: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => ({
  endpointName,
  modelPackageArn: world.v2,
  bakeSeconds: 300,
  validation: {
    samples: [
      { name: 'typical-customer', body: '{"customer_id": "C-1001", "tenure_months": 14}', expectContains: '"modelPackageVersion":2' },
      { name: 'new-customer', body: '{"customer_id": "C-2002", "tenure_months": 0}' },
    ],
    ...validation,
  },
  requestedBy: 'scenario-test',
  ...extra,
});

const parse = (uri: string) => /^s3:\/\/([^/]+)\/(.+)$/.exec(uri)!.slice(1) as [string, string];

async function keysUnder(prefix: string): Promise<string[]> {
  const out = await s3.send(new ListObjectsV2Command({ Bucket: ASYNC_SEED.bucket, Prefix: prefix }));
  return (out.Contents ?? []).map((c) => c.Key!);
}

/** The workflow's objects of the endpoint still in the bucket (its outputs' and failures' bluegreen-validation prefixes), as S3 URIs. */
async function workflowObjects(endpointName: string): Promise<string[]> {
  const keys = [...(await keysUnder(`${endpointName}/out/bluegreen-validation/`)), ...(await keysUnder(`${endpointName}/failures/`))];
  return keys.map((k) => `s3://${ASYNC_SEED.bucket}/${k}`).sort();
}

/** The S3 URIs a history row's leftovers name (`object u`, `objects u1, u2`). */
const namedObjects = (row: HistoryRow | undefined) =>
  (row?.leftovers ?? []).filter((l) => /^objects? /.test(l.resource)).flatMap((l) => l.resource.replace(/^objects? /, '').split(', '));

async function objectAt(uri: string): Promise<string | undefined> {
  const [Bucket, Key] = parse(uri);
  try {
    return await (await s3.send(new GetObjectCommand({ Bucket, Key }))).Body?.transformToString();
  } catch (error) {
    if ((error as Error).name === 'NoSuchKey') return undefined;
    throw error;
  }
}

const asyncCalls = (from: number) =>
  world.aws.emulator.callLog.slice(from).filter((c) => c.operation === 'InvokeEndpointAsync') as Array<{ input: { EndpointName: string; S3OutputPathExtension?: string; InputLocation: string } }>;
const updatesOf = (endpointName: string, from: number) =>
  world.aws.emulator.callLog.slice(from).filter((c) => c.operation === 'UpdateEndpoint' && (c.input as { EndpointName?: string }).EndpointName === endpointName);

/** Customers queueing requests on the endpoint at a steady pace (their inputs in S3), keeping every answer's locations. */
class AsyncTraffic {
  readonly sent: Array<{ output: string; failure?: string }> = [];
  readonly refused: string[] = [];
  private running = true;
  private readonly loop: Promise<void>;

  constructor(endpointName: string, everyMs = 10) {
    this.loop = (async () => {
      for (let n = 0; this.running; n++) {
        const key = `${endpointName}/customer-inputs/${n}.json`;
        await s3.send(new PutObjectCommand({ Bucket: ASYNC_SEED.bucket, Key: key, Body: `{"customer_id": "C-${n}"}`, ContentType: 'application/json' }));
        try {
          const out = await world.runtime.send(
            new InvokeEndpointAsyncCommand({ EndpointName: endpointName, ContentType: 'application/json', InputLocation: `s3://${ASYNC_SEED.bucket}/${key}` }),
          );
          this.sent.push({ output: out.OutputLocation!, failure: out.FailureLocation });
        } catch (error) {
          this.refused.push(`${(error as Error).name}: ${(error as Error).message}`);
        }
        await new Promise((r) => setTimeout(r, everyMs));
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}

test('GIVEN an asynchronous blue WHEN v2 is promoted THEN green answers InvokeEndpointAsync on the validation endpoint (under its own output prefix) before any traffic, ONE UpdateEndpoint with guardrails switches, the serving fleet is checked under an extension, and no workflow object is left in S3', async () => {
  const endpointName = 'demo-a-promote';
  const from = world.aws.emulator.callLog.length;
  const promotion = await startPromotion(world, 'a-promote-1', asyncInput(endpointName));
  const execution = await ended(world, promotion.executionArn);

  expect(execution).toMatchObject({ status: 'SUCCEEDED' });
  expect(await describeEndpoint(world, endpointName)).toMatchObject({ EndpointStatus: 'InService', EndpointConfigName: promotion.green.greenConfig });
  // The kind chose guardrails: one UpdateEndpoint, with SageMaker's blue/green, after the validation endpoint answered.
  const updates = updatesOf(endpointName, from);
  expect(updates).toHaveLength(1);
  expect(updates[0]!.input).toMatchObject({ DeploymentConfig: { BlueGreenUpdatePolicy: { TrafficRoutingConfiguration: { Type: 'ALL_AT_ONCE' } } } });
  const calls = asyncCalls(from);
  const toValidation = calls.filter((c) => c.input.EndpointName === promotion.green.validationEndpoint);
  const toServing = calls.filter((c) => c.input.EndpointName === endpointName);
  expect(toValidation).toHaveLength(2);
  expect(toServing).toHaveLength(2);
  const log = world.aws.emulator.callLog;
  expect(log.indexOf(toValidation[1] as never)).toBeLessThan(log.indexOf(updates[0]!));
  // The serving fleet's check goes under an extension of the customer's output path; the inline bodies were uploaded beside the answers.
  for (const c of toServing) expect(c.input.S3OutputPathExtension).toBe(`bluegreen-validation/${promotion.id}`);
  for (const c of toValidation) expect(c.input.InputLocation).toMatch(new RegExp(`^s3://${ASYNC_SEED.bucket}/${endpointName}/out/bluegreen-validation/${promotion.green.validationConfig}/inputs/`));
  // Green serves: a customer's request is answered by v2.
  const out = await world.runtime.send(new InvokeEndpointAsyncCommand({ EndpointName: endpointName, ContentType: 'application/json', InputLocation: await customerInput(endpointName, 'after') }));
  let answer: string | undefined;
  await eventually(async () => (answer = await objectAt(out.OutputLocation!)) !== undefined, 'the answer of green');
  expect(JSON.parse(answer!)).toMatchObject({ modelPackageVersion: 2 });
  // The workflow's objects (uploaded inputs, answers) were deleted once read; the customer's prefix holds only the customer's answer.
  expect(await keysUnder(`${endpointName}/out/bluegreen-validation/`)).toEqual([]);
  expect(await keysUnder(`${endpointName}/failures/`)).toEqual([]);
  expect(await historyRow(world, promotion)).toMatchObject({ outcome: 'promoted' });
}, 60000);

async function customerInput(endpointName: string, name: string): Promise<string> {
  const key = `${endpointName}/customer-inputs/${name}.json`;
  await s3.send(new PutObjectCommand({ Bucket: ASYNC_SEED.bucket, Key: key, Body: '{"customer_id": "C-9"}', ContentType: 'application/json' }));
  return `s3://${ASYNC_SEED.bucket}/${key}`;
}

test('GIVEN green fails its asynchronous requests WHEN it is validated THEN the failure object is the reason, blue is untouched and the validation endpoint is gone', async () => {
  const endpointName = 'demo-a-invalid';
  const from = world.aws.emulator.callLog.length;
  const promotion = await startPromotion(world, 'a-invalid-1', asyncInput(endpointName));
  world.aws.emulator.faults.variantErrors({ endpointName: promotion.green.validationEndpoint, modelPackageVersion: 2, statusCode: 500, message: 'model exploded' });
  const execution = await ended(world, promotion.executionArn);

  expect(execution).toMatchObject({ status: 'FAILED', error: 'PromotionFailed' });
  expect(execution.cause).toMatch(new RegExp(`GreenValidationFailed: green \\(validation endpoint ${promotion.green.validationEndpoint}\\) failed 2 of 2 validation requests: typical-customer: status 0, expected 200 \\(failed: Received server error \\(500\\) from AllTraffic with message "model exploded"\\. \\(s3://${ASYNC_SEED.bucket}/${endpointName}/failures/bluegreen-validation/`));
  expect(updatesOf(endpointName, from)).toHaveLength(0);
  await expectBackOnBlue(world, { endpointName });
  await eventually(() => !Object.keys(world.aws.emulator.inspect().endpoints).includes(promotion.green.validationEndpoint), 'the validation endpoint to be deleted');
  expect(await historyRow(world, promotion)).toMatchObject({ outcome: 'failed' });
}, 60000);

test('GIVEN green is live WHEN it fails the customers\' asynchronous requests during the bake THEN its InvocationFailures alarm (-5xx) rolls back to blue', async () => {
  const endpointName = 'demo-a-alarm';
  const promotion = await startPromotion(world, 'a-alarm-1', asyncInput(endpointName));
  await eventually(() => world.aws.emulator.meter().endpoints[endpointName]!.fleets.some((f) => f.trafficShare > 0.99 && f.variants.some((v) => v.modelPackageVersion === 2)), 'all traffic on green');
  const traffic = new AsyncTraffic(endpointName);
  world.aws.emulator.faults.variantErrors({ endpointName, modelPackageVersion: 2, statusCode: 500 });
  const execution = await ended(world, promotion.executionArn);
  await traffic.stop();

  expect(execution).toMatchObject({ status: 'FAILED', error: 'PromotionRolledBack' });
  expect(execution.cause).toMatch(new RegExp(`^GuardrailAlarm: .*${promotion.green.alarmPrefix}-5xx`));
  const alarm = world.aws.emulator.inspect().alarms[`${promotion.green.alarmPrefix}-5xx`] as { MetricName?: string } | undefined;
  // The alarm is deleted at the end; the call that made it says what it watched.
  const put = world.aws.emulator.callLog.find((c) => c.operation === 'PutMetricAlarm' && (c.input as { AlarmName?: string }).AlarmName === `${promotion.green.alarmPrefix}-5xx`);
  expect(alarm).toBeUndefined();
  expect(put?.input).toMatchObject({ MetricName: 'InvocationFailures', Statistic: 'Sum', Dimensions: [{ Name: 'EndpointName', Value: endpointName }, { Name: 'VariantName', Value: 'AllTraffic' }] });
  await expectBackOnBlue(world, { endpointName });
}, 60000);

test('GIVEN green\'s answers take longer than validation.asyncOutputSeconds WHEN it is validated THEN validation fails naming the deadline and the fix, and blue is untouched', async () => {
  const endpointName = 'demo-a-deadline';
  const promotion = await startPromotion(world, 'a-deadline-1', asyncInput(endpointName, { asyncOutputSeconds: 1 }));
  world.aws.emulator.faults.variantErrors({ endpointName: promotion.green.validationEndpoint, modelPackageVersion: 2, latencyMs: 4000, realDelay: true });
  const execution = await ended(world, promotion.executionArn);

  expect(execution).toMatchObject({ status: 'FAILED', error: 'PromotionFailed' });
  expect(execution.cause).toMatch(/typical-customer: status 0, expected 200 \(no output within validation\.asyncOutputSeconds \(1 s\): raise validation\.asyncOutputSeconds \(at most 600\), or look at green's queue/);
  await expectBackOnBlue(world, { endpointName });
  // Each request's answer may still land (late, or its failure when the validation endpoint goes): both places are on the record.
  const row = await historyRow(world, promotion);
  const pending = (row?.leftovers ?? []).filter((l) => l.reason.includes('may still arrive here'));
  expect(pending).toHaveLength(2);
  for (const l of pending) {
    expect(l.resource).toMatch(new RegExp(`^objects s3://${ASYNC_SEED.bucket}/${endpointName}/out/bluegreen-validation/${promotion.green.validationConfig}/\\S+, s3://${ASYNC_SEED.bucket}/${endpointName}/failures/bluegreen-validation/\\S+-error\\.out$`));
    expect(l.reason).toMatch(/^no answer within validation\.asyncOutputSeconds \(1 s\): an answer \(output or failure object\) may still arrive here; delete it once it does$/);
  }
  // The answers do land after the promotion ended: each where the record says.
  await eventually(async () => (await workflowObjects(endpointName)).length === 2, 'the late answers');
  expect(namedObjects(row)).toEqual(expect.arrayContaining(await workflowObjects(endpointName)));
}, 60000);

test('GIVEN S3 refuses the workflow\'s first DeleteObject (AccessDenied) WHEN v2 is promoted THEN the object stays on the lock\'s record and the serving fleet\'s validation deletes it later: nothing of the workflow\'s is left, nothing is named', async () => {
  const endpointName = 'demo-a-undeleted';
  const from = world.aws.emulator.callLog.length;
  world.aws.emulator.faults.throttle({ operation: 'DeleteObject', times: 1, errorName: 'AccessDenied' });
  const promotion = await startPromotion(world, 'a-undeleted-1', asyncInput(endpointName));
  const execution = await ended(world, promotion.executionArn);

  expect(execution).toMatchObject({ status: 'SUCCEEDED' });
  const deletes = world.aws.emulator.callLog.slice(from).filter((c) => c.operation === 'DeleteObject').map((c) => (c.input as { Key: string }).Key);
  // The refused one (the first sample's upload) is deleted again by RevalidateGreen.
  expect(deletes[0]).toMatch(new RegExp(`^${endpointName}/out/bluegreen-validation/${promotion.green.validationConfig}/inputs/`));
  expect(deletes.filter((k) => k === deletes[0])).toHaveLength(2);
  expect(await workflowObjects(endpointName)).toEqual([]);
  expect(namedObjects(await historyRow(world, promotion))).toEqual([]);
}, 60000);

test('GIVEN S3 refuses every DeleteObject (AccessDenied) WHEN v2 is promoted THEN every object of the workflow\'s left in the customer\'s bucket is on the history row by S3 URI, with the reason', async () => {
  const endpointName = 'demo-a-undeletable';
  world.aws.emulator.faults.throttle({ operation: 'DeleteObject', times: Infinity, errorName: 'AccessDenied' });
  const promotion = await startPromotion(world, 'a-undeletable-1', asyncInput(endpointName));
  const execution = await ended(world, promotion.executionArn);

  expect(execution).toMatchObject({ status: 'SUCCEEDED' });
  const row = await historyRow(world, promotion);
  // Two samples on the validation endpoint and two on the serving fleet: each one's upload and answer.
  const left = await workflowObjects(endpointName);
  expect(left).toHaveLength(8);
  expect(namedObjects(row).sort()).toEqual(left);
  for (const l of (row?.leftovers ?? []).filter((x) => x.resource.startsWith('object'))) expect(l.reason).toMatch(/^the workflow's own validation object could not be deleted \(AccessDenied: .*\): delete it$/);
}, 60000);

test('GIVEN customers keep queueing InvokeEndpointAsync requests WHEN the promotion switches the endpoint THEN every request gets its output (the queue survives the update, as the emulator models it)', async () => {
  const endpointName = 'demo-a-queue';
  const traffic = new AsyncTraffic(endpointName);
  const promotion = await startPromotion(world, 'a-queue-1', asyncInput(endpointName));
  const execution = await ended(world, promotion.executionArn);
  await traffic.stop();

  expect(execution).toMatchObject({ status: 'SUCCEEDED' });
  expect(traffic.refused).toEqual([]);
  expect(traffic.sent.length).toBeGreaterThan(10);
  await eventually(async () => (await Promise.all(traffic.sent.map((s) => objectAt(s.output)))).every((o) => o !== undefined), 'an output for every queued request');
  const answers = await Promise.all(traffic.sent.map(async (s) => JSON.parse((await objectAt(s.output))!) as { modelPackageVersion: number }));
  // Blue answered before the switch, green after: both served, and nothing failed.
  expect(new Set(answers.map((a) => a.modelPackageVersion))).toEqual(new Set([1, 2]));
  expect((await Promise.all(traffic.sent.map((s) => (s.failure ? objectAt(s.failure) : undefined)))).filter((f) => f !== undefined)).toEqual([]);
}, 60000);

describe('bad input', () => {
  test('GIVEN asyncOutputSeconds above 600 THEN the promotion is refused naming the field and the bound, before anything is created', async () => {
    const from = world.aws.emulator.callLog.length;
    const promotion = await startPromotion(world, 'a-bad-range', asyncInput('demo-a-promote', { asyncOutputSeconds: 601 }));
    const execution = await ended(world, promotion.executionArn);

    expect(execution).toMatchObject({ status: 'FAILED', error: 'InvalidPromotionInput' });
    expect(execution.cause).toMatch(/validation\.asyncOutputSeconds: asyncOutputSeconds is at most 600/);
    expect(world.aws.emulator.callLog.slice(from).filter((c) => /^(Create|Update|Delete)/.test(c.operation))).toEqual([]);
  }, 30000);

  test('GIVEN asyncOutputSeconds on a real-time endpoint THEN the promotion is refused naming the field and the fix', async () => {
    const from = world.aws.emulator.callLog.length;
    const promotion = await startPromotion(world, 'a-bad-realtime', asyncInput(REALTIME_BLUE, { asyncOutputSeconds: 60 }));
    const execution = await ended(world, promotion.executionArn);

    expect(execution).toMatchObject({ status: 'FAILED', error: 'InvalidPromotionInput' });
    expect(execution.cause).toMatch(new RegExp(`validation\\.asyncOutputSeconds: ${REALTIME_BLUE} is a real-time endpoint, which answers synchronously; remove asyncOutputSeconds`));
    expect(world.aws.emulator.callLog.slice(from).filter((c) => /^(Create|Update|Delete)/.test(c.operation))).toEqual([]);
  }, 30000);
});

test('GIVEN the validation endpoint\'s config THEN it writes under blue\'s output path\'s own bluegreen-validation prefix and sends no notification', async () => {
  // Made by the promotion test above; read back from the call that created it (the config is deleted at the end).
  const create = world.aws.emulator.callLog.find(
    (c) => c.operation === 'CreateEndpointConfig' && /^demo-a-promote-.*-val$/.test(String((c.input as { EndpointConfigName?: string }).EndpointConfigName)),
  );
  const name = String((create?.input as { EndpointConfigName: string }).EndpointConfigName);
  expect(create?.input).toMatchObject({
    AsyncInferenceConfig: {
      OutputConfig: {
        S3OutputPath: `s3://${ASYNC_SEED.bucket}/demo-a-promote/out/bluegreen-validation/${name}`,
        S3FailurePath: `s3://${ASYNC_SEED.bucket}/demo-a-promote/failures/bluegreen-validation/${name}`,
      },
    },
  });
  await expect(world.sagemaker.send(new DescribeEndpointConfigCommand({ EndpointConfigName: name }))).rejects.toThrow(/Could not find/);
});
