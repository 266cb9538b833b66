import { randomBytes } from 'node:crypto';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { freePort, ServiceProcess, startService } from '@keyhaven/testing';
import { addVirtualAuthenticator, describeInBrowser, launchChromium } from './support/browser';
import { freshStore, FreshStore } from './support/fresh-database';

/*
 * The WebAuthn ceremonies of the built auth-service against Chromium's own authenticator code
 * (CDP virtual authenticators): the browser makes the attestation and assertion bytes, so the
 * server is checked against an implementation it was not written with. No page of ours is
 * involved — options go in and answers come out through navigator.credentials in a blank page
 * on an allowed origin (and, for the negative case, on an origin auth-service does not allow).
 */

const PASSWORD = 'lantern-orbit-velvet-42';
const J = { 'content-type': 'application/json' };

type Json = Record<string, unknown>;

/** navigator.credentials.create/get with the JSON options of the server; the answer as JSON (base64url). */
async function ceremony(page: Page, kind: 'create' | 'get', options: Json): Promise<Json> {
  return page.evaluate(
    async ({ kind, options }) => {
      const toBytes = (text: string) =>
        Uint8Array.from(atob(text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4)), (c) => c.charCodeAt(0));
      const toText = (buffer: ArrayBuffer | null) =>
        buffer
          ? btoa(String.fromCharCode(...new Uint8Array(buffer)))
              .replace(/\+/g, '-')
              .replace(/\//g, '_')
              .replace(/=+$/, '')
          : undefined;
      const o = options as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON from the server
      const credentialList = (list: { id: string }[] | undefined) => (list ?? []).map((c) => ({ ...c, id: toBytes(c.id) }));
      if (kind === 'create') {
        const credential = (await navigator.credentials.create({
          publicKey: {
            ...o,
            challenge: toBytes(o.challenge),
            user: { ...o.user, id: toBytes(o.user.id) },
            excludeCredentials: credentialList(o.excludeCredentials),
          },
        } as unknown as CredentialCreationOptions)) as PublicKeyCredential;
        const response = credential.response as AuthenticatorAttestationResponse;
        return {
          id: credential.id,
          rawId: toText(credential.rawId),
          type: credential.type,
          response: {
            clientDataJSON: toText(response.clientDataJSON),
            attestationObject: toText(response.attestationObject),
            transports: response.getTransports(),
          },
          clientExtensionResults: {},
        };
      }
      const credential = (await navigator.credentials.get({
        publicKey: { ...o, challenge: toBytes(o.challenge), allowCredentials: credentialList(o.allowCredentials) },
      } as unknown as CredentialRequestOptions)) as PublicKeyCredential;
      const response = credential.response as AuthenticatorAssertionResponse;
      return {
        id: credential.id,
        rawId: toText(credential.rawId),
        type: credential.type,
        response: {
          clientDataJSON: toText(response.clientDataJSON),
          authenticatorData: toText(response.authenticatorData),
          signature: toText(response.signature),
          userHandle: toText(response.userHandle),
        },
        clientExtensionResults: {},
      };
    },
    { kind, options },
  );
}

