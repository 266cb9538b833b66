import { MikroORM } from '@mikro-orm/postgresql';
import { inventoryProblems } from '@keyhaven/database';
import { inventoryCoverage } from '@keyhaven/testing';
import { AUTH_CONFIG, AuthConfig } from '../src/config/auth.config';
import { authDataInventory } from '../src/privacy/auth-data-inventory';
import { PrivacyJobs } from '../src/privacy/privacy-jobs';
import { RETENTION_CRON, RETENTION_QUEUE } from '../src/privacy/privacy-queues';
import { RetentionService, STALE_ATTEMPT_COUNTERS } from '../src/privacy/retention.service';
import { Harness, startHarness } from './support/auth-harness';

const DAY = 86_400_000;
const HOUR = 3_600_000;

describe('records of processing and retention (auth-service)', () => {
  let harness: Harness;
  let config: AuthConfig;

  beforeAll(async () => {
    harness = await startHarness({ AUTH_EVENT_RETENTION: '90d', AUTH_TOMBSTONE_RETENTION: '2y', SMTP_URL: '' });
    config = harness.app.get<AuthConfig>(AUTH_CONFIG);
  });

  afterAll(async () => {
    await harness?.close();
  });

  describe('the inventory', () => {
    it('describes every table of the migrated schema and every entity, and nothing that is gone', async () => {
      const entities = harness.app.get(MikroORM).getMetadata().getAll();
      const tables = Object.values(entities)
        .filter((meta) => !meta.embeddable && !meta.virtual && meta.tableName)
        .map((meta) => ({ name: meta.className, table: `auth.${meta.tableName}` }));
      expect(tables.length).toBeGreaterThanOrEqual(13);
      const coverage = await inventoryCoverage(harness.database.url, ['auth'], authDataInventory(config), tables);
      expect(coverage).toEqual({ unregistered: [], stale: [], entitiesWithoutEntry: [] });
      expect(inventoryProblems(authDataInventory(config))).toEqual([]);
    });

    it('catches a table that a migration adds without an entry', async () => {
      await harness.sql('create table auth.gdpr_probe (id int primary key, email text)');
      try {
        const coverage = await inventoryCoverage(harness.database.url, ['auth'], authDataInventory(config), []);
        expect(coverage.unregistered).toEqual(['auth.gdpr_probe']);
      } finally {
        await harness.sql('drop table auth.gdpr_probe');
      }
    });
  });

  describe('GET /v1/privacy/records', () => {
    it('answers the document with the periods of the running configuration, without a token', async () => {
      const answer = await harness.request('GET', '/v1/privacy/records');
      expect(answer.statusCode).toBe(200);
      expect(answer.headers['content-type']).toMatch(/^application\/json/);
      const records = answer.json();
      expect(records.schema).toBe('keyhaven.records/v1');
      expect(records.service).toBe('auth-service');
      const events = records.storage.find((t: { table: string }) => t.table === 'auth.security_event');
      expect(events.retention).toMatchObject({ kind: 'period', setting: 'AUTH_EVENT_RETENTION', value: '90d' });
      const tombstones = records.storage.find((t: { table: string }) => t.table === 'auth.account_tombstone');
      expect(tombstones.retention).toMatchObject({ setting: 'AUTH_TOMBSTONE_RETENTION', value: '2y' });
      const security = records.activities.find((a: { id: string }) => a.id === 'security');
      expect(security.legalBasis.map((b: { article: string }) => b.article)).toEqual(['Art. 6(1)(f)', 'Art. 6(1)(c)']);
      expect(security.dataCategories.map((c: { category: string }) => c.category)).toContain('security events');
      expect(records.transfers).toEqual([]);
      // Mail is only logged in this harness: no relay is named.
      expect(records.recipients).toEqual([expect.objectContaining({ name: 'SMTP relay', host: null })]);
    });

    it('describes the backups from the running configuration: window, kind of repository, encryption — never the bucket or its credentials', async () => {
      const plain = (await harness.request('GET', '/v1/privacy/records')).json();
      expect(plain.backups).toMatchObject({ configured: false, window: null, encryption: null });
      const other = await startHarness(
        { BACKUP_REPO: 's3://acme-keyhaven-backups/prod', BACKUP_RETENTION: '6w', BACKUP_S3_KEY: 'AKIAEXAMPLE', BACKUP_S3_SECRET: 'bucket-secret-value' },
        { database: harness.database },
      );
      try {
        const answer = await other.request('GET', '/v1/privacy/records');
        expect(answer.json().backups).toMatchObject({
          configured: true,
          window: '42d',
          setting: 'BACKUP_RETENTION',
          repository: 's3',
          encryption: 'aes-256-cbc',
        });
        expect(answer.body).not.toMatch(/acme-keyhaven-backups|AKIAEXAMPLE|bucket-secret-value/);
        const page = await other.request('GET', '/v1/privacy/records', { headers: { accept: 'text/html' } });
        expect(page.body).toContain('<code>BACKUP_RETENTION</code> = 42d; encryption aes-256-cbc');
      } finally {
        await other.close();
      }
    });

    it('names the SMTP relay by host only, never its credentials', async () => {
      const other = await startHarness({ SMTP_URL: 'smtp://mailer:s3cret-pass@relay.example.test:587' }, { database: harness.database });
      try {
        const body = (await other.request('GET', '/v1/privacy/records')).body;
        expect(JSON.parse(body).recipients).toEqual([expect.objectContaining({ host: 'relay.example.test:587' })]);
        expect(body).not.toContain('s3cret-pass');
        expect(body).not.toContain('mailer');
      } finally {
        await other.close();
      }
    });

    it('gives a browser a readable page under a CSP without script', async () => {
      const answer = await harness.request('GET', '/v1/privacy/records', { headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
      expect(answer.statusCode).toBe(200);
      expect(answer.headers['content-type']).toMatch(/^text\/html/);
      expect(answer.headers['content-security-policy']).toContain("default-src 'none'");
      expect(answer.body).toContain('<h1>Records of processing — auth-service</h1>');
      expect(answer.body).toContain('<code>AUTH_EVENT_RETENTION</code> = 90d');
      expect(answer.body).not.toContain('<script');
    });
  });

  describe(RetentionService.name, () => {
    const account = '0b6f2c52-9a1e-4f59-8d1c-5b1f0f1f1f01';
    const insertEvent = (id: string, occurredAt: Date) =>
      harness.sql(`insert into auth.security_event (id, type, account_id, actor_id, occurred_at) values ($1, 'mfa_failed', $2, $2, $3)`, [
        id,
        account,
        occurredAt,
      ]);

    it('deletes events older than AUTH_EVENT_RETENTION and keeps younger ones; the append-only guard stays for everything else', async () => {
      const now = harness.clock.now();
      const old = ['11111111-0000-4000-8000-000000000001', '11111111-0000-4000-8000-000000000002'];
      const young = '11111111-0000-4000-8000-000000000003';
      await insertEvent(old[0] ?? '', new Date(now.getTime() - 91 * DAY));
      await insertEvent(old[1] ?? '', new Date(now.getTime() - 400 * DAY));
      await insertEvent(young, new Date(now.getTime() - 89 * DAY));

      const report = await harness.app.get(RetentionService).run(1);
      expect(report.deleted['auth.security_event']).toBe(2);
      const left = await harness.sql<{ id: string }>('select id from auth.security_event where account_id = $1', [account]);
      expect(left.map((r) => r.id)).toEqual([young]);

      // Outside the job's transaction nothing may be deleted or changed, old or young.
      await expect(harness.sql('delete from auth.security_event where id = $1', [young])).rejects.toThrow(/append-only/);
      await expect(harness.sql(`update auth.security_event set details = '{}' where id = $1`, [young])).rejects.toThrow(/append-only/);
      // Nor with a cutoff that does not cover the row.
      await harness.sql('begin');
      try {
        await harness.sql(`select set_config('keyhaven.event_retention_cutoff', $1, true)`, [new Date(now.getTime() - 90 * DAY).toISOString()]);
        await expect(harness.sql('delete from auth.security_event where id = $1', [young])).rejects.toThrow(/append-only/);
      } finally {
        await harness.sql('rollback');
      }
    });

    it('deletes tombstones past AUTH_TOMBSTONE_RETENTION, expired challenges, spent tokens and long-ended sessions', async () => {
      const now = harness.clock.now();
      const user = await harness.newUser();
      await harness.sql(
        `insert into auth.account_tombstone (account_id, erased_at, requested_by, reason) values ($1, $2, 'self', 'x'), ($3, $4, 'self', 'y')`,
        [
          '22222222-0000-4000-8000-000000000001',
          new Date(now.getTime() - 731 * DAY),
          '22222222-0000-4000-8000-000000000002',
          new Date(now.getTime() - 729 * DAY),
        ],
      );
      await harness.sql(
        `insert into auth.webauthn_challenge (challenge, ceremony, account_id, expires_at) values ('old', 'registration', $1, $2), ('fresh', 'registration', $1, $3)`,
        [user.id, new Date(now.getTime() - 1000), new Date(now.getTime() + 60_000)],
      );
      await harness.sql(`insert into auth.consumed_token (jti, account_id, expires_at) values ('spent-old', $1, $2), ('spent-new', $1, $3)`, [
        user.id,
        new Date(now.getTime() - 1000),
        new Date(now.getTime() + 60_000),
      ]);
      await user.signIn(); // an open session: kept
      await harness.sql(
        `insert into auth.session (id, account_id, token_use, aal, amr, auth_time, created_at, last_used_at, expires_at, device_label, revoked_at, revoke_reason)
         values ('33333333-0000-4000-8000-000000000001', $1, 'access', 1, '{pwd}', $2, $2, $2, $3, 'Firefox on Linux', $3, 'signed_out')`,
        [user.id, new Date(now.getTime() - 60 * DAY), new Date(now.getTime() - 31 * DAY)],
      );

      const report = await harness.app.get(RetentionService).run();
      expect(report.deleted).toMatchObject({ 'auth.account_tombstone': 1, 'auth.webauthn_challenge': 1, 'auth.consumed_token': 1, 'auth.session': 1 });
      expect(await harness.sql('select account_id from auth.account_tombstone')).toEqual([{ account_id: '22222222-0000-4000-8000-000000000002' }]);
      expect(await harness.sql('select challenge from auth.webauthn_challenge where account_id = $1', [user.id])).toEqual([{ challenge: 'fresh' }]);
      expect(await harness.sql('select jti from auth.consumed_token where account_id = $1', [user.id])).toEqual([{ jti: 'spent-new' }]);
      expect(await harness.sql('select count(*)::int as n from auth.session where account_id = $1', [user.id])).toEqual([{ n: 1 }]);
    });
    it('clears second-factor attempt counters past AUTH_MFA_ATTEMPT_RETENTION, never one whose delay or lock still runs, nor a fresh one', async () => {
      const now = harness.clock.now();
      const [stale, fresh, stillLocked, staleLockOver] = await Promise.all([harness.newUser(), harness.newUser(), harness.newUser(), harness.newUser()]);
      const counter = (id: string, count: number, lastAttemptAt: Date, lockedUntil: Date | null, nextAttemptAt: Date | null = null) =>
        harness.sql('update auth.account set mfa_failed_count = $2, mfa_last_attempt_at = $3, mfa_locked_until = $4, mfa_next_attempt_at = $5 where id = $1', [
          id,
          count,
          lastAttemptAt,
          lockedUntil,
          nextAttemptAt,
        ]);
      await counter(stale.id, 2, new Date(now.getTime() - 25 * HOUR), null);
      await counter(fresh.id, 2, new Date(now.getTime() - 23 * HOUR), null);
      await counter(stillLocked.id, 10, new Date(now.getTime() - 25 * HOUR), new Date(now.getTime() + HOUR));
      await counter(staleLockOver.id, 10, new Date(now.getTime() - 26 * HOUR), new Date(now.getTime() - 25 * HOUR), null);

      const report = await harness.app.get(RetentionService).run();
      expect(report.deleted[STALE_ATTEMPT_COUNTERS]).toBe(2);
      const rows = await harness.sql<{ id: string; mfa_failed_count: number; cleared: boolean }>(
        `select id, mfa_failed_count, (mfa_last_attempt_at is null and mfa_locked_until is null and mfa_next_attempt_at is null) as cleared from auth.account where id = any($1::uuid[])`,
        [[stale.id, fresh.id, stillLocked.id, staleLockOver.id]],
      );
      const byId = new Map(rows.map((row) => [row.id, row]));
      expect(byId.get(stale.id)).toMatchObject({ mfa_failed_count: 0, cleared: true });
      expect(byId.get(staleLockOver.id)).toMatchObject({ mfa_failed_count: 0, cleared: true });
      expect(byId.get(fresh.id)).toMatchObject({ mfa_failed_count: 2, cleared: false });
      expect(byId.get(stillLocked.id)).toMatchObject({ mfa_failed_count: 10, cleared: false });
    });
  });

  describe(PrivacyJobs.name, () => {
    it('schedules the retention job in pg-boss (once across replicas, durable) as a boot step', async () => {
      const jobs = harness.app.get(PrivacyJobs);
      await jobs.start();
      await jobs.start(); // idempotent, like a second boot
      const schedules = await harness.sql<{ name: string; cron: string }>('select name, cron from auth_jobs.schedule');
      expect(schedules).toEqual([{ name: RETENTION_QUEUE, cron: RETENTION_CRON }]);
    });
  });
});
