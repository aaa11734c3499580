import { test, expect, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { createUser, expectNoAxeViolations, logIn, waitForHydration } from './helpers';

/** An admin adds a pack through the packages page; returns its unique name. */
async function addPack(page: Page, credits: string, bonus: string, price: string): Promise<string> {
  const admin = createUser('admin');
  await logIn(page, admin.email, admin.password);
  await expect(page).toHaveURL(/\/admin$/);
  await page.getByRole('link', { name: 'Credit packages' }).click();
  await expect(page).toHaveURL(/\/admin\/packages$/);
  await waitForHydration(page);
  await expectNoAxeViolations(page);
  const name = `Pack ${Date.now() % 1e8}`;
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Credits', { exact: true }).fill(credits);
  await page.getByLabel('Bonus credits').fill(bonus);
  await page.getByLabel('Price').fill(price);
  await page.getByLabel('Currency').selectOption('EUR');
  await page.getByRole('button', { name: 'Add package' }).click();
  await expect(page.getByText('Package saved.')).toBeVisible();
  await expect(page.getByRole('cell', { name, exact: true })).toBeVisible();
  await page.context().clearCookies();
  return name;
}

/** Signs in a new customer and opens the pack named `name`'s checkout. */
async function checkout(page: Page, name: string) {
  const customer = createUser('customer');
  await logIn(page, customer.email, customer.password);
  await expect(page).toHaveURL(/\/dashboard$/);
  await page.goto('/credits');
  await expectNoAxeViolations(page);
  const pack = page.getByTestId('pack').filter({ has: page.getByRole('heading', { name }) });
  await pack.getByRole('button', { name: /Buy for/ }).click();
  await expect(page).toHaveURL(/\/sandbox\/checkout\/cs_sandbox_/);
  await expect(page.getByText('Test mode.')).toBeVisible();
  await expectNoAxeViolations(page);
}

test('a customer buys a pack in the sandbox: paid at once, with the credits and the order in the dashboard', async ({ page }) => {
  const name = await addPack(page, '10', '2', '49.00');
  await checkout(page, name);
  await expect(page.getByText('€49.00')).toBeVisible();
  await page.getByRole('button', { name: 'Approve test payment' }).click();
  await expect(page).toHaveURL(/\/checkout\/success\?order=ATN-/);
  await expect(page.getByRole('heading', { name: 'Thank you: your order is paid' })).toBeVisible();
  await expect(page.getByTestId('order-result')).toHaveAttribute('data-status', 'paid');
  await expect(page.getByText(/INV-\d{4}-\d{6}/)).toBeVisible();
  await expectNoAxeViolations(page);
  const number = new URL(page.url()).searchParams.get('order');

  const download = page.waitForEvent('download');
  await page.getByTestId('receipt').click();
  const receipt = await download;
  expect(receipt.suggestedFilename()).toMatch(/^attune-INV-\d{4}-\d{6}\.pdf$/);
  const bytes = readFileSync(await receipt.path());
  expect(bytes.subarray(0, 5).toString()).toBe('%PDF-');

  await page.getByRole('link', { name: 'See your credits' }).click();
  await expect(page.getByTestId('credits-available')).toHaveText('12');
  await expect(page.getByTestId('credit-history')).toContainText('Purchase');
  await expect(page.getByTestId('credit-history')).toContainText('Bonus');

  // An admin refunds part of it, seeing first exactly what will move.
  await page.context().clearCookies();
  const admin = createUser('admin');
  await logIn(page, admin.email, admin.password);
  await expect(page).toHaveURL(/\/admin$/);
  await page.goto(`/admin/orders/${number}`);
  await page.getByLabel('Paid credits to refund').fill('4');
  await page.getByRole('button', { name: 'Preview refund' }).click();
  await expect(page.getByTestId('refund-preview')).toContainText('Return €19.60 to the card');
  await expect(page.getByTestId('refund-preview')).toContainText("balance goes from 12 to 8");
  await expectNoAxeViolations(page);
  await page.getByLabel('Reason').fill('Bought the wrong pack');
  await page.getByRole('button', { name: 'Refund €19.60' }).click();
  await expect(page.getByText('Refunded: the money is on its way back')).toBeVisible();
  await expect(page.getByRole('cell', { name: /^CN-\d{4}-\d{6}$/ })).toBeVisible();
  await expectNoAxeViolations(page);
});

test('a declined payment explains itself, and paying again on the same order succeeds', async ({ page }) => {
  const name = await addPack(page, '5', '0', '25.00');
  await checkout(page, name);
  await page.getByRole('button', { name: 'Decline test payment' }).click();
  await expect(page).toHaveURL(/\/checkout\/failed\?order=ATN-/);
  const number = new URL(page.url()).searchParams.get('order');
  // The decline reaches the order through the provider's event; the page shows it
  // as soon as it has, without a reload.
  await expect(page.getByText(/Payment failed: nothing was charged|did not go through/).first()).toBeVisible({ timeout: 20_000 });
  await expectNoAxeViolations(page);

  await page.goto(`/checkout/failed?order=${number}`);
  await expect(page.getByRole('heading', { name: 'Your payment did not go through' })).toBeVisible();
  await expectNoAxeViolations(page);
  await page.getByRole('button', { name: 'Pay now' }).click();
  await expect(page).toHaveURL(/\/sandbox\/checkout\/cs_sandbox_/);
  await page.getByRole('button', { name: 'Approve test payment' }).click();
  await expect(page).toHaveURL(new RegExp(`/checkout/success\\?order=${number}$`));
  await expect(page.getByRole('heading', { name: 'Thank you: your order is paid' })).toBeVisible();
});
