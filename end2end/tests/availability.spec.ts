import { test, expect, type Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { approvePractitioner, createUser, expectNoAxeViolations, logIn, waitForHydration } from './helpers';

/** The zone `attune create-user` gives every new account. */
const PROFILE_ZONE = 'UTC';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/** What the week preview shows for each weekday before anything is saved. */
const STARTING_WEEK: Record<string, string> = {
  Mon: '09:00-17:00',
  Tue: '09:00-17:00',
  Wed: '09:00-17:00',
  Thu: '09:00-17:00',
  Fri: '09:00-17:00',
  Sat: 'not bookable',
  Sun: 'not bookable',
};

/** What it shows once Saturday is 10:00-14:00 and Sunday is empty. */
const SAVED_WEEK: Record<string, string> = { ...STARTING_WEEK, Sat: '10:00-14:00' };

/** The rows of `availability_hours` (Monday is 0) that `SAVED_WEEK` is stored as. */
const SAVED_ROWS = '0 09:00-17:00, 1 09:00-17:00, 2 09:00-17:00, 3 09:00-17:00, 4 09:00-17:00, 5 10:00-14:00';

/** The date `n` days after today on the clocks of `zone`, as a UTC midnight. */
function dayAhead(zone: string, n: number): Date {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: zone, year: 'numeric', month: 'numeric', day: 'numeric' }).formatToParts(
    new Date(),
  );
  const part = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)!.value);
  return new Date(Date.UTC(part('year'), part('month') - 1, part('day') + n));
}

/** A date as the date input and the remove buttons carry it: `2026-12-08`. */
const isoDate = (d: Date) => d.toISOString().slice(0, 10);

/** A date as the week preview shows it: `Tue 8 Dec`. */
const dayLabel = (d: Date) => `${WEEKDAYS[d.getUTCDay()]} ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]}`;

/** What `sql` selects, unaligned (`a|b`), with psql variables (`:'name'`) set to `vars`. */
function psqlValue(sql: string, vars: Record<string, string>): string {
  const args = ['-q', '-At', '-v', 'ON_ERROR_STOP=1'];
  for (const [k, v] of Object.entries(vars)) args.push('-v', `${k}=${v}`);
  return execFileSync('psql', [...args, process.env.DATABASE_URL!], { input: sql, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] }).trim();
}

/** The practitioner's stored weekly hours, like `5 10:00-14:00` (Monday is 0), in order. */
function weeklyHours(email: string): string {
  return psqlValue(
    `SELECT string_agg(h.weekday || ' ' || left(h.starts::text, 5) || '-' || left(h.ends::text, 5), ', ' ORDER BY h.weekday, h.starts)
       FROM availability_hours h JOIN users u ON u.id = h.practitioner_id WHERE u.email = :'email';`,
    { email },
  );
}

/** The practitioner's stored settings: zone, buffers, notice, horizon and policy. */
function settings(email: string): string {
  return psqlValue(
    `SELECT a.time_zone, a.buffer_before_minutes, a.buffer_after_minutes, a.min_notice_minutes, a.horizon_days,
            a.full_refund_hours, a.late_refund_percent
       FROM availability a JOIN users u ON u.id = a.practitioner_id WHERE u.email = :'email';`,
    { email },
  );
}

/** The practitioner's stored date exceptions, like `2026-12-08 off`. */
function exceptions(email: string): string {
  return psqlValue(
    `SELECT string_agg(e.day::text || ' ' || COALESCE(left(e.starts::text, 5) || '-' || left(e.ends::text, 5), 'off'), ', ' ORDER BY e.day)
       FROM availability_exceptions e JOIN users u ON u.id = e.practitioner_id WHERE u.email = :'email';`,
    { email },
  );
}

/**
 * The week preview lists seven different weekdays, each showing the hours `week` gives
 * its weekday, or what `changed` gives its label (`Tue 8 Dec`).
 */
async function expectWeek(page: Page, week: Record<string, string>, changed: Record<string, string> = {}) {
  const days = page.getByTestId('week-preview').getByRole('listitem');
  await expect(days).toHaveCount(7);
  const labels = await days.locator('strong').allTextContents();
  const shape = new RegExp(`^(${WEEKDAYS.join('|')}) \\d{1,2} (${MONTHS.join('|')})$`);
  for (const label of labels) expect(label).toMatch(shape);
  expect(new Set(labels.map((l) => l.slice(0, 3))).size).toBe(7);
  await expect(days).toHaveText(labels.map((l) => `${l}: ${changed[l] ?? week[l.slice(0, 3)]}`));
}

