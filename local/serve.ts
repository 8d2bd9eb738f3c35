import './quiet';
import { parseArgs } from 'node:util';
import { startLocalAws } from './aws';
import { defaultLogFile, routeFunctionLogs } from './function-logs';
import { seedWalkThrough } from './seed';

/**
 * `npm run local-aws`: the local AWS as a long-running process for the `bluegreen` CLI
 * (or any AWS SDK / AWS CLI) in another shell. Prints the `export` lines to paste there,
 * then runs until Ctrl-C. `--seed` adds a model package group with two versions and a
 * hand-made endpoint to promote onto.
 */
const USAGE = `Usage: npm run local-aws [-- --seed] [-- --time-scale 600] [-- --verbose | --log-file <path>]
  --seed            create model package group churn-models (v1; v2, v3 Approved) and endpoint demo-churn serving v1,
                    and print the README's walk-through commands
  --time-scale <n>  simulated seconds per real second (default 600: a 30-minute bake takes 3 s)
  --log-file <path> where the functions' logs go (default: a new file under the temporary directory, printed at start)
  --verbose         print the functions' logs here instead of into the file`;

function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

async function run(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seed: { type: 'boolean', default: false },
      'time-scale': { type: 'string' },
      'log-file': { type: 'string' },
      verbose: { type: 'boolean', short: 'v', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
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
  // The step handlers run in this process: their logs go to the file (below), their metrics/traces off.
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  process.env.POWERTOOLS_TRACE_ENABLED ??= 'false';
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

  // As a Lambda function's errors reach its log group and not the caller's terminal: one line here, the rest in the file.
  const logs = routeFunctionLogs({
    verbose: values.verbose,
    file: values['log-file'] ?? defaultLogFile('local-aws'),
    onError: (summary) => process.stderr.write(`function error: ${summary}\n`),
  });
  process.stderr.write(logs.file ? `Function logs: ${logs.file} (--verbose prints them here)\n` : 'Function logs: printed here (--verbose)\n');
  const aws = await startLocalAws({ timeScale });
  const env = { ...aws.env, BLUEGREEN_STATE_MACHINE_ARN: aws.stateMachineArn, BLUEGREEN_TABLE: aws.tableName };
  process.stderr.write(`Local AWS running (clock ×${aws.timeScale}). Paste these lines into another shell:\n\n`);
  process.stdout.write(`${Object.entries(env).map(([k, v]) => `export ${k}=${shellQuote(v)}`).join('\n')}\n\n`);
  if (values.seed) process.stderr.write(`${(await seedWalkThrough()).join('\n')}\n\n`);
  process.stderr.write('Ctrl-C to stop.\n');

  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  process.stderr.write('\nStopping the local AWS...\n');
  await aws.close();
  logs.close();
}

run().catch((error: unknown) => {
  process.stderr.write(`local-aws: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
