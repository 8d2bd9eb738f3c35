/**
 * `npm run demo`: a real promotion and a real rollback on the local AWS, offline, in under
 * a minute. The Model Registry approvals go through the synthesized EventBridge rule to
 * the approval trigger, the synthesized state machine runs the real handlers, and what
 * you read is the `bluegreen` CLI itself (watch, status, history), with each lifecycle event the
 * state machine publishes printed as it happens. `--approval`: the group's route asks for a person's
 * go-ahead, and the demo answers `bluegreen approve` as a named engineer. `--kind serverless|async|component|multi-variant`:
 * the same story on that kind of endpoint, promoted with `bluegreen promote` (local/demo-kinds.ts says what differs). The functions' logs go to a
 * file named at start, as a Lambda function's go to its log group (`--verbose` prints them).
 */
import './quiet';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createColors } from 'picocolors';
import { parseArgs } from 'node:util';
import { S3Client } from '@aws-sdk/client-s3';
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { main as bluegreen } from '../cli/main';
import { parseAppConfig, type AppConfig } from '../lib/config';
import { DETAIL_TYPES } from '../lambdas/shared/lifecycle';
import { startLocalAws, type LocalAws } from './aws';
import type { BusEvent } from './eventbridge';
import { defaultLogFile, routeFunctionLogs, type FunctionLogs } from './function-logs';
import { lifecycleLine } from './lifecycle-line';
import { DEMO_KINDS, isDemoKind, KIND_STORIES, type Clients, type DemoKind, type KindStory } from './demo-kinds';
import { Seed } from './seed';

const USAGE = `Usage: npm run demo [-- --approval | --kind <kind>] [-- --verbose | --log-file <path>]
  --approval        churn-models' route asks for a person's go-ahead before traffic moves; the demo approves as alice@example.com
  --kind <kind>     the same story on another kind of endpoint: ${DEMO_KINDS.join(', ')} (default: a real-time endpoint)
  --log-file <path> where the functions' logs go (default: a new file under the temporary directory, printed at start)
  --verbose         print the functions' logs here instead of into the file`;

const ENDPOINT = 'churn-prediction';
const GROUP = 'churn-models';
/** Who answers the approval gate in `--approval` (BLUEGREEN_USER, as an engineer's shell would set it or the OS user name gives it). */
const APPROVER = 'alice@example.com';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
// Colours only on a terminal, and never with NO_COLOR (as the CLI): a demo piped to a file or CI log stays plain text.
const pc = createColors(process.stdout.isTTY === true && !process.env.NO_COLOR);
const say = (text: string) => process.stdout.write(`\n${pc.bold(`== ${text}`)}\n`);

/** Captures a CLI command's stdout while echoing it, to check the story the demo tells. */
async function cli(aws: LocalAws, ...args: string[]): Promise<{ code: number; out: string }> {
  return cliAs(aws, 'demo', ...args);
}

async function cliAs(aws: LocalAws, user: string, ...args: string[]): Promise<{ code: number; out: string }> {
  return cliWith(aws, user, process.stderr, args);
}

/** A CLI command as `user`, its stdout captured and echoed, its stderr to `stderr`. */
async function cliWith(aws: LocalAws, user: string, stderr: NodeJS.WritableStream, args: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const env = { ...process.env, ...aws.env, BLUEGREEN_STATE_MACHINE_ARN: aws.stateMachineArn, BLUEGREEN_TABLE: aws.tableName, BLUEGREEN_USER: user };
  process.stdout.write(`${pc.dim(`${user === 'demo' ? '' : `${user}`}$ bluegreen ${args.map((a) => (/\s/.test(a) ? `"${a}"` : a)).join(' ')}`)}\n`);
  const code = await bluegreen(args, {
    stdout: { write: (chunk: string) => ((out += chunk), process.stdout.write(chunk)) },
    stderr,
    env,
  });
  return { code, out };
}

/** The promotion the approval trigger started (the newest execution). */
async function startedPromotion(aws: LocalAws, count: number): Promise<string> {
  for (let i = 0; i < 500; i++) {
    const executions = aws.stepFunctions.list();
    if (executions.length >= count) return executions.sort((a, b) => a.startDate.getTime() - b.startDate.getTime())[count - 1]!.arn;
    await sleep(10);
  }
  throw new Error('the approval did not start a promotion');
}

