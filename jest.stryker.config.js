/**
 * The test run of `npm run mutate` (stryker.config.mjs): the suite's own config without what cannot
 * kill a mutant of the product and without the local-AWS tiers (too slow to run per mutant), with
 * the synthesized template kept per mutant of the definition (test/stryker/).
 */
const base = require('./jest.config');

module.exports = {
  ...base,
  // Every source folder, not only test/: --findRelatedTests follows imports only through the roots' files.
  roots: ['bin', 'cli', 'lambdas', 'lib', 'local', 'scripts', 'test'].map((dir) => `<rootDir>/${dir}`),
  testPathIgnorePatterns: [
    '/node_modules/',
    // The packed construct in a throwaway app (npm run test:package): it packs and installs, a minute a run.
    '<rootDir>/test/package/consumer\\.test\\.ts$',
    // The local AWS's own tests (the emulator, its moto cross-check): they exercise local/, not the product.
    '<rootDir>/test/emulator/',
    // README and schema staleness: any change to the definition "fails" it, which says nothing about behaviour.
    '<rootDir>/test/infra/docs.test.ts',
    // Whole promotions on the local AWS (scenarios, fault matrix, bad-input corpus, recovery, trigger rules,
    // the CLI): each would start the local AWS again for every mutant they cover, hours for the whole scope.
    // The workflow tests run the same synthesized state machine and handlers with mocked clients.
    ...['scenarios', 'matrix', 'corpus', 'recovery', 'triggers', 'cli'].map((dir) => `<rootDir>/test/${dir}/`),
  ],
  setupFiles: [...base.setupFiles, '<rootDir>/test/stryker/template-coverage.ts'],
  // --findRelatedTests must see the handlers the local runner requires by a computed path.
  dependencyExtractor: '<rootDir>/test/stryker/dependency-extractor.js',
  globalSetup: '<rootDir>/test/stryker/global-setup.ts',
};
