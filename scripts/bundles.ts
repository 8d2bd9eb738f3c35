import { join } from 'node:path';
import { build } from 'esbuild';
import { ESBUILD_OPTIONS } from '../lib/bundling';
import { PROJECT_ROOT, STEPS, TRIGGERS, type FunctionName } from '../lib/functions';

export { ESBUILD_OPTIONS };

/** The bench's reference bundle: the SageMaker client alone. */
export const BASELINE = 'baseline-sagemaker-client';

export interface FunctionBundle {
  readonly contents: Uint8Array;
  /** Every source file with code in the bundle (tree-shaken-away ones left out), relative to the project root (node_modules/… for packages). */
  readonly inputs: readonly string[];
}

/** Every function's bundle, as the construct builds it (lib/bundling.ts), from one esbuild call (nothing written to disk). */
export async function buildFunctionBundles(): Promise<Record<FunctionName, FunctionBundle>> {
  const names: FunctionName[] = [...STEPS, ...TRIGGERS];
  const outdir = join(PROJECT_ROOT, 'bundles.out');
  const result = await build({
    ...ESBUILD_OPTIONS,
    entryPoints: Object.fromEntries(names.map((fn) => [fn, join(PROJECT_ROOT, 'lambdas', fn, 'index.ts')])),
    absWorkingDir: PROJECT_ROOT,
    outdir,
    write: false,
    metafile: true,
  });
  const bundles = {} as Record<FunctionName, FunctionBundle>;
  for (const fn of names) {
    const file = result.outputFiles.find((f) => f.path === join(outdir, `${fn}.js`));
    const meta = result.metafile.outputs[`bundles.out/${fn}.js`];
    if (!file || !meta) throw new Error(`esbuild produced no bundle for ${fn}`);
    bundles[fn] = { contents: file.contents, inputs: Object.entries(meta.inputs).filter(([, input]) => input.bytesInOutput > 0).map(([path]) => path) };
  }
  return bundles;
}
