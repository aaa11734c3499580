import { test, expect, type Browser, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { approvePractitioner, createUser, expectNoAxeViolations, logIn, packOnSale, psql, publishService, uniqueEmail, waitForHydration } from './helpers';

/** A written service with one required question, by a new approved practitioner. */
function serviceWithQuestion(unique: string): { slug: string; practitioner: { email: string; password: string }; name: string } {
  const name = `Orla Quill${unique}`;
  const practitioner = createUser('practitioner', name);
  approvePractitioner(practitioner.email, { headline: 'Written charts for the year ahead', languages: ['English'] });
  const slug = publishService(practitioner.email, `Year ahead letter ${unique}`);
  psql(
    `UPDATE services SET questions = jsonb_build_array(jsonb_build_object(
        'id', gen_random_uuid(), 'label', 'What should the letter focus on?', 'kind', 'long_text', 'required', true, 'options', '[]'::jsonb))
      WHERE slug = :'slug';`,
    { slug },
  );
  return { slug, practitioner, name };
}

/** A guest in a browser of their own through the first two steps of the service's
 * checkout (details, then `answer` to its question), at the review. */
async function guestAtReview(browser: Browser, slug: string, name: string, answer: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await page.goto(`/s/${slug}`);
  await page.getByTestId('purchase').click();
  await waitForHydration(page);
  await page.getByLabel('Your name').fill(name);
  await page.getByLabel('Email').fill(uniqueEmail('guest'));
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page.getByRole('heading', { name: 'Questions' })).toBeVisible();
  await page.getByLabel('What should the letter focus on?').fill(answer);
  await page.getByRole('button', { name: 'Continue to review' }).click();
  await expect(page.getByRole('heading', { name: 'Review and pay' })).toBeVisible();
  return page;
}

