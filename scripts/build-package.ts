import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildFunctionBundles } from './bundles';

/**
 * What `npm pack` ships beside the sources it lists in package.json "files": the compiled construct,
 * CLI and declarations (dist/, from tsconfig.build.json), and every function's pre-built bundle
 * (assets/functions/<name>.js), which the installed construct deploys instead of building lambdas/
 * at the consumer's synth (lib/bundling.ts). `clean` removes both again (npm's postpack).
 */
const ROOT = join(__dirname, '..');
export const OUTPUTS = ['dist', 'assets'].map((dir) => join(ROOT, dir));

export async function buildPackage(): Promise<void> {
  clean();
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit' });
  const dir = join(ROOT, 'assets', 'functions');
  mkdirSync(dir, { recursive: true });
  for (const [fn, bundle] of Object.entries(await buildFunctionBundles())) writeFileSync(join(dir, `${fn}.js`), bundle.contents);
}

export function clean(): void {
  for (const dir of OUTPUTS) rmSync(dir, { recursive: true, force: true });
}

if (require.main === module) {
  const command = process.argv[2] ?? 'build';
  if (command === 'clean') clean();
  else if (command === 'build') {
    buildPackage().catch((error: unknown) => {
      process.stderr.write(`build-package: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    });
  } else {
    process.stderr.write(`build-package: unknown command "${command}"; use "build" (the default) or "clean"\n`);
    process.exitCode = 2;
  }
}