function expectLine(out: string, line: string): void {
  if (!out.split('\n').includes(line)) throw new Error(`the demo expected the line "${line}" and got:\n${out}`);
}

/** The history's record of who approved each gated promotion (`bluegreen history --json`, read without echo), printed as one line. */
async function expectApprover(aws: LocalAws): Promise<void> {
  let out = '';
  const env = { ...process.env, ...aws.env, BLUEGREEN_STATE_MACHINE_ARN: aws.stateMachineArn, BLUEGREEN_TABLE: aws.tableName };
  await bluegreen(['history', ENDPOINT, '--json'], { stdout: { write: (chunk: string) => void (out += chunk) }, stderr: process.stderr, env });
  const rows = JSON.stringify(JSON.parse(out));
  const approvals = (rows.match(new RegExp(`"by":"${APPROVER.replace(/\./g, '\\.')}"`, 'g')) ?? []).length;
  if (approvals < 2) throw new Error(`the history was expected to record ${APPROVER}'s two approvals and has:\n${out}`);
  process.stdout.write(`   (the history records both go-aheads: approved by ${APPROVER}, for versions 2 and 3)\n`);
}

/** cdk.json's configuration, with churn-models' route asking for a person before traffic moves (README "Approval gate"). */
function withApprovalGate(): AppConfig {
  const cdkJson = JSON.parse(readFileSync(join(__dirname, '..', 'cdk.json'), 'utf8')) as { context: { bluegreen: { modelPackageGroups: Record<string, object> } } };
  const config = cdkJson.context.bluegreen;
  config.modelPackageGroups[GROUP] = { ...config.modelPackageGroups[GROUP], approval: { timeoutSeconds: 3600, onTimeout: 'rollback' } };
  return parseAppConfig(config);
}

/**
 * Follows a promotion with `bluegreen watch`; with the approval gate on, answers it as APPROVER as
 * soon as its Approval Needed event arrives (what a person reads in the notification): the gate
 * publishes it once its token is parked, so there is always something to approve.
 */
async function watchPromotion(aws: LocalAws, executionArn: string, gate: boolean): Promise<{ code: number; out: string }> {
  let asked = false;
  let answered: Promise<void> = Promise.resolve();
  const listener = (event: BusEvent) => {
    const detail = event.detail as { executionArn?: string };
    if (!gate || asked || event['detail-type'] !== DETAIL_TYPES.approvalNeeded || detail.executionArn !== executionArn) return;
    asked = true;
    answered = approve(aws);
    answered.catch(() => undefined); // awaited below, after the watch
  };
  aws.bus.on('lifecycle', listener);
  try {
    const watched = await cli(aws, 'watch', executionArn, '--interval', '20ms');
    await answered;
    if (gate && !asked) throw new Error(`promotion ${executionArn} was expected to wait for approval and never published ${DETAIL_TYPES.approvalNeeded}`);
    return watched;
  } finally {
    aws.bus.off('lifecycle', listener);
  }
}

/** `bluegreen approve` as APPROVER, once: no status check first, no second try. */
async function approve(aws: LocalAws): Promise<void> {
  const { code } = await cliAs(aws, APPROVER, 'approve', ENDPOINT, '--reason', 'validation samples look right');
  if (code !== 0) throw new Error(`bluegreen approve exited ${code}`);
}

/** Starts the local AWS (with `config`, else cdk.json's) and prints each lifecycle event the state machine publishes. */
async function bootLocalAws(logs: FunctionLogs, config: AppConfig | undefined, started: number): Promise<LocalAws> {
  process.stdout.write(logs.file ? `Function logs: ${logs.file} (--verbose prints them here)\n` : 'Function logs: printed here (--verbose)\n');
  process.stdout.write('Starting the local AWS (synthesizing the stack, SageMaker/CloudWatch emulator, dynalite, local Step Functions)…\n');
  const aws = await startLocalAws({ config });
  process.stdout.write(`Local AWS up in ${((Date.now() - started) / 1000).toFixed(1)} s; its clock runs ${aws.timeScale}× (a 30-minute bake takes 3 s).\n`);
  // The lifecycle events, as a subscriber to the bus (a notification, a chat channel) sees them.
  aws.bus.on('lifecycle', (event: BusEvent) => {
    const line = lifecycleLine(event);
    if (line) process.stdout.write(`   ${pc.cyan(`◆ ${line}`)}\n`);
  });
  return aws;
}

