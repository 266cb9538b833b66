import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import ical, { type VEvent } from 'node-ical';
import { Client } from 'pg';
import { ManualClock } from '@keyhaven/config';
import { createTestDatabase, TestDatabase } from '@keyhaven/testing';
import { RELEASE_DATABASE } from '../src/app/release-database';
import { MaintenanceRetention } from '../src/maintenance/maintenance-retention';
import { WindowsService } from '../src/maintenance/windows.service';
import { FakeAuthService, startFakeAuthService, startReleaseApp } from './support/release-app';

const HOUR = 3_600_000;

/** Windows, subscriptions, the check and the feeds on a manual clock (no notice is due here). */
describe(WindowsService.name, () => {
  let database: TestDatabase;
  let auth: FakeAuthService;
  let app: NestFastifyApplication;
  let clock: ManualClock;
  let token: string;

  beforeAll(async () => {
    database = await createTestDatabase(RELEASE_DATABASE);
    auth = await startFakeAuthService();
    // The tests move the clock by days: one long-lived ops token, which this app is told to accept.
    // The job workers run on real time while the app runs on this clock: a clock in the real
    // past would make every planned notice due at once, and the workers' fan-out would race the
    // rows the retention test inserts. Years ahead, nothing planned here ever comes due.
    clock = new ManualClock('2036-11-27T12:00:00Z');
    ({ app } = await startReleaseApp(database.url, auth, { RELEASE_PUBLIC_URL: 'https://releases.example.test', AUTH_MAX_TOKEN_LIFETIME: '30d' }, clock));
    token = await auth.mint(clock, { ttl: 30 * 86_400 }); // the check test moves the clock by hours
  });

  afterAll(async () => {
    await app?.close();
    await auth?.close();
    await database?.drop();
  });

  const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown, bearer: string | null = token) =>
    app.inject({ method, url, payload: payload as never, headers: bearer ? { authorization: `Bearer ${bearer}` } : {} });
  const at = (offsetMs: number) => new Date(clock.nowMs() + offsetMs).toISOString();
  const newWindow = async (overrides: Record<string, unknown> = {}) => {
    const response = await call('POST', '/v1/maintenance-windows', {
      title: 'Database upgrade',
      description: 'Read-only meanwhile.',
      startsAt: at(96 * HOUR),
      endsAt: at(98 * HOUR),
      ...overrides,
    });
    expect(response.statusCode).toBe(201);
    return response.json();
  };

  describe('create', () => {
    it('refuses a start inside the 72 h lead with notice_too_short and the earliest start', async () => {
      const response = await call('POST', '/v1/maintenance-windows', { title: 'Soon', startsAt: at(71 * HOUR), endsAt: at(72 * HOUR) });
      expect(response.statusCode).toBe(422);
      expect(response.json().error).toMatchObject({ code: 'notice_too_short', details: { earliestStart: at(72 * HOUR), leadMs: 72 * HOUR, lead: '72h' } });
    });

    it('accepts a start exactly at the lead and plans its announcement for now', async () => {
      const window = await newWindow({ startsAt: at(72 * HOUR), endsAt: at(73 * HOUR) });
      expect(window).toMatchObject({ status: 'scheduled', sequence: 0, shortNotice: false, emergencyReason: null, announcedAt: null, environments: [] });
    });

    it('accepts a short-notice window with an emergency reason and marks it', async () => {
      const window = await newWindow({ startsAt: at(2 * HOUR), endsAt: at(3 * HOUR), emergencyReason: 'Exploited TLS bug' });
      expect(window).toMatchObject({ shortNotice: true, emergencyReason: 'Exploited TLS bug' });
    });

    it('refuses an emergency reason for a window that keeps the full lead, and keeps nothing', async () => {
      const response = await call('POST', '/v1/maintenance-windows', {
        title: 'Routine',
        startsAt: at(80 * HOUR),
        endsAt: at(81 * HOUR),
        emergencyReason: 'Just in case',
      });
      expect(response.statusCode).toBe(422);
      expect(response.json().error).toMatchObject({ code: 'emergency_reason_unneeded', details: { field: 'emergencyReason', leadMs: 72 * HOUR } });
      expect(response.json().error.message).toContain('at least 72h ahead');
      const listed = (await call('GET', '/v1/maintenance-windows?includePast=true', undefined, null)).json().windows as { title: string }[];
      expect(listed.map((w) => w.title)).not.toContain('Routine');
      // A short-notice window may reword its reason; an ordinary one takes none on PATCH either.
      const ordinary = await newWindow({ startsAt: at(80 * HOUR), endsAt: at(81 * HOUR) });
      expect((await call('PATCH', `/v1/maintenance-windows/${ordinary.id}`, { emergencyReason: 'Now urgent?' })).json().error.code).toBe(
        'emergency_reason_unneeded',
      );
      const urgent = await newWindow({ startsAt: at(2 * HOUR), endsAt: at(3 * HOUR), emergencyReason: 'Disk failing' });
      const reworded = await call('PATCH', `/v1/maintenance-windows/${urgent.id}`, { emergencyReason: 'Disk failing (vendor ticket 81)' });
      expect(reworded.json()).toMatchObject({ shortNotice: true, emergencyReason: 'Disk failing (vendor ticket 81)' });
    });

    it('rejects a time without an offset instead of guessing a zone', async () => {
      const response = await call('POST', '/v1/maintenance-windows', { title: 'x', startsAt: '2026-12-05T22:00:00', endsAt: '2026-12-05T23:00:00Z' });
      expect(response.statusCode).toBe(400);
      expect(response.json().error.code).toBe('validation_failed');
      expect(response.json().error.message).toContain('offset');
    });

    it('accepts an offset and stores UTC', async () => {
      const start = new Date(clock.nowMs() + 100 * HOUR);
      const local = new Date(start.getTime() + HOUR).toISOString().replace('Z', '+01:00');
      const window = await newWindow({ startsAt: local, endsAt: at(101 * HOUR) });
      expect(window.startsAt).toBe(start.toISOString());
    });

    it('rejects an end before the start', async () => {
      const response = await call('POST', '/v1/maintenance-windows', { title: 'x', startsAt: at(80 * HOUR), endsAt: at(79 * HOUR) });
      expect(response.statusCode).toBe(400);
      expect(response.json().error.code).toBe('invalid_window');
    });

    it('is for ops only', async () => {
      expect((await call('POST', '/v1/maintenance-windows', { title: 'x', startsAt: at(80 * HOUR), endsAt: at(81 * HOUR) }, null)).statusCode).toBe(401);
      const viewer = await auth.mint(clock, { roles: ['admin'] });
      expect((await call('POST', '/v1/maintenance-windows', { title: 'x', startsAt: at(80 * HOUR), endsAt: at(81 * HOUR) }, viewer)).statusCode).toBe(403);
    });
  });

  describe('list and get', () => {
    it('lists open windows publicly, filtered by environment', async () => {
      const staging = await newWindow({ environments: ['staging'], title: 'Staging only' });
      const everywhere = await newWindow({ title: 'Everywhere' });
      const production = (await call('GET', '/v1/maintenance-windows?environment=production', undefined, null)).json().windows.map((w: { id: string }) => w.id);
      expect(production).toContain(everywhere.id);
      expect(production).not.toContain(staging.id);
      expect((await call('GET', `/v1/maintenance-windows/${staging.id}`, undefined, null)).json()).toMatchObject({ id: staging.id, environments: ['staging'] });
    });

    it('answers 404 for an unknown or malformed id', async () => {
      expect((await call('GET', '/v1/maintenance-windows/00000000-0000-4000-8000-000000000000')).json().error.code).toBe('maintenance_window_not_found');
      expect((await call('GET', '/v1/maintenance-windows/nope')).statusCode).toBe(404);
    });
  });

  describe('update and cancel', () => {
    it('reschedules: sequence + 1, the lead rule applies to a moved start', async () => {
      const window = await newWindow();
      const moved = await call('PATCH', `/v1/maintenance-windows/${window.id}`, { startsAt: at(120 * HOUR), endsAt: at(121 * HOUR) });
      expect(moved.statusCode).toBe(200);
      expect(moved.json()).toMatchObject({ sequence: 1, startsAt: at(120 * HOUR) });
      const tooSoon = await call('PATCH', `/v1/maintenance-windows/${window.id}`, { startsAt: at(10 * HOUR), endsAt: at(11 * HOUR) });
      expect(tooSoon.statusCode).toBe(422);
      const emergency = await call('PATCH', `/v1/maintenance-windows/${window.id}`, {
        startsAt: at(10 * HOUR),
        endsAt: at(11 * HOUR),
        emergencyReason: 'Disk failing',
      });
      expect(emergency.json()).toMatchObject({ sequence: 2, shortNotice: true, emergencyReason: 'Disk failing' });
    });

    it('cancels without a body', async () => {
      const window = await newWindow();
      const response = await app.inject({ method: 'POST', url: `/v1/maintenance-windows/${window.id}/cancel`, headers: { authorization: `Bearer ${token}` } });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({ status: 'cancelled', cancelReason: null });
    });

    it('cancels once; a cancelled window can no longer change', async () => {
      const window = await newWindow();
      const cancelled = await call('POST', `/v1/maintenance-windows/${window.id}/cancel`, { reason: 'Not needed' });
      expect(cancelled.json()).toMatchObject({ status: 'cancelled', sequence: 1, cancelReason: 'Not needed' });
      expect((await call('POST', `/v1/maintenance-windows/${window.id}/cancel`, {})).json().error.code).toBe('window_closed');
      expect((await call('PATCH', `/v1/maintenance-windows/${window.id}`, { title: 'again' })).statusCode).toBe(409);
      const open = (await call('GET', '/v1/maintenance-windows')).json().windows.map((w: { id: string }) => w.id);
      expect(open).not.toContain(window.id);
    });
  });

  describe('the check', () => {
    it('carries the windows of the caller environment in the signed body, never a stale list', async () => {
      const before = (await call('GET', '/v1/check?version=1.0.0&environment=edge-eu', undefined, null)).json();
      const window = await newWindow({ environments: ['edge-eu'], title: 'Edge move' });
      const after = (await call('GET', '/v1/check?version=1.0.0&environment=edge-eu', undefined, null)).json();
      expect(after.sequence).toBeGreaterThan(before.sequence);
      expect(after.maintenance.map((w: { id: string }) => w.id)).toContain(window.id);
      expect(after.maintenance.find((w: { id: string }) => w.id === window.id)).toMatchObject({
        title: 'Edge move',
        status: 'scheduled',
        environments: ['edge-eu'],
      });
      const elsewhere = (await call('GET', '/v1/check?version=1.0.0&environment=edge-us', undefined, null)).json();
      expect(elsewhere.maintenance.map((w: { id: string }) => w.id)).not.toContain(window.id);
      await call('POST', `/v1/maintenance-windows/${window.id}/cancel`, {});
      const cancelled = (await call('GET', '/v1/check?version=1.0.0&environment=edge-eu', undefined, null)).json();
      expect(cancelled.maintenance.map((w: { id: string }) => w.id)).not.toContain(window.id);
    });

    it('issues a cached answer anew when a listed window starts', async () => {
      const window = await newWindow({ environments: ['edge-ap'], startsAt: at(2 * HOUR), endsAt: at(3 * HOUR), emergencyReason: 'Urgent' });
      const first = (await call('GET', '/v1/check?version=1.0.0&environment=edge-ap', undefined, null)).json();
      expect(first.maintenance.find((w: { id: string }) => w.id === window.id).status).toBe('scheduled');
      clock.advance(2 * HOUR + 1000);
      const running = (await call('GET', '/v1/check?version=1.0.0&environment=edge-ap', undefined, null)).json();
      expect(running.maintenance.find((w: { id: string }) => w.id === window.id).status).toBe('in_progress');
      clock.advance(HOUR);
      const over = (await call('GET', '/v1/check?version=1.0.0&environment=edge-ap', undefined, null)).json();
      expect(over.maintenance.map((w: { id: string }) => w.id)).not.toContain(window.id);
    });
  });

  describe('subscriptions', () => {
    it('creates a webhook subscription and never returns its secret', async () => {
      const response = await call('POST', '/v1/subscriptions', {
        kind: 'webhook',
        url: 'https://hooks.example.test/hook',
        secret: 'a-long-random-secret-123',
        environments: ['production'],
      });
      expect(response.statusCode).toBe(201);
      expect(response.json()).toEqual({
        id: expect.any(String),
        kind: 'webhook',
        url: 'https://hooks.example.test/hook',
        address: null,
        timeZone: null,
        environments: ['production'],
        createdAt: expect.any(String),
      });
      const listed = (await call('GET', '/v1/subscriptions')).json().subscriptions;
      expect(JSON.stringify(listed)).not.toContain('a-long-random-secret-123');
    });

    it('rejects a short secret, fields of the other kind and an unknown time zone', async () => {
      expect((await call('POST', '/v1/subscriptions', { kind: 'webhook', url: 'https://hooks.example.test/hook', secret: 'short' })).statusCode).toBe(400);
      expect((await call('POST', '/v1/subscriptions', { kind: 'email', address: 'a@example.test', url: 'http://x.test/' })).statusCode).toBe(400);
      const zone = await call('POST', '/v1/subscriptions', { kind: 'email', address: 'a@example.test', timeZone: 'Mars/Olympus' });
      expect(zone.statusCode).toBe(400);
      expect(zone.json().error.details.fields[0].field).toBe('timeZone');
    });

    it('removes softly: 204, then 404', async () => {
      const created = (await call('POST', '/v1/subscriptions', { kind: 'email', address: 'b@example.test', timeZone: 'Europe/Berlin' })).json();
      expect((await call('DELETE', `/v1/subscriptions/${created.id}`)).statusCode).toBe(204);
      expect((await call('DELETE', `/v1/subscriptions/${created.id}`)).json().error.code).toBe('subscription_not_found');
      expect((await call('GET', '/v1/subscriptions')).json().subscriptions.map((s: { id: string }) => s.id)).not.toContain(created.id);
    });

    it('audits who added and removed a subscription, keeping only where notices went', async () => {
      const created = (
        await call('POST', '/v1/subscriptions', { kind: 'webhook', url: 'https://hooks.example.test/T0/B1/s3cr3t-path', secret: 'a-long-random-secret-123' })
      ).json();
      expect((await call('DELETE', `/v1/subscriptions/${created.id}`)).statusCode).toBe(204);
      const entries = (await call('GET', '/v1/audit?limit=2')).json().entries;
      const target = { kind: 'webhook', target: 'https://hooks.example.test', environments: [] };
      expect(entries).toEqual([
        expect.objectContaining({
          action: 'subscription.remove',
          subject: created.id,
          before: target,
          after: null,
          sequence: null,
          actor: expect.objectContaining({ sub: expect.any(String) }),
        }),
        expect.objectContaining({ action: 'subscription.create', subject: created.id, before: null, after: target, sequence: null }),
      ]);
      // Neither the webhook's path nor its secret is in the trail.
      expect(JSON.stringify(entries)).not.toMatch(/s3cr3t-path|a-long-random-secret/);
    });
  });

  describe('retention', () => {
    const DAY = 24 * HOUR;

    it('forgets settled deliveries and removed subscribers after MAINTENANCE_RETENTION, never pending ones', async () => {
      const sql = new Client({ connectionString: database.url });
      await sql.connect();
      try {
        const subscribe = async (address: string) => (await call('POST', '/v1/subscriptions', { kind: 'email', address })).json().id as string;
        const [kept, leaving, referenced] = [
          await subscribe('kept@example.test'),
          await subscribe('gone@example.test'),
          await subscribe('referenced@example.test'),
        ];
        const window = await newWindow();
        const notices = (
          await sql.query<{ id: string }>('select id from release.maintenance_notice where window_id = $1 order by due_at', [window.id])
        ).rows.map((r) => r.id);
        expect(notices.length).toBeGreaterThanOrEqual(4);
        const old = new Date(clock.nowMs() - 91 * DAY);
        const recent = new Date(clock.nowMs() - 89 * DAY);
        const delivery = async (notice: string, subscription: string, state: string, createdAt: Date) =>
          (
            await sql.query<{ id: string }>(
              `insert into release.notice_delivery (id, notice_id, subscription_id, state, attempts, created_at) values (gen_random_uuid(), $1, $2, $3, 1, $4) returning id`,
              [notice, subscription, state, createdAt],
            )
          ).rows[0]!.id;
        await delivery(notices[0]!, leaving, 'delivered', old);
        await delivery(notices[1]!, kept, 'dead', old);
        const pending = await delivery(notices[2]!, kept, 'pending', old);
        const young = await delivery(notices[3]!, kept, 'delivered', recent);
        const stillReferenced = await delivery(notices[0]!, referenced, 'delivered', recent);
        for (const id of [leaving, referenced]) expect((await call('DELETE', `/v1/subscriptions/${id}`)).statusCode).toBe(204);
        await sql.query('update release.maintenance_subscription set removed_at = $1 where id = any($2::uuid[])', [old, [leaving, referenced]]);

        expect(await app.get(MaintenanceRetention).prune()).toEqual({ deliveries: 2, subscriptions: 1 });

        const left = (await sql.query<{ id: string }>('select id from release.notice_delivery where notice_id = any($1::uuid[])', [notices])).rows.map(
          (r) => r.id,
        );
        expect(left.sort()).toEqual([pending, young, stillReferenced].sort());
        const subscriptions = (
          await sql.query<{ id: string }>('select id from release.maintenance_subscription where id = any($1::uuid[])', [[kept, leaving, referenced]])
        ).rows.map((r) => r.id);
        expect(subscriptions.sort()).toEqual([kept, referenced].sort()); // the address of `leaving` is gone for good
      } finally {
        await sql.end();
      }
    });

    it('runs once a day on a schedule kept in the job schema', async () => {
      const sql = new Client({ connectionString: database.url });
      await sql.connect();
      try {
        const { rows } = await sql.query('select cron, timezone from release_jobs.schedule where name = $1', ['maintenance-retention']);
        expect(rows).toEqual([{ cron: '23 3 * * *', timezone: 'UTC' }]);
      } finally {
        await sql.end();
      }
    });
  });

  describe('feeds', () => {
    it('serves an iCalendar feed an independent parser reads: stable UIDs, SEQUENCE, STATUS:CANCELLED', async () => {
      const kept = await newWindow({ title: 'Kept' });
      const moved = await newWindow({ title: 'Moved' });
      await call('PATCH', `/v1/maintenance-windows/${moved.id}`, { startsAt: at(130 * HOUR), endsAt: at(131 * HOUR) });
      const gone = await newWindow({ title: 'Gone' });
      await call('POST', `/v1/maintenance-windows/${gone.id}/cancel`, {});
      const response = await call('GET', '/v1/maintenance.ics', undefined, null);
      expect(response.headers['content-type']).toContain('text/calendar');
      const events = Object.values(ical.sync.parseICS(response.body)).filter((c) => c?.type === 'VEVENT') as VEvent[];
      const byUid = new Map(events.map((event) => [event.uid, event]));
      const event = (id: string) => byUid.get(`${id}@releases.example.test`);
      expect(event(kept.id)).toMatchObject({ sequence: 0, status: 'CONFIRMED' });
      expect(event(kept.id)?.start.toISOString()).toBe(kept.startsAt);
      expect(event(moved.id)).toMatchObject({ sequence: 1 });
      expect(event(moved.id)?.start.toISOString()).toBe(at(130 * HOUR));
      expect(event(gone.id)).toMatchObject({ sequence: 1, status: 'CANCELLED' });
    });

    it('serves an Atom feed', async () => {
      const window = await newWindow({ title: 'In the Atom feed' });
      const response = await call('GET', '/v1/maintenance.atom', undefined, null);
      expect(response.headers['content-type']).toContain('application/atom+xml');
      expect(response.body).toContain('<feed');
      expect(response.body).toContain(window.id);
    });
  });
});
