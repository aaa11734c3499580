import { test, expect, type Browser, type Page } from '@playwright/test';
import { approvePractitioner, createUser, expectNoAxeViolations, logIn, packOnSale, psql, publishService, waitForHydration, type Role } from './helpers';

// Small screens: every page fits a phone's width (390 px, an iPhone 12 to 15) without the
// whole page scrolling sideways, and the tables that must scroll say so and can be
// scrolled by keyboard.

const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 900 };

/**
 * Where the page is wider than the window: `null` when it fits, otherwise its width
 * and the outermost elements that stick out (the ones to fix).
 */
async function overflow(page: Page): Promise<string | null> {
  return page.evaluate(() => {
    const width = window.innerWidth;
    const scrollWidth = document.documentElement.scrollWidth;
    if (scrollWidth <= width) return null;
    // Content scrolling inside a box of its own (a table's region) does not widen the
    // page, unless it is positioned against something outside that box.
    const scrolled = (el: Element) => {
      let a = el.parentElement;
      const position = getComputedStyle(el).position;
      if (position === 'fixed') return false;
      if (position === 'absolute') {
        while (a && a !== document.body && getComputedStyle(a).position === 'static') a = a.parentElement;
      }
      for (; a && a !== document.body; a = a.parentElement) {
        if (getComputedStyle(a).overflowX !== 'visible') return true;
      }
      return false;
    };
    const sticksOut = (el: Element) => el.getBoundingClientRect().right > width + 0.5 && !scrolled(el);
    const name = (el: Element) =>
      `<${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.className && typeof el.className === 'string' ? `.${el.className.trim().split(/\s+/).join('.')}` : ''}> ${Math.round(el.getBoundingClientRect().width)} px`;
    const culprits = [...document.body.querySelectorAll('*')]
      .filter((el) => sticksOut(el) && !(el.parentElement && el.parentElement !== document.body && sticksOut(el.parentElement)))
      .slice(0, 5)
      .map(name);
    return `${scrollWidth} px wide in a ${width} px window: ${culprits.join(', ')}`;
  });
}

/** A context of its own at `viewport`, signed in as a new user with `role` when given. */
async function visitor(browser: Browser, viewport = PHONE, as?: { email: string; password: string }): Promise<Page> {
  const page = await (await browser.newContext({ viewport })).newPage();
  if (as) await logIn(page, as.email, as.password);
  return page;
}

async function signedIn(browser: Browser, role: Role, viewport = PHONE): Promise<Page> {
  const page = await visitor(browser, viewport, createUser(role, `Small Screen ${role}`));
  await expect(page).toHaveURL(new RegExp(`${{ customer: '/dashboard', practitioner: '/onboarding', admin: '/admin' }[role]}(/1)?$`));
  return page;
}

/** A live practitioner with a written service and a bookable session; their addresses. */
function practice(unique: string) {
  const seller = createUser('practitioner', `Mira Longname-Fairweather${unique}`);
  const profile = approvePractitioner(seller.email, { headline: 'Birth charts, solar returns and relocation readings', languages: ['English', 'Hindi'] });
  const written = publishService(seller.email, `A detailed written reading of your birth chart ${unique}`);
  const session = publishService(seller.email, `Relocation astrology session ${unique}`);
  psql(
    `UPDATE services SET delivery = 'video', duration_minutes = 60, price_credits = 5 WHERE slug = :'slug';
     INSERT INTO availability (practitioner_id, time_zone, min_notice_minutes, updated_at)
     SELECT id, 'Europe/London', 0, now() FROM users WHERE email = :'email';
     INSERT INTO availability_hours (practitioner_id, weekday, starts, ends)
     SELECT id, d, time '09:00', time '17:00' FROM users CROSS JOIN generate_series(0, 6) d WHERE email = :'email';`,
    { slug: session, email: seller.email },
  );
  return { seller, profile, written, session };
}

/**
 * The signed-in customer on `page` buys the pack `pack` by card in the sandbox and pays
 * the written service `written` in credits: a credit order and a service order, so the
 * dashboard's tables have rows. `visit` is called on the sandbox's payment page and on
 * each checkout step. Returns both order numbers.
 */
