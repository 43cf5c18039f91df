/**
 * The end-to-end suite against a real Asterisk and sipp: run it with `npm run test:e2e`
 * (scripts/e2e/run-e2e.sh), never directly. Its files end in `.e2e.ts`, so the default
 * jest.config.js (testMatch **\/*.spec.ts) never picks them up.
 */
const path = require('node:path');

/** @type {import('jest').Config} */
module.exports = {
  rootDir: path.resolve(__dirname, '..', '..'),
  roots: ['<rootDir>/spec/e2e'],
  testMatch: ['**/*.e2e.ts'],
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': ['ts-jest', { diagnostics: false }],
  },
  setupFiles: ['reflect-metadata'],
  testTimeout: 60000,
  maxWorkers: 1,
  verbose: true,
  reporters: ['default', '<rootDir>/spec/e2e/support/summary-reporter.js'],
};
