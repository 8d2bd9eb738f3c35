/** Types are checked by `tsc --noEmit` in CI; jest only transpiles, which keeps the suite fast. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // Packs, installs and synthesizes a throwaway app (about a minute): `npm run test:package` (jest.package.config.js).
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/package/consumer\\.test\\.ts$'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.jest.json' }] },
  setupFiles: ['<rootDir>/test/setup-env.ts'],
  globalSetup: '<rootDir>/test/global-setup.ts',
  setupFilesAfterEnv: ['aws-sdk-client-mock-jest', '<rootDir>/test/support/mock-hazards.ts'],
  testTimeout: 30000,
  // Local-AWS suites mostly wait on timers and loopback HTTP, but several run several local AWSes and matrix groups at
  // once: with three workers on two cores, fresh-clone CI runs kept stretching simulated clocks past timing bounds
  // (four failed runs, a different test each time). Two workers: slower (about a quarter), but not flaky.
  maxWorkers: 2,
};
