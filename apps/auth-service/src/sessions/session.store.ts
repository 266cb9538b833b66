import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import type { RevokeReason } from './entities/session.entity';

/** A session about to be opened (see Session). */
export interface NewSession {
  id: string;
  accountId: string;
  tokenUse: 'access' | 'enrolment';
  aal: 1 | 2;
  amr: readonly string[];
  authTime: Date;
  createdAt: Date;
  expiresAt: Date;
  deviceLabel: string;
  network: string | undefined;
  rememberedDeviceId?: string;
}

/** A session as a refresh sees it, with what its next access token needs from the account. */
export interface LiveSession {
  id: string;
  accountId: string;
  tokenUse: 'access' | 'enrolment';
  aal: 1 | 2;
  amr: string[];
  authTime: Date;
  lastUsedAt: Date;
  expiresAt: Date;
  email: string;
  roles: string[];
}

export interface SessionRow {
  id: string;
  tokenUse: 'access' | 'enrolment';
  aal: 1 | 2;
  amr: string[];
  authTime: Date;
  createdAt: Date;
  lastUsedAt: Date;
  expiresAt: Date;
  deviceLabel: string;
  network: string | null;
  rememberedDeviceId: string | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type Param = string | number | boolean | Date | Buffer | null;
type Row = Record<string, unknown>;

const SESSION_COLUMNS = `s.id, s.account_id, s.token_use, s.aal, s.amr, s.auth_time, s.created_at, s.last_used_at, s.expires_at, s.device_label, s.network, s.remembered_device_id`;

/**
 * The one owner of `auth.session` and `auth.refresh_token`. Every method is one statement (one
 * round trip); correctness under concurrency is the database's: a refresh token is spent by a
 * conditional UPDATE, so of many requests racing with one token exactly one finds it unspent.
 * Methods take the caller's transaction when they are part of a larger change.
 */
@Injectable()
export class SessionStore {
  constructor(private readonly em: EntityManager) {}

  /** The session row and its first refresh token, in one statement (inside `tx` when given). */
  async open(session: NewSession, refreshHash: Buffer, tx?: EntityManager): Promise<void> {
    await this.run(
      `with s as (
         insert into auth.session (id, account_id, token_use, aal, amr, auth_time, created_at, last_used_at, expires_at, device_label, network, remembered_device_id)
         values (?, ?, ?, ?, array(select jsonb_array_elements_text(?::jsonb)), ?, ?, ?, ?, ?, ?, ?) returning id)
       insert into auth.refresh_token (token_hash, session_id, created_at) select ?, id, ? from s`,
      [
        session.id,
        session.accountId,
        session.tokenUse,
        session.aal,
        JSON.stringify(session.amr),
        session.authTime,
        session.createdAt,
        session.createdAt,
        session.expiresAt,
        session.deviceLabel,
        session.network ?? null,
        session.rememberedDeviceId ?? null,
        refreshHash,
        session.createdAt,
      ],
      tx,
    );
  }

  /**
   * Rotation (RFC 9700 section 4.14.2): when its session is still alive (not revoked, used since
   * `idleSince`, before its absolute end) the presented token is spent, the next one issued and
   * the session marked used — one statement. Racing requests with one token queue on its row;
   * the first spends it, the others then find it spent. Undefined when nothing was rotated: the
   * token is unknown, already spent, or its session ended (then the token is left as it was).
   */
  async rotate(oldHash: Buffer, newHash: Buffer, now: Date, idleSince: Date): Promise<LiveSession | undefined> {
    const rows = await this.run(
      `with spent as (
         update auth.refresh_token t set spent_at = ? from auth.session s
         where t.token_hash = ? and t.spent_at is null
           and s.id = t.session_id and s.revoked_at is null and s.expires_at > ? and s.last_used_at > ?
         returning t.session_id),
       s as (
         update auth.session s set last_used_at = ? from spent
         where s.id = spent.session_id and s.revoked_at is null
         returning ${SESSION_COLUMNS}),
       next as (insert into auth.refresh_token (token_hash, session_id, created_at) select ?, id, ? from s returning session_id)
       select s.*, a.email, a.roles from s join auth.account a on a.id = s.account_id where exists (select 1 from next)`,
      [now, oldHash, now, idleSince, now, newHash, now],
    );
    const row = rows[0];
    if (!row) return undefined;
    return { ...sessionRow(row), accountId: String(row['account_id']), email: String(row['email']), roles: row['roles'] as string[] };
  }

  /** What a refresh token that did not rotate was: unknown, or a spent token of a session. */
  async spentTokenSession(hash: Buffer): Promise<string | undefined> {
    const rows = await this.run('select session_id from auth.refresh_token where token_hash = ? and spent_at is not null', [hash]);
    return rows[0] ? String(rows[0]['session_id']) : undefined;
  }