/** Presses Tab until `target` has the focus (at most 40 times), then returns. */
async function tabTo(page: Page, target: ReturnType<Page['getByRole']>) {
  for (let i = 0; i < 40; i++) {
    if (await target.evaluate((el) => el === document.activeElement)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error('could not reach the control by keyboard');
}

test('a new practitioner sets weekly hours by keyboard, is refused an overlapping range beside its day, and takes a day off', async ({ page }) => {
  test.setTimeout(120_000);
  const practitioner = createUser('practitioner', 'Tamsin Hours');
  approvePractitioner(practitioner.email, { headline: 'Tarot readings by video', languages: ['English'] });
  await logIn(page, practitioner.email, practitioner.password);
  await expect(page).toHaveURL(/\/practitioner$/);

  // Nothing saved yet: weekdays 09:00-17:00 in the profile's zone, offered to start from.
  await page.goto('/practitioner/availability');
  await expect(page.getByRole('heading', { level: 1, name: 'Availability' })).toBeVisible();
  await waitForHydration(page);
  await expectNoAxeViolations(page);
  const notice = page.getByText('Customers cannot book you until you save your hours. We filled in weekdays 09:00-17:00 to start from.');
  await expect(notice).toBeVisible();
  for (const day of ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday']) {
    await expect(page.getByLabel(day, { exact: true })).toHaveValue('09:00-17:00');
  }
  await expect(page.getByLabel('Saturday', { exact: true })).toHaveValue('');
  await expect(page.getByLabel('Sunday', { exact: true })).toHaveValue('');
  await expect(page.getByLabel('Time zone')).toHaveValue(PROFILE_ZONE);
  await expect(page.getByLabel('Minimum notice (hours)')).toHaveValue('12');
  await expect(page.getByLabel('Bookable ahead (days)')).toHaveValue('60');
  await expectWeek(page, STARTING_WEEK);
  const email = practitioner.email;
  expect(psqlValue(`SELECT count(*) FROM availability a JOIN users u ON u.id = a.practitioner_id WHERE u.email = :'email';`, { email })).toBe('0');

  // By keyboard alone: Saturday 10:00-14:00, Sunday empty, saved.
  const saturday = page.getByLabel('Saturday', { exact: true });
  await tabTo(page, saturday);
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.type('10:00-14:00');
  const sunday = page.getByLabel('Sunday', { exact: true });
  await tabTo(page, sunday);
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.press('Backspace');
  await expect(saturday).toHaveValue('10:00-14:00');
  await expect(sunday).toHaveValue('');
  await tabTo(page, page.getByRole('button', { name: 'Save availability' }));
  await page.keyboard.press('Enter');

  await expect(page).toHaveURL(/\/practitioner\/availability\?saved=1$/);
  await expect(page.getByText('Saved.', { exact: true })).toBeVisible();
  await expect(notice).toHaveCount(0);
  await waitForHydration(page);
  const zone = await page.getByLabel('Time zone').inputValue();
  expect(zone).toBe(PROFILE_ZONE);
  await expect(page.getByLabel('Saturday', { exact: true })).toHaveValue('10:00-14:00');
  await expect(page.getByLabel('Sunday', { exact: true })).toHaveValue('');
  await expectWeek(page, SAVED_WEEK);
  await expect(page.getByText(`In ${zone}.`, { exact: true })).toBeVisible();
  await expectNoAxeViolations(page);
  expect(weeklyHours(email)).toBe(SAVED_ROWS);
  const sundayRows = `SELECT count(*) FROM availability_hours h JOIN users u ON u.id = h.practitioner_id
                        WHERE u.email = :'email' AND h.weekday = 6;`;
  expect(psqlValue(sundayRows, { email })).toBe('0');
  expect(settings(email)).toBe(`${zone}|0|0|720|60|24|50`);

  // An overlapping range is refused beside Wednesday, and nothing changes.
  const wednesday = page.getByLabel('Wednesday', { exact: true });
  await wednesday.fill('09:00-12:00, 11:00-13:00');
  await page.getByRole('button', { name: 'Save availability' }).click();
  const refusal = page.locator('#day_2-error');
  await expect(refusal).toContainText('overlaps');
  await expect(refusal).toHaveText('"11:00-13:00" overlaps or comes before the range before it; list the ranges in order.');
  await expect(wednesday).toHaveAccessibleDescription(/overlaps or comes before the range before it/);
  await expect(wednesday).toHaveValue('09:00-12:00, 11:00-13:00');
  await expect(page.locator('#day_5-error')).toHaveText('');
  await expect(page.getByRole('button', { name: 'Save availability' })).toBeEnabled();
  await expectNoAxeViolations(page);
  expect(weeklyHours(email)).toBe(SAVED_ROWS);
  const wednesdayRows = `SELECT string_agg(left(h.starts::text, 5) || '-' || left(h.ends::text, 5), ', ' ORDER BY h.starts)
                           FROM availability_hours h JOIN users u ON u.id = h.practitioner_id
                          WHERE u.email = :'email' AND h.weekday = 2;`;
  expect(psqlValue(wednesdayRows, { email })).toBe('09:00-17:00');
  await page.goto('/practitioner/availability');
  await expect(page.getByLabel('Wednesday', { exact: true })).toHaveValue('09:00-17:00');
  await expect(page.getByText('Saved.', { exact: true })).toHaveCount(0);
  await expectWeek(page, SAVED_WEEK);

  // A day off three days ahead (four if that is a Sunday, which has no hours to take off).
  let off = dayAhead(zone, 3);
  if (off.getUTCDay() === 0) off = dayAhead(zone, 4);
  const offDay = isoDate(off);
  const offLabel = dayLabel(off);
  const section = page.locator('#exceptions');
  await expect(section.getByText('None coming up.')).toBeVisible();
  await expect(page.getByTestId('exceptions')).toHaveCount(0);
  await section.getByLabel('Date', { exact: true }).fill(offDay);
  await section.getByRole('radio', { name: 'A day off' }).check();
  await expect(section.getByRole('radio', { name: 'Extra hours' })).not.toBeChecked();
  await section.getByRole('button', { name: 'Add', exact: true }).click();

  await expect(page).toHaveURL(/\/practitioner\/availability\?added=1#exceptions$/);
  const listed = page.getByTestId('exceptions').getByRole('listitem');
  await expect(listed).toHaveCount(1);
  await expect(listed).toContainText(`${offLabel} ${off.getUTCFullYear()}: day off`);
  await expect(section.getByText('None coming up.')).toHaveCount(0);
  await expectWeek(page, SAVED_WEEK, { [offLabel]: 'not bookable' });
  await expectNoAxeViolations(page);
  expect(exceptions(email)).toBe(`${offDay} off`);
  expect(weeklyHours(email)).toBe(SAVED_ROWS);

  await page.getByRole('button', { name: `Remove ${offDay} (day off)` }).click();
  await expect(page).toHaveURL(/\/practitioner\/availability#exceptions$/);
  await expect(page.getByTestId('exceptions')).toHaveCount(0);
  await expect(section.getByText('None coming up.')).toBeVisible();
  await expectWeek(page, SAVED_WEEK);
  expect(exceptions(email)).toBe('');
});

test('a practitioner makes a private calendar address, shown only once, that serves their calendar', async ({ page }) => {
  const unique = String(Date.now() % 1e8);
  const name = `Iris Feed${unique}`;
  const practitioner = createUser('practitioner', name);
  approvePractitioner(practitioner.email, { headline: 'Chart readings by video', languages: ['English'] });
  await logIn(page, practitioner.email, practitioner.password);
  await expect(page).toHaveURL(/\/practitioner$/);

  await page.goto('/practitioner/availability');
  const calendar = page.locator('#calendar');
  await expect(calendar.getByRole('heading', { name: 'Calendar' })).toBeVisible();
  await expect(calendar.getByTestId('feed-url')).toHaveCount(0);
  await expect(calendar.getByRole('button', { name: 'Make a new address' })).toHaveCount(0);
  await calendar.getByRole('button', { name: 'Make my calendar address' }).click();

  await expect(page).toHaveURL(/\/practitioner\/availability#calendar$/);
  const address = calendar.getByLabel('Your calendar address (copy it now: it is shown only once)');
  await expect(address).toHaveAttribute('data-testid', 'feed-url');
  await expect(address).toHaveValue(/^webcal:\/\/[^/]+\/calendar\/[^/]+\.ics$/);
  await expect(address).not.toBeEditable();
  const url = await address.inputValue();
  await expect(calendar.getByRole('link', { name: 'Open in your calendar app' })).toHaveAttribute('href', url);
  await expectNoAxeViolations(page);

  const feedAddress = url.replace(/^webcal:\/\//, 'http://');
  const feed = await page.request.get(feedAddress);
  expect(feed.status()).toBe(200);
  expect(feed.headers()['content-type']).toContain('text/calendar');
  const body = await feed.text();
  expect(body).toContain('BEGIN:VCALENDAR');
  expect(body).toContain(`X-WR-CALNAME:Attune sessions (${name})`);

  await page.reload();
  await expect(calendar.getByRole('heading', { name: 'Calendar' })).toBeVisible();
  await expect(calendar.getByTestId('feed-url')).toHaveCount(0);
  await expect(calendar.getByText(/^Your address was made on .+\. Lost it\? Make a new one; the old one stops working\.$/)).toBeVisible();
  await expect(calendar.getByRole('button', { name: 'Make a new address' })).toBeVisible();
  await expect(calendar.getByRole('button', { name: 'Make my calendar address' })).toHaveCount(0);
  expect((await page.request.get(feedAddress)).status()).toBe(200);
});
