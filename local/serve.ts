import './quiet';
import { parseArgs } from 'node:util';
import { startLocalAws } from './aws';
import { Seed } from './seed';

/**
 * `npm run local-aws`: the local AWS as a long-running process for the `bluegreen` CLI
 * (or any AWS SDK / AWS CLI) in another shell. Prints the `export` lines to paste there,
 * then runs until Ctrl-C. `--seed` adds a model package group with two versions and a
 * hand-made endpoint to promote onto.
 */
const USAGE = `Usage: npm run local-aws [-- --seed] [-- --time-scale 600]
  --seed            create model package group churn-models (v1, v2 Approved) and endpoint demo-churn serving v1
  --time-scale <n>  simulated seconds per real second (default 600: a 30-minute bake takes 3 s)`;

function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

async function seed(): Promise<string[]> {
  const s = new Seed();
  await s.group('churn-models');
  const v1 = await s.register('churn-models');
  await s.blueEndpoint('demo-churn', v1);
  const v2 = await s.register('churn-models');
  // churn-models is routed to churn-prediction: this approval also starts its first deployment, as in AWS.
  await s.setApproval(v2, 'Approved');
  return [
    `Seeded: model package group churn-models (v1 ${v1}, v2 ${v2} Approved), endpoint demo-churn serving v1.`,
    'The approval of v2 also started a promotion of churn-prediction (the group is routed there in cdk.json).',
    'Try:',
    '  node bin/bluegreen.js plan demo-churn --model-package ' + v2,
    '  node bin/bluegreen.js promote demo-churn --model-package ' + v2 + ' --bake 30m --watch',
    '  node bin/bluegreen.js status demo-churn',
    '  node bin/bluegreen.js history demo-churn',
  ];
}

async function run(): Promise<void> {
  const { values } = parseArgs({
    options: { seed: { type: 'boolean', default: false }, 'time-scale': { type: 'string' }, help: { type: 'boolean', short: 'h', default: false } },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const timeScale = values['time-scale'] === undefined ? undefined : Number(values['time-scale']);
  if (timeScale !== undefined && !(timeScale > 0)) throw new Error(`--time-scale must be a positive number, not ${values['time-scale']}\n${USAGE}`);

  // The local AWS needs no real credentials: never print (or use) the caller's.
  process.env.AWS_ACCESS_KEY_ID = 'local';
  process.env.AWS_SECRET_ACCESS_KEY = 'local';
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
  // The step handlers run in this process: keep their logs to warnings and their metrics/traces off.
  process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  process.env.POWERTOOLS_TRACE_ENABLED ??= 'false';
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

  const aws = await startLocalAws({ timeScale });
  const env = { ...aws.env, BLUEGREEN_STATE_MACHINE_ARN: aws.stateMachineArn, BLUEGREEN_TABLE: aws.tableName };
  process.stderr.write(`Local AWS running (clock ×${aws.timeScale}). Paste these lines into another shell:\n\n`);
  process.stdout.write(`${Object.entries(env).map(([k, v]) => `export ${k}=${shellQuote(v)}`).join('\n')}\n\n`);
  if (values.seed) process.stderr.write(`${(await seed()).join('\n')}\n\n`);
  process.stderr.write('Ctrl-C to stop.\n');

  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  process.stderr.write('\nStopping the local AWS...\n');
  await aws.close();
}

run().catch((error: unknown) => {
  process.stderr.write(`local-aws: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