  /**
   * Ends sessions that are still open: `ids` of one account (undefined: all of the account's), except
   * `keep`. Answers the ids it revoked (not those that had already ended).
   */
  async revoke(accountId: string, reason: RevokeReason, now: Date, options: { ids?: readonly string[]; keep?: string } = {}, tx?: EntityManager): Promise<string[]> {
    const rows = await this.run(
      `update auth.session set revoked_at = ?, revoke_reason = ?
       where account_id = ? and revoked_at is null and expires_at > ?
         and (?::jsonb is null or id in (select value::uuid from jsonb_array_elements_text(?::jsonb)))
         and (?::uuid is null or id <> ?::uuid)
       returning id`,
      [now, reason, accountId, now, options.ids ? JSON.stringify(options.ids) : null, options.ids ? JSON.stringify(options.ids) : null, options.keep ?? null, options.keep ?? null],
      tx,
    );
    return rows.map((row) => String(row['id']));
  }

  /** The session's account, when the session exists (any state). */
  async ownerOf(sessionId: string): Promise<string | undefined> {
    if (!UUID.test(sessionId)) return undefined;
    const rows = await this.run('select account_id from auth.session where id = ?', [sessionId]);
    return rows[0] ? String(rows[0]['account_id']) : undefined;
  }

  /**
   * Whether an access token's session is still open — the one query auth-service's bearer guard
   * adds per request (a primary-key probe), so a revocation holds at once on every replica.
   */
  async isOpen(sessionId: string, accountId: string, now: Date): Promise<boolean> {
    if (!UUID.test(sessionId) || !UUID.test(accountId)) return false;
    const rows = await this.run('select 1 from auth.session where id = ? and account_id = ? and revoked_at is null and expires_at > ?', [sessionId, accountId, now]);
    return rows.length === 1;
  }

  /** Open sessions of an account (not revoked, not past their end, used since `idleSince`), newest first. */
  async listOpen(accountId: string, now: Date, idleSince: Date): Promise<SessionRow[]> {
    const rows = await this.run(
      `select ${SESSION_COLUMNS} from auth.session s
       where s.account_id = ? and s.revoked_at is null and s.expires_at > ? and s.last_used_at > ?
       order by s.last_used_at desc, s.id limit 200`,
      [accountId, now, idleSince],
    );
    return rows.map(sessionRow);
  }

  /**
   * Ids of sessions revoked since `since` — the revocation list other services fetch. Only
   * revocations whose access tokens may still be alive matter, so the list stays short.
   */
  async revokedSince(since: Date): Promise<string[]> {
    const rows = await this.run('select id from auth.session where revoked_at > ? order by revoked_at limit 100000', [since]);
    return rows.map((row) => String(row['id']));
  }

  /** Whether the account has signed in from this device label and network before (any session still kept). */
  async seenBefore(accountId: string, deviceLabel: string, network: string | undefined, exceptId: string): Promise<{ any: boolean; same: boolean }> {
    const rows = await this.run(
      `select count(*) > 0 as any, coalesce(bool_or(device_label = ? and network is not distinct from ?), false) as same
       from auth.session where account_id = ? and id <> ?`,
      [deviceLabel, network ?? null, accountId, exceptId],
    );
    return { any: Boolean(rows[0]?.['any']), same: Boolean(rows[0]?.['same']) };
  }

  /** Retention: sessions that ended (revoked, idle, or past their end) before `before`, with their tokens. */
  async pruneEnded(before: Date, idleMs: number): Promise<number> {
    const rows = await this.run(
      `delete from auth.session
       where coalesce(revoked_at, least(expires_at, last_used_at + ? * interval '1 millisecond')) < ?
       returning id`,
      [idleMs, before],
    );
    return rows.length;
  }

  private run(sql: string, params: Param[], tx?: EntityManager): Promise<Row[]> {
    return this.em.getConnection().execute(sql, params, 'all', tx?.getTransactionContext());
  }
}

function sessionRow(row: Row): SessionRow {
  return {
    id: String(row['id']),
    tokenUse: row['token_use'] as SessionRow['tokenUse'],
    aal: Number(row['aal']) as 1 | 2,
    amr: row['amr'] as string[],
    authTime: new Date(row['auth_time'] as string),
    createdAt: new Date(row['created_at'] as string),
    lastUsedAt: new Date(row['last_used_at'] as string),
    expiresAt: new Date(row['expires_at'] as string),
    deviceLabel: String(row['device_label']),
    network: (row['network'] as string | null) ?? null,
    rememberedDeviceId: (row['remembered_device_id'] as string | null) ?? null,
  };
}
