import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../cli/main';
import { LOCAL_ACCOUNT, LOCAL_REGION } from '../../local/template';
import { PART_ONE, executionCases, expectExecutionRejected } from './execution-cases';
import { APPROVED, BLUE, GROUP, PENDING, Tally, changesSince, footprint, packageArn, settle, startCorpusWorld, summarize, type CorpusWorld } from './world';

/**
 * Bad `bluegreen` invocations, main() in-process against the local AWS (as test/cli does):
 * exit 2 (usage) or 4 (not found), a message naming the argument, and no execution started,
 * no mutating call, no table write. Then the second half of the execution-input cases.
 */
let world: CorpusWorld;
const tally = new Tally();

beforeAll(async () => {
  world = await startCorpusWorld();
}, 60_000);
afterAll(async () => {
  tally.report('CLI + execution inputs part 2');
  rmSync(DIR, { recursive: true, force: true });
  await world?.aws.close();
});

const DIR = mkdtempSync(join(tmpdir(), 'bluegreen-corpus-'));
const FILE = {
  missing: join(DIR, 'no-such-file.json'),
  notJson: join(DIR, 'not-json.json'),
  bodyAndS3: join(DIR, 'body-and-s3.json'),
  tooMany: join(DIR, 'too-many.json'),
  oversized: join(DIR, 'oversized.json'),
};
writeFileSync(FILE.notJson, '{"samples": [{"name": "typical", "body": ');
writeFileSync(FILE.bodyAndS3, JSON.stringify({ samples: [{ name: 'typical', body: '{}', s3Uri: 's3://validation-bucket/typical.json' }] }));
writeFileSync(FILE.tooMany, JSON.stringify(Array.from({ length: 51 }, (_, i) => ({ name: `s${i}`, body: '{}' }))));
// Three inline bodies of 30 KiB: each within the 32 KiB inline cap, together over the workflow's 64 KiB input limit.
writeFileSync(FILE.oversized, JSON.stringify([0, 1, 2].map((i) => ({ name: `big-${i}`, body: 'x'.repeat(30 * 1024) }))));
const OTHER_REGION = packageArn(GROUP, 2, 'eu-west-1');
const OTHER_ACCOUNT = APPROVED.replace(`:${LOCAL_ACCOUNT}:`, ':444455556666:');
const PAST_TIMEOUT = ['--bake', '12h', '--in-service-deadline', '3h'];
const PAST_TIMEOUT_MESSAGE = /--bake, --in-service-deadline: a bake of 43200 s with 10800 s in-service deadlines needs up to \d+ s .*more than the execution timeout of 86400 s; shorten the bake or the deadline/;

interface CliCase {
  name: string;
  args: string[];
  code: 2 | 4;
  /** On stderr (or, for plan's refusals and --json, stdout): names the argument and the problem. */
  message: RegExp;
  /** Environment changes (undefined removes a variable). */
  env?: Record<string, string | undefined>;
}

