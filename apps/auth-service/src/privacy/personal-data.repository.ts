import { Injectable } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { ErasureRequester } from './entities/account-tombstone.entity';

type Param = string | number | boolean | Date | null;
type Row = Record<string, unknown>;

/** Keys of event details that hold text a user chose (a factor's name) or a device description: gone on erasure. */
export const USER_TEXT_DETAIL_KEYS = ['name', 'device'] as const;

export interface Tombstone {
  accountId: string;
  erasedAt: Date;
  requestedBy: ErasureRequester;
  requesterId: string | null;
  reason: string;
  /** The account held a staff role (ops, admin): its erasure is published in the erasures feed. */
  operator: boolean;
}

/** Roles whose holders other services record by account id (release-api's audit trail): their erasures are published. */
export const STAFF_ROLES = ['ops', 'admin'] as const;

export function isStaff(roles: readonly string[]): boolean {
  return roles.some((role) => (STAFF_ROLES as readonly string[]).includes(role));
}

const iso = (value: unknown) => (value === null || value === undefined ? null : new Date(value as string).toISOString());

/**
 * A data subject's rows across every table of schema `auth`: the read behind an export (Art. 15/20)
 * and the writes of an erasure (Art. 17). They are here, in one place, so that a table added to the
 * schema is added to both (the inventory test names every table; this file is where its rows are
 * read and erased) — the one repository whose statements span other tables' rows. It owns
 * `auth.account_tombstone`. Every method runs on the EntityManager it is given; none opens a
 * transaction or commits.
 */
@Injectable()
export class PersonalDataRepository {
  /**
   * Art. 17 on the caller's transaction: the account and everything hanging off it go (factors,
   * recovery codes, sessions and their tokens, remembered devices, consumed tokens — by cascade;
   * challenges here), its security events stay under the account id but lose user-chosen text,
   * and a tombstone says it happened. Answers the number of events kept.
   */
  async erase(tx: EntityManager, tombstone: Tombstone): Promise<number> {
    const id = tombstone.accountId;
    // The append-only trigger lets this transaction change this account's events' details, nothing else.
    await this.run(`select set_config('keyhaven.erasing_account', ?, true)`, [id], tx);
    const keys = `array[${USER_TEXT_DETAIL_KEYS.map((k) => `'${k}'`).join(', ')}]`;
    await this.run(
      `update auth.security_event set details = details ${USER_TEXT_DETAIL_KEYS.map((k) => `- '${k}'`).join(' ')}
       where account_id = ? and details is not null and jsonb_exists_any(details, ${keys})`,
      [id],
      tx,
    );
    await this.run('delete from auth.webauthn_challenge where account_id = ?', [id], tx);
    await this.run('delete from auth.account where id = ?', [id], tx);
    await this.run(
      `insert into auth.account_tombstone (account_id, erased_at, requested_by, requester_id, reason, operator) values (?, ?, ?, ?, ?, ?)
       on conflict (account_id) do nothing`,
      [id, tombstone.erasedAt, tombstone.requestedBy, tombstone.requesterId, tombstone.reason, tombstone.operator],
      tx,
    );
    const kept = await this.run('select count(*)::int as n from auth.security_event where account_id = ?', [id], tx);
    return Number(kept[0]?.['n'] ?? 0);
  }

  /** Tombstones in (erased_at, account_id) order after the cursor; `staffOnly` for the public feed. */
  async tombstonesAfter(em: EntityManager, after: { erasedAt: Date; accountId: string } | undefined, limit: number, staffOnly = false): Promise<Tombstone[]> {
    const staff = staffOnly ? 'and operator' : '';
    const rows = after
      ? await this.run(
          `select * from auth.account_tombstone where (erased_at, account_id) > (?, ?::uuid) ${staff} order by erased_at, account_id limit ?`,
          [after.erasedAt, after.accountId, limit],
          em,
        )
      : await this.run(`select * from auth.account_tombstone where true ${staff} order by erased_at, account_id limit ?`, [limit], em);
    return rows.map(tombstoneRow);
  }

  async tombstoneOf(tx: EntityManager, accountId: string): Promise<Tombstone | undefined> {
    const rows = await this.run('select * from auth.account_tombstone where account_id = ?', [accountId], tx);
    return rows[0] ? tombstoneRow(rows[0]) : undefined;
  }

