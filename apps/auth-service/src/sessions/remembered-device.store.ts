import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';

export interface RememberedDeviceRow {
  id: string;
  deviceLabel: string;
  network: string | null;
  createdAt: Date;
  lastUsedAt: Date | null;
  expiresAt: Date;
}

type Param = string | number | boolean | Date | Buffer | null;
type Row = Record<string, unknown>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The one owner of `auth.remembered_device`. A device token is looked up by its SHA-256 hash
 * (one unique-index probe); the account it is bound to is checked by the caller, so a token of
 * another account can be recorded rather than silently treated as unknown. Every method runs on
 * the EntityManager it is given (the caller's transaction, or a fork whose statements each commit
 * on their own); none opens a transaction or commits.
 */
@Injectable()
export class RememberedDeviceStore {
  async remember(
    em: EntityManager,
    device: { accountId: string; tokenHash: Buffer; deviceLabel: string; network: string | undefined; now: Date; expiresAt: Date },
  ): Promise<string> {
    const id = randomUUID();
    await this.run(
      em,
      `insert into auth.remembered_device (id, account_id, token_hash, device_label, network, created_at, expires_at) values (?, ?, ?, ?, ?, ?, ?)`,
      [id, device.accountId, device.tokenHash, device.deviceLabel, device.network ?? null, device.now, device.expiresAt],
    );
    return id;
  }

  /** The unexpired device a token hash names (any account), marked used when it is the expected account's. */
  async use(em: EntityManager, tokenHash: Buffer, accountId: string, now: Date): Promise<{ id: string; accountId: string } | undefined> {
    const rows = await this.run(
      em,
      `update auth.remembered_device set last_used_at = case when account_id = ? then ?::timestamptz else last_used_at end
       where token_hash = ? and expires_at > ? returning id, account_id`,
      [accountId, now, tokenHash, now],
    );
    const row = rows[0];
    return row ? { id: String(row['id']), accountId: String(row['account_id']) } : undefined;
  }

  async list(em: EntityManager, accountId: string, now: Date): Promise<RememberedDeviceRow[]> {
    const rows = await this.run(
      em,
      `select id, device_label, network, created_at, last_used_at, expires_at from auth.remembered_device
       where account_id = ? and expires_at > ? order by coalesce(last_used_at, created_at) desc, id limit 200`,
      [accountId, now],
    );
    return rows.map((row) => ({
      id: String(row['id']),
      deviceLabel: String(row['device_label']),
      network: (row['network'] as string | null) ?? null,
      createdAt: new Date(row['created_at'] as string),
      lastUsedAt: row['last_used_at'] ? new Date(row['last_used_at'] as string) : null,
      expiresAt: new Date(row['expires_at'] as string),
    }));
  }

  /** Forgets one device of the account; false when the account has no such device. */
  async forget(em: EntityManager, accountId: string, id: string): Promise<boolean> {
    if (!UUID.test(id)) return false;
    return (await this.run(em, 'delete from auth.remembered_device where account_id = ? and id = ? returning id', [accountId, id])).length === 1;
  }

  /** Forgets every device of the account (password change, factor change, admin reset); answers how many. */
  async forgetAll(em: EntityManager, accountId: string): Promise<number> {
    return (await this.run(em, 'delete from auth.remembered_device where account_id = ? returning id', [accountId])).length;
  }

  /** Retention: expired devices go. */
  async pruneExpired(em: EntityManager, now: Date): Promise<number> {
    return (await this.run(em, 'delete from auth.remembered_device where expires_at <= ? returning id', [now])).length;
  }

  private run(em: EntityManager, sql: string, params: Param[]): Promise<Row[]> {
    return em.getConnection().execute(sql, params, 'all', em.getTransactionContext());
  }
}
