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

/** Fills in and sends the login form, without waiting for its answer. */
export async function submitLogIn(page: Page, email: string, password: string) {
  await page.goto('/login');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
}

/**
 * Logs in and waits until the session is set and the login page left behind: a page
 * opened straight after must not cancel the login on its way.
 */
export async function logIn(page: Page, email: string, password: string) {
  await submitLogIn(page, email, password);
  await expect(page).not.toHaveURL(/\/login(\?|$)/);
}

/**
 * Approves the practitioner `email` as a reviewed, complete profile would be, straight
 * in the database (the wizard and the review have a test of their own). Returns the
 * profile's address.
 */
export function approvePractitioner(email: string, profile: { headline: string; languages: string[] }): string {
  const slug = `e2e-${Date.now() % 1e9}-${Math.floor(Math.random() * 1e6)}`;
  const sql = `
    UPDATE practitioner_profiles p SET step_reached = 6, slug = :'slug', first_name = 'Test', last_name = 'Person',
           headline = :'headline', bio = 'Calm, practical sessions for the questions you bring, online or in person, with written notes to keep afterwards.', practice_type = 'Astrology',
           location = 'Lisbon, Portugal', languages = :'languages'::text[], specialties = '{Birth charts}', years_experience = 7
      FROM users u WHERE u.id = p.user_id AND u.email = :'email';
    UPDATE practitioner_profiles p SET onboarding_state = 'submitted', submitted_at = now() FROM users u WHERE u.id = p.user_id AND u.email = :'email';
    UPDATE practitioner_profiles p SET onboarding_state = 'approved', approved_at = now() FROM users u WHERE u.id = p.user_id AND u.email = :'email';
    INSERT INTO onboarding_transitions (user_id, from_state, to_state, reason, at)
      SELECT u.id, f, t, 'Approved for a browser test', now() FROM users u, (VALUES ('draft', 'submitted'), ('submitted', 'approved')) m(f, t)
       WHERE u.email = :'email';`;
  psql(sql, { email, slug, headline: profile.headline, languages: `{${profile.languages.join(',')}}` });
  return slug;
}

/** Runs `sql` against the app's database with psql variables (`:'name'`) set to `vars`. */
export function psql(sql: string, vars: Record<string, string>) {
  const args = ['-q', '-v', 'ON_ERROR_STOP=1'];
  for (const [k, v] of Object.entries(vars)) args.push('-v', `${k}=${v}`);
  execFileSync('psql', [...args, process.env.DATABASE_URL!], { input: sql, stdio: ['pipe', 'pipe', 'pipe'] });
}

/** A published written service of the approved practitioner `email`, of a type of its own; returns its address. */
export function publishService(email: string, title: string): string {
  const slug = `svc-${Date.now() % 1e9}-${Math.floor(Math.random() * 1e6)}`;
  psql(
    `INSERT INTO service_types (slug, name) VALUES (:'slug', :'slug');
     INSERT INTO services (practitioner_id, type_id, slug, title, description, delivery, price_credits, price_minor, currency,
                           status, created_at, updated_at)
       SELECT u.id, t.id, :'slug', :'title', 'A written reading of your chart, sent within five days.', 'written', 8, 3900, 'EUR',
              'active', now(), now()
         FROM users u, service_types t WHERE u.email = :'email' AND t.slug = :'slug';`,
    { email, slug, title },
  );
  return slug;
}

/** A pack of 10 credits for €10.00, on sale under `name`; returns the name. */
export function packOnSale(name: string): string {
  psql(
    `INSERT INTO credit_packages (name, credits, bonus_credits, price_minor, currency, active, position, created_at, updated_at)
     VALUES (:'name', 10, 0, 1000, 'EUR', true, 0, now(), now());`,
    { name },
  );
  return name;
}

/**
 * Opens the link a sign-up of `email` was emailed, as the address's owner would. The
 * emailed link is never readable from the app, so the waiting sign-up is given a token
 * the test knows (stored, as every token is, as its SHA-256).
 */
export async function confirmSignUp(page: Page, email: string) {
  const token = `e2e-${Date.now()}-${Math.random().toString(36).slice(2)}`;
  const sql = "UPDATE sign_up_requests SET token_hash = sha256(convert_to(:'token', 'UTF8')) WHERE email = lower(:'email') RETURNING 1;";
  const args = ['-qAt', '-v', 'ON_ERROR_STOP=1', '-v', `token=${token}`, '-v', `email=${email}`, process.env.DATABASE_URL!];
  expect(execFileSync('psql', args, { input: sql, encoding: 'utf8' }).trim()).toBe('1');
  await page.goto(`/signup/confirm?token=${token}`);
  await page.getByRole('button', { name: 'Create my account' }).click();
}
