import { randomBytes } from 'node:crypto';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { ServiceProcess, startService, startWebhookReceiver, WebhookReceiver } from '@keyhaven/testing';
import { freshStore, FreshStore } from './support/fresh-database';

const ISSUER = 'http://auth.e2e.test';
const SUBSCRIBERS = 5;
const WINDOWS = 3;
/** announced, two reminders, started, completed. */
const NOTICES_PER_WINDOW = 5;

/** auth-service's part: a JWKS on a loopback port and ops tokens signed with its key. */
async function startJwks(): Promise<{ url: string; token: string; close(): Promise<void> }> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk);
  const server: Server = createServer((_request, response) => {
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ keys: [{ ...jwk, kid, alg: 'ES256', use: 'sig' }] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const now = Math.floor(Date.now() / 1000);
  const token = await new SignJWT({ email: 'ops@example.test', roles: ['ops'], aal: 2, amr: ['pwd', 'otp'], token_use: 'access' })
    .setProtectedHeader({ alg: 'ES256', kid })
    .setSubject('acc-ops')
    .setIssuer(ISSUER)
    .setAudience('keyhaven')
    .setIssuedAt(now)
    .setExpirationTime(now + 3600)
    .sign(privateKey);
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`,
    token,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

interface Stack {
  store: FreshStore;
  jwks: Awaited<ReturnType<typeof startJwks>>;
  receivers: WebhookReceiver[];
  env: Record<string, string>;
  services: ServiceProcess[];
}

async function setup(): Promise<Stack> {
  const store = await freshStore();
  const jwks = await startJwks();
  const receivers = await Promise.all(Array.from({ length: SUBSCRIBERS }, (_, i) => startWebhookReceiver(`subscriber-secret-${i}-0123456789`)));
  const env = {
    ...store.env,
    AUTH_JWKS_URL: jwks.url,
    AUTH_ISSUER: ISSUER,
    RELEASE_DEMO_DATA: 'false',
    RELEASE_KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64url'),
    MAINTENANCE_NOTICE_LEAD: '8s',
    MAINTENANCE_REMINDERS: '5s,2s',
    MAINTENANCE_WEBHOOK_TIMEOUT: '2s',
    MAINTENANCE_DELIVERY_RETRY_DELAY: '1s',
    JOBS_POLL_INTERVAL: '0.5s',
    // Jobs of a killed worker are failed (and retried) this soon after their expiry.
    JOBS_MAINTENANCE_INTERVAL: '1s',
    RELEASE_SEQUENCE_POLL: '1s',
    // The one ops token lives an hour (the test restarts processes), beyond the 15 min default.
    AUTH_MAX_TOKEN_LIFETIME: '1h',
    // The receivers listen on loopback, which the webhook egress policy refuses unless listed.
    MAINTENANCE_WEBHOOK_ALLOWLIST: '127.0.0.1',
  };
  return { store, jwks, receivers, env, services: [] };
}

async function teardown(stack: Stack | undefined): Promise<void> {
  if (!stack) return;
  for (const service of stack.services) {
    if (service.child.exitCode === null && service.child.signalCode === null) {
      service.child.kill('SIGTERM');
      await service.exited;
    }
  }
  await Promise.all(stack.receivers.map((receiver) => receiver.close()));
  await stack.jwks.close();
  await stack.store.remove();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function api(service: ServiceProcess, token: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const response = await fetch(`${service.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, json: await response.json() };
}

/** Subscribes every receiver and opens WINDOWS windows whose notices fall due over the next ~20 s. */
async function planNotices(stack: Stack, service: ServiceProcess): Promise<string[]> {
  for (const [i, receiver] of stack.receivers.entries()) {
    const created = await api(service, stack.jwks.token, 'POST', '/v1/subscriptions', {
      kind: 'webhook',
      url: receiver.url,
      secret: `subscriber-secret-${i}-0123456789`,
    });
    expect(created.status).toBe(201);
  }
  const ids: string[] = [];
  for (let i = 0; i < WINDOWS; i++) {
    const start = Date.now() + 9_000 + i * 2_000;
    const created = await api(service, stack.jwks.token, 'POST', '/v1/maintenance-windows', {
      title: `Window ${i}`,
      startsAt: new Date(start).toISOString(),
      endsAt: new Date(start + 4_000).toISOString(),
    });
    expect(created.status).toBe(201);
    ids.push(created.json.id as string);
  }
  return ids;
}

/** Every (window, notice type) reached every subscriber under exactly one delivery id, signed. */
function expectEveryNoticeOnce(stack: Stack, windowIds: string[]): { duplicates: number } {
  let duplicates = 0;
  for (const receiver of stack.receivers) {
    const idsByNotice = new Map<string, Set<string>>();
    for (const hook of receiver.received) {
      expect(hook.signatureValid).toBe(true);
      const body = hook.body as { id: string; type: string; window: { id: string } };
      expect(body.id).toBe(hook.deliveryId);
      const key = `${body.window.id} ${body.type}`;
      idsByNotice.set(key, (idsByNotice.get(key) ?? new Set()).add(body.id));
    }
    expect([...idsByNotice.keys()].sort()).toEqual(
      windowIds
        .flatMap((id) => ['announced', 'reminder', 'reminder', 'started', 'completed'].map((type) => `${id} maintenance.${type}`))
        .filter((key, i, all) => all.indexOf(key) === i)
        .sort(),
    );
    // Two reminders per window, each its own notice (and delivery id); every other type once.
    for (const [key, ids] of idsByNotice) expect(ids.size).toBe(key.endsWith('reminder') ? 2 : 1);
    for (const count of receiver.countsById().values()) duplicates += count - 1;
  }
  return { duplicates };
}

const everyDelivery = (receiver: WebhookReceiver) => receiver.countsById().size >= WINDOWS * NOTICES_PER_WINDOW;

describe('maintenance notices (built release-api)', () => {
  describe('after a SIGKILL while notices are due', () => {
    let stack: Stack | undefined;

    afterAll(async () => teardown(stack));

    it('delivers every notice after the restart, none under two delivery ids', async () => {
      stack = await setup();
      const first = await startService('release-api', stack.env);
      stack.services.push(first);
      await first.ready();
      const windowIds = await planNotices(stack, first);
      // Kill it hard in the middle: some notices have gone out, most are still due.
      await stack.receivers[0]!.waitUntil((received) => received.length >= 3, 60_000);
      first.child.kill('SIGKILL');
      expect(await first.exited).toBe('SIGKILL');
      const delivered = stack.receivers.reduce((sum, receiver) => sum + receiver.countsById().size, 0);
      expect(delivered).toBeLessThan(SUBSCRIBERS * WINDOWS * NOTICES_PER_WINDOW);

      const second = await startService('release-api', stack.env);
      stack.services.push(second);
      await second.ready();
      await Promise.all(stack.receivers.map((receiver) => receiver.waitUntil(() => everyDelivery(receiver), 120_000)));
      // At-least-once: a delivery caught between the receiver's 2xx and the bookkeeping is sent
      // again under the same id (receivers drop it); it never gets a second id. The receivers can
      // hold every id before that re-send is done (its job is retried once it expires), so the
      // store is polled until nothing is pending rather than read once.
      const deadline = Date.now() + 120_000;
      let pending = await api(second, stack.jwks.token, 'GET', '/v1/deliveries?state=pending&limit=500');
      while (pending.json.deliveries.length > 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        pending = await api(second, stack.jwks.token, 'GET', '/v1/deliveries?state=pending&limit=500');
      }
      expect(pending.json.deliveries).toEqual([]);
      const { duplicates } = expectEveryNoticeOnce(stack, windowIds);
      process.stdout.write(`[maintenance crash test] ${delivered} delivered before SIGKILL; ${duplicates} re-sent under the same delivery id\n`);
    });
  });

  // On the embedded database both replicas get the same DATA_DIR: the second joins the server
  // the first started, as `npm start` does for the two services.
  describe('with two replicas on one database', () => {
    let stack: Stack | undefined;

    afterAll(async () => teardown(stack));

    it('delivers each notice once', async () => {
      stack = await setup();
      const one = await startService('release-api', stack.env);
      stack.services.push(one);
      await one.ready();
      const two = await startService('release-api', stack.env);
      stack.services.push(two);
      await two.ready();
      const windowIds = await planNotices(stack, one);
      await Promise.all(stack.receivers.map((receiver) => receiver.waitUntil(() => everyDelivery(receiver), 120_000)));
      const { duplicates } = expectEveryNoticeOnce(stack, windowIds);
      expect(duplicates).toBe(0);
    });
  });
});