describeInBrowser('WebAuthn ceremonies with Chromium virtual authenticators (built auth-service)', () => {
  let store: FreshStore;
  let service: ServiceProcess;
  let browser: Browser;
  let blank: Server;
  let allowedOrigin: string;
  let otherOrigin: string;

  beforeAll(async () => {
    store = await freshStore();
    const port = await freePort();
    allowedOrigin = `http://localhost:${port}`;
    service = await startService('auth-service', {
      ...store.env,
      PORT: String(port),
      AUTH_WEBAUTHN_RP_ID: 'localhost',
      AUTH_WEBAUTHN_ORIGINS: allowedOrigin,
      AUTH_THROTTLE_LIMIT: '1000',
    });
    await service.ready();
    // A blank page on another localhost port: same RP ID, an origin auth-service does not allow.
    blank = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>other</title>'));
    await new Promise<void>((resolve) => blank.listen(0, '127.0.0.1', resolve));
    otherOrigin = `http://localhost:${(blank.address() as AddressInfo).port}`;
    browser = await launchChromium();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => blank?.close(resolve));
    if (service) {
      service.child.kill('SIGTERM');
      await service.exited;
    }
    await store?.remove();
  });

  async function call(path: string, body: unknown, token?: string): Promise<{ status: number; json: Json }> {
    const response = await fetch(`${service.url}${path}`, {
      method: 'POST',
      headers: { ...J, ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
    return { status: response.status, json: (await response.json()) as Json };
  }

  const code = (answer: { json: Json }) => (answer.json['error'] as { code: string } | undefined)?.code;

  async function newAccount() {
    const email = `wa-${randomBytes(4).toString('hex')}@example.test`;
    expect((await call('/v1/accounts', { email, password: PASSWORD })).status).toBe(201);
    const signIn = async () => (await call('/v1/sessions', { email, password: PASSWORD })).json['accessToken'] as string;
    return { email, signIn };
  }

  async function pageOn(origin: string) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(origin === allowedOrigin ? `${origin}/health/live` : origin);
    return { context, page };
  }

  it('registers a USB key and passes the second step; a replayed assertion and a cloned key are refused', async () => {
    const account = await newAccount();
    const { context, page } = await pageOn(allowedOrigin);
    const key = await addVirtualAuthenticator(page, 'security-key');

    const token = await account.signIn();
    const creation = await call('/v1/me/factors/webauthn/options', { currentPassword: PASSWORD }, token);
    const registered = await call('/v1/me/factors/webauthn', { name: 'Chromium key', response: await ceremony(page, 'create', creation.json) }, token);
    expect(registered.status).toBe(201);
    expect(registered.json['recoveryCodes']).toHaveLength(10);

    const pending = await account.signIn();
    const request = await call('/v1/sessions/mfa/webauthn/options', {}, pending);
    const assertion = await ceremony(page, 'get', request.json);
    const passed = await call('/v1/sessions/mfa/webauthn', { response: assertion }, pending);
    expect(passed.status).toBe(200);
    expect(passed.json['aal']).toBe(2);

    const replayed = await call('/v1/sessions/mfa/webauthn', { response: assertion }, await account.signIn());
    expect(replayed.status).toBe(401);
    expect(code(replayed)).toBe('challenge_not_found');

    // A clone: the same private key in a second authenticator whose counter lags behind.
    const { credentials } = (await key.cdp.send('WebAuthn.getCredentials', { authenticatorId: key.id } as never)) as unknown as { credentials: Json[] };
    expect(credentials).toHaveLength(1);
    await key.remove();
    const clone = await addVirtualAuthenticator(page, 'security-key');
    await clone.cdp.send('WebAuthn.addCredential', { authenticatorId: clone.id, credential: { ...credentials[0], signCount: 0 } } as never);
    const clonePending = await account.signIn();
    const cloneRequest = await call('/v1/sessions/mfa/webauthn/options', {}, clonePending);
    const cloned = await call('/v1/sessions/mfa/webauthn', { response: await ceremony(page, 'get', cloneRequest.json) }, clonePending);
    expect(cloned.status).toBe(401);
    expect(code(cloned)).toBe('counter_regression');
    await context.close();
  });

  it('signs in with a platform passkey alone', async () => {
    const account = await newAccount();
    const { context, page } = await pageOn(allowedOrigin);
    await addVirtualAuthenticator(page, 'platform-passkey');
    const token = await account.signIn();
    const creation = await call('/v1/me/factors/webauthn/options', { passkey: true, currentPassword: PASSWORD }, token);
    expect((await call('/v1/me/factors/webauthn', { name: 'Laptop', response: await ceremony(page, 'create', creation.json) }, token)).status).toBe(201);
    const options = await call('/v1/sessions/passkey/options', {});
    expect(options.json).toMatchObject({ allowCredentials: [], userVerification: 'required' });
    const signedIn = await call('/v1/sessions/passkey', { response: await ceremony(page, 'get', options.json) });
    expect(signedIn.status).toBe(200);
    const claims = JSON.parse(Buffer.from(String(signedIn.json['accessToken']).split('.')[1] ?? '', 'base64url').toString('utf8')) as Json;
    expect(claims).toMatchObject({ aal: 2, amr: ['hwk', 'user', 'mfa'] });
    await context.close();
  });

  it('refuses a ceremony made on an origin that is not allowed (webauthn_failed)', async () => {
    const account = await newAccount();
    const { context, page } = await pageOn(otherOrigin);
    await addVirtualAuthenticator(page, 'security-key');
    const token = await account.signIn();
    const creation = await call('/v1/me/factors/webauthn/options', { currentPassword: PASSWORD }, token);
    const refused = await call('/v1/me/factors/webauthn', { name: 'Elsewhere', response: await ceremony(page, 'create', creation.json) }, token);
    expect(refused.status).toBe(401);
    expect(code(refused)).toBe('webauthn_failed');
    expect(String((refused.json['error'] as Json)['message'])).toContain('origin');
    await context.close();
  });
});
