import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';

const ROOT = join(__dirname, '..', '..');

/**
 * The CLI as a checkout runs it: one esbuild bundle (package.json `build:cli`), plain JavaScript.
 * Timings are never asserted here; what keeps `--help` fast is: nothing heavy loads before a command runs.
 */
describe('the compiled CLI', () => {
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bluegreen-startup-'));
    // The options of the build:cli script.
    await build({ entryPoints: [join(ROOT, 'bin', 'bluegreen.ts')], bundle: true, platform: 'node', target: 'node20', packages: 'external', outfile: join(dir, 'bluegreen.js'), logLevel: 'warning' });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('--help loads neither the AWS SDK nor zod: they load when a command runs', () => {
    // GIVEN a probe that records every package the bundle requires
    const probe = `
      const Module = require('node:module');
      const load = Module._load;
      const seen = new Set();
      Module._load = function (request, ...rest) { if (!request.startsWith('node:') && !request.startsWith('.') && !request.startsWith('/')) seen.add(request.split('/').slice(0, request.startsWith('@') ? 2 : 1).join('/')); return load.call(this, request, ...rest); };
      process.on('exit', () => process.stderr.write(JSON.stringify([...seen].sort())));
      require(process.argv[1]);`;
    const run = (...args: string[]) =>
      spawnSync(process.execPath, ['-e', probe, join(dir, 'bluegreen.js'), ...args], { encoding: 'utf8', env: { ...process.env, NODE_PATH: join(ROOT, 'node_modules'), AWS_ENDPOINT_URL: 'http://127.0.0.1:9' } });
    // WHEN --help runs THEN only commander and picocolors load
    const help = run('--help');
    expect(help.stdout).toContain('Usage: bluegreen');
    expect(JSON.parse(help.stderr)).toEqual(['commander', 'picocolors']);
    // AND a command does load the SDK (the probe sees it; its call goes to a closed local port, never to AWS)
    const list = run('list', '--table', 'NoSuchTable', '--region', 'us-east-1');
    expect(list.stdout).toBe('');
    expect(list.stderr).toContain('@aws-sdk/lib-dynamodb');
  });

  test('a checkout without the bundle says how to build it', () => {
    // GIVEN a checkout (bin/bluegreen.ts present) whose build/ is missing
    const checkout = mkdtempSync(join(tmpdir(), 'bluegreen-checkout-'));
    mkdirSync(join(checkout, 'bin'));
    copyFileSync(join(ROOT, 'bin', 'bluegreen.js'), join(checkout, 'bin', 'bluegreen.js'));
    writeFileSync(join(checkout, 'bin', 'bluegreen.ts'), '');
    // WHEN bluegreen runs
    const run = spawnSync(process.execPath, [join(checkout, 'bin', 'bluegreen.js'), '--help'], { encoding: 'utf8' });
    rmSync(checkout, { recursive: true, force: true });
    // THEN
    expect(run.status).toBe(1);
    expect(run.stderr).toBe('bluegreen: the CLI is not built in this checkout: run "npm run build:cli" (npm ci does it too), then try again\n');
  });
});
