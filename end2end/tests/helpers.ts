import { expect, type Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { execFileSync } from 'node:child_process';
import path from 'node:path';

export const PASSWORD = 'a long enough passphrase';

export function uniqueEmail(prefix: string): string {
  return `${prefix}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
}

export type Role = 'customer' | 'practitioner' | 'admin';

/**
 * A new account for this test alone, made with `attune create-user` against the
 * database the app under test uses. Tests never share accounts (the demo ones are for
 * people), so per-account limits and state cannot couple them.
 */
export function createUser(role: Role, name = 'Test Person'): { email: string; password: string } {
  const bin = process.env.ATTUNE_BIN;
  if (!bin || !process.env.DATABASE_URL) {
    throw new Error('ATTUNE_BIN and DATABASE_URL must name the app binary and its database (scripts/test sets both)');
  }
  const email = uniqueEmail(role);
  execFileSync(bin, ['create-user', '--role', role, '--email', email, '--name', name], {
    cwd: path.resolve(__dirname, '..', '..'),
    env: { ...process.env, ATTUNE_USER_PASSWORD: PASSWORD, RUST_LOG: 'error' },
    stdio: 'pipe',
  });
  return { email, password: PASSWORD };
}

/** Waits until the WASM bundle has hydrated the page. */
export async function waitForHydration(page: Page) {
  await expect(page.locator('body[data-hydrated="true"]')).toHaveCount(1);
}

export async function expectNoAxeViolations(page: Page) {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  const summary = results.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
  expect(summary, 'axe violations').toEqual([]);
}

export async function logIn(page: Page, email: string, password: string) {
  await page.goto('/login');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
}
