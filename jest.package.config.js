/** `npm run test:package`: the packed construct installed and synthesized in a throwaway CDK app (test/package/consumer.test.ts). */
const base = require('./jest.config.js');

module.exports = {
  ...base,
  testMatch: ['**/test/package/consumer.test.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
  // It synthesizes its own app: the suite's shared template (globalSetup) is not needed.
  globalSetup: undefined,
  testTimeout: 120000,
};
