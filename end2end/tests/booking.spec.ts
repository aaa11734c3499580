import { test, expect, type Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { approvePractitioner, createUser, expectNoAxeViolations, logIn, psql, publishService, waitForHydration } from './helpers';

const LONDON = 'Europe/London';
const NEW_YORK = 'America/New_York';
const ST_JOHNS = 'America/St_Johns';

/** Locales whose short zone names are the abbreviations the server shows for each zone. */
const NAMES_IN: Record<string, string> = { [LONDON]: 'en-GB', [NEW_YORK]: 'en-US' };

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

type Day = { year: number; month: number; day: number };

const two = (n: number) => String(n).padStart(2, '0');

/** The clocks of `zone` at `at`. */
function wallClock(at: Date, zone: string) {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    weekday: 'short',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(at);
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)!.value;
  return {
    year: Number(part('year')),
    month: Number(part('month')),
    day: Number(part('day')),
    hour: Number(part('hour')),
    minute: Number(part('minute')),
    weekday: part('weekday'),
  };
}

function today(zone: string): Day {
  const { year, month, day } = wallClock(new Date(), zone);
  return { year, month, day };
}

function addDays(d: Day, n: number): Day {
  const t = new Date(Date.UTC(d.year, d.month - 1, d.day + n));
  return { year: t.getUTCFullYear(), month: t.getUTCMonth() + 1, day: t.getUTCDate() };
}

/** The instant the clocks of `zone` show `hour`:00 on `d`. */
function instantAt(zone: string, d: Day, hour: number): Date {
  const guess = Date.UTC(d.year, d.month - 1, d.day, hour);
  const w = wallClock(new Date(guess), zone);
  return new Date(guess - (Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute) - guess));
}

/** A date as the week links carry it: `2026-12-08`. */
const isoDate = (d: Day) => `${d.year}-${two(d.month)}-${two(d.day)}`;

/** An instant as slots and `<time datetime>` carry it: `2026-12-08T10:00:00Z`. */
const machine = (at: Date) => at.toISOString().replace(/\.\d{3}Z$/, 'Z');

/** A free time's label on the slot picker: `05:00` in `zone`. */
function clock(at: Date, zone: string): string {
  const w = wallClock(at, zone);
  return `${two(w.hour)}:${two(w.minute)}`;
}

/** A day's title on the slot picker: `Tue 8 Dec`. */
function dayTitle(d: Day): string {
  const weekday = new Intl.DateTimeFormat('en-US', { timeZone: 'UTC', weekday: 'short' }).format(new Date(Date.UTC(d.year, d.month - 1, d.day)));
  return `${weekday} ${d.day} ${MONTHS[d.month - 1]}`;
}

/** `at` as pages show it in `zone`: `Tue 8 Dec 2026, 05:00 EST`. */
function shown(at: Date, zone: string): string {
  const w = wallClock(at, zone);
  const abbreviation = new Intl.DateTimeFormat(NAMES_IN[zone], { timeZone: zone, timeZoneName: 'short' })
    .formatToParts(at)
    .find((p) => p.type === 'timeZoneName')!.value;
  return `${w.weekday} ${w.day} ${MONTHS[w.month - 1]} ${w.year}, ${two(w.hour)}:${two(w.minute)} ${abbreviation}`;
}

/** What `sql` selects, unaligned (`a|b`), with psql variables (`:'name'`) set to `vars`. */
function psqlValue(sql: string, vars: Record<string, string>): string {
  const args = ['-q', '-At', '-v', 'ON_ERROR_STOP=1'];
  for (const [k, v] of Object.entries(vars)) args.push('-v', `${k}=${v}`);
  return execFileSync('psql', [...args, process.env.DATABASE_URL!], { input: sql, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] }).trim();
}

function walletBalance(email: string): string {
  return psqlValue(
    `SELECT w.balance FROM wallet_balances w JOIN users u ON u.id = w.user_id WHERE u.email = :'email';`,
    { email },
  );
}

function bookingRow(number: string): { status: string; cancelledBy: string; startsAt: string } {
  const [status, cancelledBy, startsAt] = psqlValue(
    `SELECT b.status, b.cancelled_by, to_char(b.starts_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
       FROM bookings b JOIN orders o ON o.id = b.order_id WHERE o.number = :'number';`,
    { number },
  ).split('|');
  return { status, cancelledBy, startsAt };
}

