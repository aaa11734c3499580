import { test, expect, type Browser, type Page } from '@playwright/test';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { approvePractitioner, createUser, logIn, psql, publishService, submitLogIn, type Role } from './helpers';

// The Nu HTML Checker over the HTML the server sends (not `page.content()`, the DOM
// after hydration): every page each kind of visitor can reach, the 404 and 403 pages,
// and forms showing the errors a post without JavaScript comes back with (`__err`).
// A new route in src/app/mod.rs belongs in the lists below. vnu runs once, over all.

const VNU_JAR = String(require('vnu-jar'));
const run = promisify(execFile);

type Doc = { label: string; url: string; html: string };

/** What vnu reports (`--format json`). */
type VnuMessage = {
  type: 'error' | 'info' | 'non-document-error';
  subType?: string;
  url?: string;
  message: string;
  extract?: string;
  firstLine?: number;
  lastLine?: number;
  firstColumn?: number;
  lastColumn?: number;
  hiliteStart?: number;
  hiliteLength?: number;
};

/** The page's raw server HTML, fetched with the context's cookies. */
async function fetchDoc(page: Page, url: string, status: number, label: string): Promise<Doc> {
  const res = await page.request.get(url);
  expect(res.status(), `${label}: status of ${url}`).toBe(status);
  expect(res.headers()['content-type'], `${label}: content type of ${url}`).toMatch(/^text\/html/);
  return { label, url: res.url(), html: await res.text() };
}

/** A context without JavaScript, so forms post the way they do for anyone without it. */
async function visitor(browser: Browser, role?: Role): Promise<Page> {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  if (role) {
    const user = createUser(role, `Valid ${role}`);
    await logIn(page, user.email, user.password);
    await expect(page).toHaveURL(new RegExp(`${{ customer: '/dashboard', practitioner: '/onboarding', admin: '/admin' }[role]}$`));
  }
  return page;
}

/** Where a post without JavaScript landed: the form's page again, carrying `__err`. */
async function landedWithError(page: Page, pathname: string): Promise<string> {
  await expect(page).toHaveURL((u) => u.pathname === pathname && u.searchParams.has('__err'));
  return page.url();
}

/**
 * Leptos appends its hydration data after the document (hydration_context's
 * `pending_data`, chained after the app's stream by leptos_axum), so this is all that
 * may follow `</html>`: its `<!>` markers and its nonce'd `__RESOLVED_RESOURCES=…` /
 * `__INCOMPLETE_CHUNKS=…` scripts. Anything else there is the project's and fails.
 */
const LEPTOS_TAIL = /^(?:<!>|<script nonce="[^"]*">__[A-Z_]+(?:\[\d+\])?\s*=[^<]*<\/script>)*\s*$/;

/** What follows `</html>`, and the 1-based line and column where that starts. */
function afterHtml(html: string): { tail: string; line: number; column: number } | null {
  const at = html.lastIndexOf('</html>');
  if (at < 0) return null;
  const end = at + '</html>'.length;
  const before = html.slice(0, end);
  return { tail: html.slice(end), line: before.split('\n').length, column: end - before.lastIndexOf('\n') };
}

function highlighted(m: VnuMessage): string {
  return m.extract?.substr(m.hiliteStart ?? 0, m.hiliteLength ?? 0) ?? '';
}

