import { STEPS, TRIGGERS } from '../../lib/functions';
import { buildFunctionBundles, type FunctionBundle } from '../../scripts/bundles';

/**
 * The function bundles as the construct builds them (scripts/bundles.ts: NodejsFunction's esbuild
 * settings, one esbuild call). Sizes and contents only: cold-load times are the bench's (`P3` lines),
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

  test('GIVEN s3Uri samples are read by validate-green only THEN only its bundle holds the S3 client', () => {
    expect(holding(/node_modules\/@aws-sdk\/client-s3\//)).toEqual(['validate-green']);
  });

  test("GIVEN zod's namespace import THEN bundles that parse with zod hold its English messages and no other locale", () => {
    expect(holding(/node_modules\/zod\//).sort()).toEqual(['on-alarm', 'on-approval', 'on-endpoint-change', 'on-execution-end', 'validate-input']);
    expect(holding(/node_modules\/zod\/.*locales\/(?!en\.)/)).toEqual([]);
  });

  test('GIVEN the levers above THEN no bundle exceeds 560 KiB (was up to 996 KiB; validate-green, the largest, holds the runtime, S3 and SageMaker clients; the SDK credential chain alone keeps every bundle above the 300 KiB aim, README "Figures")', () => {
    const tooBig = Object.entries(bundles)
      .map(([fn, b]) => ({ fn, kib: Math.round(b.contents.length / 1024) }))
      .filter(({ kib }) => kib > 560);
    expect(tooBig).toEqual([]);
  });
});
