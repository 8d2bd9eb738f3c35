// @ts-check
/**
 * `npm run mutate`: mutation testing of the product's logic (Stryker, the jest runner). Not in CI:
 * a full run takes long (README, Development); run it before a release and read
 * reports/mutation/index.html. Incremental: a later run re-tests only the mutants whose code or
 * tests changed since the last one (reports/mutation/stryker-incremental.json; --force re-tests all).
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
const config = {
  testRunner: 'jest',
  // The unit, infra and workflow tests (jest.stryker.config.js); for each mutant only the test files related
  // to its file (jest --findRelatedTests) and, in them, only the tests that reach it (perTest coverage).
  jest: { projectType: 'custom', configFile: 'jest.stryker.config.js', enableFindRelatedTests: true },
  coverageAnalysis: 'perTest',
  mutate: ['lambdas/shared/**/*.ts', 'lib/definition.ts', 'lambdas/*/index.ts'],
  ignorePatterns: ['cdk.out', 'coverage', 'reports', '.bench', '.probe-tmp', '.stryker-templates'],
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  incremental: true,
  incrementalFile: 'reports/mutation/stryker-incremental.json',
  tempDirName: '.stryker-tmp',
  // A failed run too: its sandbox is a copy of the tests, which other tools would find.
  cleanTempDir: 'always',
  // A mutant that makes a wait loop is given up on after this, counted as detected (a timeout). Generous:
  // on two busy cores a shorter one timed out mutants the tests kill, passing slowness off as detection.
  timeoutMS: 60000,
  // The first run of every test (in band, for per-test coverage) takes minutes on two busy cores.
  dryRunTimeoutMinutes: 20,
  thresholds: { high: 80, low: 60, break: null },
};
export default config;
