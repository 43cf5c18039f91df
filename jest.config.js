/** Jest runs the TypeScript specs through ts-jest; `npm run typecheck` does the full type check. */
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/spec'],
  testMatch: ['**/*.spec.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { diagnostics: false }],
  },
  setupFiles: ['reflect-metadata'],
  // Whatever the specs make under os.tmpdir() lives in one directory per run, removed at its end.
  globalSetup: '<rootDir>/spec/support/temp-root-setup.js',
  globalTeardown: '<rootDir>/spec/support/temp-root-teardown.js',
  testTimeout: 30000,
};
