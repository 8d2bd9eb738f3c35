import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import type { HistoryOptions } from './commands/history';
import type { ListOptions } from './commands/list';
import type { PlanOptions } from './commands/plan';
import type { PromoteOptions } from './commands/promote';
import type { RollbackOptions } from './commands/rollback';
import type { StatusOptions } from './commands/status';
import type { WatchOptions } from './commands/watch';
import type { StackOptions } from './aws';
import type { Context, GlobalOptions } from './context';
import { DURATION_HELP, parseDurationMs, parseDurationSeconds } from './duration';
import { EXIT, toCliError } from './errors';
import { OUTPUT_FORMATS, type Io } from './io';
import { parseTraffic, TRAFFIC_HELP } from './traffic';
import { STRATEGIES } from '../lambdas/shared/strategy-names';
import { packageVersion } from './version';
import { addApprovalCommands } from './approval-commands';

export type { Io } from './io';
export { EXIT } from './errors';

const seconds = (option: string) => (value: string) => {
  const parsed = parseDurationSeconds(value);
  if (parsed === undefined) throw new InvalidArgumentError(`${option} takes ${DURATION_HELP} (whole seconds).`);
  return parsed;
};
const millis = (option: string) => (value: string) => {
  const parsed = parseDurationMs(value);
  if (parsed === undefined || parsed <= 0) throw new InvalidArgumentError(`${option} takes ${DURATION_HELP}, e.g. 2s or 500ms.`);
  return parsed;
};
const integer = (option: string, min: number, max: number) => (value: string) => {
  const parsed = Number(value);
  if (!/^\d+$/.test(value.trim()) || parsed < min || parsed > max) throw new InvalidArgumentError(`${option} takes a whole number from ${min} to ${max}.`);
  return parsed;
};
const count = (option: string, what: string) => (value: string) => {
  const parsed = Number(value);
  if (!/^\d+$/.test(value.trim()) || parsed < 1) throw new InvalidArgumentError(`${option} takes a whole number of ${what}, at least 1.`);
  return parsed;
};
const secondsWithin = (option: string, min: number, max: number, why: string) => (value: string) => {
  const parsed = parseDurationSeconds(value);
  if (parsed === undefined || parsed < min || parsed > max) throw new InvalidArgumentError(`${option} takes ${DURATION_HELP} (whole seconds), ${why}.`);
  return parsed;
};
const traffic = (value: string) => {
  const parsed = parseTraffic(value);
  if (parsed === undefined) throw new InvalidArgumentError(`--traffic takes ${TRAFFIC_HELP}.`);
  return parsed;
};
const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

const ENVIRONMENT_HELP = `
Where the workflow is (flags win over the environment):
  --state-machine-arn / BLUEGREEN_STATE_MACHINE_ARN   the promotion state machine
  --table / BLUEGREEN_TABLE                           the history and lock table
  --stack / BLUEGREEN_STACK                           read both from the stack's outputs (StateMachineArn, HistoryTableName)
AWS credentials and region come from --profile and --region, else the usual SDK chain (AWS_PROFILE, AWS_REGION, ...).
AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE> redirect the calls, e.g. to the local AWS
("npm run local-aws" prints the lines to paste).

Exit codes:
  0  done
  1  unexpected error (AWS outage, permissions, a bug)
  2  bad arguments or input: the message names the argument and the fix; nothing was started
  3  the promotion the command waited for ended rolled_back, failed or interrupted
  4  not found: endpoint, execution, stack or table`;

function stackOptions(command: Command, uses: { stateMachine?: boolean; table?: boolean }): Command {
  if (uses.stateMachine) command.option('--state-machine-arn <arn>', 'the promotion state machine (default: $BLUEGREEN_STATE_MACHINE_ARN)');
  if (uses.table) command.option('--table <name>', 'the history/lock DynamoDB table (default: $BLUEGREEN_TABLE)');
  return command.option('--stack <name>', 'read the state machine and table from this CloudFormation stack (default: $BLUEGREEN_STACK)');
}

