import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { generate } from 'otplib';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { freePort, ServiceProcess, startService, WORKSPACE } from '@keyhaven/testing';
import { freshStore, FreshStore } from './fresh-database';

/*
 * The account page (dist/apps/account-web, built by `nx run account-web:build`) in Debian's
 * Chromium, served by the real built auth-service at `/` with its own headers
 * (apps/auth-service/src/account-web/). The page must be on a `localhost` origin (WebAuthn
 * refuses 127.0.0.1) and talks to the API with relative paths: the service's origin is both.
 */
export const PAGE_DIR = join(WORKSPACE, 'dist/apps/account-web');
export const PASSWORD = 'lantern-orbit-velvet-42';
/** A first boot creates and migrates a fresh store (initdb included, on a busy 2-core runner). */
export const STACK_START_TIMEOUT_MS = 180_000;

/** RFC 6238 codes computed here from the secret the page shows (otplib: SHA-1, 6 digits, 30 s). */
export function totpAt(secret: string, offsetSteps = 0): Promise<string> {
  return generate({ secret, epoch: Math.floor(Date.now() / 1000) + offsetSteps * 30 });
}

/** A 6-digit code that is none of the ones the server would accept right now. */
export async function wrongCode(secret: string): Promise<string> {
  const valid = new Set(await Promise.all([-1, 0, 1].map((step) => totpAt(secret, step))));
  let code = 0;
  while (valid.has(String(code).padStart(6, '0'))) code += 1;
  return String(code).padStart(6, '0');
}

export interface Harness {
  browser: Browser;
  apiUrl: string;
  origin: string;
}

export interface Stack {
  apiUrl: string;
  origin: string;
  stop(): Promise<void>;
}

/** The built auth-service on a fresh store, serving the page on its `localhost` origin. */
export async function startStack(env: Record<string, string> = {}): Promise<Stack> {
  if (!existsSync(join(PAGE_DIR, 'index.html'))) {
    throw new Error(`${PAGE_DIR} is missing: build the page first (npx nx run account-web:build)`);
  }
  const store: FreshStore = await freshStore();
  const apiPort = await freePort();
  const origin = `http://localhost:${apiPort}`;
  let service: ServiceProcess | undefined;
  const stop = async () => {
    if (service) {
      service.child.kill('SIGTERM');
      await service.exited;
    }
    await store.remove();
  };
  try {
    service = await startService('auth-service', {
      ...store.env,
      PORT: String(apiPort),
      AUTH_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
      AUTH_WEBAUTHN_RP_ID: 'localhost',
      AUTH_WEBAUTHN_RP_NAME: 'Keyhaven',
      AUTH_WEBAUTHN_ORIGINS: origin,
      // Every sign-in of these tests comes from 127.0.0.1; the per-IP limit is tested elsewhere.
      AUTH_THROTTLE_LIMIT: '1000',
      ...env,
    });
    await service.ready();
    return { apiUrl: service.url, origin, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

export function newEmail(): string {
  return `user-${randomBytes(4).toString('hex')}@example.test`;
}

export async function api<T>(h: Harness, method: string, path: string, body?: unknown, token?: string): Promise<T> {
  const response = await fetch(`${h.apiUrl}${path}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path} → ${response.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

export async function newAccount(h: Harness): Promise<string> {
  const email = newEmail();
  await api(h, 'POST', '/v1/accounts', { email, password: PASSWORD });
  return email;
}

/** An account that already has an authenticator app and recovery codes (set up over the API). */
export async function newAccountWithTotp(h: Harness): Promise<{ email: string; secret: string; recoveryCodes: string[] }> {
  const email = await newAccount(h);
  const { accessToken } = await api<{ accessToken: string }>(h, 'POST', '/v1/sessions', { email, password: PASSWORD });
  const enrollment = await api<{ id: string; secret: string }>(h, 'POST', '/v1/me/factors/totp', { name: 'Phone', currentPassword: PASSWORD }, accessToken);
  // One step back, so the current step stays free for the sign-in the test does through the page.
  const confirmed = await api<{ recoveryCodes: string[] }>(
    h,
    'POST',
    `/v1/me/factors/totp/${enrollment.id}/confirm`,
    { code: await totpAt(enrollment.secret, -1) },
    accessToken,
  );
  return { email, secret: enrollment.secret, recoveryCodes: confirmed.recoveryCodes };
}

/**
 * A page that records CSP and Trusted Types violations, script errors and missing page files,
 * so a test can insist on none (API answers of 4xx are expected and not counted).
 */
export async function openPage(h: Harness, viewport = { width: 1024, height: 900 }): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
  const context = await h.browser.newContext({ viewport, acceptDownloads: true });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: h.origin });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy|Trusted Type|Refused to/i.test(message.text())) problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('response', (response) => {
    const path = new URL(response.url()).pathname;
    if (response.status() >= 400 && !path.startsWith('/v1/')) problems.push(`${response.status()} ${path}`);
  });
  await page.goto(`${h.origin}/`);
  await page.waitForSelector('html[data-ready="true"]');
  return { context, page, problems };
}

/** Waits until keyboard focus is on the element with this id (focus moves after each step). */
export async function expectFocusOn(page: Page, id: string): Promise<void> {
  try {
    await page.waitForFunction((wanted) => document.activeElement?.id === wanted, id, { timeout: 5_000 });
  } catch {
    throw new Error(`focus is on #${await page.evaluate(() => document.activeElement?.id ?? '(none)')}, expected #${id}`);
  }
}

export async function alertText(page: Page): Promise<string> {
  await page.locator('#alert').waitFor({ state: 'visible' });
  return (await page.locator('#alert').textContent()) ?? '';
}

/** Waits until an element's text matches (the page fills lists after its requests return). */
export async function waitForText(page: Page, selector: string, pattern: RegExp): Promise<void> {
  await page.waitForFunction(([sel, source, flags]) => new RegExp(source, flags).test(document.querySelector(sel)?.textContent ?? ''), [
    selector,
    pattern.source,
    pattern.flags,
  ] as const);
}

export async function signInWithPassword(page: Page, email: string): Promise<void> {
  await page.fill('#email', email);
  await page.fill('#password', PASSWORD);
  await page.click('#password-submit');
}
