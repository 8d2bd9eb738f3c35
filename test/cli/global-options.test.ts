import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AwsClients } from '../../cli/aws';
import { Output, type Io } from '../../cli/io';
import { wantsJson } from '../../cli/main';
import { bluegreen, parseJson } from './helpers';

const PROFILE_KEY = 'AKIAOPSPROFILE000001';

/** A credentials and config file with a profile `ops` (its own key and region), as `aws configure --profile ops` writes them. */
function profileFiles(): { AWS_SHARED_CREDENTIALS_FILE: string; AWS_CONFIG_FILE: string } {
  const dir = mkdtempSync(join(tmpdir(), 'bluegreen-profile-'));
  const files = { AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'), AWS_CONFIG_FILE: join(dir, 'config') };
  writeFileSync(files.AWS_SHARED_CREDENTIALS_FILE, `[ops]\naws_access_key_id = ${PROFILE_KEY}\naws_secret_access_key = ops-secret\n`);
  writeFileSync(files.AWS_CONFIG_FILE, '[profile ops]\nregion = ap-southeast-2\n');
  return files;
}

/**
 * The SDK reads the shared files' paths, and a region or keys it is not given, from process.env
 * itself: each test sets exactly what it needs there and puts the rest back.
 */
async function withProcessEnv<T>(vars: Record<string, string | undefined>, run: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const set = (values: Record<string, string | undefined>) => {
    for (const [k, v] of Object.entries(values)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  set(vars);
  try {
    return await run();
  } finally {
    set(saved);
  }
}

interface ResolvedClient {
  config: { region: () => Promise<string>; credentials: () => Promise<{ accessKeyId: string }> };
}

/** Every client AwsClients can create: its getters, so a client added later is covered too. */
function everyClient(clients: AwsClients): Array<[string, ResolvedClient]> {
  const getters = Object.entries(Object.getOwnPropertyDescriptors(AwsClients.prototype)).filter(([, d]) => d.get);
  return getters.map(([name]) => [name, (clients as unknown as Record<string, ResolvedClient>)[name]!]);
}

describe('--region and --profile reach every SDK client the CLI creates', () => {
  test('--profile gives every client the profile\'s keys and, without --region, its region', async () => {
    await withProcessEnv({ ...profileFiles(), AWS_REGION: undefined, AWS_DEFAULT_REGION: undefined, AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined }, async () => {
      // GIVEN keys in the command's environment, which --profile must beat (as in the AWS CLI)
      const clients = new AwsClients({ AWS_ACCESS_KEY_ID: 'AKIAFROMENVIRONMENT1', AWS_SECRET_ACCESS_KEY: 'env' }, { profile: 'ops' });
      const all = everyClient(clients);
      expect(all.map(([name]) => name)).toEqual(expect.arrayContaining(['sagemaker', 'sfn', 'cloudwatch', 'autoscaling', 'cloudformation', 'dynamo']));
      for (const [name, client] of all) {
        // WHEN each client resolves its configuration THEN it is the profile's
        expect([name, await client.config.region(), (await client.config.credentials()).accessKeyId]).toEqual([name, 'ap-southeast-2', PROFILE_KEY]);
      }
      clients.destroy();
    });
  });

  test('--region wins over AWS_REGION and the profile\'s region', async () => {
    await withProcessEnv({ ...profileFiles(), AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined }, async () => {
      const clients = new AwsClients({ AWS_REGION: 'us-west-2' }, { profile: 'ops', region: 'eu-west-3' });
      for (const [name, client] of everyClient(clients)) expect([name, await client.config.region()]).toEqual([name, 'eu-west-3']);
      clients.destroy();
    });
  });

  describe('end to end: every request a command signs carries the flags', () => {
    let server: Server;
    let endpoint: string;
    const authorizations: string[] = [];
    beforeAll(async () => {
      // An AWS endpoint that records each request's SigV4 Authorization and answers a ValidationException (no retry).
      server = createServer((req, res) => {
        authorizations.push(String(req.headers.authorization));
        req.resume();
        res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify({ __type: 'ValidationException', message: 'recorded' }));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
    beforeEach(() => authorizations.splice(0));

    test.each([
      ['after the command', ['status', 'churn-prediction', '--region', 'eu-west-3', '--profile', 'ops']],
      ['before the command', ['--profile', 'ops', '--region', 'eu-west-3', 'status', 'churn-prediction']],
    ])('%s', async (_where, args) => {
      await withProcessEnv({ ...profileFiles(), AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined }, async () => {
        // WHEN status runs (DynamoDB and SageMaker calls) against the recording endpoint
        const run = await bluegreen({ AWS_ENDPOINT_URL: endpoint, AWS_REGION: 'us-east-1', BLUEGREEN_TABLE: 'History' }, ...args);
        expect(run.code).toBe(1);
        // THEN every request was signed with the profile's key for eu-west-3 (SigV4 credential scope: key/date/region/service)
        // (status reads DynamoDB and SageMaker at once and stops at the first error: how many arrive varies.)
        expect(authorizations.length).toBeGreaterThanOrEqual(1);
        for (const auth of authorizations) expect(auth).toMatch(new RegExp(`Credential=${PROFILE_KEY}/\\d{8}/eu-west-3/(dynamodb|sagemaker)/aws4_request`));
      });
    });
  });
});

describe('--version, --help', () => {
  test('--version prints the package version and the runtime, as `aws --version` does', async () => {
    const run = await bluegreen({}, '--version');
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`bluegreen/${pkg.version} node/${process.version} ${process.platform}-${process.arch}\n`);
  });

  test("a command's help lists the global options too", async () => {
    const run = await bluegreen({}, 'status', '--help');
    expect(run.code).toBe(0);
    for (const option of ['--region <region>', '--profile <name>', '--output <format>', '--json', '--no-color']) expect(run.stdout).toContain(option);
  });
});

describe('--output json|text, with --json as its alias', () => {
  const unconfigured = ['status', 'churn-prediction'];

  test.each([[['--output', 'json']], [['--output=json']], [['--json']], [['--output', 'json', '--json']]])('%j: errors too are one JSON document on stdout', async (flags) => {
    // GIVEN no table configured WHEN status runs THEN the usage error is a JSON document on stdout
    const run = await bluegreen({}, ...unconfigured, ...flags);
    expect(run.code).toBe(2);
    expect(parseJson<{ error: { name: string; message: string } }>(run).error.message).toContain('which history table?');
  });

  test('--output text prints no JSON', async () => {
    const run = await bluegreen({}, ...unconfigured, '--output', 'text');
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('which history table?');
  });

  test('--output takes json or text only', async () => {
    const run = await bluegreen({}, ...unconfigured, '--output', 'yaml');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("option '--output <format>' argument 'yaml' is invalid. Allowed choices are text, json.");
  });

  test('--json with --output text contradicts itself: refused, naming both', async () => {
    const run = await bluegreen({ BLUEGREEN_TABLE: 'History' }, ...unconfigured, '--json', '--output', 'text');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--json: it means --output json, but --output text is given too; drop one');
  });

  test('the JSON error document follows the last format flag, as commander reads them', () => {
    expect(wantsJson(['status', 'x', '--output', 'json'])).toBe(true);
    expect(wantsJson(['--json', '--output', 'text'])).toBe(false);
    expect(wantsJson(['--output=text', '--json'])).toBe(true);
    expect(wantsJson(['status', 'x'])).toBe(false);
  });
});

describe('colours and status marks only on a terminal', () => {
  const io = (isTTY: boolean, env: Record<string, string> = {}): Io & { written: () => string } => {
    let out = '';
    return { stdout: { write: (s: string) => (out += s), isTTY }, stderr: { write: () => true }, env, written: () => out };
  };

  test('a terminal gets colours and marks', () => {
    const out = new Output(io(true), { format: 'text', color: true });
    expect(out.colors.green('ok')).toBe('\x1b[32mok\x1b[39m');
    expect(out.marks.ok).toBe('✔ ');
  });

  test.each([
    ['a pipe', io(false), true],
    ['NO_COLOR', io(true, { NO_COLOR: '1' }), true],
    ['--no-color', io(true), false],
    ['TERM=dumb', io(true, { TERM: 'dumb' }), true],
  ])('%s: no colours', (_case, target, color) => {
    expect(new Output(target, { format: 'text', color }).colors.green('ok')).toBe('ok');
  });

  test('no marks off a terminal, so piped output stays plain', () => {
    expect(new Output(io(false), { format: 'text', color: true }).marks).toEqual({ ok: '', failed: '', waiting: '' });
  });

  test('a live line is rewritten in place on a terminal and erased before the next line', () => {
    const target = io(true);
    const out = new Output(target, { format: 'text', color: false });
    out.live('Bake 1m/30m');
    out.live('Bake 2m/30m');
    out.line('+2m  CheckGuardrails');
    expect(target.written()).toBe('\r\x1b[2KBake 1m/30m\r\x1b[2KBake 2m/30m\r\x1b[2K+2m  CheckGuardrails\n');
  });

  test('JSON mode writes no text lines, hints or live lines: only the document (and warnings on stderr)', () => {
    let stderr = '';
    const target = { ...io(true), stderr: { write: (s: string) => (stderr += s) } };
    const out = new Output(target, { format: 'json', color: true });
    out.line('Abort requested');
    out.hint('Follow it: bluegreen watch x');
    out.live('Bake 1m/30m');
    out.document({ ok: true });
    out.note('Note: a warning');
    expect(target.written()).toBe('{\n  "ok": true\n}\n');
    expect(stderr).toBe('Note: a warning\n');
  });
});
