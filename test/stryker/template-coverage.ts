/**
 * Mutation runs only (jest.stryker.config.js). The definition's mutants run in the synthesis
 * (test/stryker/global-setup.ts), outside any test, so Stryker's per-test coverage cannot see that
 * every test of the synthesized workflow depends on them. Count them as static coverage, as code run
 * at load time is counted: Stryker then runs each one against every test related to lib/definition.ts.
 * The coverage object is the one Stryker's instrumented code fills (`__stryker__.mutantCoverage`).
 */
type Coverage = { static: Record<string, number>; perTest: Record<string, Record<string, number>> };
const stryker = (globalThis as { __stryker__?: { mutantCoverage?: Coverage } }).__stryker__;
const mutants = (process.env.BLUEGREEN_DEFINITION_MUTANTS ?? '').split(',').filter(Boolean);
if (stryker && mutants.length > 0) {
  const coverage = (stryker.mutantCoverage ??= { static: {}, perTest: {} });
  for (const id of mutants) coverage.static[id] = (coverage.static[id] ?? 0) + 1;
}