function promotionOptions(command: Command): Command {
  return command
    .requiredOption('--model-package <arn>', 'the approved model package version: arn:aws:sagemaker:<region>:<account>:model-package/<group>/<version>')
    .addOption(
      new Option(
        '--strategy <name>',
        "how green gets traffic: guardrails (SageMaker's blue/green), variant (single-variant real-time), replace (serverless) or component (inference components) (default: chosen from the endpoint's kind; plan says which and why)",
      ).choices(STRATEGIES),
    )
    .option('--traffic <spec>', `guardrails: how SageMaker moves the traffic: ${TRAFFIC_HELP} (default all-at-once)`, traffic)
    .option('--no-pre-validation', 'skip the validation endpoint (or component); green is validated only once it serves (not with variant)')
    .option('--variant <name>', "multi-variant endpoints: the production variant to promote; the others keep their models and weights (default: the endpoint's only variant)")
    .option('--inference-component <name>', "inference-component endpoints: the component to promote (default: the endpoint's only component)")
    .option('--batch-copies <n>', "component: copies replaced per rolling batch, 5–50% of its copies (default: as many as fit in 50%)", count('--batch-copies', 'copies'))
    .option('--batch-wait <duration>', 'component: how long SageMaker watches the alarms after each batch, 0 to 1h (default 5m)', secondsWithin('--batch-wait', 0, 3600, "from 0 to 1h (SageMaker's WaitIntervalInSeconds)"))
    .option(
      '--async-output-timeout <duration>',
      "asynchronous endpoints: how long each validation request's output (or failure) may take to appear in S3 (default 2m)",
      secondsWithin('--async-output-timeout', 1, Number.MAX_SAFE_INTEGER, 'at least 1s'),
    )
    .option('--bake <duration>', "how long guardrail alarms are watched after the shift, e.g. 30m, 1h, 0 (default: the stack's)", seconds('--bake'))
    .option('--validation-file <file>', 'JSON file with the validation requests: {"samples": [{"name", "body", "expectContains"...}], "maxLatencyMs"} or just the samples list')
    .option('--alarm <name>', 'a CloudWatch alarm whose ALARM state rolls back; repeat for several', collect)
    .option('--name <execution-name>', 'execution name (default: <endpoint>-v<version>-<yyyymmddhhmmss>-<6 random hex>); the same name starts a promotion once')
    .option('--execution-role <arn>', "IAM role of green's model (default: blue's model role)")
    .option('--instance-type <type>', "first deployment only: instance type (default: the package's first realtime type)")
    .option('--instance-count <n>', 'first deployment only: instance count (default 1)', integer('--instance-count', 1, 100))
    .option('--in-service-deadline <duration>', "how long green may take to reach InService before the rollback (default: the stack's)", seconds('--in-service-deadline'))
    .option('--requested-by <who>', 'recorded in the history (default: bluegreen-cli:<your user>)');
}

function intervalOption(command: Command): Command {
  return command.addOption(new Option('--interval <duration>', 'time between two polls').default(2000, '2s').argParser(millis('--interval')));
}

/** How `watch` and `promote --watch` follow an execution: polls, a live line, a deadline. */
function followOptions(command: Command): Command {
  return intervalOption(command)
    .addOption(new Option('--timeout <duration>', 'stop following after this long, exit 1 (the promotion goes on) (default: until it ends)').argParser(millis('--timeout')))
    .addOption(
      new Option('--heartbeat <duration>', 'when stdout is not a terminal, print what the wait is doing this often (on a terminal a live line is rewritten at every poll)')
        .default(30_000, '30s')
        .argParser(millis('--heartbeat')),
    );
}

/** `bluegreen/<version> node/<version> <platform>-<arch>`, as `aws --version` names its runtime. */
export function versionLine(): string {
  return `bluegreen/${packageVersion()} node/${process.version} ${process.platform}-${process.arch}`;
}

/**
 * The program's own options: every command takes them, before or after its name (commander reads
 * a program option wherever it stands), those registered after this function's too.
 */
function globalOptions(program: Command): Command {
  return program
    .version(versionLine(), '-V, --version', 'print the version and exit')
    .option('--region <region>', 'the AWS region (default: AWS_REGION, AWS_DEFAULT_REGION, then the profile\'s)')
    .option('--profile <name>', 'a named profile of the AWS config and credentials files (default: AWS_PROFILE, else the default chain)')
    .addOption(new Option('--output <format>', 'text for people, json for one JSON document on stdout (and only errors and warnings on stderr)').choices(OUTPUT_FORMATS))
    .option('--json', 'the same as --output json')
    .option('--no-color', 'no colours (also NO_COLOR=1; colours and status marks only ever go to a terminal)')
    .configureHelp({ showGlobalOptions: true });
}

/** The program was given --output json (or --json): its errors go on stdout as a JSON document too. Last one wins, as commander reads them. */
export function wantsJson(argv: string[]): boolean {
  let json = false;
  argv.forEach((arg, i) => {
    if (arg === '--json') json = true;
    else if (arg === '--output') json = argv[i + 1] === 'json';
    else if (arg.startsWith('--output=')) json = arg === '--output=json';
  });
  return json;
}

