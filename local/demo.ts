/**
 * `npm run demo`: a real promotion and a real rollback on the local AWS, offline, in under
 * a minute. The Model Registry approvals go through the synthesized EventBridge rule to
 * the approval trigger, the synthesized state machine runs the real handlers, and what
 * you read is the `bluegreen` CLI itself (watch, status, history).
 */
import './quiet';
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { main as bluegreen } from '../cli/main';
import { startLocalAws, type LocalAws } from './aws';
import { Seed } from './seed';

const ENDPOINT = 'churn-prediction';
const GROUP = 'churn-models';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const say = (text: string) => process.stdout.write(`\n\x1b[1m== ${text}\x1b[0m\n`);

/** Captures a CLI command's stdout while echoing it, to check the story the demo tells. */
async function cli(aws: LocalAws, ...args: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const env = { ...process.env, ...aws.env, BLUEGREEN_STATE_MACHINE_ARN: aws.stateMachineArn, BLUEGREEN_TABLE: aws.tableName, BLUEGREEN_USER: 'demo' };
  process.stdout.write(`\x1b[2m$ bluegreen ${args.join(' ')}\x1b[0m\n`);
  const code = await bluegreen(args, {
    stdout: { write: (chunk: string) => ((out += chunk), process.stdout.write(chunk)) },
    stderr: process.stderr,
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

async function run(): Promise<void> {
  const started = Date.now();
  process.stdout.write('Starting the local AWS (synthesizing the stack, SageMaker/CloudWatch emulator, dynalite, local Step Functions)…\n');
  const aws = await startLocalAws();
  process.stdout.write(`Local AWS up in ${((Date.now() - started) / 1000).toFixed(1)} s; its clock runs ${aws.timeScale}× (a 30-minute bake takes 3 s).\n`);
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

    say('2. Version 2 is approved → blue/green promotion: green beside blue at weight 0, validated, shifted, baked, blue deleted');
    const v2 = await seed.register(GROUP);
    await seed.setApproval(v2, 'Approved');
    await cli(aws, 'watch', await startedPromotion(aws, 2), '--interval', '20ms');
    expectLine((await cli(aws, 'status', ENDPOINT, '--minutes', '1')).out, 'Active environment: green, Model version: 2');

    say("3. Version 3 is approved; once it carries the traffic, its green variant starts answering 500 → guardrail alarm → rollback");
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
    const watched = await cli(aws, 'watch', third, '--interval', '20ms');
    await inject;
    if (watched.code !== 3 || !/PromotionRolledBack/.test(watched.out)) throw new Error('version 3 was expected to roll back');
    expectLine((await cli(aws, 'status', ENDPOINT, '--minutes', '1')).out, 'Active environment: green, Model version: 2');

    say('4. What happened');
    await cli(aws, 'history', ENDPOINT);
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

run().catch((error: unknown) => {
  process.stderr.write(`\ndemo failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