async function run(logs: FunctionLogs, gate: boolean): Promise<void> {
  const started = Date.now();
  const aws = await bootLocalAws(logs, gate ? withApprovalGate() : undefined, started);
  if (gate) process.stdout.write(`The route of ${GROUP} asks for a person's go-ahead (approval gate: 60 min, then rollback); ${APPROVER} answers.\n`);
  const seed = new Seed();
  const runtime = new SageMakerRuntimeClient({});
  let traffic = false;
  const served = { answered: 0, injected500: 0, other: [] as string[] };
  let trafficLoop: Promise<void> = Promise.resolve();
  const startTraffic = () => {
    traffic = true;
    trafficLoop = (async () => {
      // Steady client traffic on the endpoint (no TargetVariant): SageMaker routes it by weight.
      while (traffic) {
        await runtime
          .send(new InvokeEndpointCommand({ EndpointName: ENDPOINT, ContentType: 'application/json', Body: new TextEncoder().encode('{"customer_id":"C-42","tenure_months":3}') }))
          .then(() => served.answered++)
          .catch((e: Error & { OriginalStatusCode?: number }) => (e.name === 'ModelError' && e.OriginalStatusCode === 500 ? served.injected500++ : served.other.push(`${e.name}: ${e.message}`)));
        await sleep(15);
      }
    })();
  };

  try {
    say(`1. Version 1 of ${GROUP} is approved in the Model Registry → first deployment of ${ENDPOINT}`);
    await seed.group(GROUP);
    const v1 = await seed.register(GROUP);
    await seed.setApproval(v1, 'Approved');
    await cli(aws, 'watch', await startedPromotion(aws, 1), '--interval', '20ms');
    const scaled = await seed.autoscale(ENDPOINT);
    process.stdout.write(`   (the team registers ${scaled} with Application Auto Scaling: 2–4 instances, target tracking on invocations per instance)\n`);
    const first = (await cli(aws, 'status', ENDPOINT, '--minutes', '1')).out;
    expectLine(first, 'Active environment: blue, Model version: 1');
    expectLine(first, `Autoscaling: ${scaled} 2–4 instances, target tracking SageMakerVariantInvocationsPerInstance = 1000`);
    startTraffic();
    process.stdout.write('   (client traffic starts: one request every 15 ms, routed by SageMaker weights, until the end)\n');

    say(`2. Version 2 is approved → blue/green promotion: green beside blue, validated, ${gate ? `approved by ${APPROVER}, ` : ''}shifted, baked, blue deleted`);
    const v2 = await seed.register(GROUP);
    await seed.setApproval(v2, 'Approved');
    await watchPromotion(aws, await startedPromotion(aws, 2), gate);
    expectLine((await cli(aws, 'status', ENDPOINT, '--minutes', '1')).out, 'Active environment: green, Model version: 2');

    say(`3. Version 3 is approved${gate ? ` (and let through by ${APPROVER} at the gate)` : ''}; once it carries the traffic, it starts answering 500 → guardrail alarm → rollback`);
    const v3 = await seed.register(GROUP);
    await seed.setApproval(v3, 'Approved');
    const third = await startedPromotion(aws, 3);
    const execution = aws.stepFunctions.list().find((e) => e.arn === third)!;
    const inject = (async () => {
      // Once version 3's fleet carries traffic (SageMaker's deployment, watched through the emulator's meter).
      const v3Serves = () =>
        (aws.emulator.meter().endpoints[ENDPOINT]?.fleets ?? []).some((f) => f.trafficShare > 0 && f.variants.some((v) => v.modelPackageVersion === 3));
      while (execution.status === 'RUNNING' && !v3Serves()) await sleep(5);
      aws.emulator.faults.variantErrors({ endpointName: ENDPOINT, modelPackageVersion: 3, statusCode: 500 });
      process.stdout.write('   ⚡ fault injected: version 3 now answers HTTP 500\n');
    })();
    const watched = await watchPromotion(aws, third, gate);
    await inject;
    if (watched.code !== 3 || !/PromotionRolledBack/.test(watched.out)) throw new Error('version 3 was expected to roll back');
    expectLine((await cli(aws, 'status', ENDPOINT, '--minutes', '1')).out, 'Active environment: green, Model version: 2');

    say('4. What happened');
    await cli(aws, 'history', ENDPOINT);
    if (gate) await expectApprover(aws);
    const seen = aws.lifecycleEvents().map((e) => e['detail-type']);
    for (const type of [DETAIL_TYPES.started, DETAIL_TYPES.succeeded, DETAIL_TYPES.rolledBack, ...(gate ? [DETAIL_TYPES.approvalNeeded] : [])]) {
      if (!seen.includes(type)) throw new Error(`the demo expected a ${type} event and saw: ${seen.join(', ')}`);
    }
    traffic = false;
    await trafficLoop;
    process.stdout.write(
      `\nClient requests: ${served.answered} answered, ${served.injected500} got the injected HTTP 500 while version 3 was live, ${served.other.length} failed otherwise.\n`,
    );
    if (served.other.length > 0) throw new Error(`requests failed during the promotions: ${served.other.slice(0, 3).join('; ')}`);
    process.stdout.write(`Demo finished in ${((Date.now() - started) / 1000).toFixed(1)} s.\n`);
  } finally {
    traffic = false;
    await trafficLoop;
    await aws.close();
  }
}

