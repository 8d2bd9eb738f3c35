/**
 * `npm run bench`: the figures the README and the issue notes quote, measured here and now
 * (never asserted in tests: these machines are shared and noisy).
 * - P3: each Lambda bundle's size, built by esbuild with the construct's settings, and its cold
 *   module load against a bundle of the SageMaker client alone;
 * - a happy-path promotion on the local AWS: wall time and Step Functions state transitions;
 * - the time from a guardrail alarm's state change to all traffic back on blue, with the
 *   alarm event path and with the bake's poll alone (the AlarmRule removed);
 * - P1 `breach`: the time from green's first failing request to all traffic back on blue, with blue's
 *   (and so green's) metrics at SageMaker's standard 60 s and at 10 s enhanced (MetricsConfig);
 * - P4: what a promotion costs in fleets, per strategy and outcome, from the emulator's meter
 *   (blue = 2 instances, 8-minute provisioning, 30-minute bake, simulated time);
 * - P4 and P1 `kind=…` per other kind of endpoint (serverless, asynchronous, multi-variant,
 *   inference-component; `npm run bench -- <kinds>` for those alone): the kind's strategy, the demo's
 *   blues (local/demo-kinds.ts); serverless adds its provisioned concurrency in unit-minutes;
 * - P5: `cdk synth` wall time, one esbuild build of all functions, beside the per-function
 *   NodejsFunction bundling the construct used before (its last commit, same run, same machine);
 * - P6: SageMaker Describe* calls of one promotion with 1 and with 200 endpoints in the account;
 * - P7: `bluegreen --help` wall time (the checkout's bundle, build/bluegreen.js) beside a bare `node -e 0`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { build } from 'esbuild';
import { join } from 'node:path';
import { CreateEndpointCommand, DescribeEndpointCommand, SageMakerClient, waitUntilEndpointInService } from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { BASELINE, buildFunctionBundles, ESBUILD_OPTIONS } from './bundles';
import { startLocalAws, type LocalAws } from '../local/aws';
import { Seed } from '../local/seed';
import { MAX_BAKE_SECONDS } from '../lambdas/shared/waits';
import { S3Client } from '@aws-sdk/client-s3';
import { DescribeInferenceComponentCommand } from '@aws-sdk/client-sagemaker';
import { componentOf, KIND_STORIES, type DemoKind } from '../local/demo-kinds';

const root = join(__dirname, '..');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The SageMaker client alone, sending one command: what every function's cold load is compared to. */
const BASELINE_SOURCE = `
import { DescribeEndpointCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
const sagemaker = new SageMakerClient({});
export const handler = (event: { endpointName: string }) => sagemaker.send(new DescribeEndpointCommand({ EndpointName: event.endpointName }));
`;

/** Times one `require` of a bundle in a fresh process: module parse and top-level code, clients included. */
const LOAD_PROBE = 'const t = process.hrtime.bigint(); require(process.argv[1]); process.stdout.write(String(Number(process.hrtime.bigint() - t) / 1e6));';

