import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { MikroORM } from '@mikro-orm/postgresql';
import { Client } from 'pg';
import { ManualClock } from '@keyhaven/config';
import { inventoryProblems } from '@keyhaven/database';
import { createTestDatabase, inventoryCoverage, TestDatabase } from '@keyhaven/testing';
import { RELEASE_DATABASE } from '../src/app/release-database';
import { RELEASE_CONFIG, ReleaseConfig } from '../src/config/release.config';
import { SubscriptionsService } from '../src/maintenance/subscriptions.service';
import { ErasedOperators, erasedPseudonym } from '../src/privacy/erased-operators';
import { ReleaseRetention } from '../src/privacy/release-retention';
import { releaseDataInventory } from '../src/privacy/release-data-inventory';
import { FakeAuthService, startFakeAuthService, startReleaseApp } from './support/release-app';

const DAY = 86_400_000;

describe('records of processing and retention (release-api)', () => {
  let database: TestDatabase;
  let auth: FakeAuthService;
  let app: NestFastifyApplication;
  let clock: ManualClock;
  let config: ReleaseConfig;
  let db: Client;
  let token: string;

  beforeAll(async () => {
    database = await createTestDatabase(RELEASE_DATABASE);
    auth = await startFakeAuthService();
    // Years ahead of real time, like the windows spec: nothing planned here comes due for the workers.
    clock = new ManualClock('2036-11-27T12:00:00Z');
    const env = {
      RELEASE_AUDIT_RETENTION: '400d',
      SMTP_URL: 'smtp://notices:pw-secret@relay.example.test:25',
      AUTH_MAX_TOKEN_LIFETIME: '30d',
      BACKUP_REPO: '/var/backups/keyhaven',
      BACKUP_RETENTION: '14d',
    };
    ({ app } = await startReleaseApp(database.url, auth, env, clock));
    config = app.get<ReleaseConfig>(RELEASE_CONFIG);
    db = new Client({ connectionString: database.url });
    await db.connect();
    token = await auth.mint(clock, { ttl: 30 * 86_400 });
  });

  afterAll(async () => {
    await db?.end();
    await app?.close();
    await auth?.close();
    await database?.drop();
  });

  const call = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown, headers: Record<string, string> = {}) =>
    app.inject({ method, url, payload: payload as never, headers: { authorization: `Bearer ${token}`, ...headers } });

  it('describes every table of the migrated schema and every entity', async () => {
    const entities = Object.values(app.get(MikroORM).getMetadata().getAll())
      .filter((meta) => !meta.embeddable && !meta.virtual && meta.tableName)
      .map((meta) => ({ name: meta.className, table: `release.${meta.tableName}` }));
    expect(entities.length).toBeGreaterThanOrEqual(12);
    expect(await inventoryCoverage(database.url, ['release'], releaseDataInventory(config), entities)).toEqual({
      unregistered: [],
      stale: [],
      entitiesWithoutEntry: [],
    });
    expect(inventoryProblems(releaseDataInventory(config))).toEqual([]);
  });

  it('publishes GET /v1/privacy/records from the running configuration, naming the relay by host only', async () => {
    const answer = await app.inject({ method: 'GET', url: '/v1/privacy/records' });
    expect(answer.statusCode).toBe(200);
    const records = answer.json();
    expect(records.service).toBe('release-api');
    expect(records.storage.find((t: { table: string }) => t.table === 'release.audit_event').retention).toMatchObject({
      setting: 'RELEASE_AUDIT_RETENTION',
      value: '400d',
    });
    expect(records.storage.find((t: { table: string }) => t.table === 'release.notice_delivery').retention).toMatchObject({
      setting: 'MAINTENANCE_RETENTION',
      value: '90d',
    });
    expect(records.recipients).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'SMTP relay', host: 'relay.example.test:25' }),
        expect.objectContaining({ name: 'Webhook receivers' }),
      ]),
    );
    expect(answer.body).not.toContain('pw-secret');
    const page = await app.inject({ method: 'GET', url: '/v1/privacy/records', headers: { accept: 'text/html' } });
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('<code>RELEASE_AUDIT_RETENTION</code> = 400d');
    // BACKUP_REPO=/var/backups/keyhaven, BACKUP_RETENTION=14d in this app's environment (beforeAll).
    expect(records.backups).toMatchObject({ configured: true, window: '14d', setting: 'BACKUP_RETENTION', repository: 'folder', encryption: 'aes-256-cbc' });
    expect(answer.body).not.toContain('/var/backups');
  });

  it('deletes audit rows older than RELEASE_AUDIT_RETENTION and keeps younger ones', async () => {
    const now = clock.now();
    await db.query(
      `insert into release.audit_event (at, actor_sub, actor_email, action, subject, sequence) values ($1, 'acc-old', 'old@example.test', 'release.create', '1.0.0', 1), ($2, 'acc-new', 'new@example.test', 'release.create', '1.0.1', 2)`,
      [new Date(now.getTime() - 401 * DAY), new Date(now.getTime() - 399 * DAY)],
    );
    const report = await app.get(ReleaseRetention).run();
    expect(report.deleted['release.audit_event']).toBe(1);
    const { rows } = await db.query(`select actor_sub from release.audit_event where actor_sub like 'acc-%'`);
    expect(rows).toEqual([{ actor_sub: 'acc-new' }]);
  });

  it('DELETE /v1/subscriptions/:id?erase=true erases the subscriber and its delivery history at once', async () => {
    const created = await call('POST', '/v1/subscriptions', { kind: 'email', address: 'gone@example.test' });
    expect(created.statusCode).toBe(201);
    const id = created.json().id as string;
    const { rows: notices } = await db.query(
      `insert into release.maintenance_window (id, title, starts_at, ends_at) values (gen_random_uuid(), 'Past', now(), now() + interval '1 hour') returning id`,
    );
    const { rows: planned } = await db.query(
      `insert into release.maintenance_notice (id, window_id, type, key, window_sequence, due_at) values (gen_random_uuid(), $1, 'maintenance.announced', 'a', 0, now()) returning id`,
      [notices[0].id],
    );
    await db.query(
      `insert into release.notice_delivery (id, notice_id, subscription_id, state, delivered_at) values (gen_random_uuid(), $1, $2, 'delivered', now())`,
      [planned[0].id, id],
    );

    expect((await call('DELETE', `/v1/subscriptions/${id}?erase=maybe`)).statusCode).toBe(400);
    const erased = await call('DELETE', `/v1/subscriptions/${id}?erase=true`);
    expect(erased.statusCode).toBe(204);
    expect((await db.query('select 1 from release.maintenance_subscription where id = $1', [id])).rows).toEqual([]);
    expect((await db.query('select 1 from release.notice_delivery where subscription_id = $1', [id])).rows).toEqual([]);
    const { rows: audit } = await db.query(`select action, before, after from release.audit_event where subject = $1 order by id desc limit 1`, [id]);
    expect(audit[0]).toMatchObject({ action: 'subscription.erase', before: { target: '@example.test' }, after: { erased: true, deliveries: 1 } });
    expect((await call('DELETE', `/v1/subscriptions/${id}?erase=true`)).statusCode).toBe(404);
  });

  describe(ErasedOperators.name, () => {
    it("reads auth-service's erasures feed page by page from its cursor and pseudonymises the erased staff's email in the audit trail", async () => {
      const gone = ['7a1b2c3d-0000-4000-8000-000000000001', '7a1b2c3d-0000-4000-8000-000000000002'];
      const kept = '7a1b2c3d-0000-4000-8000-000000000003';
      for (const sub of [...gone, kept]) {
        await db.query(`insert into release.audit_event (actor_sub, actor_email, action, subject) values ($1, $2, 'release.create', '9.9.9')`, [
          sub,
          `${sub.slice(-1)}@example.test`,
        ]);
      }
      // 501 entries: two pages of 500 (the sync's page size); the erased staff are on both.
      auth.erasures.push({ accountId: gone[0] ?? '', erasedAt: '2036-11-01T00:00:00.000Z' });
      for (let i = 0; i < 499; i++)
        auth.erasures.push({ accountId: `8b000000-0000-4000-8000-${String(i).padStart(12, '0')}`, erasedAt: '2036-11-02T00:00:00.000Z' });
      auth.erasures.push({ accountId: gone[1] ?? '', erasedAt: '2036-11-03T00:00:00.000Z' });

      const operators = app.get(ErasedOperators);
      expect(await operators.sync()).toBe(2);
      const { rows } = await db.query(`select actor_sub, actor_email from release.audit_event where actor_sub = any($1::text[]) order by actor_sub`, [
        [...gone, kept],
      ]);
      expect(rows).toEqual([
        { actor_sub: gone[0], actor_email: erasedPseudonym(gone[0] ?? '') },
        { actor_sub: gone[1], actor_email: erasedPseudonym(gone[1] ?? '') },
        { actor_sub: kept, actor_email: '3@example.test' },
      ]);
      // The cursor moved past the full first page: a second sync reads only what follows, changing nothing.
      expect((await db.query('select cursor from release.erasure_sync where id = 1')).rows).toEqual([{ cursor: '500' }]);
      expect(await operators.sync()).toBe(0);
    });
  });

  describe('erasures and a restore from backup (main.js erasures / reapply-erasures)', () => {
    it('lists erased subscribers (ids and times), and erases again the ones a restore brought back, idempotently', async () => {
      const subscriptions = app.get(SubscriptionsService);
      const created = await call('POST', '/v1/subscriptions', { kind: 'email', address: 'back@example.test' });
      const id = created.json().id as string;
      expect((await call('DELETE', `/v1/subscriptions/${id}?erase=true`)).statusCode).toBe(204);
      const listed = await subscriptions.erasures();
      expect(listed).toContainEqual({ id, erasedAt: expect.any(Date) });
      expect(JSON.stringify(listed)).not.toContain('back@example.test');

      // "The restore": the subscriber is back (same id), its erasure audit row is not.
      await db.query(`delete from release.audit_event where subject = $1`, [id]);
      await db.query(`insert into release.maintenance_subscription (id, kind, address) values ($1, 'email', 'back@example.test')`, [id]);
      // And one erased before, whose record the restore lost while the row stayed gone.
      const lost = '5d6f0a12-3b4c-4d5e-8f90-a1b2c3d4e5f6';

      expect(await subscriptions.reapplyErasures([id, lost])).toEqual({ erased: [id], tombstonesRestored: 1 });
      expect((await db.query('select 1 from release.maintenance_subscription where id = $1', [id])).rows).toEqual([]);
      const { rows: audit } = await db.query(`select subject, actor_sub, after from release.audit_event where subject = any($1::text[]) order by subject`, [
        [id, lost].sort(),
      ]);
      expect(audit).toEqual(
        [
          { subject: id, actor_sub: 'backup restore (erasure ledger)', after: { erased: true, deliveries: 0, reapplied: true } },
          { subject: lost, actor_sub: 'backup restore (erasure ledger)', after: { erased: true, reapplied: true } },
        ].sort((a, b) => a.subject.localeCompare(b.subject)),
      );
      expect(await subscriptions.reapplyErasures([id, lost])).toEqual({ erased: [], tombstonesRestored: 0 });
    });
  });
});
