import { test, expect } from '@playwright/test';
import { createUser, expectNoAxeViolations, logIn } from './helpers';

test('an admin imports a lead list and sees every refused row with its line', async ({ page }) => {
  const admin = createUser('admin');
  await logIn(page, admin.email, admin.password);
  await expect(page).toHaveURL(/\/admin$/);
  await page.getByRole('link', { name: 'Leads' }).click();
  await expect(page).toHaveURL(/\/admin\/leads$/);
  await expectNoAxeViolations(page);

  const unique = Date.now() % 1e8;
  const csv = [
    'phone,name,email,contacted',
    `+91 7${String(unique).padStart(9, '0')},Meera Das,meera@example.com,yes`,
    `7${String(unique + 1).padStart(9, '0')},Arjun Nair,,no`,
    'not-a-phone,Nobody,,no',
  ].join('\n');
  await page.getByLabel('CSV file').setInputFiles({ name: 'leads.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await page.getByLabel('Country code for numbers written without one').fill('91');
  await page.getByRole('button', { name: 'Import' }).click();
  await expect(page).toHaveURL(/\/admin\/leads\?batch=/);
  const batch = page.getByTestId('lead-batch');
  await expect(batch).toContainText('3 rows: 2 new leads, 0 updated, 0 unchanged, 1 refused.');
  await expect(batch.getByRole('row').filter({ hasText: 'not a phone number' })).toContainText('4');
  await expectNoAxeViolations(page);
});
