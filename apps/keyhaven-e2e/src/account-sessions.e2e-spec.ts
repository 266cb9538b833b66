import type { Browser, Page } from 'playwright-core';
import { describeInBrowser, launchChromium, screenshot } from './support/browser';
import {
  alertText,
  Harness,
  newAccountWithTotp,
  openPage,
  PASSWORD,
  Stack,
  STACK_START_TIMEOUT_MS,
  startStack,
  totpAt,
  waitForText,
} from './support/account-page';

const SUITE = 'account-sessions';
/** Short-lived access tokens, so the page's refresh (at 80 %, at least 5 s ahead) runs within the test. */
const ACCESS_TOKEN_TTL_SECONDS = 10;

async function signIn(page: Page, email: string): Promise<void> {
  await page.fill('#email', email);
  await page.fill('#password', PASSWORD);
  await page.click('#password-submit');
}

async function secondStepWithTotp(page: Page, code: string, remember: boolean): Promise<void> {
  await page.locator('#totp-code').waitFor({ state: 'visible' });
  if (remember) {
    await page.check('#remember-device');
    await screenshot(page, SUITE, '01-second-step-remember');
  }
  await page.fill('#totp-code', code);
  await page.click('#method-totp button[type="submit"]');
  await page.locator('#view-account').waitFor({ state: 'visible' });
}

describeInBrowser('account page: where you are signed in, remembered devices, refresh (built page and auth-service, Debian Chromium)', () => {
  let stack: Stack | undefined;
  let browser: Browser;
  const h = {} as Harness;

  beforeAll(async () => {
    browser = await launchChromium();
    h.browser = browser;
    stack = await startStack({ AUTH_ACCESS_TOKEN_TTL: `${ACCESS_TOKEN_TTL_SECONDS}s` });
    h.apiUrl = stack.apiUrl;
    h.origin = stack.origin;
  }, STACK_START_TIMEOUT_MS);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('remembers a device, lists sessions, signs one out from a second browser, and the first page signs out cleanly; refresh keeps a page signed in past its token', async () => {
    const { email, secret } = await newAccountWithTotp(h);

    // Laptop: password + code, "remember this device".
    const laptop = await openPage(h);
    await signIn(laptop.page, email);
    await secondStepWithTotp(laptop.page, await totpAt(secret), true);
    await waitForText(laptop.page, '#session-list', /This device/);
    await waitForText(laptop.page, '#device-list', /Linux/);
    // This one, and the session the API set-up left open.
    expect(await laptop.page.locator('#session-list li').count()).toBe(2);
    const laptopSession = await laptop.page.locator('#session-list li[data-current]').getAttribute('data-session-id');
    // The device token is in an HttpOnly cookie the page's script cannot read.
    const cookies = await laptop.context.cookies();
    expect(cookies.find((c) => c.name === 'kh_device')).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Strict', path: '/v1/sessions' });
    expect(await laptop.page.evaluate(() => document.cookie)).toBe('');

    // Phone: another browser context, a later code, not remembered.
    const phone = await openPage(h, { width: 420, height: 900 });
    await signIn(phone.page, email);
    await secondStepWithTotp(phone.page, await totpAt(secret, 1), false);
    await waitForText(phone.page, '#session-list', /This device/);
    await phone.page.waitForFunction(() => document.querySelectorAll('#session-list li').length === 3);
    await screenshot(phone.page, SUITE, '02-where-you-are-signed-in');

    // The phone signs the laptop out.
    await phone.page.click(`#session-list li[data-session-id="${laptopSession}"] button`);
    await phone.page.waitForFunction(() => document.querySelectorAll('#session-list li').length === 2);
    await waitForText(phone.page, '#status', /Signed out/);

    // The laptop's next refresh fails: it signs out cleanly, with a message, within the refresh interval.
    await laptop.page.locator('#view-sign-in').waitFor({ state: 'visible', timeout: ACCESS_TOKEN_TTL_SECONDS * 1000 });
    expect(await alertText(laptop.page)).toMatch(/session has ended/i);
    await screenshot(laptop.page, SUITE, '03-signed-out-elsewhere');

    // Back on the laptop: the password alone signs in on the remembered device.
    await signIn(laptop.page, email);
    await laptop.page.locator('#view-account').waitFor({ state: 'visible' });
    await waitForText(laptop.page, '#status', /remembered device/);
    await waitForText(laptop.page, '#session-list', /Password on a remembered device/);

    // The phone has lived past its first access token on refreshes alone: it still works.
    await phone.page.waitForTimeout((ACCESS_TOKEN_TTL_SECONDS + 2) * 1000);
    await phone.page.click('#sign-out-others');
    await phone.page.click('button:has-text("Yes, sign out")');
    await waitForText(phone.page, '#status', /Signed out 2 other devices/);
    expect(phone.problems).toEqual([]);
    expect(laptop.problems).toEqual([]);

    // Forget the laptop from the phone; the header's sign-out ends the phone's session on the server.
    await phone.page.click('#device-list button');
    await waitForText(phone.page, '#status', /forgotten/);
    await phone.page.click('#sign-out');
    await phone.page.locator('#view-sign-in').waitFor({ state: 'visible' });
    await phone.context.close();
    await laptop.context.close();
  });
});