async function fillOrders(page: Page, pack: string, written: string, visit: (label: string) => Promise<void>) {
  await page.goto('/credits');
  await page.getByTestId('pack').filter({ has: page.getByRole('heading', { name: pack }) }).getByRole('button', { name: /Buy for/ }).click();
  await expect(page).toHaveURL(/\/sandbox\/checkout\/cs_sandbox_/);
  await visit('customer: sandbox payment');
  await page.getByRole('button', { name: 'Approve test payment' }).click();
  await expect(page.getByRole('heading', { name: 'Thank you: your order is paid' })).toBeVisible();
  await visit('customer: credit order paid');
  const credits = new URL(page.url()).searchParams.get('order')!;

  await page.goto(`/checkout/new/${written}`);
  await visit('customer: checkout, your details');
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page.getByRole('heading', { name: 'Review and pay' })).toBeVisible();
  await visit('customer: checkout, review and pay');
  await waitForHydration(page);
  await page.getByRole('button', { name: 'Pay 8 credits' }).click();
  await expect(page).toHaveURL(/\/orders\/ATN-/);
  await expect(page.getByTestId('order-status')).toHaveText('Paid');
  const service = new URL(page.url()).pathname.split('/').pop()!;
  return { credits, service };
}

test('every page fits a 390 px screen without scrolling sideways', async ({ browser }) => {
  test.setTimeout(180_000);
  const unique = String(Date.now() % 1e8);
  const { seller, profile, written, session } = practice(unique);
  const pack = packOnSale(`Ten credits ${unique}`);
  const failures: string[] = [];
  const check = async (page: Page, label: string, url?: string) => {
    if (url) await page.goto(url);
    await page.waitForLoadState('load');
    const wide = await overflow(page);
    if (wide) failures.push(`${label} (${new URL(page.url()).pathname}): ${wide}`);
  };

  await test.step('anonymous visitor', async () => {
    const page = await visitor(browser);
    for (const [label, url] of [
      ['home', '/'],
      ['log in', '/login'],
      ['phone sign-in', '/login/phone'],
      ['sign up', '/signup'],
      ['forgot password', '/forgot-password'],
      ['choose a new password', '/reset-password?token=not-a-real-token'],
      ['credit packs', '/credits'],
      ['directory', '/practitioners'],
      ['directory with results', '/practitioners?q=birth'],
      ['practitioner profile', `/p/${profile}`],
      ['written service', `/s/${written}`],
      ['session', `/s/${session}`],
      ['choose a time', `/s/${session}/book?tz=Europe/London`],
      ['checkout as a guest', `/checkout/new/${written}`],
      ['unknown page', '/no-such-page'],
    ]) {
      await check(page, `anonymous: ${label}`, url);
    }
    await page.context().close();
  });

  let orders = { credits: '', service: '' };
  await test.step('customer', async () => {
    const page = await signedIn(browser, 'customer');
    orders = await fillOrders(page, pack, written, (label) => check(page, label));
    await check(page, 'customer: service order', `/orders/${orders.service}`);
    await check(page, 'customer: dashboard', '/dashboard');
    await check(page, 'customer: credit order, failed page', `/checkout/failed?order=${orders.credits}`);
    await page.context().close();
  });

  await test.step('practitioner', async () => {
    const page = await visitor(browser, PHONE, seller);
    await expect(page).toHaveURL(/\/practitioner$/);
    await check(page, 'practitioner: practice');
    await check(page, 'practitioner: services', '/practitioner/services');
    await page.getByRole('link', { name: `A detailed written reading of your birth chart ${unique}` }).click();
    await expect(page).toHaveURL(/\/practitioner\/services\/.+/);
    await check(page, 'practitioner: service editor');
    await check(page, 'practitioner: availability', '/practitioner/availability');
    await check(page, 'practitioner: orders to deliver', '/practitioner/orders');
    await check(page, 'practitioner: an order', `/orders/${orders.service}`);
    await check(page, 'practitioner: account', '/dashboard');
    await page.context().close();

    const newcomer = await signedIn(browser, 'practitioner');
    await check(newcomer, 'new practitioner: wizard', '/onboarding/1');
    await newcomer.context().close();
  });

  await test.step('admin', async () => {
    const page = await signedIn(browser, 'admin');
    await check(page, 'admin: panel', '/admin');
    await check(page, 'admin: credit packages', '/admin/packages');
    await check(page, 'admin: payments', '/admin/payments');
    await check(page, 'admin: credit order', `/admin/orders/${orders.credits}`);
    await check(page, 'admin: leads', '/admin/leads');
    await check(page, 'admin: service types', '/admin/service-types');
    await check(page, 'admin: practitioners', '/admin/practitioners');
    await page.getByRole('row').filter({ hasText: seller.email }).getByRole('link').click();
    await expect(page).toHaveURL(/\/admin\/practitioners\/U\d+$/);
    await check(page, 'admin: practitioner review');
    await page.context().close();
  });

  expect(failures, 'pages wider than the screen').toEqual([]);
});