/** cdk.json's configuration without the approval routes: in the kinds' stories the team promotes with `bluegreen promote` (a route cannot name a variant). */
function withoutRoutes(): { config: AppConfig; validation: object } {
  const cdkJson = JSON.parse(readFileSync(join(__dirname, '..', 'cdk.json'), 'utf8')) as { context: { bluegreen: { modelPackageGroups: Record<string, { validation: object }> } } };
  const config: Record<string, unknown> = { ...cdkJson.context.bluegreen };
  const validation = cdkJson.context.bluegreen.modelPackageGroups[GROUP]!.validation;
  delete config.modelPackageGroups;
  return { config: parseAppConfig(config), validation };
}

/** `bluegreen plan`, run without echo: its kind, strategy and why lines (the whole plan lists every call it would make). */
async function planExcerpt(aws: LocalAws, args: string[]): Promise<void> {
  let out = '';
  const env = { ...process.env, ...aws.env, BLUEGREEN_STATE_MACHINE_ARN: aws.stateMachineArn, BLUEGREEN_TABLE: aws.tableName, BLUEGREEN_USER: 'demo' };
  const code = await bluegreen(args, { stdout: { write: (chunk: string) => void (out += chunk) }, stderr: process.stderr, env });
  if (code !== 0) throw new Error(`bluegreen plan exited ${code}:\n${out}`);
  process.stdout.write(`${pc.dim(`$ bluegreen ${args.join(' ')}    (excerpt)`)}\n`);
  const wanted = /^(Kind|Strategy| {2}why|Target|Accepted):/;
  process.stdout.write(`${out.split('\n').filter((line) => wanted.test(line)).join('\n')}\n`);
}