const M = ['--model-package', APPROVED];
const cliCases: CliCase[] = [
  { name: 'no arguments', args: [], code: 2, message: /Usage: bluegreen/ },
  { name: 'unknown command', args: ['promot', BLUE], code: 2, message: /unknown command 'promot'/ },
  { name: 'unknown option', args: ['status', BLUE, '--verbose'], code: 2, message: /unknown option '--verbose'/ },
  { name: 'promote without the endpoint', args: ['promote', ...M], code: 2, message: /missing required argument 'endpoint'/ },
  { name: 'promote without --model-package', args: ['promote', BLUE], code: 2, message: /required option '--model-package <arn>' not specified/ },
  { name: 'promote --model-package without a value', args: ['promote', BLUE, '--model-package'], code: 2, message: /option '--model-package <arn>' argument missing/ },
  { name: 'promote --model-package not an ARN', args: ['promote', BLUE, '--model-package', 'churn-models/2'], code: 2, message: /--model-package: modelPackageArn must be a versioned model package ARN/ },
  { name: 'promote --model-package unversioned', args: ['promote', BLUE, '--model-package', APPROVED.replace(/\/2$/, '')], code: 2, message: /--model-package: modelPackageArn must be a versioned/ },
  { name: 'promote --model-package not an ARN, --json', args: ['promote', BLUE, '--model-package', 'v2', '--json'], code: 2, message: /"name": "UsageError",\s+"message": "invalid promotion input, nothing was started:\\n {2}--model-package: / },
  { name: 'promote an endpoint name with an underscore', args: ['promote', 'demo_churn', ...M], code: 2, message: /<endpoint>: endpointName must match/ },
  { name: 'promote an endpoint name of 64 characters', args: ['promote', `demo-${'a'.repeat(59)}`, ...M], code: 2, message: /<endpoint>: endpointName must be at most 63 characters/ },
  { name: 'promote an endpoint name with a leading hyphen', args: ['promote', '-demo', ...M], code: 2, message: /unknown option '-demo'/ },
  { name: 'promote --bake not a duration', args: ['promote', BLUE, ...M, '--bake', 'soon'], code: 2, message: /option '--bake <duration>' argument 'soon' is invalid. --bake takes a duration/ },
  { name: 'promote --bake a bare number', args: ['promote', BLUE, ...M, '--bake', '90'], code: 2, message: /--bake <duration>' argument '90' is invalid/ },
  { name: 'promote --bake in milliseconds, not whole seconds', args: ['promote', BLUE, ...M, '--bake', '1500ms'], code: 2, message: /--bake <duration>' argument '1500ms' is invalid.*whole seconds/ },
  { name: 'promote --bake over 18 h', args: ['promote', BLUE, ...M, '--bake', '19h'], code: 2, message: /--bake: longer than the workflow accepts: a bake is at most .*\(64800 s\): the state machine's 24-hour timeout/ },
  { name: 'promote --bake negative', args: ['promote', BLUE, ...M, '--bake', '-5m'], code: 2, message: /--bake/ },
  { name: 'promote --in-service-deadline under a minute', args: ['promote', BLUE, ...M, '--in-service-deadline', '30s'], code: 2, message: /--in-service-deadline: .*60/ },
  { name: 'promote --in-service-deadline not a duration', args: ['promote', BLUE, ...M, '--in-service-deadline', 'forever'], code: 2, message: /--in-service-deadline <duration>' argument 'forever' is invalid/ },
  { name: 'promote --instance-count 0', args: ['promote', BLUE, ...M, '--instance-count', '0'], code: 2, message: /--instance-count takes a whole number from 1 to 100/ },
  { name: 'promote --instance-count not a number', args: ['promote', BLUE, ...M, '--instance-count', 'two'], code: 2, message: /--instance-count takes a whole number/ },
  { name: 'promote --instance-type without ml.', args: ['promote', BLUE, ...M, '--instance-type', 'm5.large'], code: 2, message: /--instance-type: instanceType must look like ml\.m5\.large/ },
  { name: 'promote --execution-role not an ARN', args: ['promote', BLUE, ...M, '--execution-role', 'SageMakerModelExecution'], code: 2, message: /--execution-role: executionRoleArn must be an IAM role ARN/ },
  { name: 'promote --alarm empty', args: ['promote', BLUE, ...M, '--alarm', ''], code: 2, message: /--alarm: / },
  { name: 'promote --requested-by empty', args: ['promote', BLUE, ...M, '--requested-by', ''], code: 2, message: /--requested-by: / },
  { name: 'promote --name with a space', args: ['promote', BLUE, ...M, '--name', 'release 42'], code: 2, message: /--name: "release 42" is not a valid execution name/ },
  { name: 'promote --name of 81 characters', args: ['promote', BLUE, ...M, '--name', 'r'.repeat(81)], code: 2, message: /--name: "r+" is not a valid execution name/ },
  { name: 'promote --validation-file that does not exist', args: ['promote', BLUE, ...M, '--validation-file', FILE.missing], code: 2, message: /--validation-file: cannot read .*no-such-file\.json \(ENOENT\)/ },
  { name: 'promote --validation-file not JSON', args: ['promote', BLUE, ...M, '--validation-file', FILE.notJson], code: 2, message: /--validation-file: .*not-json\.json is not valid JSON/ },
  { name: 'promote --validation-file: a sample with body and s3Uri', args: ['promote', BLUE, ...M, '--validation-file', FILE.bodyAndS3], code: 2, message: /--validation-file .*body-and-s3\.json: validation\.samples\.0: each validation sample needs exactly one of body or s3Uri/ },
  { name: 'promote --validation-file: 51 samples', args: ['promote', BLUE, ...M, '--validation-file', FILE.tooMany], code: 2, message: /--validation-file .*too-many\.json: validation\.samples: .*50/ },
  // --- limits the workflow's first state checks, refused by the CLI in the same words (lambdas/shared/limits.ts)
  { name: 'promote --validation-file over the 64 KiB input limit', args: ['promote', BLUE, ...M, '--validation-file', FILE.oversized], code: 2, message: /--validation-file .*oversized\.json: the promotion input is \d+ bytes, over the 65536-byte \(64 KiB\) limit: .*move the large --validation-file bodies to S3/ },
  { name: 'plan --validation-file over the 64 KiB input limit', args: ['plan', BLUE, ...M, '--validation-file', FILE.oversized], code: 2, message: /--validation-file .*oversized\.json: the promotion input is \d+ bytes, over the 65536-byte/ },
  { name: 'promote a package of another region than the stack', args: ['promote', BLUE, '--model-package', OTHER_REGION], code: 2, message: /--model-package: .* is a model package of region eu-west-1, and this stack runs in us-east-1/ },
  { name: 'plan a package of another region than the stack', args: ['plan', BLUE, '--model-package', OTHER_REGION], code: 2, message: /--model-package: .* is a model package of region eu-west-1, and this stack runs in us-east-1/ },
  { name: 'promote a package of another account than the stack', args: ['promote', BLUE, '--model-package', OTHER_ACCOUNT], code: 2, message: /--model-package: .* belongs to account 444455556666, not this stack's account 111122223333: .*PutModelPackageGroupPolicy/ },
  { name: 'plan a package of another account than the stack', args: ['plan', BLUE, '--model-package', OTHER_ACCOUNT], code: 2, message: /--model-package: .* belongs to account 444455556666/ },
  { name: 'promote a bake and deadlines past the execution timeout', args: ['promote', BLUE, ...M, ...PAST_TIMEOUT], code: 2, message: PAST_TIMEOUT_MESSAGE },
  { name: 'plan a bake and deadlines past the execution timeout', args: ['plan', BLUE, ...M, ...PAST_TIMEOUT], code: 2, message: PAST_TIMEOUT_MESSAGE },
  { name: 'promote --interval 0', args: ['promote', BLUE, ...M, '--watch', '--interval', '0'], code: 2, message: /--interval <duration>' argument '0' is invalid/ },
  { name: 'promote --state-machine-arn not a state machine ARN', args: ['promote', BLUE, ...M, '--state-machine-arn', 'Promotion'], code: 2, message: /--state-machine-arn: Promotion is not a state machine ARN/ },
  { name: 'promote with no state machine configured', args: ['promote', BLUE, ...M], code: 2, message: /which state machine\? pass --state-machine-arn/, env: { BLUEGREEN_STATE_MACHINE_ARN: undefined } },
  {
    name: 'promote onto a state machine that does not exist',
    args: ['promote', BLUE, ...M, '--state-machine-arn', `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:NoSuchMachine`],
    code: 4,
    message: /state machine .*:stateMachine:NoSuchMachine does not exist/,
  },
  { name: 'plan: a version that does not exist', args: ['plan', BLUE, '--model-package', packageArn(GROUP, 99)], code: 2, message: /--model-package: .*\/churn-models\/99 cannot be described/ },
  { name: 'plan: a version PendingManualApproval', args: ['plan', BLUE, '--model-package', PENDING], code: 2, message: /--model-package: .* is PendingManualApproval; only Approved/ },
  { name: 'plan: a guardrail alarm that does not exist', args: ['plan', BLUE, ...M, '--alarm', 'no-such-alarm'], code: 2, message: /--alarm: no CloudWatch alarm named no-such-alarm/ },
  { name: 'status of an unknown endpoint', args: ['status', 'demo-nope'], code: 4, message: /endpoint demo-nope does not exist/ },
  { name: 'status --minutes 0', args: ['status', BLUE, '--minutes', '0'], code: 2, message: /--minutes takes a whole number from 1 to 1440/ },
  { name: 'status --minutes over a day', args: ['status', BLUE, '--minutes', '1441'], code: 2, message: /--minutes takes a whole number from 1 to 1440/ },
  { name: 'history --limit not a number', args: ['history', BLUE, '--limit', 'ten'], code: 2, message: /--limit takes a whole number from 1 to 1000/ },
  { name: 'history of a table that does not exist', args: ['history', BLUE, '--table', 'NoSuchTable'], code: 4, message: /table NoSuchTable does not exist/ },
  { name: 'rollback of an unknown endpoint', args: ['rollback', 'demo-missing'], code: 4, message: /endpoint demo-missing does not exist/ },
  { name: 'rollback --timeout not a duration', args: ['rollback', BLUE, '--timeout', 'soon'], code: 2, message: /--timeout <duration>' argument 'soon' is invalid/ },
  { name: 'watch an unknown execution', args: ['watch', 'no-such-execution'], code: 4, message: /execution arn:aws:states:\S+:execution:[^:]+:no-such-execution does not exist/ },
  { name: 'watch a state machine ARN', args: ['watch', `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:Promotion`], code: 2, message: /<execution>: .* is not an execution ARN/ },
  { name: 'watch a name with a space', args: ['watch', 'corpus baking'], code: 2, message: /<execution>: "corpus baking" is neither an execution ARN nor a valid execution name/ },
  { name: 'watch without the execution', args: ['watch'], code: 2, message: /missing required argument 'execution'/ },
];

describe('bluegreen CLI (main in-process)', () => {
  let env: Record<string, string | undefined>;
  beforeAll(() => {
    env = { ...world.aws.env, BLUEGREEN_STATE_MACHINE_ARN: world.aws.stateMachineArn, BLUEGREEN_TABLE: world.aws.tableName, BLUEGREEN_USER: 'corpus' };
  });

  test.each(cliCases)('exit $code naming the argument: $name', async ({ name, args, code, message, env: changes }) => {
    await tally.run(`cli: ${name}`, async () => {
      const before = await footprint(world);
      let stdout = '';
      let stderr = '';
      const exitCode = await main(args, { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, env: { ...env, ...changes } });
      await settle(world.aws);
      const after = await changesSince(world, before);
      expect({ case: name, exitCode, output: `${stderr}\n${stdout}`, executionsStarted: after.newExecutions, ...summarize(after) }).toEqual({
        case: name,
        exitCode: code,
        output: expect.stringMatching(message),
        executionsStarted: [],
        mutatingCalls: [],
        tableWrites: [],
      });
    });
  });
});

let executions = 0;
describe('execution inputs through StartExecution (part 2 of 2)', () => {
  test.each(executionCases.slice(PART_ONE))('rejected before any change: $name', async (c) => {
    await tally.run(`execution: ${c.name}`, () => expectExecutionRejected(world, `corpus-b-${++executions}`, c));
  });
});
