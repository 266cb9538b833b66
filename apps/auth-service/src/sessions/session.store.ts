import { Injectable } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/postgresql';
import { prepared, runPrepared, type PreparedScope, type PreparedStatement, type SqlParam, type SqlRow } from '@keyhaven/database';
import type { RevokeReason } from './entities/session.entity';

/** A session about to be opened (see Session). */
export interface NewSession {
  id: string;
  accountId: string;
  tokenUse: 'access' | 'enrollment';
  aal: 1 | 2;
  amr: readonly string[];
  authTime: Date;
  createdAt: Date;
  expiresAt: Date;
  deviceLabel: string;
  network: string | undefined;
  rememberedDeviceId?: string;
}

/** A session as a refresh sees it: what its next access token needs, from the session and its account. */
export interface LiveSession {
  id: string;
  accountId: string;
  tokenUse: 'access' | 'enrollment';
  aal: 1 | 2;
  amr: string[];
  authTime: Date;
  expiresAt: Date;
  email: string;
  roles: string[];
}

/** One rotation of `rotateMany`: what `rotate` takes. */
export interface Rotation {
  sessionId: string;
  generation: number;
  oldHash: Buffer;
  newHash: Buffer;
  now: Date;
  idleSince: Date;
}

export interface SessionRow {
  id: string;
  tokenUse: 'access' | 'enrollment';
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

type Row = SqlRow;

const SESSION_COLUMNS = `s.id, s.account_id, s.token_use, s.aal, s.amr, s.auth_time, s.created_at, s.last_used_at, s.expires_at, s.device_label, s.network, s.remembered_device_id`;
/** What a rotation returns: only what the next access token and the answer need (each column is parsed per refresh). */
const LIVE_COLUMNS = `s.id, s.account_id, s.token_use, s.aal, s.amr, s.auth_time, s.expires_at`;

/** A new session row with its first refresh token's hash: `$1`–`$13` as `sessionOpenParams` gives them (also a part of the sign-in step's closing statement). */
export const SESSION_INSERT_SQL = `insert into auth.session (id, account_id, token_use, aal, amr, auth_time, created_at, last_used_at, expires_at, device_label, network, remembered_device_id, refresh_hash)
       values ($1, $2, $3, $4, array(select jsonb_array_elements_text($5::jsonb)), $6, $7, $8, $9, $10, $11, $12, $13)`;
const SESSION_OPEN = prepared('session.open', SESSION_INSERT_SQL);

/** The parameters of SESSION_INSERT_SQL (generation 0: the first refresh token). */
export function sessionOpenParams(session: NewSession, refreshHash: Buffer): SqlParam[] {
  return [
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
  ];
}
/**
 * The rotation of a refresh token, for one session or many at once (group commit, see
 * SessionIssuer): `$1`–`$6` are arrays, one element per rotation — session id, generation,
 * current hash, next hash, now, idle since — and each returned row names its rotation by `n`
 * (1-based). The sessions are found by primary key (`= any($1)`) whatever plan a prepared
 * statement gets; the caller never puts one session twice in a batch (one source row per target
 * row is all a joined UPDATE applies).
 */
const SESSION_ROTATE_MANY = prepared(
  'session.rotate_many',
  `update auth.session s set refresh_hash = b.new_hash, refresh_generation = s.refresh_generation + 1, last_used_at = b.now
       from unnest($1::uuid[], $2::int4[], $3::bytea[], $4::bytea[], $5::timestamptz[], $6::timestamptz[])
              with ordinality as b(id, generation, old_hash, new_hash, now, idle_since, n),
            auth.account a
       where s.id = any($1::uuid[]) and s.id = b.id and s.refresh_generation = b.generation and s.refresh_hash = b.old_hash
         and s.revoked_at is null and s.expires_at > b.now and s.last_used_at > b.idle_since and a.id = s.account_id
       returning b.n, ${LIVE_COLUMNS}, a.email, a.roles`,
);
const SESSION_GENERATION = prepared('session.generation', `select refresh_generation from auth.session where id = $1`);
const SESSION_LEGACY_TOKEN = prepared(
  'session.legacy_token',
  `select s.id, s.refresh_generation from auth.refresh_token t join auth.session s on s.id = t.session_id where t.token_hash = $1 and t.spent_at is null`,
);
const SESSION_ROTATE_LEGACY = prepared(
  'session.rotate_legacy',
  `with spent as (
         update auth.refresh_token t set spent_at = $1 from auth.session s
         where t.token_hash = $2 and t.spent_at is null and t.session_id = $3
           and s.id = t.session_id and s.refresh_generation = $4 and s.revoked_at is null and s.expires_at > $5 and s.last_used_at > $6
         returning t.session_id),
       s as (
         update auth.session s set refresh_hash = $7, refresh_generation = s.refresh_generation + 1, last_used_at = $8 from spent
         where s.id = spent.session_id and s.refresh_generation = $9 and s.revoked_at is null
         returning ${LIVE_COLUMNS})
       select s.*, a.email, a.roles from s join auth.account a on a.id = s.account_id`,
);
const SESSION_SPENT_TOKEN = prepared('session.spent_token', `select session_id from auth.refresh_token where token_hash = $1 and spent_at is not null`);
const SESSION_REVOKE = prepared(
  'session.revoke',
  `update auth.session set revoked_at = $1, revoke_reason = $2
       where account_id = $3 and revoked_at is null and expires_at > $4
         and ($5::jsonb is null or id in (select value::uuid from jsonb_array_elements_text($6::jsonb)))
         and ($7::uuid is null or id <> $8::uuid)
       returning id`,
);
const SESSION_OWNER = prepared('session.owner', `select account_id from auth.session where id = $1`);
const SESSION_IS_OPEN = prepared('session.is_open', `select 1 from auth.session where id = $1 and account_id = $2 and revoked_at is null and expires_at > $3`);
const SESSION_LIST_OPEN = prepared(
  'session.list_open',
  `select ${SESSION_COLUMNS} from auth.session s
       where s.account_id = $1 and s.revoked_at is null and s.expires_at > $2 and s.last_used_at > $3
       order by s.last_used_at desc, s.id limit 200`,
);
const SESSION_REVOKED_SINCE = prepared('session.revoked_since', `select id from auth.session where revoked_at > $1 order by revoked_at limit 100000`);
const SESSION_SEEN_BEFORE = prepared(
  'session.seen_before',
  `select count(*) > 0 as any, coalesce(bool_or(device_label = $1 and network is not distinct from $2), false) as same
       from auth.session where account_id = $3 and id <> $4`,
);

/**
 * When a session ended, in SQL (one `?`: the idle timeout in ms): revoked, else the earlier of its
 * hard end and its idle end. The daily retention job deletes sessions (their refresh tokens go by
 * cascade) that ended AUTH_SESSION_RETENTION ago through the data inventory's prune rule, which
 * uses this; nothing else deletes sessions by age.
 */
export const SESSION_ENDED_AT_SQL = `coalesce(revoked_at, least(expires_at, last_used_at + ? * interval '1 millisecond'))`;

/**
 * The one owner of `auth.session` and `auth.refresh_token`. Every method is one statement (one
 * round trip); correctness under concurrency is the database's: a refresh token is spent by a
 * conditional UPDATE, so of many requests racing with one token exactly one finds it current.
 * Every method runs on the EntityManager it is given (the caller's transaction, or a fork whose
 * statements each commit on their own); none opens a transaction or commits.
 */
@Injectable()
export class SessionStore {
  /** The session row with the hash of its first refresh token (generation 0). */
  async open(em: EntityManager, session: NewSession, refreshHash: Buffer): Promise<void> {
    await this.run(em, SESSION_OPEN, sessionOpenParams(session, refreshHash));
  }