/**
 * An hour-long video session for 5 credits, by a new approved practitioner who works in
 * London every day from 09:00 to 17:00, bookable at no notice up to 60 days ahead, with a
 * full refund up to 24 hours before and half after that.
 */
function sessionService(unique: string): string {
  const practitioner = createUser('practitioner', `Wren Halloway${unique}`);
  approvePractitioner(practitioner.email, { headline: 'Live chart readings over video', languages: ['English'] });
  const slug = publishService(practitioner.email, `Chart session ${unique}`);
  psql(
    `UPDATE services SET delivery = 'video', duration_minutes = 60, price_credits = 5, price_minor = NULL, currency = NULL,
            description = 'An hour on video going through your chart, with time for your questions.'
      WHERE slug = :'slug';
     INSERT INTO availability (practitioner_id, time_zone, buffer_before_minutes, buffer_after_minutes, min_notice_minutes,
                               horizon_days, full_refund_hours, late_refund_percent, updated_at)
       SELECT u.id, :'zone', 0, 0, 0, 60, 24, 50, now() FROM users u WHERE u.email = :'email';
     INSERT INTO availability_hours (practitioner_id, weekday, starts, ends)
       SELECT u.id, d, '09:00', '17:00' FROM users u, generate_series(0, 6) d WHERE u.email = :'email';`,
    { slug, email: practitioner.email, zone: LONDON },
  );
  return slug;
}

/** The signed-in customer buys a pack of 10 credits in the sandbox. */
async function buyCredits(page: Page, unique: string) {
  const name = `Session pack ${unique}`;
  psql(
    `INSERT INTO credit_packages (name, credits, bonus_credits, price_minor, currency, active, position, created_at, updated_at)
     VALUES (:'name', 10, 0, 1000, 'EUR', true, 0, now(), now());`,
    { name },
  );
  await page.goto('/credits');
  const pack = page.getByTestId('pack').filter({ has: page.getByRole('heading', { name }) });
  await pack.getByRole('button', { name: /Buy for/ }).click();
  await expect(page).toHaveURL(/\/sandbox\/checkout\/cs_sandbox_/);
  await page.getByRole('button', { name: 'Approve test payment' }).click();
  await expect(page.getByRole('heading', { name: 'Thank you: your order is paid' })).toBeVisible();
}

