import { test, expect } from '@playwright/test';
import { confirmSignUp, createUser, expectNoAxeViolations, logIn, submitLogIn, uniqueEmail, waitForHydration } from './helpers';

test('a visitor signs up, sees their user code, logs out and back in, and an admin finds them', async ({ page, browser }) => {
  const email = uniqueEmail('newcomer');
  const password = 'a long enough passphrase';

  await page.goto('/signup');
  await waitForHydration(page);
  await page.getByLabel('Your name').fill('Nina Newcomer');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page).toHaveURL(/\/signup\?sent=1$/);
  await expect(page.getByText('Check your inbox')).toBeVisible();
  await confirmSignUp(page, email);

  await expect(page).toHaveURL(/\/dashboard$/);
  const code = page.getByTestId('user-code');
  await expect(code).toHaveText(/^U\d{6,}$/);
  const userCode = (await code.textContent())!.trim();

  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByRole('link', { name: 'Log in' }).first()).toBeVisible();

  await logIn(page, email, password);
  await expect(page).toHaveURL(/\/dashboard$/);
  await expect(page.getByTestId('user-code')).toHaveText(userCode);

  const adminContext = await browser.newContext();
  const admin = await adminContext.newPage();
  const boss = createUser('admin');
  await logIn(admin, boss.email, boss.password);
  await expect(admin).toHaveURL(/\/admin$/);
  await admin.getByLabel('Search people').fill(email);
  await admin.getByRole('button', { name: 'Search' }).click();
  const row = admin.getByRole('region', { name: 'People' }).getByRole('row', { name: new RegExp(email.replace(/[.+]/g, '\\$&')) });
  await expect(row).toContainText(userCode);
  await expect(row).toContainText('Nina Newcomer');
  await adminContext.close();
});

test('logging in works with JavaScript disabled', async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  const customer = createUser('customer');
  await logIn(page, customer.email, customer.password);
  await expect(page).toHaveURL(/\/dashboard$/);
  await expect(page.getByTestId('user-code')).toHaveText(/^U\d{6,}$/);
  await expect(page.getByRole('heading', { name: 'Your dashboard' })).toBeVisible();
  await context.close();
});

test('a wrong password without JavaScript is explained on the login page', async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await submitLogIn(page, createUser('customer').email, 'not the password at all');
  await expect(page).toHaveURL(/\/login/);
  await expect(page.getByRole('alert').filter({ hasText: 'do not match' })).toBeVisible();
  const landed = page.url();
  await context.close();

  // The same page with JavaScript: the island hydrates over the server's error without
  // a mismatch, keeps showing it, and a new attempt replaces it.
  const errors: string[] = [];
  const js = await browser.newPage();
  js.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') errors.push(m.text()); });
  js.on('pageerror', (e) => errors.push(e.message));
  await js.goto(landed);
  await waitForHydration(js);
  await expect(js.getByRole('alert').filter({ hasText: 'do not match' })).toBeVisible();
  const customer = createUser('customer');
  await js.getByLabel('Email').fill(customer.email);
  await js.getByLabel('Password', { exact: true }).fill(customer.password);
  await js.getByRole('button', { name: 'Log in' }).click();
  await expect(js).toHaveURL(/\/dashboard$/);
  expect(errors).toEqual([]);
  await js.close();
});

test('the hydrated page reacts in the browser: password toggle and live policy check', async ({ page }) => {
  await page.goto('/signup');
  await waitForHydration(page);
  const input = page.getByLabel('Password', { exact: true });
  await expect(input).toHaveAttribute('type', 'password');
  await page.getByRole('button', { name: 'Show password' }).click();
  await expect(input).toHaveAttribute('type', 'text');
  await input.fill('short');
  await expect(page.locator('#password-error')).toHaveText(/at least 10 characters/);
  await input.fill('a much longer passphrase');
  await expect(page.locator('#password-error')).toHaveText('');
});