  /** Everything stored about one account, for its export — never a secret, hash or public key. */
  async exportOf(tx: EntityManager, accountId: string): Promise<Record<string, unknown> | undefined> {
    const [account] = await this.run(
      `select id, email, roles, created_at, updated_at, mfa_grace_started_at, mfa_failed_count, mfa_next_attempt_at, mfa_locked_until, erasure_scheduled_at
       from auth.account where id = ?`,
      [accountId],
      tx,
    );
    if (!account) return undefined;
    const totp = await this.run(
      'select id, name, created_at, confirmed_at, last_used_at from auth.totp_factor where account_id = ? order by created_at, id',
      [accountId],
      tx,
    );
    const webauthn = await this.run(
      `select id, name, aaguid, transports, device_type, backed_up, passkey, created_at, last_used_at
       from auth.webauthn_credential where account_id = ? order by created_at, id`,
      [accountId],
      tx,
    );
    const [codes] = await this.run(
      'select count(*) filter (where used_at is null)::int as remaining, min(created_at) as created_at from auth.recovery_code where account_id = ?',
      [accountId],
      tx,
    );
    const sessions = await this.run(
      `select id, token_use, aal, amr, auth_time, created_at, last_used_at, expires_at, device_label, network, revoked_at, revoke_reason
       from auth.session where account_id = ? order by created_at, id`,
      [accountId],
      tx,
    );
    const devices = await this.run(
      'select id, device_label, network, created_at, last_used_at, expires_at from auth.remembered_device where account_id = ? order by created_at, id',
      [accountId],
      tx,
    );
    const events = await this.run(
      'select id, type, actor_id, ip_prefix, details, occurred_at from auth.security_event where account_id = ? order by occurred_at, id',
      [accountId],
      tx,
    );
    return {
      account: {
        id: account['id'],
        email: account['email'],
        createdAt: iso(account['created_at']),
        updatedAt: iso(account['updated_at']),
        roles: account['roles'],
        mfaGracePeriodStartedAt: iso(account['mfa_grace_started_at']),
        lockState: {
          failedSecondFactorAttempts: Number(account['mfa_failed_count']),
          nextAttemptAt: iso(account['mfa_next_attempt_at']),
          lockedUntil: iso(account['mfa_locked_until']),
        },
        erasureScheduledAt: iso(account['erasure_scheduled_at']),
      },
      factors: [
        ...totp.map((f) => ({
          id: f['id'],
          type: 'totp',
          name: f['name'],
          createdAt: iso(f['created_at']),
          confirmedAt: iso(f['confirmed_at']),
          lastUsedAt: iso(f['last_used_at']),
        })),
        ...webauthn.map((f) => ({
          id: f['id'],
          type: 'webauthn',
          name: f['name'],
          createdAt: iso(f['created_at']),
          lastUsedAt: iso(f['last_used_at']),
          aaguid: f['aaguid'],
          passkey: f['passkey'],
          backedUp: f['backed_up'],
          deviceType: f['device_type'],
          transports: f['transports'],
        })),
      ],
      recoveryCodes: { remaining: Number(codes?.['remaining'] ?? 0), createdAt: iso(codes?.['created_at']) },
      sessions: sessions.map((s) => ({
        id: s['id'],
        kind: s['token_use'],
        aal: Number(s['aal']),
        amr: s['amr'],
        authTime: iso(s['auth_time']),
        createdAt: iso(s['created_at']),
        lastUsedAt: iso(s['last_used_at']),
        expiresAt: iso(s['expires_at']),
        device: s['device_label'],
        network: s['network'],
        revokedAt: iso(s['revoked_at']),
        revokeReason: s['revoke_reason'],
      })),
      rememberedDevices: devices.map((d) => ({
        id: d['id'],
        device: d['device_label'],
        network: d['network'],
        createdAt: iso(d['created_at']),
        lastUsedAt: iso(d['last_used_at']),
        expiresAt: iso(d['expires_at']),
      })),
      securityEvents: events.map((e) => ({
        id: e['id'],
        type: e['type'],
        actorId: e['actor_id'],
        ipPrefix: e['ip_prefix'],
        details: e['details'],
        occurredAt: iso(e['occurred_at']),
      })),
    };
  }

  private run(sql: string, params: Param[], em: EntityManager): Promise<Row[]> {
    return em.getConnection().execute(sql, params, 'all', em.getTransactionContext());
  }
}

function tombstoneRow(row: Row): Tombstone {
  return {
    accountId: String(row['account_id']),
    erasedAt: new Date(row['erased_at'] as string),
    requestedBy: row['requested_by'] as ErasureRequester,
    requesterId: (row['requester_id'] as string | null) ?? null,
    reason: String(row['reason']),
    operator: row['operator'] === true,
  };
}