/** Presses Tab until `target` has the focus (at most 40 times), then returns. */
async function tabTo(page: Page, target: ReturnType<Page['getByRole']>) {
  for (let i = 0; i < 40; i++) {
    if (await target.evaluate((el) => el === document.activeElement)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error('could not reach the control by keyboard');
}

test('a customer in New York books a London session by keyboard, pays in credits, moves it, and cancels it for a full refund', async ({ page }) => {
  test.setTimeout(120_000);
  const unique = String(Date.now() % 1e8);
  const slug = sessionService(unique);
  const customer = createUser('customer', 'Nell Booker');
  psql(`UPDATE users SET time_zone = :'zone' WHERE email = :'email';`, { zone: NEW_YORK, email: customer.email });
  await logIn(page, customer.email, customer.password);
  await expect(page).toHaveURL(/\/dashboard$/);
  await buyCredits(page, unique);
  await expect.poll(() => walletBalance(customer.email)).toBe('10');

  // A week from today in New York: the practitioner's 10:00, then 12:00, in London.
  const day = addDays(today(NEW_YORK), 7);
  const booked = instantAt(LONDON, day, 10);
  const moved = instantAt(LONDON, day, 12);

  await page.goto(`/s/${slug}`);
  await expect(page.getByText('Video call · 60 minutes')).toBeVisible();
  await expect(page.getByTestId('purchase')).toHaveCount(0);
  const book = page.getByTestId('book');
  await expect(book).toHaveText('Book a time · 5 credits');
  await tabTo(page, book);
  await page.keyboard.press('Enter');

  // The slot picker, in the zone of the customer's profile; it has no islands.
  await expect(page).toHaveURL(new RegExp(`/s/${slug}/book$`));
  await expect(page.getByRole('heading', { level: 1, name: 'Choose a time' })).toBeVisible();
  await expect(page.getByLabel('Time zone')).toHaveValue(NEW_YORK);
  await expect(page.getByText(`The practitioner works in ${LONDON}; the times below are in ${NEW_YORK}.`)).toBeVisible();
  await expect(page.getByTestId('policy')).toHaveText(
    'Cancel at least 24 hours before the start for a full refund; later than that, 50% is refunded; nothing once it has started.',
  );
  await expect(page.getByRole('region', { name: dayTitle(day), exact: true })).toHaveCount(0);
  await expectNoAxeViolations(page);
  await tabTo(page, page.getByRole('link', { name: 'Later →' }));
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL((u) => u.searchParams.get('week') === isoDate(day) && u.searchParams.get('tz') === NEW_YORK);
  await expect(page.getByTestId('slot-week').getByRole('heading').first()).toHaveText(dayTitle(day));
  const week = page.getByRole('region', { name: dayTitle(day), exact: true });
  const slots = week.getByTestId('slot');
  await expect(slots).toHaveCount(15);
  await expect(slots.first()).toHaveText(clock(instantAt(LONDON, day, 9), NEW_YORK));
  await expect(slots.last()).toHaveText(clock(instantAt(LONDON, day, 16), NEW_YORK));
  const slot = week.getByRole('link', { name: clock(booked, NEW_YORK), exact: true });
  await expect(slot).toHaveAttribute('href', `/checkout/new/${slug}?at=${machine(booked)}&tz=${NEW_YORK}`);
  await tabTo(page, slot);
  await page.keyboard.press('Enter');

  // Step 1 carries the chosen time; with no questions, Continue leads to the review.
  await expect(page).toHaveURL(
    (u) => u.pathname === `/checkout/new/${slug}` && u.searchParams.get('at') === machine(booked) && u.searchParams.get('tz') === NEW_YORK,
  );
  await expect(page.getByRole('heading', { name: 'Your details' })).toBeVisible();
  await waitForHydration(page);
  await expectNoAxeViolations(page);
  await expect(page.getByTestId('checkout-time')).toHaveText(shown(booked, NEW_YORK));
  await expect(page.getByTestId('checkout-price')).toHaveText('5 credits');
  await tabTo(page, page.getByRole('button', { name: 'Continue' }));
  await page.keyboard.press('Enter');

  await expect(page.getByRole('heading', { name: 'Review and pay' })).toBeVisible();
  await waitForHydration(page);
  await expectNoAxeViolations(page);
  await expect(page.getByTestId('review')).toContainText(shown(booked, NEW_YORK));
  await expect(page.getByTestId('checkout-time')).toHaveText(shown(booked, NEW_YORK));
  await expect(page.getByTestId('balance')).toHaveText('10 credits');
  await expect(page.getByTestId('shortfall')).toHaveCount(0);
  const number = new URL(page.url()).pathname.split('/').pop()!;
  await tabTo(page, page.getByRole('button', { name: 'Pay 5 credits' }));
  await page.keyboard.press('Enter');

  // Paid: the session is booked, shown to each side in their own zone.
  await expect(page).toHaveURL(new RegExp(`/orders/${number}$`));
  const booking = page.getByTestId('booking');
  await expect(booking).toHaveAttribute('data-status', 'confirmed');
  await expect(page.getByTestId('booking-status')).toHaveText('Booked');
  await expect(page.getByTestId('booking-time')).toHaveText(shown(booked, NEW_YORK));
  await expect(page.getByTestId('booking-time')).toHaveAttribute('datetime', machine(booked));
  await expect(booking).toContainText(`(${shown(booked, LONDON)} for the other side)`);
  await expect(page.getByTestId('order-status')).toHaveText('Paid');
  await expectNoAxeViolations(page);
  expect(walletBalance(customer.email)).toBe('5');
  expect(bookingRow(number)).toEqual({ status: 'confirmed', cancelledBy: '', startsAt: machine(booked) });

  // Moved to 12:00 London; the hour already booked is no longer offered.
  const reschedule = page.getByTestId('reschedule');
  await expect(reschedule).toHaveText('Move to another time');
  await expect(reschedule).toHaveAttribute('href', `/s/${slug}/book?order=${number}&move=1&tz=${NEW_YORK}`);
  await tabTo(page, reschedule);
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { level: 1, name: 'Move your session' })).toBeVisible();
  await tabTo(page, page.getByRole('link', { name: 'Later →' }));
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(
    (u) => u.searchParams.get('week') === isoDate(day) && u.searchParams.get('order') === number && u.searchParams.get('move') === '1',
  );
  await expectNoAxeViolations(page);
  const moveDay = page.getByRole('region', { name: dayTitle(day), exact: true });
  await expect(moveDay.getByRole('button', { name: clock(booked, NEW_YORK), exact: true })).toHaveCount(0);
  const later = moveDay.getByRole('button', { name: clock(moved, NEW_YORK), exact: true });
  await tabTo(page, later);
  await page.keyboard.press('Space');

  await expect(page).toHaveURL((u) => u.pathname === `/orders/${number}` && u.searchParams.has('moved'));
  await expect(booking.getByRole('status')).toHaveText('The session was moved.');
  await expect(booking).toHaveAttribute('data-status', 'confirmed');
  await expect(page.getByTestId('booking-time')).toHaveText(shown(moved, NEW_YORK));
  await expect(booking).toContainText(`(${shown(moved, LONDON)} for the other side)`);
  expect(bookingRow(number)).toEqual({ status: 'confirmed', cancelledBy: '', startsAt: machine(moved) });

  // More than 24 hours ahead, cancelling returns everything.
  const preview = page.getByTestId('cancel-preview');
  await expect(preview).toContainText('You are cancelling early enough for a full refund.');
  await expect(page.getByTestId('refund-amount')).toHaveText('5 credits');
  await expect(preview).toContainText('You get back 5 credits of the 5 credits paid.');
  const cancel = page.getByTestId('cancel');
  await expect(cancel).toHaveText('Cancel and get back 5 credits');
  await expectNoAxeViolations(page);
  await tabTo(page, cancel);
  await page.keyboard.press('Space');

  await expect(page).toHaveURL((u) => u.pathname === `/orders/${number}` && u.searchParams.has('cancelled'));
  await expect(booking).toHaveAttribute('data-status', 'cancelled');
  await expect(booking.getByRole('status')).toHaveText('The session was cancelled.');
  await expect(page.getByTestId('booking-status')).toHaveText('Cancelled');
  await expect(page.getByTestId('order-status')).toHaveText('Refunded');
  await expect(page.getByTestId('reschedule')).toHaveCount(0);
  await expect(page.getByTestId('cancel-preview')).toHaveCount(0);
  await expect(page.getByTestId('timeline')).toContainText('Session cancelled by the customer; 5 credits of 5 credits comes back');
  await expectNoAxeViolations(page);
  expect(bookingRow(number)).toEqual({ status: 'cancelled', cancelledBy: 'customer', startsAt: machine(moved) });
  expect(walletBalance(customer.email)).toBe('10');
});

test('a visitor sees the free times in the zone their browser reports', async ({ browser }) => {
  const unique = String(Date.now() % 1e8);
  const slug = sessionService(unique);
  const page = await (await browser.newContext({ timezoneId: ST_JOHNS })).newPage();
  await page.goto(`/s/${slug}/book`);
  await expect(page).toHaveURL((u) => u.searchParams.get('tz') === ST_JOHNS);
  await expect(page.getByLabel('Time zone')).toHaveValue(ST_JOHNS);
  await expect(page.getByText(`The practitioner works in ${LONDON}; the times below are in ${ST_JOHNS}.`)).toBeVisible();
  const day = addDays(today(ST_JOHNS), 2);
  const slots = page.getByRole('region', { name: dayTitle(day), exact: true }).getByTestId('slot');
  await expect(slots).toHaveCount(15);
  const first = instantAt(LONDON, day, 9);
  await expect(slots.first()).toHaveText(clock(first, ST_JOHNS));
  await expect(slots.first()).toHaveAttribute('href', `/checkout/new/${slug}?at=${machine(first)}&tz=${ST_JOHNS}`);
  await expect(slots.last()).toHaveText(clock(instantAt(LONDON, day, 16), ST_JOHNS));
  await page.context().close();
});