test('protected pages send visitors to log in and back', async ({ page }) => {
  const res = await page.goto('/admin?q=x');
  expect(res?.status()).toBe(200);
  await expect(page).toHaveURL(/\/login\?next=\/admin%3Fq%3Dx$/);
  const boss = createUser('admin');
  await page.getByLabel('Email').fill(boss.email);
  await page.getByLabel('Password', { exact: true }).fill(boss.password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page).toHaveURL(/\/admin\?q=x$/);
});

test('a customer cannot open the admin panel', async ({ page }) => {
  const customer = createUser('customer');
  await logIn(page, customer.email, customer.password);
  await expect(page).toHaveURL(/\/dashboard$/);
  const res = await page.goto('/admin');
  expect(res?.status()).toBe(403);
  await expect(page.getByRole('heading', { name: 'Not available' })).toBeVisible();
});

test('the login form can be used with the keyboard alone', async ({ page }) => {
  const customer = createUser('customer');
  await page.goto('/login');
  await waitForHydration(page);
  await page.keyboard.press('Tab');
  await expect(page.getByRole('link', { name: 'Skip to content' })).toBeFocused();
  await page.keyboard.press('Enter');
  await page.keyboard.press('Tab');
  await expect(page.getByLabel('Email')).toBeFocused();
  await page.keyboard.type(customer.email);
  await page.keyboard.press('Tab');
  await expect(page.getByLabel('Password', { exact: true })).toBeFocused();
  await page.keyboard.type(customer.password);
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/dashboard$/);
});

test('the admin panel has no axe violations', async ({ page }) => {
  const boss = createUser('admin');
  await logIn(page, boss.email, boss.password);
  await expect(page).toHaveURL(/\/admin$/);
  await waitForHydration(page);
  await expect(page.getByRole('region', { name: 'People' }).getByRole('row').nth(1)).toBeVisible();
  await expectNoAxeViolations(page);
});

test('unknown pages get a real 404', async ({ page }) => {
  const res = await page.goto('/no-such-page');
  expect(res?.status()).toBe(404);
  await expect(page.getByRole('heading', { name: 'We could not find that page' })).toBeVisible();
});

for (const path of ['/', '/login', '/signup', '/forgot-password']) {
  test(`${path} has a title, a description and no axe violations`, async ({ page }) => {
    await page.goto(path);
    // The home page has no islands: there is nothing to hydrate.
    if (path !== '/') await waitForHydration(page);
    await expect(page).toHaveTitle(/Attune/);
    await expect(page.locator('meta[name="description"]')).toHaveAttribute('content', /.{20,}/);
    await expectNoAxeViolations(page);
  });
}

test('the dashboard has no axe violations', async ({ page }) => {
  const customer = createUser('customer');
  await logIn(page, customer.email, customer.password);
  await expect(page).toHaveURL(/\/dashboard$/);
  await waitForHydration(page);
  await expect(page.getByTestId('user-code')).toBeVisible();
  await expectNoAxeViolations(page);
});

test('the home page downloads no WASM or JS glue; an island page loads both once, hashed and immutable', async ({ page }) => {
  const loaded: { url: string; cacheControl: string; encoding: string }[] = [];
  page.on('response', (res) => {
    if (/\.(wasm|js)$/.test(new URL(res.url()).pathname)) {
      const h = res.headers();
      loaded.push({ url: res.url(), cacheControl: h['cache-control'] ?? '', encoding: h['content-encoding'] ?? '' });
    }
  });
  await page.goto('/');
  await page.waitForLoadState('networkidle');
  expect(loaded).toEqual([]);
  await page.goto('/login');
  await waitForHydration(page);
  expect(loaded.map((r) => new URL(r.url).pathname).sort()).toEqual([
    expect.stringMatching(/^\/pkg\/attune\.[0-9a-f]{16}\.js$/),
    expect.stringMatching(/^\/pkg\/attune_bg\.[0-9a-f]{16}\.wasm$/),
  ]);
  for (const r of loaded) {
    expect(r.cacheControl).toBe('public, max-age=31536000, immutable');
    // Browsers ask for brotli only over HTTPS; the tests speak plain HTTP.
    expect(['br', 'gzip']).toContain(r.encoding);
  }
});

