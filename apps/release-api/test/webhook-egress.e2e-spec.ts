import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { SystemClock } from '@keyhaven/config';
import type { WebhookResolver } from '@keyhaven/release-maintenance';
import { createTestDatabase, startWebhookReceiver, TestDatabase, WebhookReceiver } from '@keyhaven/testing';
import { RELEASE_DATABASE } from '../src/app/release-database';
import { WebhookSender } from '../src/maintenance/webhook-sender';
import { FakeAuthService, startFakeAuthService, startReleaseAppOnClock } from './support/release-app';

const SECRET = 'egress-secret-0123456789';

/** Resolves when `check` holds, polling the API (never a fixed sleep). */
async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * The webhook egress policy against the real delivery workers: refused at subscription time,
 * and again at connect time after DNS — a name that answered a public address when it was
 * subscribed and answers 127.0.0.1 when the notice goes out (DNS rebinding) reaches nothing.
 */
describe(WebhookSender.name, () => {
  let database: TestDatabase;
  let auth: FakeAuthService;
  let app: NestFastifyApplication;
  let receiver: WebhookReceiver;
  let token: string;
  const clock = new SystemClock();
  // A DNS of our own: `rebind.example.test` is public when asked first, loopback afterwards.
  let rebindAnswers = 0;
  const resolver: WebhookResolver = async (host) => {
    if (host === 'rebind.example.test') return [{ address: rebindAnswers++ === 0 ? '93.184.215.14' : '127.0.0.1', family: 4 }];
    if (host === 'inside.example.test') return [{ address: '10.1.2.3', family: 4 }];
    if (host === 'hooks.allowed.test') return [{ address: '127.0.0.1', family: 4 }];
    throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
  };

  beforeAll(async () => {
    database = await createTestDatabase(RELEASE_DATABASE);
    auth = await startFakeAuthService();
    receiver = await startWebhookReceiver(SECRET);
    ({ app } = await startReleaseAppOnClock(
      database.url,
      auth,
      {
        MAINTENANCE_NOTICE_LEAD: '6s',
        MAINTENANCE_REMINDERS: '3s',
        JOBS_POLL_INTERVAL: '0.5s',
        MAINTENANCE_DELIVERY_RETRIES: '0',
        MAINTENANCE_DELIVERY_RETRY_DELAY: '0',
        // A name, not the receiver's address: only deliveries to hooks.allowed.test may reach loopback.
        MAINTENANCE_WEBHOOK_ALLOWLIST: 'hooks.allowed.test',
      },
      clock,
      { webhookResolver: resolver },
    ));
    token = await auth.mint(clock);
  });

  afterAll(async () => {
    await app?.close();
    await Promise.all([receiver?.close(), auth?.close()]);
    await database?.drop();
  });

  const call = (method: 'GET' | 'POST', url: string, payload?: unknown) =>
    app.inject({ method, url, payload: payload as never, headers: { authorization: `Bearer ${token}` } });
  const subscribe = (url: string, environments = ['egress']) => call('POST', '/v1/subscriptions', { kind: 'webhook', url, secret: SECRET, environments });
  const at = (offsetMs: number) => new Date(Date.now() + offsetMs).toISOString();
  /** Inside the notice lead with a reason: announced at once. */
  const emergency = async (title: string, environment: string) => {
    const response = await call('POST', '/v1/maintenance-windows', {
      title,
      description: 'Egress test',
      startsAt: at(5_000),
      endsAt: at(3_600_000),
      environments: [environment],
      emergencyReason: 'Test',
    });
    expect(response.statusCode).toBe(201);
    return response.json() as { id: string };
  };
  const deadDelivery = (windowId: string) =>
    eventually(async () => {
      const { deliveries } = (await call('GET', `/v1/deliveries?state=dead&windowId=${windowId}`)).json();
      return (deliveries as { lastError: string; target: string }[])[0];
    });

  describe('POST /v1/subscriptions', () => {
    it.each([
      'http://169.254.169.254/latest/meta-data/',
      'http://[::ffff:169.254.169.254]/',
      'http://[::1]:1/',
      'http://127.0.0.1:1/',
      'http://localhost:22/',
      'http://10.0.0.1/',
      'http://192.168.1.1/',
      'http://[fd00::1]/',
      'http://0x7f000001/',
      'http://100.64.0.1/',
      'http://inside.example.test/hook',
    ])('refuses %s with 422 webhook_target_forbidden', async (url) => {
      const response = await subscribe(url);
      expect(response.statusCode).toBe(422);
      expect(response.json().error).toMatchObject({ code: 'webhook_target_forbidden', details: { field: 'url' } });
    });

    it.each(['http://2130706433/', 'http://0177.0.0.1/'])('refuses %s (the URL check already calls it malformed)', async (url) => {
      const response = await subscribe(url);
      expect(response.statusCode).toBe(400);
      expect(response.json().error.code).toBe('validation_failed');
    });

    it('refuses credentials in the URL and never repeats them', async () => {
      const response = await subscribe('https://admin:hunter2@hooks.example.test/');
      expect(response.statusCode).toBe(422);
      expect(response.body).not.toContain('hunter2');
      expect(response.json().error.message).toMatch(/user name or password/);
      const listed = (await call('GET', '/v1/subscriptions')).json().subscriptions as { url: string | null }[];
      expect(listed.some((subscription) => subscription.url?.includes('hooks.example.test'))).toBe(false);
    });

    it('refuses other schemes', async () => {
      expect((await subscribe('ftp://hooks.example.test/')).statusCode).toBe(400);
    });

    it('accepts a host the allowlist names, and delivers to it although it is loopback', async () => {
      const url = receiver.url.replace('127.0.0.1', 'hooks.allowed.test');
      expect((await subscribe(url, ['allowed'])).statusCode).toBe(201);
      const window = await emergency('Allowed inside', 'allowed');
      const [hook] = await receiver.waitUntil((all) => all.some((h) => (h.body as { window: { id: string } }).window.id === window.id));
      expect(hook!.signatureValid).toBe(true);
    });
  });

  describe('delivery', () => {
    it('refuses at connect time a name that resolves to loopback only by then (DNS rebinding), and sends nothing', async () => {
      const url = receiver.url.replace('127.0.0.1', 'rebind.example.test');
      expect((await subscribe(url, ['rebind'])).statusCode).toBe(201); // resolved to a public address then
      const window = await emergency('Rebinding', 'rebind');
      const dead = await deadDelivery(window.id);
      expect(dead.lastError).toMatch(/rebind\.example\.test: 127\.0\.0\.1 is a loopback address/);
      expect(receiver.received.filter((h) => (h.body as { window: { id: string } }).window.id === window.id)).toEqual([]);
    });

    it('does not follow a redirect: a 3xx is a failed delivery naming the status', async () => {
      // A receiver of its own: the other windows' reminders must not take its one 302.
      const redirecting = await startWebhookReceiver(SECRET);
      try {
        expect((await subscribe(redirecting.url.replace('127.0.0.1', 'hooks.allowed.test'), ['redirect'])).statusCode).toBe(201);
        redirecting.failNext(1, 302);
        const window = await emergency('Redirected', 'redirect');
        const dead = await deadDelivery(window.id);
        expect(dead.lastError).toBe('HTTP 302 (redirects are not followed)');
        expect(redirecting.refused).toBe(1);
      } finally {
        await redirecting.close();
      }
    });
  });
});
