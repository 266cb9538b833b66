import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import ical, { type VEvent } from 'node-ical';
import { SystemClock } from '@keyhaven/config';
import { verifyWebhookSignature } from '@keyhaven/release-maintenance';
import { createTestDatabase, ReceivedWebhook, SmtpCapture, startSmtpCapture, startWebhookReceiver, TestDatabase, WebhookReceiver } from '@keyhaven/testing';
import { RELEASE_DATABASE } from '../src/app/release-database';
import { NoticeDispatcher } from '../src/maintenance/notice-dispatcher';
import { FakeAuthService, startFakeAuthService, startReleaseAppOnClock } from './support/release-app';

const SECRET_PRODUCTION = 'production-secret-0123456789';
const SECRET_STAGING = 'staging-secret-0123456789ab';
const SECRET_FLAKY = 'flaky-secret-0123456789abcd';

interface Body {
  id: string;
  type: string;
  window: { id: string; status: string; startsAt: string };
  sentAt: string;
}
const body = (hook: ReceivedWebhook) => hook.body as Body;
const forWindow = (id: string) => (hook: ReceivedWebhook) => body(hook).window.id === id;

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
 * Real notices delivered by the real job workers on the system clock, with a notice lead of
 * seconds: to real HTTP receivers (signatures checked as a customer would) and a real SMTP server.
 */