test('the server-rendered HTML of every page is valid (Nu HTML Checker)', async ({ browser }) => {
  test.setTimeout(180_000);
  const docs: Doc[] = [];

  await test.step('anonymous visitor', async () => {
    const page = await visitor(browser);
    docs.push(await fetchDoc(page, '/', 200, 'anonymous: home'));
    docs.push(await fetchDoc(page, '/login', 200, 'anonymous: log in'));
    docs.push(await fetchDoc(page, '/login?reset=1', 200, 'anonymous: log in after a reset'));
    docs.push(await fetchDoc(page, '/signup', 200, 'anonymous: sign up'));
    docs.push(await fetchDoc(page, '/credits', 200, 'anonymous: credit packs'));
    docs.push(await fetchDoc(page, '/forgot-password', 200, 'anonymous: forgot password'));
    docs.push(await fetchDoc(page, '/forgot-password?sent=1', 200, 'anonymous: reset link sent'));
    docs.push(await fetchDoc(page, '/reset-password?token=not-a-real-token', 200, 'anonymous: choose a new password'));
    docs.push(await fetchDoc(page, '/dashboard', 200, 'anonymous: /dashboard, sent to log in'));
    docs.push(await fetchDoc(page, '/no-such-page', 404, 'anonymous: 404'));
    docs.push(await fetchDoc(page, '/login/phone', 200, 'anonymous: phone sign-in'));
    docs.push(await fetchDoc(page, '/login/phone?phone=%2B447700900123&sent=1', 200, 'anonymous: phone sign-in, code sent'));
    docs.push(await fetchDoc(page, '/p/nobody-here', 404, 'anonymous: unknown practitioner'));
    docs.push(await fetchDoc(page, '/practitioners', 200, 'anonymous: directory'));
    docs.push(await fetchDoc(page, '/practitioners?q=yoga&delivery=video&sort=price_low', 200, 'anonymous: directory, filtered'));
    docs.push(await fetchDoc(page, '/practitioners?min_credits=oops', 200, 'anonymous: directory, bad filter'));
    docs.push(await fetchDoc(page, '/s/no-such-service', 404, 'anonymous: unknown service'));
    const live = createUser('practitioner', 'Valid Live Practitioner');
    const profile = approvePractitioner(live.email, { headline: 'Readings <with> & "quotes"', languages: ['English'] });
    const service = publishService(live.email, 'Chart <b>reading</b> & notes');
    docs.push(await fetchDoc(page, `/p/${profile}`, 200, 'anonymous: practitioner profile'));
    docs.push(await fetchDoc(page, `/s/${service}`, 200, 'anonymous: service'));
    docs.push(await fetchDoc(page, '/practitioners?q=valid+live', 200, 'anonymous: directory with a result'));
    docs.push(await fetchDoc(page, `/checkout/new/${service}`, 200, 'anonymous: checkout, your details'));
    const session = publishService(live.email, 'Chart <i>session</i> & talk');
    psql(
      `UPDATE services SET delivery = 'video', duration_minutes = 60 WHERE slug = :'slug';
       INSERT INTO availability (practitioner_id, time_zone, min_notice_minutes, updated_at)
       SELECT id, 'Europe/London', 0, now() FROM users WHERE email = :'email';
       INSERT INTO availability_hours (practitioner_id, weekday, starts, ends)
       SELECT id, d, time '09:00', time '17:00' FROM users CROSS JOIN generate_series(0, 6) d WHERE email = :'email';`,
      { slug: session, email: live.email },
    );
    docs.push(await fetchDoc(page, `/s/${session}`, 200, 'anonymous: a session'));
    docs.push(await fetchDoc(page, `/s/${session}/book?tz=America/New_York`, 200, 'anonymous: choose a time'));
    docs.push(await fetchDoc(page, `/s/${service}/book`, 200, 'anonymous: choose a time for a written service'));
    docs.push(await fetchDoc(page, '/orders/ATN-0000-0000', 404, 'anonymous: unknown order'));

    // The no-JS errors, as accounts.spec.ts reaches them.
    await submitLogIn(page, createUser('customer').email, 'not the password at all');
    docs.push(await fetchDoc(page, await landedWithError(page, '/login'), 200, 'anonymous: log in, wrong password'));

    await page.goto('/signup');
    await page.getByLabel('Your name').fill('Shorty');
    await page.getByLabel('Email').fill(`short-${Date.now()}@example.com`);
    await page.getByLabel('Password', { exact: true }).fill('short');
    await page.getByRole('button', { name: 'Create account' }).click();
    docs.push(await fetchDoc(page, await landedWithError(page, '/signup'), 200, 'anonymous: sign up, password too short'));

    await page.goto('/forgot-password');
    await page.getByLabel('Email').fill('not an email address');
    await page.getByRole('button', { name: 'Send reset link' }).click();
    docs.push(await fetchDoc(page, await landedWithError(page, '/forgot-password'), 200, 'anonymous: forgot password, bad email'));

    await page.context().close();
  });

  await test.step('customer', async () => {
    const page = await visitor(browser, 'customer');
    const seller = createUser('practitioner', 'Valid Seller');
    approvePractitioner(seller.email, { headline: 'Written readings, sent within days', languages: ['English'] });
    const written = publishService(seller.email, 'Written <i>letter</i>');
    await page.goto(`/checkout/new/${written}`);
    await page.getByRole('button', { name: 'Continue' }).click();
    await expect(page.getByRole('heading', { name: 'Review and pay' })).toBeVisible();
    const review = new URL(page.url()).pathname;
    docs.push(await fetchDoc(page, review, 200, 'customer: checkout, review and pay'));
    docs.push(await fetchDoc(page, `${review}?step=1`, 200, 'customer: checkout, back at your details'));
    await page.getByRole('button', { name: 'Pay 8 credits' }).click();
    docs.push(await fetchDoc(page, await landedWithError(page, review), 200, 'customer: checkout, not enough credits'));
    docs.push(await fetchDoc(page, '/orders/ATN-0000-0000', 404, 'customer: unknown service order'));
    docs.push(await fetchDoc(page, '/', 200, 'customer: home'));
    docs.push(await fetchDoc(page, '/dashboard', 200, 'customer: dashboard'));
    docs.push(await fetchDoc(page, '/credits', 200, 'customer: credit packs'));
    docs.push(await fetchDoc(page, '/checkout/success?order=ATN-0000-0000', 404, 'customer: unknown order'));
    docs.push(await fetchDoc(page, '/admin', 403, 'customer: admin, forbidden'));
    docs.push(await fetchDoc(page, '/practitioner', 403, 'customer: practice, forbidden'));
    docs.push(await fetchDoc(page, '/no-such-page', 404, 'customer: 404'));

    await page.goto('/dashboard');
    await page.getByLabel('Phone (optional)').fill('not a phone number');
    await page.getByRole('button', { name: 'Save profile' }).click();
    docs.push(await fetchDoc(page, await landedWithError(page, '/dashboard'), 200, 'customer: dashboard, bad phone'));

    await page.goto('/dashboard');
    await page.getByLabel('Current password').fill('not the password at all');
    await page.getByLabel('New password').fill('another long passphrase');
    await page.getByRole('button', { name: 'Change password' }).click();
    docs.push(await fetchDoc(page, await landedWithError(page, '/dashboard'), 200, 'customer: dashboard, wrong current password'));

    await page.context().close();
  });

  await test.step('practitioner', async () => {
    const page = await visitor(browser, 'practitioner');
    docs.push(await fetchDoc(page, '/', 200, 'practitioner: home'));
    docs.push(await fetchDoc(page, '/practitioner', 200, 'practitioner: practice, sent to the wizard'));
    docs.push(await fetchDoc(page, '/onboarding/1', 200, 'practitioner: wizard, basic info'));
    docs.push(await fetchDoc(page, '/onboarding/3', 200, 'practitioner: wizard, a step not yet open'));
    docs.push(await fetchDoc(page, '/practitioner/services', 200, 'practitioner: services, sent to the wizard'));
    docs.push(await fetchDoc(page, '/practitioner/orders', 200, 'practitioner: orders, sent to the wizard'));
    docs.push(await fetchDoc(page, '/practitioner/availability', 200, 'practitioner: availability, sent to the wizard'));
    docs.push(await fetchDoc(page, '/dashboard', 200, 'practitioner: account'));
    docs.push(await fetchDoc(page, '/admin', 403, 'practitioner: admin, forbidden'));
    await page.context().close();
  });

  await test.step('admin', async () => {
    const page = await visitor(browser, 'admin');
    docs.push(await fetchDoc(page, '/', 200, 'admin: home'));
    docs.push(await fetchDoc(page, '/admin', 200, 'admin: admin panel'));
    docs.push(await fetchDoc(page, '/admin/packages', 200, 'admin: credit packages'));
    docs.push(await fetchDoc(page, '/admin/payments', 200, 'admin: payments'));
    docs.push(await fetchDoc(page, '/admin/leads', 200, 'admin: leads'));
    docs.push(await fetchDoc(page, '/admin/practitioners', 200, 'admin: practitioners'));
    docs.push(await fetchDoc(page, '/admin/service-types', 200, 'admin: service types'));
    docs.push(await fetchDoc(page, '/admin/leads?error=The%20file%20is%20empty.', 200, 'admin: leads, refused file'));
    docs.push(await fetchDoc(page, '/admin/orders/ATN-0000-0000', 404, 'admin: unknown order'));
    docs.push(await fetchDoc(page, '/admin?q=nobody-matches-this', 200, 'admin: admin panel, empty search'));
    docs.push(await fetchDoc(page, `/admin?q=${'x'.repeat(201)}`, 200, 'admin: admin panel, search too long'));
    docs.push(await fetchDoc(page, '/dashboard', 200, 'admin: account'));
    docs.push(await fetchDoc(page, '/practitioner', 403, 'admin: practice, forbidden'));
    await page.context().close();
  });

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attune-vnu-'));
  const byFile = new Map<string, Doc>();
  docs.forEach((doc, i) => {
    const file = path.join(dir, `${String(i).padStart(2, '0')}-${doc.label.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}.html`);
    fs.writeFileSync(file, doc.html);
    byFile.set(file, doc);
  });

  const started = Date.now();
  // --exit-zero-always: the verdict is ours, from the JSON; vnu writes it to stderr.
  const { stderr } = await run('java', ['-jar', VNU_JAR, '--format', 'json', '--exit-zero-always', ...byFile.keys()], {
    maxBuffer: 64 * 1024 * 1024,
  }).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') throw new Error('the Nu HTML Checker needs Java 11 or later as `java` (Debian: default-jre-headless)');
    throw e;
  });
  test.info().annotations.push({ type: 'vnu', description: `${byFile.size} documents checked in ${Date.now() - started} ms` });
  const messages: VnuMessage[] = JSON.parse(stderr).messages;

  const failures: string[] = [];
  for (const m of messages) {
    if (m.type === 'info') continue; // warnings are advice, not failures
    const file = m.url ? decodeURIComponent(new URL(m.url).pathname) : '';
    const doc = byFile.get(file);
    if (doc) {
      // Leptos' hydration markers: `<!>` is how it writes an empty comment, which HTML
      // parses as a comment but the spec calls a "bogus comment".
      if (m.message === 'Bogus comment.' && highlighted(m).endsWith('<!>')) continue;
      // Leptos' hydration data, appended after `</html>` (see LEPTOS_TAIL): vnu calls the
      // first script there stray and stops. Only when the tail is Leptos' own.
      const end = afterHtml(doc.html);
      const line = m.lastLine ?? 0;
      const past = end && (line > end.line || (line === end.line && (m.lastColumn ?? 0) >= end.column));
      if (past && LEPTOS_TAIL.test(end.tail)) continue;
    }
    const where = doc ? `${doc.label} (${new URL(doc.url).pathname}${new URL(doc.url).search})` : file || '(no document)';
    failures.push(`${where} line ${m.lastLine ?? '?'} col ${m.firstColumn ?? m.lastColumn ?? '?'}: ${m.message}${m.extract ? ` — ${JSON.stringify(m.extract)}` : ''}`);
  }

  for (const doc of byFile.values()) {
    const end = afterHtml(doc.html);
    if (!end) failures.push(`${doc.label}: no </html>`);
    else if (!LEPTOS_TAIL.test(end.tail)) failures.push(`${doc.label}: unexpected content after </html>: ${JSON.stringify(end.tail.slice(0, 200))}`);
  }

  if (failures.length === 0) fs.rmSync(dir, { recursive: true, force: true });
  else console.log(`vnu found ${failures.length} errors; the documents are in ${dir}`);
  expect(failures, `vnu errors in ${byFile.size} documents`).toEqual([]);
});
