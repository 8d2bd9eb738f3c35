import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { main as bluegreen } from '../../cli/main';
import { startLocalAws, type LocalAws } from '../../local/aws';
import { seedWalkThrough, WALKTHROUGH } from '../../local/seed';

/**
 * The README's walk-through ("Try the CLI on the local AWS") is what `npm run local-aws -- --seed`
 * prints, and it works: each command, run against the seeded local AWS, does what the README says.
 */
const README = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
const isCommand = (line: string) => line.startsWith('npx bluegreen ') || line.startsWith('curl ');

/** The commands in the bash blocks of the README section `heading`, in order. */
function readmeCommands(heading: string): string[] {
  const start = README.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`README.md has no "${heading}" section`);
  const rest = README.slice(start + heading.length + 2);
  const next = rest.search(/\n#{2,3} /);
  const section = next < 0 ? rest : rest.slice(0, next);
  const blocks = [...section.matchAll(/```bash\n([\s\S]*?)```/g)].map((m) => m[1]!);
  return blocks.flatMap((b) => b.split('\n')).map((l) => l.trim()).filter(isCommand);
}

let aws: LocalAws;
let printed: string[];
beforeAll(async () => {
  aws = await startLocalAws();
  printed = await seedWalkThrough();
}, 60_000);
afterAll(async () => {
  // The approvals' promotions of churn-prediction run beside the walk-through: let them end first.
  await Promise.all(aws.stepFunctions.list().map((e) => aws.stepFunctions.waitFor(e.arn)));
  await aws.close();
}, 60_000);

async function cli(line: string): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const env = { ...process.env, ...aws.env, BLUEGREEN_STATE_MACHINE_ARN: aws.stateMachineArn, BLUEGREEN_TABLE: aws.tableName, NO_COLOR: '1' };
  const code = await bluegreen(line.replace(/^npx bluegreen /, '').split(' '), {
    stdout: { write: (chunk: string) => void (out += chunk) },
    stderr: { write: (chunk: string) => void (err += chunk) },
    env,
  } as never);
  return { code, out, err };
}

/** The walk-through's one curl: a POST to the emulator with a JSON body, `$AWS_ENDPOINT_URL_SAGEMAKER` from the exports. */
async function curl(line: string): Promise<number> {
  const m = /^curl -s -X POST "\$AWS_ENDPOINT_URL_SAGEMAKER(\/[^"]+)" -d '([^']*)'$/.exec(line);
  if (!m) throw new Error(`the walk-through has a curl this test does not know: ${line}`);
  return (await fetch(`${aws.env.AWS_ENDPOINT_URL_SAGEMAKER}${m[1]}`, { method: 'POST', body: m[2] })).status;
}

test('the seed prints exactly the README walk-through\u2019s commands, in its order', () => {
  const commands = printed.map((l) => l.trim()).filter(isCommand);
  expect(commands.length).toBeGreaterThanOrEqual(6);
  expect(commands).toEqual(readmeCommands('### Try the CLI on the local AWS'));
});

test('the walk-through works as the README tells: demo-churn goes to version 2, and version 3 is left to promote (it rolls back on the injected fault)', async () => {
  const [statusBefore, plan, promote, statusAfter, history, fault, promote3] = printed.map((l) => l.trim()).filter(isCommand);
  expect((await cli(statusBefore!)).out).toMatch(/^Active environment: blue, Model version: 1$/m);
  expect((await cli(plan!)).code).toBe(0);
  const promoted = await cli(promote!);
  expect({ code: promoted.code, err: promoted.err }).toEqual({ code: 0, err: '' });
  expect((await cli(statusAfter!)).out).toMatch(/^Active environment: green, Model version: 2$/m);
  expect((await cli(history!)).out).toContain('1 → 2');
  // After the walk-through: version 3 is Approved and not yet on demo-churn.
  expect(promote3).toContain(`${WALKTHROUGH.group}/3 `);
  expect(await curl(fault!)).toBe(200);
  const rolledBack = await cli(promote3!);
  expect(rolledBack.code).toBe(3);
  expect((await cli(statusAfter!)).out).toMatch(/^Active environment: green, Model version: 2$/m);
}, 60_000);

/**
 * The exports `npm run local-aws` prints serve the AWS CLI too: the region as AWS_DEFAULT_REGION (all
 * the AWS CLI v1 reads; https://docs.aws.amazon.com/cli/latest/userguide/cli-configure-envvars.html) and
 * AWS_ENDPOINT_URL_<SERVICE> with the service identifiers of the SDKs and tools reference
 * (https://docs.aws.amazon.com/sdkref/latest/guide/ss-endpoints-table.html).
 */
test('the exports name the region both ways and an endpoint per service, as the AWS CLI reads them', () => {
  expect(aws.env.AWS_DEFAULT_REGION).toBe(aws.env.AWS_REGION);
  expect(Object.keys(aws.env).filter((k) => k.startsWith('AWS_ENDPOINT_URL_')).sort()).toEqual(
    ['APPLICATION_AUTO_SCALING', 'CLOUDWATCH', 'DYNAMODB', 'EVENTBRIDGE', 'S3', 'SAGEMAKER', 'SAGEMAKER_RUNTIME', 'SFN'].map((s) => `AWS_ENDPOINT_URL_${s}`),
  );
});

const hasAwsCli = spawnSync('aws', ['--version'], { stdio: 'ignore' }).status === 0;
(hasAwsCli ? describe : describe.skip)('the AWS CLI (when installed here)', () => {
  test('given only the exports, it reaches SageMaker, Step Functions and DynamoDB', async () => {
    // Nothing but the exports: no profile, no config file, no AWS_* from this process.
    const env = { PATH: process.env.PATH ?? '', HOME: mkdtempSync(join(tmpdir(), 'aws-cli-home-')), ...aws.env, BLUEGREEN_STATE_MACHINE_ARN: aws.stateMachineArn };
    const run = async (...args: string[]) => (await promisify(execFile)('aws', [...args, '--output', 'text'], { env })).stdout.trim();
    expect((await run('sagemaker', 'list-endpoints', '--query', 'Endpoints[].EndpointName')).split(/\s+/)).toContain(WALKTHROUGH.endpoint);
    expect(await run('stepfunctions', 'describe-state-machine', '--state-machine-arn', aws.stateMachineArn, '--query', 'stateMachineArn')).toBe(aws.stateMachineArn);
    expect(await run('dynamodb', 'list-tables', '--query', 'TableNames')).toContain(aws.tableName);
  }, 30_000);
});