test('checkout steps are numbered once, by their list', async ({ browser }) => {
  const unique = String(Date.now() % 1e8);
  const { written } = practice(unique);
  const page = await visitor(browser);
  await page.goto(`/checkout/new/${written}`);
  const steps = page.getByTestId('checkout-steps');
  await expect(steps).toHaveJSProperty('tagName', 'OL');
  await expect(steps.getByRole('listitem')).toHaveText(['Your details', /^Questions/, /^Review and pay/]);
  await page.context().close();
});

/**
 * A table in a scrolling region: named, in the tab order, scrolled by the arrow keys once
 * focused, with a shadow on the edge that has more to show, and nothing in it broken
 * over lines that should not be.
 */
async function expectScrollingTable(page: Page, name: string, oneLine: string[]) {
  const region = page.getByRole('region', { name, exact: true });
  await expect(region).toHaveAttribute('tabindex', '0');
  const sizes = await region.evaluate((el) => ({ scroll: el.scrollWidth, client: el.clientWidth }));
  expect(sizes.scroll, `${name}: wider than the screen, so it scrolls`).toBeGreaterThan(sizes.client);
  expect(await region.evaluate((el) => getComputedStyle(el).backgroundImage), `${name}: a scroll shadow`).toContain('radial-gradient');
  for (const text of oneLine) {
    const cell = region.getByRole('cell', { name: text, exact: true });
    const lines = await cell.evaluate((el) => {
      const range = document.createRange();
      range.selectNodeContents(el);
      return new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size;
    });
    expect(lines, `${name}: "${text}" on one line`).toBe(1);
  }
  await region.focus();
  await expect(region).toBeFocused();
  expect(await region.evaluate((el) => getComputedStyle(el).outlineStyle), `${name}: a visible focus`).not.toBe('none');
  await page.keyboard.press('ArrowRight');
  await expect.poll(() => region.evaluate((el) => el.scrollLeft), `${name}: scrolled by keyboard`).toBeGreaterThan(0);
}

test('the dashboard and the admin panel, tables filled, pass axe on a phone and a desktop, and their tables scroll by keyboard', async ({ browser }) => {
  test.setTimeout(120_000);
  const unique = String(Date.now() % 1e8);
  const { written } = practice(unique);
  const pack = packOnSale(`Ten credits ${unique}`);
  psql(
    `INSERT INTO jobs (kind, status, attempts, max_attempts, last_error, run_at, finished_at)
     VALUES ('send_email', 'dead', 8, 8, 'the mail server refused the message: 550 mailbox unavailable for a small screen test', now(), now());`,
    {},
  );
  const customer = createUser('customer', 'Small Screen Customer');
  const page = await visitor(browser, PHONE, customer);
  await expect(page).toHaveURL(/\/dashboard$/);
  const orders = await fillOrders(page, pack, written, async () => {});

  await page.goto('/dashboard');
  await waitForHydration(page);
  await expectNoAxeViolations(page);
  await expectScrollingTable(page, 'Credit orders table', [orders.credits, '€10.00']);
  await expectScrollingTable(page, 'Service orders table', [orders.service, '8 credits']);
  await page.setViewportSize(DESKTOP);
  await page.reload();
  await waitForHydration(page);
  await expectNoAxeViolations(page);
  await page.context().close();

  const admin = await signedIn(browser, 'admin');
  await admin.goto('/admin');
  await waitForHydration(admin);
  await expect(admin.getByRole('region', { name: 'Outbox table', exact: true })).toBeVisible();
  await expect(admin.getByRole('region', { name: 'Background jobs table', exact: true })).toContainText('550 mailbox unavailable');
  await expectNoAxeViolations(admin);
  await expectScrollingTable(admin, 'People table', []);
  await admin.setViewportSize(DESKTOP);
  await admin.reload();
  await waitForHydration(admin);
  await expectNoAxeViolations(admin);
  await admin.context().close();
});