/** Presses Tab until `target` has the focus (at most 40 times), then returns. */
async function tabTo(page: Page, target: ReturnType<Page['getByRole']>) {
  for (let i = 0; i < 40; i++) {
    if (await target.evaluate((el) => el === document.activeElement)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error('could not reach the control by keyboard');
}

test('a customer finds a service by search, checks out by keyboard, covers a shortfall, pays in credits, and the practitioner completes it', async ({ page, browser }) => {
  test.setTimeout(120_000);
  const unique = String(Date.now() % 1e8);
  const { slug, practitioner, name } = serviceWithQuestion(unique);
  const pack = packOnSale(`Checkout pack ${unique}`); // for the shortfall offer
  const customer = createUser('customer', 'Pia Reader');
  await logIn(page, customer.email, customer.password);
  await expect(page).toHaveURL(/\/dashboard$/);

  await page.goto(`/practitioners?q=${encodeURIComponent(`orla quill${unique}`)}`);
  await page.getByRole('link', { name }).first().click();
  await page.getByRole('link', { name: `Year ahead letter ${unique}` }).click();
  await expect(page).toHaveURL(new RegExp(`/s/${slug}$`));
  await expect(page.getByTestId('service-price')).toHaveText('8 credits · €39.00');
  await page.getByTestId('purchase').click();

  // Step 1: prefilled; continued by keyboard alone.
  await expect(page.getByRole('heading', { name: 'Your details' })).toBeVisible();
  await waitForHydration(page);
  await expectNoAxeViolations(page);
  await expect(page.getByLabel('Email')).toHaveValue(customer.email);
  await expect(page.getByTestId('checkout-price')).toHaveText('8 credits · €39.00');
  const next = page.getByRole('button', { name: 'Continue' });
  await tabTo(page, next);
  await page.keyboard.press('Enter');

  // Step 2: an empty required answer is refused next to the field, then answered.
  await expect(page.getByRole('heading', { name: 'Questions' })).toBeVisible();
  await waitForHydration(page);
  await expectNoAxeViolations(page);
  const answer = page.getByLabel('What should the letter focus on?');
  await answer.focus();
  await page.keyboard.type('<b>Work</b> and a move abroad');
  const review = page.getByRole('button', { name: 'Continue to review' });
  await tabTo(page, review);
  await page.keyboard.press('Enter');

  // Step 3: the balance does not cover it; the offered pack is bought in the sandbox.
  await expect(page.getByRole('heading', { name: 'Review and pay' })).toBeVisible();
  await waitForHydration(page);
  await expectNoAxeViolations(page);
  await expect(page.getByTestId('review-price')).toHaveText('8 credits · €39.00');
  await expect(page.getByTestId('review')).toContainText('<b>Work</b> and a move abroad');
  await expect(page.getByTestId('balance')).toHaveText('0 credits');
  await expect(page.getByTestId('shortfall')).toHaveText('You need 8 more credits to pay this way.');
  const number = new URL(page.url()).pathname.split('/').pop()!;
  await page.getByRole('button', { name: `Buy ${pack} for €10.00` }).click();
  await page.getByRole('button', { name: 'Approve test payment' }).click();
  await expect(page.getByRole('heading', { name: 'Thank you: your order is paid' })).toBeVisible();
  await page.getByTestId('back-to-order').click();
  await expect(page.getByTestId('balance')).toHaveText('10 credits');
  await waitForHydration(page);
  const pay = page.getByRole('button', { name: 'Pay 8 credits' });
  await tabTo(page, pay);
  await page.keyboard.press('Enter');

  await expect(page).toHaveURL(new RegExp(`/orders/${number}$`));
  await expect(page.getByTestId('order-status')).toHaveText('Paid');
  await expect(page.getByTestId('order-price')).toHaveText('8 credits');
  await expectNoAxeViolations(page);

  // The practitioner sees it, accepts it and completes it.
  const theirs = await (await browser.newContext()).newPage();
  await logIn(theirs, practitioner.email, practitioner.password);
  await expect(theirs).toHaveURL(/\/practitioner$/);
  await theirs.goto('/practitioner/orders');
  await theirs.getByRole('link', { name: number }).click();
  await expect(theirs.getByText('<b>Work</b> and a move abroad')).toBeVisible();
  await waitForHydration(theirs);
  await expectNoAxeViolations(theirs);
  await theirs.getByRole('button', { name: 'Accept the order' }).click();
  await expect(theirs.getByTestId('order-status')).toHaveText('In progress');
  // The deliverable, as a PDF.
  const pdf = Buffer.from('%PDF-1.7\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n');
  await theirs.getByLabel('Add a file').setInputFiles({ name: 'Your year ahead.pdf', mimeType: 'application/pdf', buffer: pdf });
  await theirs.getByRole('button', { name: 'Upload' }).click();
  await expect(theirs.getByText('File added.')).toBeVisible();
  await expect(theirs.getByTestId('documents')).toContainText('Your year ahead.pdf');
  await theirs.getByRole('button', { name: 'Mark as completed' }).click();
  await expect(theirs.getByTestId('order-status')).toHaveText('Completed');
  await theirs.context().close();

  await page.reload();
  await expect(page.getByTestId('order-status')).toHaveText('Completed');
  await expect(page.getByTestId('timeline')).toContainText('Accepted by the practitioner');
  await expect(page.getByTestId('timeline')).toContainText('Completed by the practitioner');

  // The customer downloads the deliverable and replies.
  const download = page.waitForEvent('download');
  await page.getByRole('link', { name: 'Your year ahead.pdf' }).click();
  const file = await download;
  expect(file.suggestedFilename()).toBe('Your year ahead.pdf');
  expect(readFileSync(await file.path()).subarray(0, 5).toString()).toBe('%PDF-');
  await page.getByLabel('Your message').fill('Thank you, see https://example.com/thanks <3');
  await page.getByRole('button', { name: 'Send' }).click();
  await expect(page.getByTestId('messages')).toContainText('Thank you, see');
  await expect(page.getByRole('link', { name: 'https://example.com/thanks' })).toHaveAttribute('rel', 'nofollow noopener noreferrer ugc');
  await expectNoAxeViolations(page);
});

test('a guest checks out by card in the sandbox and sees the paid order', async ({ browser }) => {
  test.setTimeout(90_000);
  const unique = String(Date.now() % 1e8);
  const { slug } = serviceWithQuestion(unique);
  const page = await guestAtReview(browser, slug, 'Quinn Guest', 'Health');
  await expect(page.getByTestId('shortfall')).toContainText('Credits are for signed-in customers');
  await page.getByRole('button', { name: 'Pay €39.00 by card' }).click();
  await expect(page).toHaveURL(/\/sandbox\/checkout\//);
  await expect(page.getByText('€39.00')).toBeVisible();
  await page.getByRole('button', { name: 'Approve test payment' }).click();
  await expect(page).toHaveURL(/\/orders\/ATN-/);
  await expect(page.getByTestId('order-status')).toHaveText('Paid');
  await expect(page.getByTestId('order-price')).toHaveText('€39.00');
  await expect(page.getByText(/INV-\d{4}-\d{6}/)).toBeVisible();
  await expectNoAxeViolations(page);
  await page.context().close();
});

test('without JavaScript each step posts as a plain form and a refused answer comes back beside its field', async ({ browser }) => {
  const unique = String(Date.now() % 1e8);
  const { slug } = serviceWithQuestion(unique);
  const page = await (await browser.newContext({ javaScriptEnabled: false })).newPage();
  await page.goto(`/checkout/new/${slug}`);
  await page.getByLabel('Your name').fill('Noor Plain');
  await page.getByLabel('Email').fill(uniqueEmail('plain'));
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page.getByRole('heading', { name: 'Questions' })).toBeVisible();
  await page.getByRole('button', { name: 'Continue to review' }).click();
  await expect(page.getByText('Answer this question; it is required.')).toBeVisible();
  await expect(page.getByLabel('What should the letter focus on?')).toHaveAttribute('aria-invalid', 'true');
  await page.getByLabel('What should the letter focus on?').fill('Love');
  await page.getByRole('button', { name: 'Continue to review' }).click();
  await expect(page.getByRole('heading', { name: 'Review and pay' })).toBeVisible();
  await page.context().close();
});

test('an admin cancels and refunds in full an order that will not be delivered, with or without JavaScript', async ({ browser }) => {
  test.setTimeout(90_000);
  const unique = String(Date.now() % 1e8);
  const { slug } = serviceWithQuestion(unique);
  const guest = await guestAtReview(browser, slug, 'Rory Guest', 'Travel');
  await guest.getByRole('button', { name: 'Pay €39.00 by card' }).click();
  await guest.getByRole('button', { name: 'Approve test payment' }).click();
  await expect(guest.getByTestId('order-status')).toHaveText('Paid');
  const number = new URL(guest.url()).pathname.split('/').pop()!;
  await guest.context().close();

  const admin = createUser('admin', 'Ada Admin');
  for (const javaScriptEnabled of [false, true]) {
    const page = await (await browser.newContext({ javaScriptEnabled })).newPage();
    await logIn(page, admin.email, admin.password);
    await page.goto(`/orders/${number}`);
    const section = page.getByRole('region', { name: 'Cancel and refund in full' });
    await expect(section).toContainText('all of €39.00');
    if (javaScriptEnabled) {
      await waitForHydration(page);
      await expectNoAxeViolations(page);
      await section.getByLabel(/^Reason/).fill('The practitioner is leaving the platform');
      await section.getByRole('button', { name: 'Cancel and refund' }).click();
      await expect(page.getByTestId('order-status')).toHaveText('Refunded');
      await expect(page.getByTestId('timeline')).toContainText('Cancelled by an admin and refunded in full (€39.00)');
      await expect(page.getByRole('region', { name: 'Cancel and refund in full' })).toHaveCount(0);
    } else {
      // Sent with a blank reason, the plain form comes back with a reason asked for beside its field.
      await section.getByLabel(/^Reason/).fill('   ');
      await section.getByRole('button', { name: 'Cancel and refund' }).click();
      await expect(page.getByText('Say why the order is refunded').first()).toBeVisible();
      await expect(page.getByTestId('order-status')).toHaveText('Paid');
    }
    await page.context().close();
  }
});