function loadMs(file: string): number {
  return Number(execFileSync(process.execPath, ['-e', LOAD_PROBE, file], { encoding: 'utf8', env: { ...process.env, AWS_REGION: 'us-east-1' } }));
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/**
 * P3: each function's bundle, built by esbuild with the construct's own settings, and its cold
 * module load in a fresh `node` per run (median of BENCH_LOAD_RUNS, runs interleaved across
 * bundles so that machine noise hits all alike), as a ratio to the SageMaker-client-only baseline.
 */
async function bundleLines(): Promise<void> {
  const runs = Number(process.env.BENCH_LOAD_RUNS ?? 9);
  console.log(`Lambda bundles (esbuild with the construct's settings, SDK v3 bundled; cold load = require in a fresh node, median of ${runs}, ÷ the baseline's):`);
  const dir = mkdtempSync(join(tmpdir(), 'bluegreen-bundles-'));
  try {
    const files: Record<string, string> = {};
    const baseline = await build({ ...ESBUILD_OPTIONS, stdin: { contents: BASELINE_SOURCE, resolveDir: root, loader: 'ts' }, write: false });
    files[BASELINE] = join(dir, `${BASELINE}.js`);
    writeFileSync(files[BASELINE], baseline.outputFiles[0]!.contents);
    for (const [fn, bundle] of Object.entries(await buildFunctionBundles())) {
      files[fn] = join(dir, `${fn}.js`);
      writeFileSync(files[fn], bundle.contents);
    }
    const times: Record<string, number[]> = Object.fromEntries(Object.keys(files).map((name) => [name, []]));
    for (let run = 0; run < runs; run++) for (const [name, file] of Object.entries(files)) times[name]!.push(loadMs(file));
    const base = median(times[BASELINE]!);
    for (const [name, file] of Object.entries(files)) {
      const kib = Math.round(statSync(file).size / 1024);
      console.log(`P3 function=${name} bundleKiB=${kib} loadRatio=${(median(times[name]!) / base).toFixed(2)}`);
    }
    console.log(`  (baseline cold load: ${base.toFixed(1)} ms)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function promote(aws: LocalAws, endpointName: string, modelPackageArn: string, bakeSeconds: number, strategy?: string, validationMode?: 'off', extra: Record<string, unknown> = {}) {
  const sfn = new SFNClient({});
  const input = { endpointName, modelPackageArn, bakeSeconds, strategy, validation: { mode: validationMode, samples: [{ name: 'typical', body: '{"tenure": 12}' }] }, ...extra };
  const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: aws.stateMachineArn, input: JSON.stringify(input) }));
  return executionArn!;
}

/** A hand-made blue (2 instances) serving v1 of churn-models, and v2 approved: what every measurement starts from. */
async function seededBlue(endpoint: string, metricsConfig?: { EnableEnhancedMetrics: boolean; MetricPublishFrequencyInSeconds: 10 }): Promise<{ v1: string; v2: string }> {
  const seed = new Seed();
  await seed.group('churn-models').catch(() => undefined);
  const v1 = await seed.register('churn-models');
  const v2 = await seed.register('churn-models');
  await seed.setApproval(v2, 'Approved');
  await seed.blueEndpoint(endpoint, v1, 2, { metricsConfig });
  return { v1, v2 };
}

/**
 * The other kinds of endpoint the P4 and P1 lines measure (issue 10), with the demo's blues (local/demo-kinds.ts):
 * serverless 3 GB, 2 provisioned; asynchronous 1 × ml.m5.large; an A/B test of 2 + 1 ml.m5.large (ModelB promoted);
 * an inference component of 4 copies on 2 × ml.g5.12xlarge. No strategy named: the kind chooses it.
 */
const BENCH_KINDS: Record<string, { story: DemoKind; strategy: string; input?: Record<string, unknown> }> = {
  serverless: { story: 'serverless', strategy: 'replace' },
  asynchronous: { story: 'async', strategy: 'guardrails' },
  'multi-variant': { story: 'multi-variant', strategy: 'guardrails', input: { variantName: 'ModelB' } },
  'inference-component': { story: 'component', strategy: 'component' },
};

/** A blue of `kind` (real-time: seededBlue's) serving v1 of churn-models, v2 approved; one client request to it; the promotion's extra input. */
async function seededKind(kind: string | undefined, endpoint: string): Promise<{ v2: string; request: () => Promise<unknown>; input: Record<string, unknown> }> {
  const runtime = new SageMakerRuntimeClient({});
  if (kind === undefined) {
    const { v2 } = await seededBlue(endpoint);
    const request = () => runtime.send(new InvokeEndpointCommand({ EndpointName: endpoint, ContentType: 'application/json', Body: new TextEncoder().encode('{}') })).catch(() => undefined);
    return { v2, request, input: {} };
  }
  const { story, input } = BENCH_KINDS[kind]!;
  const seed = new Seed();
  await seed.group('churn-models').catch(() => undefined);
  const v1 = await seed.register('churn-models');
  const v2 = await seed.register('churn-models');
  await seed.setApproval(v2, 'Approved');
  await KIND_STORIES[story].deploy(seed, endpoint, v1);
  const clients = { runtime, s3: new S3Client({}) };
  let n = 0;
  return { v2, request: () => KIND_STORIES[story].request(clients, endpoint, n++), input: input ?? {} };
}

/** The promoted endpoint's fleets (and its validation endpoint's): the meter entries named after it. */
function metersOf(aws: LocalAws, endpoint: string) {
  return Object.entries(aws.emulator.meter().endpoints)
    .filter(([name]) => name.toLowerCase() === endpoint.toLowerCase() || name.toLowerCase().startsWith(`${endpoint.toLowerCase()}-v`))
    .map(([, m]) => m);
}

/** Green (v2) carries traffic: a fleet of the endpoint that runs v2 has a share (guardrails), or the weights flipped (variant). */
function greenShare(aws: LocalAws, endpoint: string): number {
  const fleets = aws.emulator.meter().endpoints[endpoint]?.fleets ?? [];
  return fleets.filter((f) => f.variants.some((v) => v.modelPackageVersion === 2)).reduce((a, f) => a + f.trafficShare, 0);
}

type Execution = ReturnType<LocalAws['stepFunctions']['list']>[number];

/** What the P1 runs send to and read from a promotion of v2 onto `endpoint` (clients made once the local AWS is up). */
function p1Probe(aws: LocalAws, endpoint: string, strategy: string, execution: Execution, request?: () => Promise<unknown>) {
  const runtime = new SageMakerRuntimeClient({});
  const sagemaker = new SageMakerClient({});
  return {
    /** One request to the endpoint (the kind's, for another kind); its failure (the injected 5xx) is the point. */
    invoke: request ?? (() => runtime.send(new InvokeEndpointCommand({ EndpointName: endpoint, ContentType: 'application/json', Body: new TextEncoder().encode('{}') })).catch(() => undefined)),
    /** Green carries the traffic: SageMaker moved it (guardrails), or the bake began after the weights flipped (variant), the update ended (replace) or the rolling update ended (component). */
    greenLive: (): boolean => (strategy === 'guardrails' ? greenShare(aws, endpoint) > 0.99 : execution.events.some((e) => e.state === 'BakeDone?')),
    /** Blue carries all traffic again. */
    blueCarriesAll: async (): Promise<boolean> => {
      // Serverless: the update back to blue's config launched a fleet of v1 and ended green's.
      if (strategy === 'guardrails' || strategy === 'replace') return greenShare(aws, endpoint) === 0;
      if (strategy === 'component') {
        // The rollback's update has ended: every copy in service runs blue's model again (the hand-made one).
        const c = await sagemaker.send(new DescribeInferenceComponentCommand({ InferenceComponentName: componentOf(endpoint) }));
        return c.InferenceComponentStatus === 'InService' && c.Specification?.ModelName === `${endpoint}-handmade-model`;
      }
      const ep = await sagemaker.send(new DescribeEndpointCommand({ EndpointName: endpoint }));
      return ep.ProductionVariants?.find((v) => v.VariantName === 'AllTraffic')?.CurrentWeight === 1;
    },
    /** From now on, when an alarm first goes to ALARM (read through the returned function). */
    watchAlarms: (): (() => number | undefined) => {
      let alarmAt: number | undefined;
      aws.emulator.events.on('event', (e: { 'detail-type'?: string; detail?: { state?: { value?: string } } }) => {
        if (e['detail-type'] === 'CloudWatch Alarm State Change' && e.detail?.state?.value === 'ALARM') alarmAt ??= Date.now();
      });
      return () => alarmAt;
    },
  };
}

/** Seconds of simulated time from the alarm's transition to ALARM until blue carries all traffic again. */
async function alarmToBlue(strategy: string, withEvent: boolean, run: number, kind?: string): Promise<{ simulatedSeconds: number; reactionSeconds: number; reactionRealMs: number }> {
  const aws = await startLocalAws({ timeScale: 60, provisioningSeconds: 60 });
  try {
    if (!withEvent) for (const id of Object.keys(aws.workflow.rules)) if (id.includes('AlarmRule')) delete aws.workflow.rules[id];
    const endpoint = `demo-bench-${run}`;
    const { v2, request, input } = await seededKind(kind, endpoint);
    const arn = await promote(aws, endpoint, v2, 3600, kind ? undefined : strategy, undefined, input);
    const execution = aws.stepFunctions.list().find((e) => e.arn === arn)!;
    const probe = p1Probe(aws, endpoint, strategy, execution, kind ? request : undefined);
    // Once green carries the traffic, it starts failing; steady traffic drives its 5xx metric.
    while (!probe.greenLive() && execution.status === 'RUNNING') await sleep(5);
    aws.emulator.faults.variantErrors({ endpointName: endpoint, modelPackageVersion: 2, statusCode: 500 });
    const alarmed = probe.watchAlarms();
    let blueAt: number | undefined;
    while (blueAt === undefined && execution.status === 'RUNNING') {
      await probe.invoke();
      if (alarmed() !== undefined && (await probe.blueCarriesAll())) blueAt = Date.now();
      await sleep(2);
    }
    await aws.stepFunctions.waitFor(arn);
    const alarmAt = alarmed();
    if (alarmAt === undefined || blueAt === undefined) throw new Error(`run ${run}: no alarm or no return to blue (${execution.status} ${execution.cause})`);
    // What acts on the alarm: the rollback's weights call (variant), or SageMaker's own auto-rollback (guardrails: no call).
    const weightsCall = aws.emulator.callLog.find((c) => c.operation === 'UpdateEndpointWeightsAndCapacities' && c.at >= alarmAt && JSON.stringify(c.input).includes('"DesiredWeight":1') && JSON.stringify(c.input).includes('AllTraffic'));
    const sim = (ms: number) => (ms * aws.timeScale) / 1000;
    return { reactionRealMs: (weightsCall?.at ?? blueAt) - alarmAt, reactionSeconds: sim((weightsCall?.at ?? blueAt) - alarmAt), simulatedSeconds: sim(blueAt - alarmAt) };
  } finally {
    await aws.close();
  }
}

/**
 * P1 (issue 12): simulated seconds from green's first failing request (the emulator answers 5xx for v2 from
 * then on, under steady traffic, so SageMaker's metrics for green breach) until blue carries all traffic:
 * the metric's publish interval, the alarm's period and evaluation, the alarm event, the rollback.
 * `enhanced`: blue's config (so green's, a copy) publishes enhanced metrics every 10 s; else the standard 60 s.
 */
async function breachToBlue(strategy: string, enhanced: boolean): Promise<{ simulatedSeconds: number; breachToAlarmSeconds: number; alarmPeriodSeconds: number }> {
  const aws = await startLocalAws({ timeScale: 60, provisioningSeconds: 60 });
  try {
    const endpoint = 'demo-breach';
    const { v2 } = await seededBlue(endpoint, enhanced ? { EnableEnhancedMetrics: true, MetricPublishFrequencyInSeconds: 10 } : undefined);
    const arn = await promote(aws, endpoint, v2, 3600, strategy);
    const execution = aws.stepFunctions.list().find((e) => e.arn === arn)!;
    const probe = p1Probe(aws, endpoint, strategy, execution);
    const invoke = probe.invoke;
    while (!probe.greenLive() && execution.status === 'RUNNING') await sleep(5);
    // Green serves well for a while (its alarms OK on data), then starts failing.
    const healthyUntil = Date.now() + aws.ms(120);
    while (Date.now() < healthyUntil && execution.status === 'RUNNING') await Promise.all([invoke(), sleep(2)]);
    const bake = execution.events.filter((e) => e.type === 'StateExited' && e.state === 'ArmGuardrails').map((e) => (e.output as { bake?: { alarmPeriodSeconds?: number } }).bake)[0];
    const alarmed = probe.watchAlarms();
    aws.emulator.faults.variantErrors({ endpointName: endpoint, modelPackageVersion: 2, statusCode: 500 });
    const breachAt = Date.now();
    let blueAt: number | undefined;
    while (blueAt === undefined && execution.status === 'RUNNING') {
      await invoke();
      if (await probe.blueCarriesAll()) blueAt = Date.now();
      await sleep(2);
    }
    await aws.stepFunctions.waitFor(arn);
    const alarmAt = alarmed();
    if (blueAt === undefined) throw new Error(`no return to blue (${execution.status} ${execution.cause})`);
    const sim = (ms: number) => (ms * aws.timeScale) / 1000;
    // breach → ALARM alone, for a reader who wants to split the figure (not printed on the P1 line).
    return { simulatedSeconds: sim(blueAt - breachAt), breachToAlarmSeconds: alarmAt === undefined ? NaN : sim(alarmAt - breachAt), alarmPeriodSeconds: bake?.alarmPeriodSeconds ?? NaN };
  } finally {
    await aws.close();
  }
}

async function happyPath(): Promise<Record<string, number | string>> {
  const aws = await startLocalAws();
  try {
    const { v2 } = await seededBlue('demo-bench');
    const started = Date.now();
    const arn = await promote(aws, 'demo-bench', v2, 1800);
    const done = await aws.stepFunctions.waitFor(arn);
    const transitions = done.events.filter((e) => e.type === 'StateEntered').length;
    return { status: done.status, wallMs: Date.now() - started, transitions, rss: process.memoryUsage().rss };
  } finally {
    await aws.close();
  }
}

/**
 * P4: provisioning cycles and instance-minutes above blue's steady fleet (2 instances for the
 * whole promotion), from the meter; and whether the fleet serving at the end is one that
 * received the validation samples before user traffic.
 */
async function cost(strategy: string, outcome: 'promoted' | 'rolled_back', preValidation = true, kind?: string): Promise<Record<string, number | string>> {
  const aws = await startLocalAws({ timeScale: 120, provisioningSeconds: 480 });
  try {
    const endpoint = 'demo-cost';
    const { v2, request, input } = await seededKind(kind, endpoint);
    // The promoted endpoint and its short-lived validation endpoint (guardrails) together.
    const cycles = () => metersOf(aws, endpoint).reduce((a, m) => a + m.provisioningCycles, 0);
    const instanceSeconds = () => metersOf(aws, endpoint).reduce((a, m) => a + Object.values(m.instanceSeconds).reduce((x, y) => x + y, 0), 0);
    // Serverless: provisioned concurrency unit-seconds instead (the emulator's meter, fleets.ts).
    const concurrencySeconds = () => metersOf(aws, endpoint).reduce((a, m) => a + Object.values(m.provisionedConcurrencySeconds ?? {}).reduce((x, y) => x + y, 0), 0);
    // Blue's steady fleet (instances, provisioned concurrency) over the whole promotion is not extra.
    const blue = (await new SageMakerClient({}).send(new DescribeEndpointCommand({ EndpointName: endpoint }))).ProductionVariants ?? [];
    const steady = { instances: blue.reduce((a, v) => a + (v.CurrentInstanceCount ?? 0), 0), concurrency: blue.reduce((a, v) => a + (v.CurrentServerlessConfig?.ProvisionedConcurrency ?? 0), 0) };
    const before = { cycles: cycles(), seconds: instanceSeconds(), concurrency: concurrencySeconds(), at: Date.now() };
    const executionArn = await promote(aws, endpoint, v2, 1800, kind ? undefined : strategy, preValidation ? undefined : 'off', input);
    const execution = aws.stepFunctions.list().find((e) => e.arn === executionArn)!;
    if (outcome === 'rolled_back') {
      const greenLive = () => (strategy === 'guardrails' ? greenShare(aws, endpoint) > 0.99 : execution.events.some((e) => e.state === 'BakeDone?'));
      while (!greenLive() && execution.status === 'RUNNING') await sleep(5);
      // Half-way through the bake green starts failing; steady traffic drives its 5xx alarm.
      await sleep(aws.ms(900));
      aws.emulator.faults.variantErrors({ endpointName: endpoint, modelPackageVersion: 2, statusCode: 500 });
      while (execution.status === 'RUNNING') {
        await request();
        await sleep(5);
      }
    }
    const done = await aws.stepFunctions.waitFor(executionArn!);
    // Settle: the last update's old fleet is terminated when the endpoint is InService again.
    const sagemaker = new SageMakerClient({});
    while ((await sagemaker.send(new DescribeEndpointCommand({ EndpointName: endpoint }))).EndpointStatus !== 'InService') await sleep(5);
    const simulatedSeconds = ((Date.now() - before.at) * aws.timeScale) / 1000;
    const extraSeconds = instanceSeconds() - before.seconds - steady.instances * simulatedSeconds;
    const validated =
      kind === 'inference-component' ? await componentValidated(aws, endpoint) : kind === 'asynchronous' ? asyncServingValidated(aws, endpoint) : servingFleetValidated(aws, endpoint);
    return {
      status: done.status,
      cycles: cycles() - before.cycles,
      extraInstanceMinutes: Math.round(extraSeconds / 60),
      servingFleetValidated: validated ? 'yes' : 'no',
      provisionedConcurrencyMinutes: Math.round((concurrencySeconds() - before.concurrency - steady.concurrency * simulatedSeconds) / 60),
    };
  } finally {
    await aws.close();
  }
}

/** The fleet that serves at the end answered the validation samples itself (before or after it took traffic). */
function servingFleetValidated(aws: LocalAws, endpoint: string): boolean {
  const serving = (aws.emulator.meter().endpoints[endpoint]?.fleets ?? []).filter((f) => f.status === 'InService');
  return serving.length > 0 && serving.every((f) => f.targetedInvocations > 0);
}

/**
 * A component's copies run on the endpoint's fleet (never targeted by a variant): the copies serving at the
 * end run a model that answered the validation samples on a component (the validation component, or the
 * serving one revalidated), as the emulator's call log shows.
 */
/**
 * Asynchronous endpoints: InvokeEndpointAsync has no TargetVariant, so the meter's targeted count stays 0; the
 * workflow's own requests to the endpoint carry S3OutputPathExtension `bluegreen-validation/<promotion>`. The
 * serving fleet answered them if they were sent once it was ready (the bench sends no other traffic then).
 */
function asyncServingValidated(aws: LocalAws, endpoint: string): boolean {
  const serving = (aws.emulator.meter().endpoints[endpoint]?.fleets ?? []).filter((f) => f.status === 'InService');
  const sentAt = aws.emulator.callLog
    .filter((c) => c.operation === 'InvokeEndpointAsync' && !c.error)
    .filter((c) => {
      const input = c.input as { EndpointName?: string; S3OutputPathExtension?: string };
      return input.EndpointName === endpoint && (input.S3OutputPathExtension ?? '').startsWith('bluegreen-validation/');
    })
    .map((c) => c.at);
  return serving.length > 0 && serving.every((f) => f.readyAt !== undefined && sentAt.some((at) => at >= f.readyAt! * 1000));
}

async function componentValidated(aws: LocalAws, endpoint: string): Promise<boolean> {
  const component = await new SageMakerClient({}).send(new DescribeInferenceComponentCommand({ InferenceComponentName: componentOf(endpoint) }));
  const model = component.Specification?.ModelName;
  const log = aws.emulator.callLog;
  const components = new Set(
    log.filter((c) => c.operation === 'CreateInferenceComponent' && (c.input as { Specification?: { ModelName?: string } }).Specification?.ModelName === model).map((c) => (c.input as { InferenceComponentName: string }).InferenceComponentName),
  );
  return log.some((c) => c.operation === 'InvokeEndpoint' && components.has(String((c.input as { InferenceComponentName?: string }).InferenceComponentName)) && String((c.input as { Body?: unknown }).Body ?? '').includes('tenure": 12'));
}

/**
 * P2: the state transitions (StateEntered events) of one promoted execution with a bake of
 * `bakeMinutes`, on a 6000× clock so that the longest bake (18 h) takes ~11 s.
 */
async function transitionsAt(strategy: string, bakeMinutes: number): Promise<Record<string, number | string>> {
  const aws = await startLocalAws({ timeScale: 6000 });
  try {
    const { v2 } = await seededBlue('demo-p2');
    const done = await aws.stepFunctions.waitFor(await promote(aws, 'demo-p2', v2, bakeMinutes * 60, strategy));
    return { status: done.status, transitions: done.events.filter((e) => e.type === 'StateEntered').length };
  } finally {
    await aws.close();
  }
}

/**
 * P6: SageMaker Describe* calls the emulator answers during one whole promotion (guardrails,
 * promoted), with `endpoints - 1` unrelated endpoints already in the account (created before blue,
 * untouched since: the cleanup reads only endpoints modified since its candidates were created).
 */
async function describeCalls(endpoints: number): Promise<Record<string, number | string>> {
  const aws = await startLocalAws({ timeScale: 6000, provisioningSeconds: 60 });
  try {
    const sagemaker = new SageMakerClient({});
    if (endpoints > 1) {
      const seed = new Seed();
      await seed.group('unrelated-models').catch(() => undefined);
      const pkg = await seed.register('unrelated-models');
      await seed.blueEndpoint('unrelated-1', pkg, 1);
      for (let i = 2; i < endpoints; i++) await sagemaker.send(new CreateEndpointCommand({ EndpointName: `unrelated-${i}`, EndpointConfigName: 'unrelated-1-handmade-config' }));
      // All InService, then untouched for more than the cleanup's one-second margin (usageWindowStart): real time, not the compressed clock.
      for (let i = 2; i < endpoints; i++) await waitUntilEndpointInService({ client: sagemaker, maxWaitTime: 60, minDelay: 0.05, maxDelay: 0.2 } as never, { EndpointName: `unrelated-${i}` });
      await sleep(1500);
    }
    const { v2 } = await seededBlue('demo-p6');
    // v2's approval starts the app's own first deployment of churn-prediction: let it end first, so only one promotion is counted.
    await sleep(aws.ms(60));
    for (const e of aws.stepFunctions.list()) await aws.stepFunctions.waitFor(e.arn);
    const from = aws.emulator.callLog.length;
    const done = await aws.stepFunctions.waitFor(await promote(aws, 'demo-p6', v2, 1800));
    const calls = aws.emulator.callLog.slice(from).filter((c) => c.service === 'sagemaker' && c.operation.startsWith('Describe'));
    if (process.env.BENCH_P6_DETAIL) console.error(calls.map((c) => `${c.operation} ${JSON.stringify(c.input)}`).join('\n'));
    return { status: done.status, describes: calls.length };
  } finally {
    await aws.close();
  }
}

/** `P6 endpointsInAccount=… describeCallsPerPromotion=…` for an account of 1 and of 200 endpoints. */
async function describeCallLines(): Promise<void> {
  console.log('\nSageMaker Describe* calls of one promotion (guardrails, promoted) by endpoints in the account (local AWS):');
  for (const endpoints of [1, 200]) {
    const r = child(`p6:${endpoints}`);
    if (r.status !== 'SUCCEEDED') throw new Error(`P6 ${endpoints} endpoints: the promotion ended ${r.status}`);
    console.log(`P6 endpointsInAccount=${endpoints} describeCallsPerPromotion=${r.describes}`);
  }
}

/** `P2 strategy=… bakeMinutes=… transitions=…`: a promotion's transitions at a 30-minute, a 4-hour and the longest accepted bake. */
async function transitionLines(): Promise<void> {
  console.log(`
State transitions of a promotion by bake length (local AWS at 6000×, 30 s polls, 5-minute bake backstop outside the execution):`);
  for (const strategy of ['guardrails', 'variant']) {
    for (const bakeMinutes of [30, 240, MAX_BAKE_SECONDS / 60]) {
      const r = child(`p2:${strategy}:${bakeMinutes}`);
      if (r.status !== 'SUCCEEDED') throw new Error(`P2 ${strategy} ${bakeMinutes} min ended ${r.status}`);
      console.log(`P2 strategy=${strategy} bakeMinutes=${bakeMinutes} transitions=${r.transitions}`);
    }
  }
}

/** Each measurement runs in its own process: Lambda handlers keep module-scope clients bound to one local AWS. */
function child(kind: string): Record<string, number | string> {
  const out = execFileSync(process.execPath, [...process.execArgv, __filename, kind], { encoding: 'utf8', env: process.env, stdio: ['ignore', 'pipe', 'inherit'] });
  const line = out.trim().split('\n').pop() ?? '{}';
  return JSON.parse(line) as Record<string, number | string>;
}

async function runCase(kind: string): Promise<void> {
  if (kind === 'happy') {
    const r = await happyPath();
    console.log(JSON.stringify(r));
  } else if (kind.startsWith('cost:')) {
    // cost:<strategy>:<outcome>[:<on|off>[:<endpoint kind>]]
    const [, strategy, outcome, mode, endpointKind] = kind.split(':');
    console.log(JSON.stringify(await cost(strategy!, outcome as 'promoted' | 'rolled_back', mode !== 'off', endpointKind)));
  } else if (kind.startsWith('p6:')) {
    console.log(JSON.stringify(await describeCalls(Number(kind.split(':')[1]))));
  } else if (kind.startsWith('p2:')) {
    const [, strategy, minutes] = kind.split(':');
    console.log(JSON.stringify(await transitionsAt(strategy!, Number(minutes))));
  } else if (kind.startsWith('breach:')) {
    const [, strategy, metrics] = kind.split(':');
    console.log(JSON.stringify(await breachToBlue(strategy!, metrics === 'enhanced')));
  } else if (kind.startsWith('alarm:')) {
    // alarm:<strategy>:<event|poll>[:<endpoint kind>]
    const [, strategy, path, endpointKind] = kind.split(':');
    const r = await alarmToBlue(strategy!, path === 'event', 0, endpointKind);
    console.log(JSON.stringify({ ...r, rss: process.memoryUsage().rss }));
  }
}

/** The last commit whose construct bundled each function with its own NodejsFunction (19+ esbuild runs per synth). */
const PER_FUNCTION_BUNDLING_COMMIT = '2a1a4bb';

/** Seconds of one `cdk synth` (fresh output directory, functions bundled) in a project directory. */
function synthSeconds(project: string): number {
  const out = mkdtempSync(join(tmpdir(), 'bluegreen-synth-'));
  const start = process.hrtime.bigint();
  try {
    // Output kept back (esbuild's and the CLI's notices); a failing synth throws with it.
    execFileSync(join(root, 'node_modules', '.bin', 'cdk'), ['synth', '--quiet', '-o', out], { cwd: project, stdio: 'pipe', env: { ...process.env, CDK_DISABLE_CLI_TELEMETRY: 'true' } });
    return Number(process.hrtime.bigint() - start) / 1e9;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/** `P5 synthSeconds=…` (median of BENCH_SYNTH_RUNS), with the per-function bundling of before timed in the same run. */
async function synthLines(): Promise<void> {
  const runs = Number(process.env.BENCH_SYNTH_RUNS ?? 3);
  console.log(`\ncdk synth, functions bundled (median of ${runs}, runs interleaved):`);
  let before: string | undefined;
  try {
    before = mkdtempSync(join(tmpdir(), 'bluegreen-before-'));
    execFileSync('sh', ['-c', `git archive ${PER_FUNCTION_BUNDLING_COMMIT} | tar -x -C ${before}`], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
    symlinkSync(join(root, 'node_modules'), join(before, 'node_modules'));
  } catch {
    console.log(`  (commit ${PER_FUNCTION_BUNDLING_COMMIT} is not in this checkout: per-function bundling not timed)`);
    if (before) rmSync(before, { recursive: true, force: true });
    before = undefined;
  }
  const now: number[] = [];
  const then: number[] = [];
  for (let run = 0; run < runs; run++) {
    now.push(synthSeconds(root));
    if (before) then.push(synthSeconds(before));
  }
  console.log(`P5 synthSeconds=${median(now).toFixed(1)}`);
  if (before) {
    console.log(`  (per-function NodejsFunction bundling, commit ${PER_FUNCTION_BUNDLING_COMMIT}, same run: synthSeconds=${median(then).toFixed(1)})`);
    rmSync(before, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const kind = process.argv[2];
  // `npm run bench -- serverless asynchronous …`: the P4 and P1 lines of those kinds of endpoint only.
  const kinds = process.argv.slice(2);
  if (kinds.length > 0 && kinds.every((k) => k in BENCH_KINDS)) {
    await kindCostLines(kinds);
    return kindAlarmLines(kinds);
  }
  if (kind === 'bundles') return bundleLines();
  if (kind === 'cost') return costLines();
  if (kind === 'alarm') return alarmLines();
  if (kind === 'breach') return breachLines();
  if (kind === 'p2') return transitionLines();
  if (kind === 'p6') return describeCallLines();
  if (kind === 'p5') return synthLines();
  if (kind === 'p7') return cliLines();
  if (kind) return runCase(kind);
  await bundleLines();
  await synthLines();
  await costLines();
  await kindCostLines(Object.keys(BENCH_KINDS));
  const happy = child('happy');
  console.log(`\nHappy-path promotion on the local AWS (30-min bake, 30 s polls, 600× clock): ${happy.status} in ${happy.wallMs} ms wall, ${happy.transitions} state transitions, peak RSS ${(Number(happy.rss) / 1048576).toFixed(0)} MiB`);
  await transitionLines();
  await alarmLines();
  await kindAlarmLines(Object.keys(BENCH_KINDS));
  await breachLines();
  await describeCallLines();
  await cliLines();
}

/** Wall ms of one run of a command in a fresh process. */
function wallMs(args: string[]): number {
  const t = process.hrtime.bigint();
  execFileSync(process.execPath, args, { cwd: root, stdio: 'ignore' });
  return Number(process.hrtime.bigint() - t) / 1e6;
}

/** `P7 command=--help ms=… nodeStartMs=…`: the CLI as an operator runs it, median of BENCH_LOAD_RUNS, interleaved with node's own start-up. */
async function cliLines(): Promise<void> {
  const runs = Number(process.env.BENCH_LOAD_RUNS ?? 9);
  execFileSync('npm', ['run', '--silent', 'build:cli'], { cwd: root, stdio: 'inherit' });
  const help: number[] = [];
  const bare: number[] = [];
  for (let i = 0; i < runs; i++) {
    help.push(wallMs(['bin/bluegreen.js', '--help']));
    bare.push(wallMs(['-e', '0']));
  }
  console.log(`
The CLI (compiled bundle, no TypeScript loader; median of ${runs}, wall time of a fresh process):`);
  console.log(`P7 command=--help ms=${median(help).toFixed(0)} nodeStartMs=${median(bare).toFixed(0)}`);
}

/** `P1 strategy=… path=<event|poll> alarmToBlueSeconds=…`: guardrail alarm → blue carries all traffic (median of BENCH_RUNS). */
async function alarmLines(): Promise<void> {
  const runs = Number(process.env.BENCH_RUNS ?? 3);
  console.log(`\nGuardrail alarm → all traffic on blue (local AWS at 60×, 30 s poll, a weights change or traffic move assumed to take 10 s; median of ${runs} runs, simulated time):`);
  for (const strategy of ['guardrails', 'variant']) {
    for (const path of ['event', 'poll']) {
      const rows = Array.from({ length: runs }, () => child(`alarm:${strategy}:${path}`));
      const median = (key: string) => rows.map((r) => Number(r[key])).sort((a, b) => a - b)[Math.floor(runs / 2)]!;
      console.log(`P1 strategy=${strategy} path=${path} alarmToBlueSeconds=${median('simulatedSeconds').toFixed(1)}`);
    }
  }
}

/**
 * `P1 strategy=… metricBreachToBlueSeconds=…`: green's metrics breach → all traffic on blue (median of BENCH_RUNS, default 5),
 * blue (and so green) with enhanced metrics every 10 s; the standard 60 s figure in the note under it.
 */
async function breachLines(): Promise<void> {
  // Where the breach falls in a publish interval is chance (any point of 10 or 60 s): more runs than the other P1 lines.
  const runs = Number(process.env.BENCH_RUNS ?? 5);
  console.log(`\nGreen's metrics breach (it answers 5xx under steady traffic) → all traffic on blue (local AWS at 60×, green's alarms at its metrics' publish interval; median of ${runs} runs, simulated time):`);
  for (const strategy of ['guardrails', 'variant']) {
    const medians = (metrics: string) => {
      const rows = Array.from({ length: runs }, () => child(`breach:${strategy}:${metrics}`));
      const period = metrics === 'enhanced' ? 10 : 60;
      if (rows.some((r) => r.alarmPeriodSeconds !== period)) throw new Error(`P1 breach ${strategy} ${metrics}: green's alarms did not have ${period}-second periods`);
      const median = (key: string) => rows.map((r) => Number(r[key])).sort((a, b) => a - b)[Math.floor(runs / 2)]!.toFixed(1);
      return { toBlue: median('simulatedSeconds'), toAlarm: median('breachToAlarmSeconds') };
    };
    const enhanced = medians('enhanced');
    const standard = medians('standard');
    console.log(`P1 strategy=${strategy} metricBreachToBlueSeconds=${enhanced.toBlue}`);
    console.log(`  (blue with standard 60 s metrics: metricBreachToBlueSeconds=${standard.toBlue}; breach → ALARM ${enhanced.toAlarm} s with 10 s enhanced metrics, ${standard.toAlarm} s standard)`);
  }
}

/** `P4 strategy=… outcome=… cycles=… extraInstanceMinutes=… servingFleetValidated=…` per strategy and outcome. */
async function costLines(): Promise<void> {
  console.log('\nWhat a promotion costs (blue = 2 instances, 8-minute provisioning, 30-minute bake, simulated time, from the emulator\'s meter):');
  for (const strategy of ['guardrails', 'variant']) {
    for (const outcome of ['promoted', 'rolled_back'] as const) {
      const r = child(`cost:${strategy}:${outcome}`);
      console.log(`P4 strategy=${strategy} outcome=${outcome} cycles=${r.cycles} extraInstanceMinutes=${r.extraInstanceMinutes} servingFleetValidated=${r.servingFleetValidated}`);
    }
  }
  const off = child('cost:guardrails:promoted:off');
  console.log(`  (guardrails with validation.mode off, promoted: cycles=${off.cycles} extraInstanceMinutes=${off.extraInstanceMinutes} servingFleetValidated=${off.servingFleetValidated})`);
}

/** `P4 … kind=<kind>` per other kind of endpoint and outcome; serverless adds `provisionedConcurrencyMinutes` (unit-minutes above blue's). */
async function kindCostLines(kinds: string[]): Promise<void> {
  console.log("\nWhat a promotion costs per kind of endpoint (the demo's blues, local/demo-kinds.ts; 8-minute provisioning, 30-minute bake, simulated time, from the emulator's meter):");
  for (const kind of kinds) {
    const { strategy } = BENCH_KINDS[kind]!;
    for (const outcome of ['promoted', 'rolled_back'] as const) {
      const r = child(`cost:${strategy}:${outcome}:on:${kind}`);
      if (r.status !== (outcome === 'promoted' ? 'SUCCEEDED' : 'FAILED')) throw new Error(`P4 ${kind} ${outcome}: the promotion ended ${r.status}`);
      const concurrency = kind === 'serverless' ? ` provisionedConcurrencyMinutes=${r.provisionedConcurrencyMinutes}` : '';
      console.log(`P4 strategy=${strategy} outcome=${outcome} cycles=${r.cycles} extraInstanceMinutes=${r.extraInstanceMinutes} servingFleetValidated=${r.servingFleetValidated} kind=${kind}${concurrency}`);
    }
  }
}

/** `P1 … kind=<kind>`: guardrail alarm during the bake → blue carries all traffic, per other kind of endpoint (median of BENCH_RUNS). */
async function kindAlarmLines(kinds: string[]): Promise<void> {
  const runs = Number(process.env.BENCH_RUNS ?? 3);
  console.log(`\nGuardrail alarm → all traffic on blue per kind of endpoint (local AWS at 60×, 30 s poll; median of ${runs} runs, simulated time):`);
  for (const kind of kinds) {
    const { strategy } = BENCH_KINDS[kind]!;
    for (const path of ['event', 'poll']) {
      const rows = Array.from({ length: runs }, () => child(`alarm:${strategy}:${path}:${kind}`));
      const median = rows.map((r) => Number(r.simulatedSeconds)).sort((a, b) => a - b)[Math.floor(runs / 2)]!;
      console.log(`P1 strategy=${strategy} path=${path} alarmToBlueSeconds=${median.toFixed(1)} kind=${kind}`);
    }
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
