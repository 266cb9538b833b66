import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { addVirtualAuthenticator, describeInBrowser, launchChromium, screenshot } from './support/browser';

// A page that registers a credential with whatever authenticator is attached, on a
// `localhost` origin (Chromium refuses WebAuthn on 127.0.0.1 and on non-secure hosts).
const PAGE = `<!doctype html><meta charset="utf-8"><title>harness</title>
<button id="go">Register</button><output id="out"></output>
<script>
document.getElementById('go').addEventListener('click', async () => {
  const out = document.getElementById('out');
  try {
    const credential = await navigator.credentials.create({ publicKey: {
      rp: { id: 'localhost', name: 'Keyhaven harness' },
      user: { id: new TextEncoder().encode('user-1'), name: 'ada@example.test', displayName: 'Ada' },
      challenge: crypto.getRandomValues(new Uint8Array(32)),
      pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
      authenticatorSelection: { residentKey: location.hash === '#passkey' ? 'required' : 'discouraged',
                                userVerification: location.hash === '#passkey' ? 'required' : 'discouraged' },
      timeout: 10000,
    }});
    out.textContent = 'ok:' + credential.id;
  } catch (error) {
    out.textContent = 'error:' + error.name;
  }
});
</script>`;

describeInBrowser('browser harness (Debian Chromium + CDP virtual authenticators)', () => {
  let browser: Browser;
  let server: Server;
  let origin: string;

  beforeAll(async () => {
    server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://localhost:${(server.address() as AddressInfo).port}`;
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  it.each([
    ['security-key', ''],
    ['platform-passkey', '#passkey'],
  ] as const)('registers a credential on a %s', async (kind, hash) => {
    const page = await browser.newPage();
    const authenticator = await addVirtualAuthenticator(page, kind);
    await page.goto(`${origin}/${hash}`);
    await page.click('#go');
    await page.waitForFunction(() => document.getElementById('out')?.textContent !== '');
    const result = await page.textContent('#out');
    await screenshot(page, 'browser-harness', kind);
    expect(result).toMatch(/^ok:[\w-]+$/);
    const [stored] = await authenticator.credentials();
    expect(stored?.rpId).toBe('localhost');
    expect(stored?.isResidentCredential).toBe(kind === 'platform-passkey');
    await page.close();
  });
});
