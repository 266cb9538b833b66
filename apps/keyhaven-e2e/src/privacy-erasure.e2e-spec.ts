import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generate } from 'otplib';
import { Client } from 'pg';
import { ServiceProcess, startService } from '@keyhaven/testing';
import { freshStore, FreshStore } from './support/fresh-database';

const ISSUER = 'http://auth.e2e.test';
const PASSWORD = 'lantern-orbit-velvet-42';
const ADMIN = 'admin@e2e.test';

/** The store's database as a client can reach it: DATABASE_URL, or the embedded server of DATA_DIR (its password file and port). */
async function storeUrl(store: FreshStore): Promise<string> {
  if (store.env['DATABASE_URL']) return store.env['DATABASE_URL'];
  const dir = store.env['DATA_DIR'] ?? '';
  const password = (await readFile(join(dir, 'postgres.password'), 'utf8')).trim();
  const port = (await readFile(join(dir, 'postgres', 'postmaster.pid'), 'utf8')).split('\n')[3]?.trim();
  return `postgres://keyhaven:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
}

async function call<T>(base: string, method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; json: T }> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, json: (text ? JSON.parse(text) : undefined) as T };
}

async function until<T>(check: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * Erasure across the built services, on one store: an ops person's account erased in auth-service
 * becomes a pseudonym in release-api's audit trail (release-api reads the erasure feed; no shared
 * tables), and an erasure killed half-way (SIGKILL) leaves everything in place — the next attempt
 * erases it all.
 */
describe('erasure across services (built auth-service and release-api)', () => {
  let store: FreshStore;
  let auth: ServiceProcess | undefined;
  let release: ServiceProcess | undefined;
  let db: Client;
  const authEnv = () => ({ ...store.env, AUTH_ISSUER: ISSUER, AUTH_BOOTSTRAP_EMAIL: ADMIN, AUTH_BOOTSTRAP_PASSWORD: PASSWORD, AUTH_THROTTLE_LIMIT: '1000' });

  beforeAll(async () => {
    store = await freshStore();
    auth = await startService('auth-service', authEnv());
    await auth.ready(180_000);
    release = await startService('release-api', {
      ...store.env,
      AUTH_JWKS_URL: `${auth.url}/.well-known/jwks.json`,
      AUTH_ISSUER: ISSUER,
      RELEASE_DEMO_DATA: 'false',
      RELEASE_ERASURES_SYNC: '1s',
    });
    await release.ready(180_000);
    db = new Client({ connectionString: await storeUrl(store) });
    await db.connect();
  }, 400_000);

  afterAll(async () => {
    await db?.end();
    await release?.stop();
    await auth?.stop();
    await store?.remove();
  });

  /** A new account with the given roles and an authenticator app; answers its aal-2 token. */
  async function opsPerson(email: string, roles: string[]): Promise<{ id: string; token: string }> {
    const base = auth?.url ?? '';
    const created = await call<{ id: string }>(base, 'POST', '/v1/accounts', { email, password: PASSWORD });
    expect(created.status).toBe(201);
    await db.query('update auth.account set roles = $2 where id = $1', [created.json.id, roles]);
    const first = await call<{ accessToken: string }>(base, 'POST', '/v1/sessions', { email, password: PASSWORD });
    const enrolled = await call<{ id: string; secret: string }>(
      base,
      'POST',
      '/v1/me/factors/totp',
      { name: 'Phone', currentPassword: PASSWORD },
      first.json.accessToken,
    );
    const epoch = Math.floor(Date.now() / 1000);
    await call(
      base,
      'POST',
      `/v1/me/factors/totp/${enrolled.json.id}/confirm`,
      { code: await generate({ secret: enrolled.json.secret, epoch: epoch - 30 }) },
      first.json.accessToken,
    );
    const pending = await call<{ accessToken: string }>(base, 'POST', '/v1/sessions', { email, password: PASSWORD });
    const full = await call<{ accessToken: string; aal: number }>(
      base,
      'POST',
      '/v1/sessions/mfa/totp',
      { code: await generate({ secret: enrolled.json.secret, epoch }) },
      pending.json.accessToken,
    );
    expect(full.json.aal).toBe(2);
    return { id: created.json.id, token: full.json.accessToken };
  }

  const adminToken = async () =>
    (await call<{ accessToken: string }>(auth?.url ?? '', 'POST', '/v1/sessions', { email: ADMIN, password: PASSWORD })).json.accessToken;

  it('replaces an erased ops person’s email in release-api’s audit rows with a stable pseudonym', async () => {
    const ops = await opsPerson('ops-person@e2e.test', ['ops']);
    const released = await call(
      release?.url ?? '',
      'POST',
      '/v1/releases',
      { version: '9.9.9', channel: 'stable', releasedAt: '2026-11-01T00:00:00Z' },
      ops.token,
    );
    expect(released.status).toBe(201);
    const before = await db.query('select actor_email from release.audit_event where actor_sub = $1', [ops.id]);
    expect(before.rows).toEqual([{ actor_email: 'ops-person@e2e.test' }]);

    const erased = await call(
      auth?.url ?? '',
      'POST',
      `/v1/admin/accounts/${ops.id}/erase`,
      { reason: 'left the company; Art. 17 request' },
      await adminToken(),
    );
    expect(erased.status).toBe(200);

    const pseudonym = `erased-${createHash('sha256').update(ops.id).digest('hex').slice(0, 16)}`;
    const rows = await until(async () => {
      const { rows } = await db.query<{ actor_email: string }>('select actor_email from release.audit_event where actor_sub = $1', [ops.id]);
      return rows.every((row) => row.actor_email === pseudonym) ? rows : undefined;
    });
    expect(rows).toHaveLength(1);
    const { rows: anywhere } = await db.query(`select count(*)::int as n from release.audit_event where actor_email = 'ops-person@e2e.test'`);
    expect(anywhere).toEqual([{ n: 0 }]);
  }, 120_000);

  it('leaves nothing erased when the process is killed mid-erasure, and erases everything on the next try', async () => {
    const user = await opsPerson('kill-me@e2e.test', []);
    const count = async (table: string, column = 'account_id') =>
      Number((await db.query(`select count(*)::int as n from auth.${table} where ${column} = $1`, [user.id])).rows[0].n);
    const snapshot = async () => ({
      account: await count('account', 'id'),
      factors: await count('totp_factor'),
      codes: await count('recovery_code'),
      sessions: await count('session'),
      namedEvents: Number(
        (await db.query(`select count(*)::int as n from auth.security_event where account_id = $1 and details ? 'name'`, [user.id])).rows[0].n,
      ),
      tombstones: await count('account_tombstone'),
    });
    // An event as older versions wrote it, with a factor name the erasure must strip.
    await db.query(
      `insert into auth.security_event (id, type, account_id, actor_id, details, occurred_at) values (gen_random_uuid(), 'factor_enrolled', $1, $1, '{"name":"Phone"}', now())`,
      [user.id],
    );
    const before = await snapshot();
    expect(before).toMatchObject({ account: 1, factors: 1, codes: 10, namedEvents: 1, tombstones: 0 });

    // Hold the tombstone table: the erasure gets as far as its last statements and waits there.
    const blocker = new Client({ connectionString: await storeUrl(store) });
    await blocker.connect();
    await blocker.query('begin');
    await blocker.query('lock table auth.account_tombstone in access exclusive mode');
    const admin = await adminToken();
    const inFlight = call(auth?.url ?? '', 'POST', `/v1/admin/accounts/${user.id}/erase`, { reason: 'test of an interrupted erasure' }, admin).catch(
      (error: unknown) => error,
    );
    await until(async () => {
      const { rows } = await db.query(`select 1 from pg_stat_activity where wait_event_type = 'Lock' and query like '%account_tombstone%'`);
      return rows.length > 0 ? true : undefined;
    });
    auth?.child.kill('SIGKILL');
    await auth?.exited;
    await inFlight;
    await blocker.query('rollback');
    await blocker.end();

    expect(await snapshot()).toEqual(before);

    auth = await startService('auth-service', authEnv());
    await auth.ready(180_000);
    const again = await call<{ accountId: string }>(
      auth.url,
      'POST',
      `/v1/admin/accounts/${user.id}/erase`,
      { reason: 'test of an interrupted erasure' },
      await adminToken(),
    );
    expect(again.status).toBe(200);
    expect(await snapshot()).toEqual({ account: 0, factors: 0, codes: 0, sessions: 0, namedEvents: 0, tombstones: 1 });
  }, 400_000);
});
