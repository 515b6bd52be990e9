import { defineConfig } from 'vitest/config';

// Unit and component tests live beside each package; cross-service tests in tests/ run against the
// compose cluster, brought up once per run by the global setup.
export default defineConfig({
  test: {
    env: { TESTCONTAINERS_RYUK_DISABLED: 'true' },
    projects: [
      {
        test: {
          name: 'unit',
          include: [
            'libs/*/test/**/*.test.ts',
            'services/*/test/**/*.test.ts',
            'gameday/test/**/*.test.ts',
            'deploy/kubernetes/test/*.test.ts',
          ],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          env: { TESTCONTAINERS_RYUK_DISABLED: 'true' },
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['tests/**/*.test.ts'],
          globalSetup: ['tests/support/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 300_000,
          // One cluster, one file at a time: chaos in one file must not hit another's requests.
          pool: 'forks',
          poolOptions: { forks: { singleFork: true } },
        },
      },
    ],
  },
});