/** "ModelA v1 ×7, ModelB v2 ×3": who answered `count` requests. */
async function whoServes(story: KindStory, clients: Clients, count: number): Promise<string> {
  const seen = new Map<string, number>();
  for (let n = 0; n < count; n++) {
    const a = await story.answer(clients, ENDPOINT, n);
    const key = `${a.variant} v${a.modelPackageVersion}`;
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  return [...seen.entries()].sort().map(([who, times]) => `${who} ×${times}`).join(', ');
}

/** What the promotions left on the local AWS: the endpoint's config and models, components, validation endpoints and alarms. */
function leftovers(aws: LocalAws): string {
  const state = aws.emulator.inspect();
  const mine = (name: string) => name.toLowerCase().startsWith(ENDPOINT);
  const list = (names: string[]) => (names.length === 0 ? 'none' : names.sort().join(', '));
  return [
    `endpoints: ${list(Object.keys(state.endpoints).filter(mine))}`,
    `endpoint configs: ${list(Object.keys(state.endpointConfigs).filter(mine))}`,
    `models: ${list(Object.keys(state.models).filter(mine))}`,
    `inference components: ${list(Object.keys(state.inferenceComponents).filter(mine))}`,
    `alarms: ${list(Object.keys(state.alarms).filter(mine))}`,
  ].join('\n   ');
}

/**
 * `--kind`: the quick start's story on another kind of endpoint (local/demo-kinds.ts says what differs):
 * blue of that kind, deployed by hand, serving v1; v2 promoted with `bluegreen promote` (validated before
 * traffic, switched, baked, blue cleaned); v3 promoted, failing during its bake under an alarm, rolled back.
 */
async function runKind(logs: FunctionLogs, kind: DemoKind): Promise<void> {
  const story = KIND_STORIES[kind];
  const started = Date.now();
  const { config, validation } = withoutRoutes();
  const aws = await bootLocalAws(logs, config, started);
  process.stdout.write(`The story of ${/^[aeiou]/.test(story.kind) ? 'an' : 'a'} ${story.kind} endpoint: approvals start nothing here, the team promotes ${ENDPOINT} with bluegreen promote.\n`);
  const validationFile = join(mkdtempSync(join(tmpdir(), 'bluegreen-demo-')), 'validation.json');
  writeFileSync(validationFile, JSON.stringify(validation));
  const seed = new Seed();
  const clients: Clients = { runtime: new SageMakerRuntimeClient({}), s3: new S3Client({}) };
  const promote = async (modelPackageArn: string): Promise<string> => {
    // Its notice ("Started the promotion…") goes to stderr, beside the ARN on stdout: the terminal shows both, so does the demo.
    const { code, out } = await cliWith(aws, 'demo', process.stdout, ['promote', ENDPOINT, '--model-package', modelPackageArn, '--bake', '30m', '--validation-file', validationFile, ...story.options]);
    if (code !== 0) throw new Error(`bluegreen promote exited ${code}`);
    return out.trim().split('\n').pop()!;
  };
  const traffic = { on: false, sent: 0, answered: 0, injected500: 0, other: [] as string[], loop: Promise.resolve() };
  try {
    say(`1. Version 1 of ${GROUP} serves on ${ENDPOINT}: ${story.blue}, deployed by hand`);
    await seed.group(GROUP);
    const v1 = await seed.register(GROUP);
    await story.deploy(seed, ENDPOINT, v1);
    process.stdout.write(`   Serving: ${await whoServes(story, clients, 10)}\n`);
    traffic.on = true;
    traffic.loop = (async () => {
      while (traffic.on) {
        const outcome = await story.request(clients, ENDPOINT, traffic.sent++);
        if (outcome === 'answered' || outcome === 'injected500') traffic[outcome]++;
        else traffic.other.push(outcome);
        await sleep(15);
      }
    })();
    process.stdout.write('   (client traffic starts: one request every 15 ms, until the end)\n');

    say(`2. Version 2 is approved → promotion: green validated ${story.validation}; ${story.switch}; baked; blue cleaned`);
    const v2 = await seed.register(GROUP);
    await seed.setApproval(v2, 'Approved');
    await planExcerpt(aws, ['plan', ENDPOINT, '--model-package', v2, '--bake', '30m', '--validation-file', validationFile, ...story.options]);
    const second = await cli(aws, 'watch', await promote(v2), '--interval', '20ms');
    if (second.code !== 0 || !/^Promoted after/m.test(second.out)) throw new Error('version 2 was expected to be promoted');
    const afterV2 = await whoServes(story, clients, 10);
    process.stdout.write(`   Serving: ${afterV2}\n`);
    if (!/ v2 /.test(`${afterV2} `)) throw new Error(`version 2 was expected to serve after its promotion, and ${afterV2} answered`);

    say(`3. Version 3 is approved; during its bake it starts answering 500 → guardrail alarm → rollback: ${story.rollback}`);
    const v3 = await seed.register(GROUP);
    await seed.setApproval(v3, 'Approved');
    const third = await promote(v3);
    const execution = aws.stepFunctions.list().find((e) => e.arn === third)!;
    const inject = (async () => {
      // Once version 3 carries traffic: a fleet running it has a share (SageMaker's deployment, seen through the emulator's
      // meter), or the workflow's bake has begun (a component's copies run on the endpoint's fleet).
      const v3Serves = () =>
        (aws.emulator.meter().endpoints[ENDPOINT]?.fleets ?? []).some((f) => f.trafficShare > 0 && f.variants.some((v) => v.modelPackageVersion === 3)) ||
        execution.events.some((e) => e.type === 'StateEntered' && e.state === 'Bake');
      while (execution.status === 'RUNNING' && !v3Serves()) await sleep(5);
      aws.emulator.faults.variantErrors({ endpointName: ENDPOINT, modelPackageVersion: 3, statusCode: 500 });
      process.stdout.write('   ⚡ fault injected: version 3 now answers HTTP 500\n');
    })();
    const watched = await cli(aws, 'watch', third, '--interval', '20ms');
    await inject;
    if (watched.code !== 3 || !/^Rolled back after .*GuardrailAlarm/m.test(watched.out)) throw new Error('version 3 was expected to roll back on a guardrail alarm');
    aws.emulator.faults.clear();
    const afterV3 = await whoServes(story, clients, 10);
    process.stdout.write(`   Serving: ${afterV3}\n`);
    if (/ v3 /.test(`${afterV3} `) || !/ v2 /.test(`${afterV3} `)) throw new Error(`version 2 was expected to serve again after the rollback, and ${afterV3} answered`);

    say('4. What happened');
    await cli(aws, 'history', ENDPOINT);
    process.stdout.write(`   Left on the local AWS after the cleanups:\n   ${leftovers(aws)}\n`);
    traffic.on = false;
    await traffic.loop;
    // Asynchronous requests are accepted when queued: green's HTTP 500 is a failure object in S3.
    const failedLater = story.failuresIn?.((bucket, prefix) => aws.emulator.s3.listKeys(bucket, prefix), ENDPOINT);
    process.stdout.write(
      failedLater === undefined
        ? `\nClient requests: ${traffic.answered} answered, ${traffic.injected500} got the injected HTTP 500 while version 3 was live, ${traffic.other.length} failed otherwise.\n`
        : `\nClient requests: ${traffic.answered} queued, ${failedLater} of them answered with a failure object (the injected HTTP 500 while version 3 was live), ${traffic.other.length} refused.\n`,
    );
    if (traffic.other.length > 0) throw new Error(`requests failed during the promotions: ${traffic.other.slice(0, 3).join('; ')}`);
    process.stdout.write(`Demo finished in ${((Date.now() - started) / 1000).toFixed(1)} s.\n`);
  } finally {
    traffic.on = false;
    await traffic.loop;
    await aws.close();
  }
}

/** A usage error: said with the usage, exit 2, nothing started. */
function refuse(message: string): never {
  process.stderr.write(`demo: ${message}\n${USAGE}\n`);
  process.exit(2);
}

function options(): { verbose: boolean; logFile?: string; approval: boolean; kind?: DemoKind } {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        approval: { type: 'boolean', default: false },
        kind: { type: 'string' },
        verbose: { type: 'boolean', short: 'v', default: false },
        'log-file': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    refuse((error as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const kind = values.kind;
  if (kind !== undefined && !isDemoKind(kind)) refuse(`--kind: unknown kind "${kind}"; use one of ${DEMO_KINDS.join(', ')}`);
  if (kind !== undefined && values.approval) refuse('--approval: the approval gate is on an approval route, which the --kind stories do not use; drop --approval or --kind');
  return { verbose: values.verbose, logFile: values['log-file'], approval: values.approval, kind };
}

const chosen = options();
const logs = routeFunctionLogs({ verbose: chosen.verbose, file: chosen.logFile ?? defaultLogFile('demo') });
(chosen.kind ? runKind(logs, chosen.kind) : run(logs, chosen.approval))
  .then(() => logs.close())
  .catch((error: unknown) => {
    // Unexpected: said plainly, with the functions' errors of this run and where their full logs are.
    process.stderr.write(`\ndemo failed: ${error instanceof Error ? error.message : String(error)}\n`);
    if (logs.errors.length > 0) process.stderr.write(`Errors the functions logged:\n${logs.errors.map((e) => `  ${e}`).join('\n')}\n`);
    if (logs.file) process.stderr.write(`Function logs (with stacks): ${logs.file}\n`);
    logs.close();
    process.exit(1);
  });
