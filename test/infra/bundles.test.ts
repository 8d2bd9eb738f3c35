import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { CREDENTIAL_CHAIN_EXTERNALS, ESBUILD_OPTIONS } from '../../lib/bundling';
import { PROJECT_ROOT, STEPS, TRIGGERS } from '../../lib/functions';
import { buildFunctionBundles, type FunctionBundle } from '../../scripts/bundles';

/**
 * The function bundles as the construct builds them (lib/bundling.ts: one esbuild call for all). Sizes and contents only: cold-load times are the bench's (`P3` lines),
 * never asserted here.
 */
describe('function bundles', () => {
  let bundles: Record<string, FunctionBundle>;
  const holding = (pattern: RegExp) => Object.keys(bundles).filter((fn) => bundles[fn]!.inputs.some((input) => pattern.test(input)));

  beforeAll(async () => {
    bundles = await buildFunctionBundles();
  }, 60_000);

  test('GIVEN every step and trigger THEN each has its own bundle', () => {
    expect(Object.keys(bundles).sort()).toEqual([...STEPS, ...TRIGGERS].sort());
  });

  test('GIVEN active tracing without per-client capture THEN no bundle holds the X-Ray SDK or Powertools Tracer', () => {
    expect(holding(/node_modules\/(aws-xray-sdk-core|cls-hooked|@aws-lambda-powertools\/tracer)\//)).toEqual([]);
  });

  test('GIVEN Lambda always passes credentials in the environment THEN no bundle holds the providers the default chain imports after fromEnv', () => {
    const providers = new RegExp(`node_modules/(${CREDENTIAL_CHAIN_EXTERNALS.join('|')})/`);
    expect(holding(providers)).toEqual([]);
    expect(holding(/node_modules\/@aws-sdk\/credential-provider-env\//).sort()).toEqual([...STEPS, ...TRIGGERS].sort());
  });

  test('GIVEN a bundle run where none of those providers is installed THEN it resolves credentials from the environment as on Lambda, fails naming the missing provider without them, and finds them on NODE_PATH as in the Lambda runtime', async () => {
    // A client built with the functions' esbuild settings, run from a directory with no node_modules above it.
    const dir = mkdtempSync(join(tmpdir(), 'bluegreen-credentials-'));
    const contents = "import { SageMakerClient } from '@aws-sdk/client-sagemaker';\nvoid new SageMakerClient({ region: 'us-east-1' }).config.credentials().then((c) => console.log(c.accessKeyId));\n";
    await build({ ...ESBUILD_OPTIONS, stdin: { contents, loader: 'ts', resolveDir: PROJECT_ROOT }, outfile: join(dir, 'client.js'), absWorkingDir: PROJECT_ROOT });
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_')));
    const lambdaLike = spawnSync(process.execPath, ['client.js'], { cwd: dir, encoding: 'utf8', env: { ...clean, AWS_ACCESS_KEY_ID: 'ASIALAMBDA', AWS_SECRET_ACCESS_KEY: 'secret', AWS_SESSION_TOKEN: 'token' } });
    expect(lambdaLike.stdout.trim()).toBe('ASIALAMBDA');
    const noEnvironment = spawnSync(process.execPath, ['client.js'], { cwd: dir, encoding: 'utf8', env: { ...clean, HOME: dir } });
    expect(noEnvironment.status).not.toBe(0);
    expect(noEnvironment.stderr).toMatch(/Cannot find module '@aws-sdk\/credential-provider-ini'/);
    // Where an SDK is on NODE_PATH (Lambda's runtime has one in /var/runtime/node_modules), the rest of the chain still works.
    writeFileSync(join(dir, 'credentials'), '[default]\naws_access_key_id = AKIAFROMFILE\naws_secret_access_key = secret\n');
    const runtimeSdk = spawnSync(process.execPath, ['client.js'], { cwd: dir, encoding: 'utf8', env: { ...clean, HOME: dir, AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'), NODE_PATH: join(PROJECT_ROOT, 'node_modules') } });
    expect(runtimeSdk.stdout.trim()).toBe('AKIAFROMFILE');
  }, 30_000);

  test('GIVEN metrics published by record-outcome (the promotion metrics) and on-alarm (its cold starts delay a rollback) THEN only their bundles hold Powertools Metrics', () => {
    expect(holding(/node_modules\/@aws-lambda-powertools\/metrics\//).sort()).toEqual(['on-alarm', 'record-outcome']);
  });

  test('GIVEN s3Uri samples are read by validate-green only THEN only its bundle holds the S3 client', () => {
    expect(holding(/node_modules\/@aws-sdk\/client-s3\//)).toEqual(['validate-green']);
  });

  test('GIVEN Approval Needed is published by the approval gate alone (the state machine publishes the other events) THEN only its bundle holds the EventBridge client (~22 KiB), and it stays under 300 KiB', () => {
    expect(holding(/node_modules\/@aws-sdk\/client-eventbridge\//)).toEqual(['approval-gate']);
    expect(bundles['approval-gate']!.contents.length / 1024).toBeLessThan(300);
  });

  test("GIVEN zod/mini with its English messages THEN only the bundles that parse with zod hold it, with no other locale and none of classic zod", () => {
    expect(holding(/node_modules\/zod\//).sort()).toEqual(['on-alarm', 'on-approval', 'on-endpoint-change', 'on-execution-end', 'validate-input']);
    expect(holding(/node_modules\/zod\/.*locales\/(?!en\.)/)).toEqual([]);
    expect(holding(/node_modules\/zod\/.*locales\/en\./).sort()).toEqual(['on-alarm', 'on-approval', 'on-endpoint-change', 'on-execution-end', 'validate-input']);
    expect(holding(/node_modules\/zod\/v4\/classic\//)).toEqual([]);
  });

  test('GIVEN the levers above THEN every bundle is at most 300 KiB but validate-green (the S3 client, ~120 KiB) and the three holding four SDK clients or zod with three (README "Figures"; was up to 996 KiB)', () => {
    const kib = Object.fromEntries(Object.entries(bundles).map(([fn, b]) => [fn, b.contents.length / 1024]));
    const over = Object.keys(kib).filter((fn) => kib[fn]! > 300).sort();
    expect(over).toEqual(['on-approval', 'on-backstop', 'validate-green', 'validate-input']);
    // +~17 KiB for asynchronous validation (InvokeEndpointAsync, DescribeEndpointConfig, Put/Delete/HeadObject and the S3 waiter).
    expect(kib['validate-green']).toBeLessThan(450);
    for (const fn of ['on-approval', 'on-backstop']) expect(kib[fn]).toBeLessThan(330);
    // +~14 KiB for the endpoint kinds: the kind and strategy rules, the component checks (ListInferenceComponents' paginator, the rolling plan).
    expect(kib['validate-input']).toBeLessThan(345);
  });
});