describe(NoticeDispatcher.name, () => {
  let database: TestDatabase;
  let auth: FakeAuthService;
  let app: NestFastifyApplication;
  let smtp: SmtpCapture;
  let production: WebhookReceiver;
  let staging: WebhookReceiver;
  let flaky: WebhookReceiver;
  let token: string;
  const clock = new SystemClock();

  beforeAll(async () => {
    database = await createTestDatabase(RELEASE_DATABASE);
    auth = await startFakeAuthService();
    smtp = await startSmtpCapture();
    [production, staging, flaky] = await Promise.all([
      startWebhookReceiver(SECRET_PRODUCTION),
      startWebhookReceiver(SECRET_STAGING),
      startWebhookReceiver(SECRET_FLAKY),
    ]);
    ({ app } = await startReleaseAppOnClock(
      database.url,
      auth,
      {
        MAINTENANCE_NOTICE_LEAD: '6s',
        MAINTENANCE_REMINDERS: '3s',
        JOBS_POLL_INTERVAL: '0.5s',
        MAINTENANCE_DELIVERY_RETRIES: '2',
        MAINTENANCE_DELIVERY_RETRY_DELAY: '0',
        SMTP_URL: smtp.url,
        RELEASE_PUBLIC_URL: 'https://releases.example.test',
        // The receivers listen on loopback, which the egress policy refuses unless listed.
        MAINTENANCE_WEBHOOK_ALLOWLIST: '127.0.0.1',
      },
      clock,
    ));
    token = await auth.mint(clock);
    for (const subscription of [
      { kind: 'webhook', url: production.url, secret: SECRET_PRODUCTION, environments: ['production'] },
      { kind: 'webhook', url: staging.url, secret: SECRET_STAGING, environments: ['staging'] },
      { kind: 'webhook', url: flaky.url, secret: SECRET_FLAKY, environments: ['flaky'] },
      { kind: 'email', address: 'ops@example.test', timeZone: 'America/New_York', environments: ['production'] },
    ]) {
      expect((await call('POST', '/v1/subscriptions', subscription)).statusCode).toBe(201);
    }
  });

  afterAll(async () => {
    await app?.close();
    await Promise.all([production?.close(), staging?.close(), flaky?.close(), smtp?.close(), auth?.close()]);
    await database?.drop();
  });

  const call = (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown) =>
    app.inject({ method, url, payload: payload as never, headers: { authorization: `Bearer ${token}` } });
  const at = (offsetMs: number) => new Date(Date.now() + offsetMs).toISOString();
  const create = async (window: Record<string, unknown>) => {
    const response = await call('POST', '/v1/maintenance-windows', { title: 'Database upgrade', description: 'Read-only meanwhile.', ...window });
    expect(response.statusCode).toBe(201);
    return response.json() as { id: string; title: string };
  };

  it('sends announced, reminder, started and completed to affected subscribers only, signed', async () => {
    const window = await create({ title: 'Full timeline', startsAt: at(8_000), endsAt: at(10_000), environments: ['production'] });
    const types = ['maintenance.announced', 'maintenance.reminder', 'maintenance.started', 'maintenance.completed'];
    const hooks = (await production.waitUntil((all) => all.filter(forWindow(window.id)).length >= 4)).filter(forWindow(window.id));
    expect(hooks.map((hook) => body(hook).type)).toEqual(types);
    for (const hook of hooks) {
      expect(hook.signatureValid).toBe(true);
      expect(verifyWebhookSignature(hook.raw, String(hook.headers['keyhaven-webhook-signature']), SECRET_PRODUCTION)).toBe(true);
      expect(body(hook).id).toBe(hook.deliveryId);
      expect(hook.headers['content-type']).toBe('application/json');
    }
    expect(body(hooks[2]!).window.status).toBe('in_progress');
    expect(body(hooks[3]!).window.status).toBe('completed');
    expect(new Set(hooks.map((hook) => hook.deliveryId)).size).toBe(4);
    // Only affected environments: the staging subscriber heard nothing of a production window.
    expect(staging.received.filter(forWindow(window.id))).toEqual([]);
    const mail = await smtp.waitFor((m) => m.subject.includes('Full timeline') && m.subject.startsWith('[Planned maintenance]'));
    expect(mail.to).toEqual(['ops@example.test']);
    expect(mail.text).toContain('UTC');
    expect(mail.text).toMatch(/EST|EDT|GMT-[45]/);
    expect(mail.text).toContain('Environments: production');
    expect(mail.text).toContain('https://releases.example.test/v1/maintenance.ics');
  });

  it('notifies a reschedule and a cancellation of an announced window, and no more', async () => {
    const window = await create({ title: 'Moved then off', startsAt: at(6_500), endsAt: at(60_000), environments: ['production'] });
    await production.waitUntil((all) => all.some((hook) => forWindow(window.id)(hook) && body(hook).type === 'maintenance.announced'));
    const moved = await call('PATCH', `/v1/maintenance-windows/${window.id}`, { startsAt: at(120_000), endsAt: at(180_000) });
    expect(moved.statusCode).toBe(200);
    await production.waitUntil((all) => all.some((hook) => forWindow(window.id)(hook) && body(hook).type === 'maintenance.rescheduled'));
    expect((await call('POST', `/v1/maintenance-windows/${window.id}/cancel`, { reason: 'Vendor postponed' })).statusCode).toBe(200);
    const hooks = (await production.waitUntil((all) => all.some((hook) => forWindow(window.id)(hook) && body(hook).type === 'maintenance.cancelled'))).filter(
      forWindow(window.id),
    );
    expect(hooks.map((hook) => body(hook).type)).toEqual(['maintenance.announced', 'maintenance.rescheduled', 'maintenance.cancelled']);
    expect(hooks.every((hook) => hook.signatureValid)).toBe(true);
    expect(body(hooks[1]!).window.startsAt).toBe(moved.json().startsAt);
    await smtp.waitFor((m) => m.subject.startsWith('[Cancelled maintenance] Moved then off'));
  });

  it('announces an emergency window at once', async () => {
    // Inside the 6 s lead: only possible with a reason, and announced at once rather than at start − lead.
    const window = await create({
      title: 'Emergency',
      startsAt: at(5_000),
      endsAt: at(3_600_000),
      environments: ['staging'],
      emergencyReason: 'Exploited TLS bug',
    });
    const [hook] = (await staging.waitUntil((all) => all.some(forWindow(window.id)))).filter(forWindow(window.id));
    expect(body(hook!)).toMatchObject({ type: 'maintenance.announced', window: { shortNotice: true, emergencyReason: 'Exploited TLS bug' } });
  });

  it('retries a failing receiver, lists the delivery as dead, and replays it with the same id', async () => {
    // Down until told otherwise (its started notice, due seconds later, fails the same way).
    flaky.failNext(1_000);
    const window = await create({ title: 'Flaky receiver', startsAt: at(5_500), endsAt: at(3_600_000), environments: ['flaky'], emergencyReason: 'Test' });
    const dead = await eventually(async () => {
      const { deliveries } = (await call('GET', `/v1/deliveries?state=dead&windowId=${window.id}`)).json();
      return (deliveries as { type: string }[]).find((d) => d.type === 'maintenance.announced') as
        { id: string; attempts: number; lastError: string; type: string; kind: string; target: string } | undefined;
    });
    expect(dead).toMatchObject({ attempts: 3, lastError: 'HTTP 503', type: 'maintenance.announced', kind: 'webhook', target: flaky.url });
    expect(flaky.refused).toBeGreaterThanOrEqual(3); // the first attempt and both retries
    flaky.failNext(0); // the receiver is back
    const replay = await call('POST', `/v1/deliveries/${dead.id}/replay`);
    expect(replay.statusCode).toBe(202);
    expect((await call('GET', '/v1/audit?limit=1')).json().entries[0]).toMatchObject({ action: 'delivery.replay', subject: dead.id, sequence: null });
    const [hook] = await flaky.waitUntil((all) => all.some((h) => h.deliveryId === dead.id));
    expect(hook!.signatureValid).toBe(true);
    const delivered = await eventually(async () => {
      const { deliveries } = (await call('GET', `/v1/deliveries?state=delivered&windowId=${window.id}`)).json();
      return (deliveries as { id: string }[]).find((d) => d.id === dead.id) as { id: string; attempts: number } | undefined;
    });
    expect(delivered).toMatchObject({ id: dead.id, attempts: 4 });
    expect((await call('POST', '/v1/deliveries/00000000-0000-4000-8000-000000000000/replay')).statusCode).toBe(404);
  });

  it("links the window's calendar event and lets the recipient unsubscribe by the signed link", async () => {
    const subscribed = await call('POST', '/v1/subscriptions', { kind: 'email', address: 'leaving@example.test', environments: ['mail'] });
    expect(subscribed.statusCode).toBe(201);
    const window = await create({ title: 'Mail links', startsAt: at(4_000), endsAt: at(3_600_000), environments: ['mail'], emergencyReason: 'Test' });
    const mail = await smtp.waitFor((m) => m.to.includes('leaving@example.test') && m.subject.includes('Mail links'));

    // The event link is this window alone, with the UID and SEQUENCE the feed has.
    const eventUrl = /Add it to your calendar: (\S+)/.exec(mail.text)?.[1];
    expect(eventUrl).toBe(`https://releases.example.test/v1/maintenance-windows/${window.id}/event.ics`);
    const event = await app.inject({ method: 'GET', url: new URL(eventUrl!).pathname });
    expect(event.headers['content-type']).toBe('text/calendar; charset=utf-8');
    const events = Object.values(ical.sync.parseICS(event.body)).filter((c) => c?.type === 'VEVENT') as VEvent[];
    expect(events.map((e) => [e.uid, e.summary])).toEqual([[`${window.id}@releases.example.test`, 'Mail links']]);

    // The way out: a visible link and the RFC 8058 headers, the same URL in both.
    expect(mail.headers.get('list-unsubscribe-post')).toBe('List-Unsubscribe=One-Click');
    expect(mail.headers.get('auto-submitted')).toBe('auto-generated');
    const link = /Unsubscribe: (\S+)/.exec(mail.text)?.[1] as string;
    expect(mail.headers.get('list-unsubscribe')).toBe(`<${link}>`);
    const path = new URL(link).pathname + new URL(link).search;
    const isSubscribed = async () =>
      ((await call('GET', '/v1/subscriptions')).json().subscriptions as { address: string | null }[]).some((s) => s.address === 'leaving@example.test');

    // Next to it, what is stored about this subscription (GDPR Art. 15), by its own signed link.
    const dataLink = /What we store about this subscription: (\S+)/.exec(mail.text)?.[1] as string;
    const dataPath = new URL(dataLink).pathname + new URL(dataLink).search;
    const stored = await app.inject({ method: 'GET', url: dataPath });
    expect(stored.statusCode).toBe(200);
    expect(stored.headers['cache-control']).toBe('no-store');
    expect(stored.json()).toMatchObject({
      schema: 'keyhaven.subscription-data/v1',
      subscription: { kind: 'email', address: 'leaving@example.test', environments: ['mail'], removedAt: null },
      deliveries: [expect.objectContaining({ type: 'maintenance.announced', window: { id: window.id, title: 'Mail links' } })],
    });
    // The unsubscribe token does not open the data, nor the other way round.
    expect((await app.inject({ method: 'GET', url: dataPath.replace(/token=[^&]+/, `token=${new URL(link).searchParams.get('token')}`) })).statusCode).toBe(
      404,
    );
    const subscriptionId = stored.json().subscription.id as string;

    // Opening the link only asks: link scanners must not unsubscribe anyone.
    const page = await app.inject({ method: 'GET', url: path });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    expect(page.body).toContain('<form method="post" action="?token=');
    expect(await isSubscribed()).toBe(true);

    // A forged or foreign token changes nothing.
    const forged = await app.inject({
      method: 'POST',
      url: path.replace(/token=[^&]+/, 'token=AAAA'),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'List-Unsubscribe=One-Click',
    });
    expect(forged.statusCode).toBe(404);
    expect(forged.json().error.code).toBe('subscription_not_found');
    expect(await isSubscribed()).toBe(true);

    // A mail client's one-click POST removes it; a second click still succeeds.
    for (let click = 0; click < 2; click++) {
      const done = await app.inject({
        method: 'POST',
        url: path,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'List-Unsubscribe=One-Click',
      });
      expect(done.statusCode).toBe(200);
      expect(done.body).toContain('You are unsubscribed');
    }
    expect(await isSubscribed()).toBe(false);
    const [audit] = (await call('GET', '/v1/audit?limit=1')).json().entries;
    expect(audit).toMatchObject({
      action: 'subscription.unsubscribe',
      actor: { sub: 'recipient (unsubscribe link)' },
      before: { kind: 'email', target: '@example.test' },
      after: { erased: true },
    });
    // Erased at once, delivery history included — not 90 days later.
    expect((await app.inject({ method: 'GET', url: dataPath })).statusCode).toBe(404);
    const { deliveries } = (await call('GET', `/v1/deliveries?windowId=${window.id}`)).json();
    expect((deliveries as { subscriptionId: string }[]).filter((d) => d.subscriptionId === subscriptionId)).toEqual([]);
    expect(JSON.stringify((await call('GET', '/v1/audit?limit=50')).json())).not.toContain('leaving@example.test');
  });
});
