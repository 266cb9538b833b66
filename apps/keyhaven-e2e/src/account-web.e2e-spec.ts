import { readFile } from 'node:fs/promises';
import { addVirtualAuthenticator, describeInBrowser, launchChromium, screenshot } from './support/browser';
import {
  PASSWORD,
  STACK_START_TIMEOUT_MS,
  totpAt,
  wrongCode,
  Harness,
  Stack,
  startStack,
  newAccount,
  newAccountWithTotp,
  openPage,
  expectFocusOn,
  alertText,
  waitForText,
  signInWithPassword,
} from './support/account-page';

const SUITE = 'account-web';

describeInBrowser('account web page (built page, built auth-service, Debian Chromium)', () => {
  let stack: Stack | undefined;
  const h = {} as Harness;

  beforeAll(async () => {
    h.browser = await launchChromium();
    stack = await startStack();
    h.apiUrl = stack.apiUrl;
    h.origin = stack.origin;
  }, STACK_START_TIMEOUT_MS);

  afterAll(async () => {
    await h.browser?.close();
    await stack?.stop();
  });

  it('is served with a strict CSP and carries no inline script or style', async () => {
    const response = await fetch(`${h.origin}/`);
    const html = await response.text();
    expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(response.headers.get('content-security-policy')).not.toContain('unsafe-inline');
    // (The build minifies index.html, so attribute quotes may be gone.)
    expect(html).toMatch(/<script src="?app\.js"? defer><\/script>/);
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
  });

  it('shares its origin with API docs under their own CSP (rendered without a violation), and serves no source map', async () => {
    expect((await fetch(`${h.origin}/app.js.map`)).status).toBe(404);
    expect(await (await fetch(`${h.origin}/app.js`)).text()).not.toContain('sourceMappingURL');
    const docs = await fetch(`${h.origin}/docs`);
    expect(docs.headers.get('content-security-policy')).toMatch(/default-src 'none'; script-src 'self';/);
    const context = await h.browser.newContext();
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    await page.goto(`${h.origin}/docs`);
    await page.locator('.swagger-ui .info .title').waitFor();
    await page.locator('.swagger-ui .opblock').first().waitFor();
    expect(problems).toEqual([]);
    await context.close();
  });

  it('enrolls an authenticator app, steps up to regenerate recovery codes, and signs in with a code', async () => {
    const email = await newAccount(h);
    const { context, page, problems } = await openPage(h);
    await screenshot(page, SUITE, 'totp-01-sign-in');
    await expect(page.title()).resolves.toBe('Sign in – Keyhaven');
    // Every field has a label and every button a name (the rest of the page is built the same way).
    await expect(
      page.evaluate(() => ({
        lang: document.documentElement.lang,
        unlabelled: Array.from(document.querySelectorAll('input'))
          .filter((input) => !input.labels?.length)
          .map((input) => input.id),
        unnamed: Array.from(document.querySelectorAll('button'))
          .filter((b) => !(b.textContent?.trim() || b.getAttribute('aria-label')))
          .map((b) => b.id),
        images: Array.from(document.querySelectorAll('img'))
          .filter((img) => !img.alt)
          .map((img) => img.id),
      })),
    ).resolves.toEqual({ lang: 'en', unlabelled: [], unnamed: [], images: [] });

    // Password only (no factor yet): signed in at aal1, focus on the page heading.
    await page.focus('#email');
    await page.keyboard.type(email);
    await page.keyboard.press('Tab');
    await page.keyboard.type(PASSWORD);
    // Keyboard focus is visible (a solid outline on the focused field).
    await expect(page.evaluate(() => document.activeElement && getComputedStyle(document.activeElement).outlineStyle)).resolves.toBe('solid');
    await screenshot(page, SUITE, 'totp-01b-keyboard-focus');
    await page.keyboard.press('Enter');
    await page.locator('#view-account').waitFor();
    await expectFocusOn(page, 'account-title');
    await expect(page.title()).resolves.toBe('Your account – Keyhaven');
    await expect(page.locator('#who').textContent()).resolves.toBe(`Signed in as ${email}`);
    await page.locator('#no-factors').waitFor();
    // Memory only: nothing in storage, cookies or the address.
    await expect(page.evaluate(() => [localStorage.length, sessionStorage.length, document.cookie, location.href])).resolves.toEqual([
      0,
      0,
      '',
      `${h.origin}/`,
    ]);
    await screenshot(page, SUITE, 'totp-02-signed-in-password-only');

    // Add an authenticator app: the first factor needs the password again (a stolen session
    // alone cannot enroll one), then QR code, the secret as text, confirm with a code.
    await page.fill('#totp-name', 'Work phone');
    await page.click('#totp-enroll-form button[type=submit]');
    expect(await alertText(page)).toMatch(/^Enter your current password/);
    await expectFocusOn(page, 'current-password');
    await page.fill('#current-password', 'not my password');
    await page.click('#totp-enroll-form button[type=submit]');
    await waitForText(page, '#alert', /^That is not your current password\.$/);
    await expectFocusOn(page, 'current-password');
    await screenshot(page, SUITE, 'totp-02b-current-password-wrong');
    await page.fill('#current-password', PASSWORD);
    await page.click('#totp-enroll-form button[type=submit]');
    await page.locator('#totp-setup').waitFor();
    await expectFocusOn(page, 'totp-setup-title');
    await page.waitForFunction(() => {
      const qr = document.getElementById('totp-qr') as HTMLImageElement | null;
      return qr?.complete === true && qr.naturalWidth > 0;
    });
    const secret = ((await page.locator('#totp-secret').textContent()) ?? '').replace(/\s+/g, '');
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    await screenshot(page, SUITE, 'totp-03-qr-code-and-secret');

    await page.fill('#totp-confirm-code', await wrongCode(secret));
    await page.click('#totp-confirm-form button[type=submit]');
    expect(await alertText(page)).toMatch(/^That code is not valid/);
    await expectFocusOn(page, 'totp-confirm-code');
    await screenshot(page, SUITE, 'totp-04-wrong-confirmation-code');

    await page.fill('#totp-confirm-code', await totpAt(secret, -1));
    await page.click('#totp-confirm-form button[type=submit]');
    await page.locator('#recovery-codes-panel').waitFor();
    await expectFocusOn(page, 'recovery-codes-title');
    const firstCodes = await page.locator('#recovery-codes-list code').allTextContents();
    expect(firstCodes).toHaveLength(10);
    await expect(page.locator('#factor-list li').allTextContents()).resolves.toEqual([expect.stringContaining('Work phone')]);
    await screenshot(page, SUITE, 'totp-05-first-recovery-codes');
    // With a factor on the account, the next one needs a second-factor session, not the password.
    await expect(page.locator('#first-factor-password').isHidden()).resolves.toBe(true);

    // Copy and download give the same ten codes.
    await page.click('#copy-codes');
    await expect(page.evaluate(() => navigator.clipboard.readText())).resolves.toBe(firstCodes.join('\n'));
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-codes')]);
    expect(download.suggestedFilename()).toMatch(/^keyhaven-recovery-codes-\d{4}-\d{2}-\d{2}\.txt$/);
    const file = await readFile((await download.path())!, 'utf8');
    for (const code of firstCodes) expect(file).toContain(code);
    await page.click('#codes-saved');
    await expect(page.locator('#recovery-codes-panel').isHidden()).resolves.toBe(true);
    await expect(page.locator('#recovery-codes-list li').count()).resolves.toBe(0);

    // The session is still aal1 and the account now has a factor: regenerating needs a step-up.
    // Escape backs out of it and changes nothing…
    await page.click('#regenerate-codes');
    await page.click('text=Yes, generate');
    await page.locator('#view-sign-in').waitFor();
    await page.keyboard.press('Escape');
    await page.locator('#view-account').waitFor();
    await waitForText(page, '#status', /^Nothing was changed\.$/);
    await expectFocusOn(page, 'account-title');
    await expect(page.locator('#recovery-codes-panel').isHidden()).resolves.toBe(true);
    // …and going through with it continues the regeneration.
    await page.click('#regenerate-codes');
    await page.click('text=Yes, generate');
    await page.locator('#view-sign-in').waitFor();
    await expect(page.locator('#sign-in-title').textContent()).resolves.toBe('Confirm it’s you');
    await expect(page.locator('#email').inputValue()).resolves.toBe(email);
    await expectFocusOn(page, 'password');
    await screenshot(page, SUITE, 'totp-06-step-up-password');
    await page.fill('#password', PASSWORD);
    await page.click('#password-submit');
    await page.locator('#view-second-step').waitFor();
    await expect(page.locator('#method-totp').isVisible()).resolves.toBe(true);
    await expect(page.locator('#method-recovery').isVisible()).resolves.toBe(true);
    await expectFocusOn(page, 'totp-code');
    await screenshot(page, SUITE, 'totp-07-step-up-second-factor');
    await page.fill('#totp-code', await totpAt(secret));
    await page.click('#method-totp button[type=submit]');
    // …and the regeneration the user asked for goes through on its own.
    await page.locator('#recovery-codes-panel').waitFor();
    const newCodes = await page.locator('#recovery-codes-list code').allTextContents();
    expect(newCodes).toHaveLength(10);
    expect(newCodes.filter((code) => firstCodes.includes(code))).toEqual([]);
    await waitForText(page, '#status', /New recovery codes generated/);
    await screenshot(page, SUITE, 'totp-08-regenerated-after-step-up');
    await page.click('#codes-saved');

    // Sign out: the page forgets the session; a new sign-in needs password + code.
    await page.click('#sign-out');
    await page.locator('#view-sign-in').waitFor();
    await expect(page.locator('#status').textContent()).resolves.toBe('You have signed out.');
    await expect(page.locator('#factor-list li').count()).resolves.toBe(0);
    await screenshot(page, SUITE, 'totp-09-signed-out');

    await signInWithPassword(page, email);
    await page.locator('#view-second-step').waitFor();
    await expect(page.locator('#method-webauthn').isVisible()).resolves.toBe(false);
    await page.fill('#totp-code', await wrongCode(secret));
    await page.click('#method-totp button[type=submit]');
    expect(await alertText(page)).toMatch(/^That code is not valid/);
    await screenshot(page, SUITE, 'totp-10-wrong-sign-in-code');
    await page.fill('#totp-code', await totpAt(secret, 1));
    await page.click('#method-totp button[type=submit]');
    await page.locator('#view-account').waitFor();
    await expect(page.locator('#status').textContent()).resolves.toBe('Signed in with two factors.');
    const card = page.locator('#factor-list li', { hasText: 'Work phone' });
    await card.waitFor();
    await expect(card.locator('dd').nth(1).textContent()).resolves.not.toBe('Never');
    await waitForText(page, '#recovery-remaining', /^10 of 10 recovery codes left/);
    await page.locator('#event-list li', { hasText: 'Factor added' }).waitFor();
    await page.locator('#event-list li', { hasText: 'New recovery codes generated' }).waitFor();
    await page.locator('#event-list li', { hasText: 'Wrong second-factor code or key' }).first().waitFor();
    await screenshot(page, SUITE, 'totp-11-signed-in-with-code');

    // Reloading the tab is signing out: the token lived only in memory.
    await page.reload();
    await page.waitForSelector('html[data-ready="true"]');
    await expect(page.locator('#view-sign-in').isVisible()).resolves.toBe(true);

    expect(problems).toEqual([]);
    await context.close();
  });

  it('signs in with a recovery code on a phone-sized screen, refuses it the second time, and removes a factor', async () => {
    const { email, recoveryCodes } = await newAccountWithTotp(h);
    const { context, page, problems } = await openPage(h, { width: 375, height: 740 });
    const noSideways = () => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);

    await page.fill('#email', email);
    await page.fill('#password', 'not-the-password');
    await page.click('#password-submit');
    expect(await alertText(page)).toBe('That email and password do not match an account.');
    await expectFocusOn(page, 'password');
    await screenshot(page, SUITE, 'recovery-01-wrong-password-375px');

    await signInWithPassword(page, email);
    await page.locator('#view-second-step').waitFor();
    await expect(noSideways()).resolves.toBe(true);
    await screenshot(page, SUITE, 'recovery-02-second-step-375px');

    // Typed the way people do: lower case, no dashes (the server ignores both).
    const [first, second] = recoveryCodes;
    await page.fill('#recovery-code', first!.toLowerCase().replace(/-/g, ''));
    await page.click('#method-recovery button[type=submit]');
    await page.locator('#view-account').waitFor();
    await waitForText(page, '#recovery-remaining', /^9 of 10 recovery codes left/);
    await page.locator('#event-list li', { hasText: 'Recovery code used' }).waitFor();
    await expect(noSideways()).resolves.toBe(true);
    await screenshot(page, SUITE, 'recovery-03-signed-in-with-recovery-code-375px');

    await page.click('#sign-out');
    await signInWithPassword(page, email);
    await page.locator('#view-second-step').waitFor();
    await page.fill('#recovery-code', first!);
    await page.click('#method-recovery button[type=submit]');
    expect(await alertText(page)).toBe('That recovery code is not valid, or it has been used already.');
    await expectFocusOn(page, 'recovery-code');
    await screenshot(page, SUITE, 'recovery-04-used-code-refused-375px');

    await page.fill('#recovery-code', second!);
    await page.click('#method-recovery button[type=submit]');
    await page.locator('#view-account').waitFor();
    await waitForText(page, '#recovery-remaining', /^8 of 10 recovery codes left/);

    // Remove the authenticator app (a fresh aal2 session: no step-up needed), with an inline confirmation.
    await page.click('#factor-list button[aria-label="Remove Phone"]');
    await expect(page.evaluate(() => document.activeElement?.textContent)).resolves.toBe('Yes, remove');
    await screenshot(page, SUITE, 'recovery-05-confirm-remove-375px');
    await page.keyboard.press('Enter');
    await waitForText(page, '#status', /^Removed “Phone”\.$/);
    await page.locator('#no-factors').waitFor();
    await expect(page.locator('#factor-list li').count()).resolves.toBe(0);
    await expectFocusOn(page, 'factors-title');
    await page.locator('#event-list li', { hasText: 'Factor removed' }).waitFor();
    await expect(noSideways()).resolves.toBe(true);
    await screenshot(page, SUITE, 'recovery-06-factor-removed-375px');

    expect(problems).toEqual([]);
    await context.close();
  });

  it('registers a USB security key as second factor, then signs in with password + key', async () => {
    const email = await newAccount(h);
    const { context, page, problems } = await openPage(h);
    const key = await addVirtualAuthenticator(page, 'security-key');
    await signInWithPassword(page, email);
    await page.locator('#view-account').waitFor();

    await page.fill('#webauthn-name', 'Blue key');
    await page.fill('#current-password', PASSWORD);
    await page.click('#add-security-key');
    await page.locator('#recovery-codes-panel').waitFor();
    await page.locator('#factor-list li', { hasText: 'Blue key' }).filter({ hasText: 'Security key' }).waitFor();
    await screenshot(page, SUITE, 'key-01-registered');
    await page.click('#codes-saved');
    const [stored] = await key.credentials();
    expect(stored).toMatchObject({ rpId: 'localhost', isResidentCredential: false });

    await page.click('#sign-out');
    await signInWithPassword(page, email);
    await page.locator('#view-second-step').waitFor();
    await expectFocusOn(page, 'webauthn-step');
    await screenshot(page, SUITE, 'key-02-second-step');
    await page.click('#webauthn-step');
    await page.locator('#view-account').waitFor();
    await expect(page.locator('#status').textContent()).resolves.toBe('Signed in with two factors.');
    const card = page.locator('#factor-list li', { hasText: 'Blue key' });
    await card.waitFor();
    await expect(card.locator('dd').nth(1).textContent()).resolves.not.toBe('Never');
    await screenshot(page, SUITE, 'key-03-signed-in-with-key');
    expect((await key.credentials())[0]!.signCount).toBeGreaterThan(stored!.signCount);

    expect(problems).toEqual([]);
    await context.close();
  });

  it('registers a platform passkey and signs in with it alone', async () => {
    const email = await newAccount(h);
    const { context, page, problems } = await openPage(h);
    const platform = await addVirtualAuthenticator(page, 'platform-passkey');
    await signInWithPassword(page, email);
    await page.locator('#view-account').waitFor();
    await page.fill('#webauthn-name', 'Laptop passkey');
    await page.fill('#current-password', PASSWORD);
    await page.click('#add-passkey');
    await page.locator('#recovery-codes-panel').waitFor();
    await page.locator('#factor-list li', { hasText: 'Laptop passkey' }).filter({ hasText: 'Passkey' }).waitFor();
    await screenshot(page, SUITE, 'passkey-01-registered');
    await page.click('#codes-saved');
    const [stored] = await platform.credentials();
    expect(stored).toMatchObject({ rpId: 'localhost', isResidentCredential: true });

    await page.click('#sign-out');
    await page.click('#passkey-sign-in');
    await page.locator('#view-account').waitFor();
    await expect(page.locator('#who').textContent()).resolves.toBe(`Signed in as ${email}`);
    await expect(page.locator('#status').textContent()).resolves.toBe('Signed in with two factors.');
    await screenshot(page, SUITE, 'passkey-02-signed-in-with-passkey-alone');

    expect(problems).toEqual([]);
    await context.close();
  });

  it('"Your data": downloads a copy, shows what is kept for how long, and deletes the account after a clear confirmation', async () => {
    const { email, secret } = await newAccountWithTotp(h);
    const { context, page, problems } = await openPage(h);
    await signInWithPassword(page, email);
    await page.locator('#view-second-step').waitFor();
    await page.fill('#totp-code', await totpAt(secret));
    await page.click('#method-totp button[type=submit]');
    await page.locator('#view-account').waitFor();

    // What is kept, from the service's own records of processing (its running configuration).
    await page.locator('#your-data-block').scrollIntoViewIfNeeded();
    await waitForText(page, '#kept-list', /Security events, device and network: 365d after the event.*\(365 days, AUTH_EVENT_RETENTION\)/);
    await expect(page.locator('#records-link').getAttribute('href')).resolves.toBe('/v1/privacy/records');
    await screenshot(page, SUITE, 'your-data-01-section');

    // Download: the attachment the API answers, saved by the browser.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-data')]);
    expect(download.suggestedFilename()).toMatch(/^keyhaven-export-\d{4}-\d{2}-\d{2}\.json$/);
    const exported = JSON.parse(await readFile((await download.path())!, 'utf8'));
    expect(exported).toMatchObject({
      schema: 'keyhaven.export/v1',
      account: { email },
      factors: [{ type: 'totp', name: 'Phone' }],
      recoveryCodes: { remaining: 10 },
    });
    await waitForText(page, '#status', /^Your data was downloaded as keyhaven-export-/);
    // Once an hour: a second click says so instead of downloading.
    await page.click('#export-data');
    expect(await alertText(page)).toMatch(/^You can download your data once an hour/);

    // The readable records page the link opens (no script, so the page's CSP question does not arise).
    const records = await context.newPage();
    await records.goto(`${h.origin}/v1/privacy/records`);
    await expect(records.locator('h1').textContent()).resolves.toBe('Records of processing — auth-service');
    await records.close();

    // Delete: an inline confirmation first; "Keep" changes nothing.
    await page.click('#delete-account');
    await page.locator('#your-data-block .confirm').waitFor();
    await screenshot(page, SUITE, 'your-data-02-confirm-delete');
    await page.click('#your-data-block .confirm button.secondary');
    await expect(page.locator('#view-account').isVisible()).resolves.toBe(true);
    await page.click('#delete-account');
    await page.click('#your-data-block .confirm button.danger-solid');
    await page.locator('#view-sign-in').waitFor();
    await waitForText(page, '#status', /^Your account is closed and will be erased on .+\. We sent you a mail with a link to cancel before then\.$/);
    await screenshot(page, SUITE, 'your-data-03-deleted');

    // The password opens nothing any more, and the page says why.
    await signInWithPassword(page, email);
    expect(await alertText(page)).toMatch(/^This account is closed and will be erased/);
    expect(problems).toEqual([]);
    await context.close();
  });

  describe('with second factors enforced and the grace period over', () => {
    let enforced: Stack | undefined;
    const e = {} as Harness;

    beforeAll(async () => {
      enforced = await startStack({ AUTH_MFA_ENFORCED: 'all', AUTH_MFA_GRACE_PERIOD: '0s' });
      Object.assign(e, { browser: h.browser, apiUrl: enforced.apiUrl, origin: enforced.origin });
    }, STACK_START_TIMEOUT_MS);

    afterAll(async () => {
      await enforced?.stop();
    });

    it('lets an enroll-only session add an authenticator app, then asks to sign in again with it', async () => {
      const email = await newAccount(e);
      const { context, page, problems } = await openPage(e, { width: 375, height: 740 });
      await signInWithPassword(page, email);
      await page.locator('#view-account').waitFor();
      await waitForText(page, '#notices', /requires a second factor, and the time to add one has passed/);
      // An enroll-only token may not read recovery codes or events: those parts are not offered.
      await expect(page.locator('#recovery-block').isHidden()).resolves.toBe(true);
      await expect(page.locator('#events-block').isHidden()).resolves.toBe(true);
      await screenshot(page, SUITE, 'enforced-01-enroll-only-375px');

      await page.fill('#totp-name', 'Phone');
      await page.fill('#current-password', PASSWORD);
      await page.click('#totp-enroll-form button[type=submit]');
      await page.locator('#totp-setup').waitFor();
      const secret = ((await page.locator('#totp-secret').textContent()) ?? '').replace(/\s+/g, '');
      await page.fill('#totp-confirm-code', await totpAt(secret, -1));
      await page.click('#totp-confirm-form button[type=submit]');
      await page.locator('#recovery-codes-panel').waitFor();
      await expect(page.locator('#recovery-codes-list code').count()).resolves.toBe(10);
      await screenshot(page, SUITE, 'enforced-02-recovery-codes-375px');
      await page.click('#codes-saved');

      await page.locator('#view-sign-in').waitFor();
      await waitForText(page, '#status', /^Your second factor is on. Sign in again with it to continue.$/);
      await expect(page.locator('#email').inputValue()).resolves.toBe(email);
      await page.fill('#password', PASSWORD);
      await page.click('#password-submit');
      await page.locator('#view-second-step').waitFor();
      await page.fill('#totp-code', await totpAt(secret));
      await page.click('#method-totp button[type=submit]');
      await page.locator('#view-account').waitFor();
      await page.locator('#recovery-block').waitFor();
      await waitForText(page, '#recovery-remaining', /^10 of 10 recovery codes left/);
      await expect(page.locator('#notices').textContent()).resolves.toBe('');
      await screenshot(page, SUITE, 'enforced-03-full-session-375px');

      expect(problems).toEqual([]);
      await context.close();
    });
  });
});
