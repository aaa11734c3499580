import { test, expect, type Page } from '@playwright/test';
import { createUser, expectNoAxeViolations, logIn, waitForHydration } from './helpers';
import { deflateSync } from 'node:zlib';
import { readFileSync } from 'node:fs';

/** A real PNG of `w`×`h` pixels, made here so the test needs no image files. */
function png(w: number, h: number): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b: Buffer) => {
    let c = 0xffffffff;
    for (const x of b) c = crcTable[(c ^ x) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type), data]);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc(body));
    return Buffer.concat([len, body, sum]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  const rows = Buffer.alloc((w * 3 + 1) * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const o = y * (w * 3 + 1) + 1 + x * 3;
      rows[o] = (x * 255) / w;
      rows[o + 1] = (y * 255) / h;
      rows[o + 2] = 160;
    }
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const PDF = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');

/** Presses Enter on the button: the keyboard, not the mouse, submits. */
async function submitWith(page: Page, name: string) {
  const button = page.getByRole('button', { name, exact: true });
  await button.focus();
  await button.press('Enter');
}

test('a lead signs in by phone code, completes the wizard by keyboard, is approved and goes live', async ({ page, browser }) => {
  test.setTimeout(120_000);
  const unique = String(Date.now() % 1e9).padStart(9, '0');
  const phone = `+917${unique}`;
  const last = `Lead${unique}`;

  // The admin imports the call centre's list.
  const adminContext = await browser.newContext();
  const admin = await adminContext.newPage();
  const adminUser = createUser('admin');
  await logIn(admin, adminUser.email, adminUser.password);
  await expect(admin).toHaveURL(/\/admin$/);
  await admin.goto('/admin/leads');
  const csv = `phone,name,email,practice type,location\n${phone},Meera ${last},meera${unique}@example.com,Astrology,"Pune, India"\n`;
  await admin.getByLabel('CSV file').setInputFiles({ name: 'leads.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await admin.getByRole('button', { name: 'Import' }).click();
  await expect(admin.getByTestId('lead-batch')).toContainText('1 new lead');

  // The practitioner asks for a code and reads it on their phone (the test gateway's log).
  await page.goto('/login/phone');
  await expectNoAxeViolations(page);
  await page.getByLabel('Mobile number').fill(phone);
  await page.getByLabel('Mobile number').press('Enter');
  await expect(page.getByText('We have sent you a code by text message.')).toBeVisible();
  await expectNoAxeViolations(page);
  let code = '';
  await expect(async () => {
    const texts = readFileSync(process.env.SMS_LOG!, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    const text = texts.filter((t) => t.to === phone).pop()?.body ?? '';
    code = /(\d{6}) is your Attune sign-in code/.exec(text)?.[1] ?? '';
    expect(code).toMatch(/^\d{6}$/);
  }).toPass();
  await admin.goto('/admin');
  await expect(admin.getByRole('row').filter({ hasText: phone }).filter({ hasText: 'sign-in code' }).first()).not.toContainText(code);
  await page.getByLabel('Code').fill(code);
  await page.getByLabel('Code').press('Enter');

  // Until approved, the practice sends them to the wizard, which opens at step 1 with
  // the call centre's values and where they came from.
  await expect(page).toHaveURL(/\/onboarding(\/1)?$/);
  await expect(page.getByRole('heading', { name: 'Step 1: Basic info' })).toBeVisible();
  await expect(page.getByLabel('First name', { exact: true })).toHaveValue('Meera');
  await expect(page.getByText(/From the call-centre import, /).first()).toBeVisible();
  await expectNoAxeViolations(page);
  await submitWith(page, 'Save and continue');
  await expect(page.getByText(/This came from the call centre's list/).first()).toBeVisible();
  for (const label of ['This first name is correct', 'This last name is correct', 'This email is correct', 'This location is correct']) {
    await page.getByLabel(label).focus();
    await page.keyboard.press('Space');
  }
  await page.getByLabel('Time zone').selectOption('Asia/Kolkata');
  await submitWith(page, 'Save and continue');

  await expect(page.getByRole('heading', { name: 'Step 2: Visual profile' })).toBeVisible();
  await expectNoAxeViolations(page);
  await page.getByLabel('Photo').setInputFiles({ name: 'me.png', mimeType: 'image/png', buffer: png(400, 300) });
  await submitWith(page, 'Upload');
  await expect(page.getByText('Photo saved.')).toBeVisible();
  await expect(page.getByAltText('Your current photo')).toBeVisible();
  await submitWith(page, 'Continue');

  await expect(page.getByRole('heading', { name: 'Step 3: Professional details' })).toBeVisible();
  await expect(page.getByLabel('Practice', { exact: true })).toHaveValue('Astrology');
  await expectNoAxeViolations(page);
  await page.getByLabel('This practice is correct').focus();
  await page.keyboard.press('Space');
  await page.getByLabel('Specialties').fill('Vedic astrology, Tarot');
  await page.getByLabel('Languages you work in').fill('English, Hindi');
  await page.getByLabel('Years of practice').fill('12');
  await submitWith(page, 'Save and continue');

  await expect(page.getByRole('heading', { name: 'Step 4: Bio' })).toBeVisible();
  await waitForHydration(page);
  await expectNoAxeViolations(page);
  await page.getByLabel('Headline', { exact: true }).fill('Vedic astrologer reading charts with care');
  await page.getByLabel('Bio', { exact: true }).fill('Too short.');
  await page.getByLabel('Headline', { exact: true }).focus();
  await expect(page.getByText('Write between 100 and 2000 characters for your bio (now 10).')).toBeVisible();
  await page.getByLabel('Bio', { exact: true }).fill('I have read charts for twelve years in Pune. '.repeat(4));
  await submitWith(page, 'Save and continue');

  await expect(page.getByRole('heading', { name: 'Step 5: Experience and certifications' })).toBeVisible();
  await expectNoAxeViolations(page);
  await page.getByLabel('Role or qualification').fill('Jyotish Visharad');
  await page.getByLabel('Where', { exact: true }).fill('Bharatiya Vidya Bhavan');
  await page.getByLabel('From (year)').fill('2012');
  await submitWith(page, 'Add entry');
  await expect(page.getByText('Jyotish Visharad')).toBeVisible();
  await page.getByLabel('Certificate name').fill('Jyotish diploma');
  await page.getByLabel('Certificate file').setInputFiles({ name: 'diploma.pdf', mimeType: 'application/pdf', buffer: PDF });
  await submitWith(page, 'Upload');
  await expect(page.getByText('Certificate saved.')).toBeVisible();
  await expect(page.getByRole('link', { name: 'Jyotish diploma' })).toBeVisible();
  await submitWith(page, 'Continue to review');

  await expect(page).toHaveURL(/\/onboarding\/review$/);
  await expectNoAxeViolations(page);
  await submitWith(page, 'Submit for review');
  await expect(page.getByRole('heading', { name: 'Waiting for review' })).toBeVisible();

  // The admin approves from the review queue; the public profile is live.
  await admin.goto('/admin/practitioners');
  await admin.getByRole('row').filter({ hasText: `Meera ${last}` }).getByRole('link').click();
  await expectNoAxeViolations(admin);
  await admin.getByRole('button', { name: 'Approve' }).click();
  await expect(admin.getByText('Approved').first()).toBeVisible();

  await page.goto('/practitioner');
  await expect(page.getByRole('heading', { name: 'Welcome, Meera' })).toBeVisible();
  await page.getByRole('link', { name: 'See your public profile' }).click();
  await expect(page).toHaveURL(new RegExp(`/p/meera-lead${unique}$`));
  await expect(page.getByRole('heading', { name: `Meera ${last}` })).toBeVisible();
  await expect(page.getByText('Vedic astrologer reading charts with care')).toBeVisible();
  await expectNoAxeViolations(page);
  await adminContext.close();
});

test('a practitioner resumes the wizard from a second browser at the first incomplete step', async ({ page, browser }) => {
  const practitioner = createUser('practitioner', 'Ravi Kumar');
  await logIn(page, practitioner.email, practitioner.password);
  await expect(page).toHaveURL(/\/onboarding(\/1)?$/);
  await page.getByLabel('First name', { exact: true }).fill('Ravi');
  await page.getByLabel('Last name', { exact: true }).fill('Kumar');
  await page.getByLabel('Mobile number').fill('+44 7700 900' + String(Date.now() % 1000).padStart(3, '0'));
  await page.getByLabel('Location', { exact: true }).fill('Leeds, United Kingdom');
  await submitWith(page, 'Save and continue');
  await expect(page.getByRole('heading', { name: 'Step 2: Visual profile' })).toBeVisible();

  const other = await browser.newContext();
  const second = await other.newPage();
  await logIn(second, practitioner.email, practitioner.password);
  await expect(second).toHaveURL(/\/onboarding(\/2)?$/);
  await expect(second.getByRole('heading', { name: 'Step 2: Visual profile' })).toBeVisible();
  await second.getByRole('link', { name: /1\. Basic info/ }).click();
  await expect(second.getByLabel('Location', { exact: true })).toHaveValue('Leeds, United Kingdom');
  await other.close();
});