/** The `bluegreen` program: one subcommand per operation, output and exit code through `io`. */
export function buildProgram(io: Io, setExitCode: (code: number) => void): Command {
  const program = globalOptions(new Command('bluegreen'))
    .description('Operate sagemaker-bluegreen: promote a model package onto a SageMaker endpoint blue/green, watch it, roll it back, list and see what endpoints serve.')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .showHelpAfterError('(add --help for usage and examples)')
    .addHelpText('after', ENVIRONMENT_HELP);
  // The command modules (and the AWS SDK behind them) load only when a command runs: `--help` stays fast.
  const run = async (options: StackOptions & GlobalOptions, command: (ctx: Context) => Promise<number>) => {
    const { withContext } = await import('./context');
    setExitCode(await withContext(io, { ...options, ...(program.opts<GlobalOptions>()) }, command));
  };

  const promoteCommand = program
    .command('promote')
    .summary('start a promotion of a model package onto an endpoint')
    .description(
      "Start a promotion: the workflow validates green, moves the traffic to it with the strategy the endpoint's kind allows (guardrails: SageMaker's blue/green deployment; variant: a zero-weight variant whose weights flip; replace: a serverless endpoint's UpdateEndpoint; component: an inference component's rolling update), bakes, then deletes blue (or rolls back). The input is checked locally first; prints the execution ARN. `bluegreen plan` shows the kind, the strategy and why.",
    )
    .argument('<endpoint>', 'the SageMaker endpoint (created if it does not exist yet)');
  promotionOptions(promoteCommand).option('--watch', 'follow the promotion until it ends (exit 3 if it rolls back or fails)');
  followOptions(promoteCommand);
  stackOptions(promoteCommand, { stateMachine: true })
    .addHelpText(
      'after',
      `
Examples:
  bluegreen promote churn-prediction --model-package arn:aws:sagemaker:us-east-1:111122223333:model-package/churn-models/7
  bluegreen promote churn-prediction --model-package <arn> --bake 1h --validation-file samples.json --alarm churn-p99-latency --watch
  bluegreen promote churn-prediction --model-package <arn> --strategy guardrails --traffic canary:10%:5m --bake 30m
  bluegreen promote ab-test --model-package <arn> --variant challenger          # one variant of several
  bluegreen promote llm-host --model-package <arn> --inference-component chat --batch-copies 2 --batch-wait 10m
  ARN=$(bluegreen promote churn-prediction --model-package <arn>) && bluegreen watch "$ARN"`,
    )
    .action((endpoint: string, options: PromoteOptions) => run(options, async (ctx) => (await import('./commands/promote')).promote(ctx, endpoint, options)));

  const planCommand = program
    .command('plan')
    .summary('dry run: what a promotion would create, change and delete')
    .description(
      "Dry run of a promotion, read-only (Describe/List calls only): checks the input, the model package approval and the endpoint, then lists the endpoint's kind, the strategy and why, the target variant or inference component, the fleets it would provision and their cost in instance-minutes above blue's (from blue as it runs and the bake), what would be created, changed and deleted, and any reason the workflow would refuse. Exit 0 when it would be accepted, 2 when not.",
    )
    .argument('<endpoint>', 'the SageMaker endpoint');
  promotionOptions(planCommand);
  stackOptions(planCommand, { table: true })
    .addHelpText(
      'after',
      `
Examples:
  bluegreen plan churn-prediction --model-package arn:aws:sagemaker:us-east-1:111122223333:model-package/churn-models/7
  bluegreen plan churn-prediction --model-package <arn> --strategy variant --bake 2h
  bluegreen plan churn-prediction --model-package <arn> --name release-42 --json | jq '{kind, strategy, strategyReason, target, cycles, extraInstanceMinutes}'`,
    )
    .action((endpoint: string, options: PlanOptions) => run(options, async (ctx) => (await import('./commands/plan')).plan(ctx, endpoint, options)));

  stackOptions(
    program
      .command('status')
      .summary('what an endpoint serves, and the promotion in flight')
      .description('What the endpoint serves: the active environment (blue/green) and model version on the first line, then each variant (weights, instances, model, version, invocations) and the promotion in flight, if any.')
      .argument('<endpoint>', 'the SageMaker endpoint'),
    { table: true },
  )
    .option('--minutes <n>', 'invocations are counted over the last N minutes', integer('--minutes', 1, 1440), 5)
    .addHelpText(
      'after',
      `
Examples:
  bluegreen status churn-prediction
  bluegreen status churn-prediction --minutes 60 --json | jq .activeEnvironment`,
    )
    .action((endpoint: string, options: StatusOptions) => run(options, async (ctx) => (await import('./commands/status')).status(ctx, endpoint, options)));

  const rollbackCommand = program
    .command('rollback')
    .summary('abort the promotion in flight and put all traffic back on blue')
    .description(
      "Abort the promotion in flight: the workflow puts all traffic back on blue, restores blue's config and deletes green. Waits for it and says what was done (exit 0 once the endpoint is back on blue, 3 if the promotion completed anyway or the rollback failed). With no promotion in flight, says so and what the endpoint serves (exit 0). A promotion whose execution ended without recording its outcome (stopped, and its automatic recoveries stopped or used up) is finished by a recovery execution this command starts: back to blue, or recorded as promoted when green serves alone after the bake.",
    )
    .argument('<endpoint>', 'the SageMaker endpoint')
    .option('--reason <text>', 'why, recorded in the history')
    .option('--no-wait', 'return once the abort is requested')
    .addOption(new Option('--timeout <duration>', 'how long to wait for the workflow to end').default(2 * 3_600_000, '2h').argParser(millis('--timeout')));
  intervalOption(rollbackCommand);
  stackOptions(rollbackCommand, { table: true })
    .addHelpText(
      'after',
      `
Examples:
  bluegreen rollback churn-prediction --reason "p99 latency up on the dashboard"
  bluegreen rollback churn-prediction --no-wait --json`,
    )
    .action((endpoint: string, options: RollbackOptions) => run(options, async (ctx) => (await import('./commands/rollback')).rollback(ctx, endpoint, options)));
  addApprovalCommands(program, run, stackOptions);

  stackOptions(
    program
      .command('history')
      .summary("an endpoint's past promotions, newest first")
      .description('Past promotions of an endpoint, newest first: when, who, versions (blue → green), outcome, duration and reason.')
      .argument('<endpoint>', 'the SageMaker endpoint'),
    { table: true },
  )
    .option('--limit <n>', 'how many promotions', integer('--limit', 1, 1000), 20)
    .addHelpText(
      'after',
      `
Examples:
  bluegreen history churn-prediction
  bluegreen history churn-prediction --limit 5 --json`,
    )
    .action((endpoint: string, options: HistoryOptions) => run(options, async (ctx) => (await import('./commands/history')).history(ctx, endpoint, options)));

  stackOptions(
    program
      .command('list')
      .summary('promotions in flight and approvals queued, all endpoints')
      .description(
        "Every promotion in flight (endpoint, phase as its lock tells: running, waiting, baking, rolling-back, interrupted, recovering; version, age, promotion id) and every approval queued behind one, all endpoints. Reads only the table's two sparse indexes (InFlight, Queued).",
      ),
    { table: true },
  )
    .addHelpText(
      'after',
      `
Examples:
  bluegreen list
  bluegreen list --output json | jq '.entries[] | select(.promotion.phase == "baking") | .endpointName'`,
    )
    .action((options: ListOptions) => run(options, async (ctx) => (await import('./commands/list')).list(ctx, options)));

  const watchCommand = program
    .command('watch')
    .summary('follow a promotion until it ends')
    .description(
      'Follow a promotion: each state as it is entered, with the time since the start (poll loops collapsed, e.g. "CheckGuardrails ×12"), then the outcome. During every wait a live line says what it waits for (e.g. "Bake 6m/30m, alarms OK, green 412 req/min"): rewritten in place on a terminal, a heartbeat line every --heartbeat elsewhere. Exit 0 when it promoted, 3 when it rolled back, failed or was interrupted (someone else changed the endpoint), 1 at --timeout (the promotion goes on).',
    )
    .argument('<execution>', 'the execution ARN, or its name (completed with the state machine ARN)');
  followOptions(watchCommand);
  stackOptions(watchCommand, { stateMachine: true })
    .addHelpText(
      'after',
      `
Examples:
  bluegreen watch arn:aws:states:us-east-1:111122223333:execution:Promotion:churn-prediction-v7-20250101120000-3f9a1c
  bluegreen watch churn-prediction-v7-20250101120000-3f9a1c --stack SageMakerBlueGreen
  bluegreen watch <name> --timeout 45m --heartbeat 1m        # in CI: a line a minute, give up after 45 minutes`,
    )
    .action((execution: string, options: WatchOptions) => run(options, async (ctx) => (await import('./commands/watch')).watch(ctx, execution, options)));

  return program;
}

/** Runs `bluegreen <argv>`; resolves to the exit code (never calls process.exit, so tests run it in-process). */
export async function main(argv: string[], io: Io): Promise<number> {
  const json = wantsJson(argv);
  let exitCode: number = EXIT.ok;
  const program = buildProgram(io, (code) => {
    exitCode = code;
  });
  if (argv.length === 0) {
    program.outputHelp({ error: true });
    return EXIT.usage;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has written its message (and the help hint) to stderr already.
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return EXIT.ok;
      if (json) io.stdout.write(`${JSON.stringify({ error: { name: 'UsageError', message: error.message.replace(/^error: /, ''), exitCode: EXIT.usage } }, null, 2)}\n`);
      return EXIT.usage;
    }
    const failure = toCliError(error);
    io.stderr.write(`bluegreen: ${failure.message}\n`);
    if (json) io.stdout.write(`${JSON.stringify({ error: { name: failure.name, message: failure.message, exitCode: failure.exitCode } }, null, 2)}\n`);
    return failure.exitCode;
  }
}
