import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { ManualClock } from '@keyhaven/config';
import { createOrmConfig } from '@keyhaven/database';
import { createTestDatabase, TestDatabase } from '@keyhaven/testing';
import { AUTH_DATABASE } from '../../src/app/auth-database';
import { AuthConfig, loadAuthConfig } from '../../src/config/auth.config';

/**
 * The medium test tier of auth-service (immich's `test/medium.factory.ts`): a repository or a
 * service with real branching, on a migrated clone of the real schema, without HTTP or Nest. The
 * context inserts rows directly — `newAccount()`, `newSession()` — so a test states only what it
 * is about, and reads rows back with `sql()`. `em()` is a fresh EntityManager whose statements each
 * commit on their own; `transaction()` runs work on one that commits at its end (the two units of
 * work a service opens and passes to a repository).
 */
export interface MediumContext {
  orm: MikroORM;
  clock: ManualClock;
  config: AuthConfig;
  em(): EntityManager;
  transaction<T>(work: (em: EntityManager) => Promise<T>): Promise<T>;
  sql<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  newAccount(overrides?: { email?: string; roles?: string[] }): Promise<{ id: string; email: string }>;
  newSession(
    accountId: string,
    overrides?: { createdAt?: Date; lastUsedAt?: Date; expiresAt?: Date; revokedAt?: Date; deviceLabel?: string; network?: string | null },
  ): Promise<{ id: string }>;
  close(): Promise<void>;
}

export async function startMedium(env: Record<string, string> = {}): Promise<MediumContext> {
  const database: TestDatabase = await createTestDatabase(AUTH_DATABASE);
  const orm = await MikroORM.init(createOrmConfig({ url: database.url, ...AUTH_DATABASE, poolMax: 10, quiet: true }));
  const clock = new ManualClock('2026-03-02T09:00:00Z');
  const config = loadAuthConfig({ DATABASE_URL: database.url, AUTH_ENCRYPTION_KEYS: `t1:${randomBytes(32).toString('base64')}`, ...env });
  const sql: MediumContext['sql'] = async (text, params = []) => (await orm.em.getConnection().execute(text, params as never[])) as never;
  return {
    orm,
    clock,
    config,
    em: () => orm.em.fork(),
    transaction: (work) => orm.em.fork().transactional(work),
    sql,
    async newAccount(overrides = {}) {
      const id = randomUUID();
      const email = overrides.email ?? `medium-${id.slice(0, 8)}@example.test`;
      // (Parameters are inlined by the driver layer: arrays go in as JSON.)
      await sql('insert into auth.account (id, email, password_hash, roles) values (?, ?, ?, array(select jsonb_array_elements_text(?::jsonb)))', [
        id,
        email,
        '$argon2id$v=19$m=19456,t=2,p=1$bWVkaXVt$medium',
        JSON.stringify(overrides.roles ?? []),
      ]);
      return { id, email };
    },
    async newSession(accountId, overrides = {}) {
      const id = randomUUID();
      const now = clock.now();
      await sql(
        `insert into auth.session (id, account_id, token_use, aal, amr, auth_time, created_at, last_used_at, expires_at, device_label, network, revoked_at, revoke_reason, refresh_hash)
         values (?, ?, 'access', 1, '{pwd}', ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          id,
          accountId,
          now,
          overrides.createdAt ?? now,
          overrides.lastUsedAt ?? now,
          overrides.expiresAt ?? new Date(now.getTime() + 30 * 86_400_000),
          overrides.deviceLabel ?? 'Firefox on Linux',
          overrides.network === undefined ? '203.0.113.0/24' : overrides.network,
          overrides.revokedAt ?? null,
          overrides.revokedAt ? 'signed_out' : null,
          createHash('sha256').update(id).digest(),
        ],
      );
      return { id };
    },
    async close() {
      await orm.close(true);
      await database.drop();
    },
  };
}
