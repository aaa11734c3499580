import { test, expect, type Page } from '@playwright/test';
import { approvePractitioner, createUser, expectNoAxeViolations, logIn, waitForHydration } from './helpers';

/** An admin lists a new service type through the admin page; returns its name. */
async function addServiceType(page: Page, unique: string): Promise<string> {
  const admin = createUser('admin');
  await logIn(page, admin.email, admin.password);
  await expect(page).toHaveURL(/\/admin$/);
  await page.getByRole('link', { name: 'Service types' }).click();
  await expect(page).toHaveURL(/\/admin\/service-types$/);
  await waitForHydration(page);
  await expectNoAxeViolations(page);
  const name = `Tarot ${unique}`;
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Address').fill(`tarot-${unique}`);
  await page.getByLabel('Description').fill('Tarot readings for the questions you bring.');
  await page.getByRole('button', { name: 'Add type' }).click();
  await expect(page.getByText('Service type saved.')).toBeVisible();
  await expect(page.getByRole('cell', { name, exact: true })).toBeVisible();
  await page.context().clearCookies();
  return name;
}

test('a practitioner publishes a service and a visitor finds it by search, on the profile and on its own page', async ({ page, browser }) => {
  test.setTimeout(90_000);
  const unique = String(Date.now() % 1e8);
  const typeName = await addServiceType(page, unique);

  const who = createUser('practitioner', `Selene Vale${unique}`);
  const profile = approvePractitioner(who.email, { headline: 'Tarot and astrology with a steady hand', languages: ['English', 'Portuguese'] });
  await logIn(page, who.email, who.password);
  await expect(page).toHaveURL(/\/practitioner$/);
  await page.getByRole('link', { name: 'Your services' }).click();
  await expect(page.getByText('You have no services yet.')).toBeVisible();
  await page.getByRole('link', { name: 'New service' }).click();
  await expect(page).toHaveURL(/\/practitioner\/services\/new$/);
  await waitForHydration(page);
  await expectNoAxeViolations(page);

  // By keyboard: every field is reached with Tab, the form is sent with Enter.
  const title = `Moonlit spread ${unique}`;
  await page.getByLabel('Title').fill(title);
  await page.getByLabel('Type', { exact: true }).selectOption({ label: typeName });
  await page.getByLabel('Description').fill('A ten-card spread read live over video, with notes sent afterwards.');
  await page.getByLabel('Delivery').selectOption('video');
  await page.getByLabel('Session length').selectOption('45');
  await page.getByLabel('Price in credits').fill('0');
  await page.getByLabel('Card price').fill('35.00');
  await page.getByRole('button', { name: 'Create service' }).press('Enter');
  await expect(page.getByText('Enter the price in credits as a whole number from 1 to 100000.')).toBeVisible();
  await expect(page.getByLabel('Price in credits')).toHaveAttribute('aria-invalid', 'true');
  await page.getByLabel('Price in credits').fill('9');
  await page.getByRole('button', { name: 'Create service' }).press('Enter');
  await expect(page.getByText('Service saved.')).toBeVisible();
  await expect(page.getByTestId('service-status')).toHaveText('Published');

  await page.getByLabel('Question', { exact: true }).fill('Which question should the cards answer?');
  await page.getByLabel('Answer', { exact: true }).selectOption('long_text');
  await page.getByRole('button', { name: 'Add question' }).click();
  await expect(page.getByText('Questions updated.')).toBeVisible();
  await expect(page.getByTestId('questions')).toContainText('Which question should the cards answer?');
  await waitForHydration(page);
  await expectNoAxeViolations(page);

  // A visitor searches by a word of the service, without an account.
  const visitor = await (await browser.newContext()).newPage();
  await visitor.goto('/practitioners');
  await expectNoAxeViolations(visitor);
  await visitor.getByLabel('What are you looking for?').fill(`moonlit selene`);
  await visitor.getByLabel('What are you looking for?').press('Enter');
  await expect(visitor).toHaveURL(/q=moonlit\+selene/);
  await expect(visitor.getByTestId('directory-count')).toHaveText('1 practitioner');
  await expect(visitor.getByTestId('card-price')).toHaveText('9 credits');
  await expectNoAxeViolations(visitor);
  await visitor.getByRole('link', { name: `Selene Vale${unique}` }).click();
  await expect(visitor).toHaveURL(new RegExp(`/p/${profile}$`));
  await expect(visitor.getByTestId('listed-price')).toHaveText('9 credits · €35.00');
  await expectNoAxeViolations(visitor);
  await visitor.getByRole('link', { name: title }).click();
  await expect(visitor.getByRole('heading', { level: 1, name: title })).toBeVisible();
  await expect(visitor.getByTestId('service-price')).toHaveText('9 credits · €35.00');
  await expect(visitor.getByText('Video call · 45 minutes')).toBeVisible();
  await expect(visitor).toHaveTitle(`${title} with Selene Vale${unique} · Attune`);
  await expectNoAxeViolations(visitor);

  // Filters narrow the search: another language finds nobody.
  await visitor.goto(`/practitioners?q=moonlit+selene&language=German`);
  await expect(visitor.getByTestId('directory-count')).toHaveText('No practitioners match this search.');

  // Paused, the service leaves the public pages.
  await page.getByRole('button', { name: 'Pause' }).click();
  await expect(page.getByTestId('service-status')).toHaveText('Paused');
  const res = await visitor.goto(`/s/${profile}-moonlit-spread-${unique}`);
  expect(res?.status()).toBe(404);
});

test('the directory works without JavaScript', async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto('/practitioners');
  await page.getByLabel('How', { exact: true }).selectOption('written');
  await page.getByLabel('Order').selectOption('price_low');
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(page).toHaveURL(/delivery=written/);
  await expect(page).toHaveURL(/sort=price_low/);
  await expect(page.getByTestId('directory-count')).toBeVisible();
  await expect(page.getByLabel('How', { exact: true })).toHaveValue('written');
  await page.goto('/practitioners?min_credits=oops');
  await expect(page.getByText('Enter credits as a whole number from 0 to 100000.').first()).toBeVisible();
});
