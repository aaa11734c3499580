import { defineConfig } from '@playwright/test';

// The server is started by scripts/test (or by you) at BASE_URL; these tests never
// download a browser: they drive Debian's Chromium.
export default defineConfig({
  testDir: './tests',
  // Each test makes its own accounts, so tests cannot couple through shared state.
  workers: 2,
  fullyParallel: true,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 15_000 },
  reporter: [['list']],
  use: {
    baseURL: process.env.BASE_URL ?? 'http://127.0.0.1:3000',
    trace: 'off',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
});