test('the home page shows real statistics with their time', async ({ page }) => {
  await page.goto('/');
  await expect(page.locator('[data-stat="practitioners"]')).toHaveText(/^\d+$/);
  await expect(page.locator('time[datetime]')).toBeVisible();
});

test('sign-up keeps the browser time zone, and the profile changes it without a reload', async ({ browser }) => {
  const context = await browser.newContext({ timezoneId: 'Asia/Kolkata' });
  const page = await context.newPage();
  await page.goto('/signup');
  await waitForHydration(page);
  await page.getByLabel('Your name').fill('Zara Zone');
  const email = uniqueEmail('zone');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill('a long enough passphrase');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page).toHaveURL(/\/signup\?sent=1$/);
  await confirmSignUp(page, email);
  await expect(page).toHaveURL(/\/dashboard$/);
  await waitForHydration(page);
  const zone = page.getByLabel('Time zone');
  // Chromium's ICU reports the older IANA name of the same zone; either is kept as sent.
  await expect(zone).toHaveValue(/^Asia\/(Kolkata|Calcutta)$/);

  await zone.selectOption('America/Argentina/Buenos_Aires');
  await page.getByRole('button', { name: 'Save profile' }).click();
  await expect(page.getByText('Profile saved.')).toBeVisible();
  await page.reload();
  await expect(page.getByLabel('Time zone')).toHaveValue('America/Argentina/Buenos_Aires');
  await context.close();
});

test('a hydrated form posts in place: the error appears beside the field and what was typed stays', async ({ page }) => {
  await page.goto('/signup');
  await waitForHydration(page);
  let navigations = 0;
  page.on('framenavigated', (f) => { if (f === page.mainFrame()) navigations++; });
  await page.getByLabel('Your name').fill('Ines Inplace');
  await page.getByLabel('Email').fill('not-an-email');
  await page.getByLabel('Password', { exact: true }).fill('a long enough passphrase');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.locator('#email-error')).not.toHaveText('');
  await expect(page.getByLabel('Email')).toHaveAttribute('aria-invalid', 'true');
  expect(page.url()).not.toContain('__err');
  expect(navigations).toBe(0);
  await expect(page.getByLabel('Your name')).toHaveValue('Ines Inplace');

  await page.getByLabel('Email').fill(uniqueEmail('inplace'));
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page).toHaveURL(/\/signup\?sent=1$/);
  await expect(page.getByText('Check your inbox')).toBeVisible();
});

test('an admin adjusts a customer\'s credits from the panel, with the error in place first', async ({ browser }) => {
  const customerContext = await browser.newContext();
  const customerPage = await customerContext.newPage();
  const customer = createUser('customer');
  await logIn(customerPage, customer.email, customer.password);
  await expect(customerPage).toHaveURL(/\/dashboard$/);
  const code = (await customerPage.getByTestId('user-code').textContent())!.trim();
  await customerContext.close();

  const context = await browser.newContext();
  const page = await context.newPage();
  const boss = createUser('admin');
  await logIn(page, boss.email, boss.password);
  await expect(page).toHaveURL(/\/admin$/);
  await waitForHydration(page);
  const card = page.getByRole('region', { name: 'Adjust credits' });
  await card.getByLabel('Account number').fill(code);
  await card.getByLabel('Credits').fill('0');
  await card.getByLabel('Reason').fill('goodwill for the outage');
  await card.getByRole('button', { name: 'Adjust credits' }).click();
  await expect(page.locator('#delta-error')).toContainText('other than zero');

  await card.getByLabel('Credits').fill('15');
  await card.getByRole('button', { name: 'Adjust credits' }).click();
  await expect(page).toHaveURL(/adjusted=1/);
  await expect(page.getByText('Credits adjusted.')).toBeVisible();
  await expectNoAxeViolations(page);
  await context.close();
});
