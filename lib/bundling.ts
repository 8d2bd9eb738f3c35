import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { BuildOptions } from 'esbuild';
import { FUNCTION_NAMES, type FunctionName } from './function-names';

/** The directory holding this package's package.json: the repo in a checkout, node_modules/sagemaker-bluegreen when installed. */
export function packageRoot(from = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

/**
 * The credential providers the SDK's default chain imports lazily (`await import(...)`), after
 * fromEnv. Lambda always sets AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN and
 * no AWS_PROFILE, so fromEnv answers and these are never loaded there. Left out of the bundles
 * (~130 KiB each, measured by `npm run bench -- bundles`), they would come from the runtime's own
 * SDK (on NODE_PATH, hence `require`, not `import()`, below) if a function ever ran without those
 * variables. test/infra/bundles.test.ts proves both paths.
 */
export const CREDENTIAL_CHAIN_EXTERNALS = [
  '@aws-sdk/credential-provider-ini',
  '@aws-sdk/credential-provider-sso',
  '@aws-sdk/credential-provider-process',
  '@aws-sdk/credential-provider-web-identity',
  '@aws-sdk/credential-provider-http',
  '@smithy/credential-provider-imds',
];

/**
 * How every function is bundled: one esbuild call for all of them, CommonJS for the Node.js
 * runtime, minified; the SDK v3 is bundled so the deployed versions are the tested ones (all but
 * the credential providers above). ESM entry points tree-shake the SDK far better (measured:
 * 1.06 MB → 0.48 MB for cleanup).
 */
export const ESBUILD_OPTIONS: BuildOptions = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  minify: true,
  target: 'node24',
  mainFields: ['module', 'main'],
  external: CREDENTIAL_CHAIN_EXTERNALS,
  // The SDK loads those providers with `await import(...)`, which ignores NODE_PATH; as require they resolve from the runtime's SDK.
  supported: { 'dynamic-import': false },
  logLevel: 'silent',
};

/** A function's handler source in a checkout (absent from the installed package, which ships pre-built bundles). */
export const handlerSource = (fn: FunctionName, root = packageRoot()) => join(root, 'lambdas', fn, 'index.ts');
/** Where the packed package keeps each function's pre-built bundle, `<name>.js` (written by `npm pack`). */
export const prebuiltDir = (root = packageRoot()) => join(root, 'assets', 'functions');

let built: string | undefined;
let staging: string | undefined;

/**
 * A directory for this process's scratch files (the build, the staged assets), removed when it
 * exits: the CDK copies each asset into the cloud assembly when the construct is created.
 */
export function scratchDir(): string {
  if (staging === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'bluegreen-synth-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    staging = dir;
  }
  return staging;
}

/**
 * The directory holding every function's bundle as `<name>.js`: built from lambdas/ in a checkout
 * (one esbuild call for all functions, once per process), the pre-built ones of an installed
 * package otherwise (no TypeScript build at the consumer's synth).
 */
export function functionBundlesDir(): string {
  const root = packageRoot();
  if (!FUNCTION_NAMES.every((fn) => existsSync(handlerSource(fn, root)))) {
    const dir = prebuiltDir(root);
    const missing = FUNCTION_NAMES.filter((fn) => !existsSync(join(dir, `${fn}.js`)));
    if (missing.length > 0) throw new Error(`sagemaker-bluegreen: no handler sources and no pre-built bundles for ${missing.join(', ')} in ${dir}; reinstall the package`);
    return dir;
  }
  if (built === undefined) {
    // esbuild is a development dependency: required only here, in a checkout.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { buildSync } = require('esbuild') as typeof import('esbuild');
    const outdir = join(scratchDir(), 'functions');
    buildSync({ ...ESBUILD_OPTIONS, absWorkingDir: root, outdir, entryPoints: Object.fromEntries(FUNCTION_NAMES.map((fn) => [fn, handlerSource(fn, root)])) });
    built = outdir;
  }
  return built;
}