  /**
   * Rotation (RFC 9700 section 4.14.2) of session-bound tokens (see RefreshTokens), many in one
   * statement (one round trip, one commit), each as if alone: when a session is still alive (not
   * revoked, used since `idleSince`, before its absolute end) and its current token is generation
   * `generation` with hash `oldHash`, its row moves to the next generation with `newHash` and is
   * marked used. Racing statements with one token queue on the row; the first moves it, the others
   * then find a later generation. The answers are in the rotations' order, undefined where nothing
   * was rotated. At most one rotation per session (SessionIssuer's GroupCommit sees to it).
   */
  async rotateMany(scope: PreparedScope, rotations: readonly Rotation[]): Promise<Array<LiveSession | undefined>> {
    const { rows } = await runPrepared(scope, SESSION_ROTATE_MANY, [
      rotations.map((r) => r.sessionId),
      rotations.map((r) => r.generation),
      rotations.map((r) => r.oldHash),
      rotations.map((r) => r.newHash),
      rotations.map((r) => r.now),
      rotations.map((r) => r.idleSince),
    ]);
    const answers = new Array<LiveSession | undefined>(rotations.length).fill(undefined);
    for (const row of rows) answers[Number(row['n']) - 1] = liveSession(row);
    return answers;
  }

  /** The generation a session's current refresh token has; undefined when there is no such session. */
  async refreshGeneration(em: EntityManager, sessionId: string): Promise<number | undefined> {
    const rows = await this.run(em, SESSION_GENERATION, [sessionId]);
    return rows[0] ? Number(rows[0]['refresh_generation']) : undefined;
  }

  /**
   * A token issued before session-bound tokens (auth.refresh_token): its session and the
   * generation the session is at, while the token is unspent.
   */
  async legacyTokenSession(em: EntityManager, hash: Buffer): Promise<{ sessionId: string; generation: number } | undefined> {
    const rows = await this.run(em, SESSION_LEGACY_TOKEN, [hash]);
    return rows[0] ? { sessionId: String(rows[0]['id']), generation: Number(rows[0]['refresh_generation']) } : undefined;
  }

  /**
   * Rotation of a token issued before session-bound tokens: it is spent in auth.refresh_token
   * (where a replay of it is recognised) and the session moves to `generation + 1` with the new,
   * session-bound token's hash — one statement. Undefined when nothing was rotated.
   */
  async rotateLegacy(
    em: EntityManager,
    oldHash: Buffer,
    sessionId: string,
    generation: number,
    newHash: Buffer,
    now: Date,
    idleSince: Date,
  ): Promise<LiveSession | undefined> {
    const rows = await this.run(em, SESSION_ROTATE_LEGACY, [now, oldHash, sessionId, generation, now, idleSince, newHash, now, generation]);
    return liveSession(rows[0]);
  }

  /** What a legacy refresh token that did not rotate was: unknown, or a spent token of a session. */
  async spentTokenSession(em: EntityManager, hash: Buffer): Promise<string | undefined> {
    const rows = await this.run(em, SESSION_SPENT_TOKEN, [hash]);
    return rows[0] ? String(rows[0]['session_id']) : undefined;
  }

  /**
   * Ends sessions that are still open: `ids` of one account (undefined: all of the account's), except
   * `keep`. Answers the ids it revoked (not those that had already ended).
   */
  async revoke(
    em: EntityManager,
    accountId: string,
    reason: RevokeReason,
    now: Date,
    options: { ids?: readonly string[]; keep?: string } = {},
  ): Promise<string[]> {
    const rows = await this.run(em, SESSION_REVOKE, [
      now,
      reason,
      accountId,
      now,
      options.ids ? JSON.stringify(options.ids) : null,
      options.ids ? JSON.stringify(options.ids) : null,
      options.keep ?? null,
      options.keep ?? null,
    ]);
    return rows.map((row) => String(row['id']));
  }

  /** The session's account, when the session exists (any state). */
  async ownerOf(em: EntityManager, sessionId: string): Promise<string | undefined> {
    if (!UUID.test(sessionId)) return undefined;
    const rows = await this.run(em, SESSION_OWNER, [sessionId]);
    return rows[0] ? String(rows[0]['account_id']) : undefined;
  }

  /**
   * Whether an access token's session is still open — the one query auth-service's bearer guard
   * adds per request (a primary-key probe), so a revocation holds at once on every replica.
   */
  async isOpen(em: EntityManager, sessionId: string, accountId: string, now: Date): Promise<boolean> {
    if (!UUID.test(sessionId) || !UUID.test(accountId)) return false;
    const rows = await this.run(em, SESSION_IS_OPEN, [sessionId, accountId, now]);
    return rows.length === 1;
  }

  /** Open sessions of an account (not revoked, not past their end, used since `idleSince`), newest first. */
  async listOpen(em: EntityManager, accountId: string, now: Date, idleSince: Date): Promise<SessionRow[]> {
    const rows = await this.run(em, SESSION_LIST_OPEN, [accountId, now, idleSince]);
    return rows.map(sessionRow);
  }

  /**
   * Ids of sessions revoked since `since` — the revocation list other services fetch. Only
   * revocations whose access tokens may still be alive matter, so the list stays short.
   */
  async revokedSince(em: EntityManager, since: Date): Promise<string[]> {
    const rows = await this.run(em, SESSION_REVOKED_SINCE, [since]);
    return rows.map((row) => String(row['id']));
  }

  /** Whether the account has signed in from this device label and network before (any session still kept). */
  async seenBefore(
    em: EntityManager,
    accountId: string,
    deviceLabel: string,
    network: string | undefined,
    exceptId: string,
  ): Promise<{ any: boolean; same: boolean }> {
    const rows = await this.run(em, SESSION_SEEN_BEFORE, [deviceLabel, network ?? null, accountId, exceptId]);
    return { any: Boolean(rows[0]?.['any']), same: Boolean(rows[0]?.['same']) };
  }

  /** Each statement is prepared once per pooled connection (see runPrepared): the refresh and the guard's probe run per request. */
  private async run(em: EntityManager, statement: PreparedStatement, params: SqlParam[]): Promise<Row[]> {
    return (await runPrepared(em, statement, params)).rows;
  }
}

/** What every session read maps the same way: the grant and the session's end. */
function grantOf(row: Row): Pick<SessionRow, 'id' | 'tokenUse' | 'aal' | 'amr' | 'authTime' | 'expiresAt'> {
  return {
    id: String(row['id']),
    tokenUse: row['token_use'] as SessionRow['tokenUse'],
    aal: Number(row['aal']) as 1 | 2,
    amr: row['amr'] as string[],
    authTime: new Date(row['auth_time'] as string),
    expiresAt: new Date(row['expires_at'] as string),
  };
}

function sessionRow(row: Row): SessionRow {
  return {
    ...grantOf(row),
    createdAt: new Date(row['created_at'] as string),
    lastUsedAt: new Date(row['last_used_at'] as string),
    deviceLabel: String(row['device_label']),
    network: (row['network'] as string | null) ?? null,
    rememberedDeviceId: (row['remembered_device_id'] as string | null) ?? null,
  };
}

function liveSession(row: Row | undefined): LiveSession | undefined {
  if (!row) return undefined;
  return { ...grantOf(row), accountId: String(row['account_id']), email: String(row['email']), roles: row['roles'] as string[] };
}
