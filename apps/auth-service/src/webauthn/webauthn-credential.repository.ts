import { Injectable } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/postgresql';
import { prepared, runPrepared, type PreparedScope, type SqlRow } from '@keyhaven/database';
import type { ClaimRead } from '../second-factors/second-factor.strategy';
import { WebAuthnCredential } from './entities/webauthn-credential.entity';

// The sign-in step's statements, prepared once per pooled connection.
const COLUMNS = 'id, account_id, name, credential_id, public_key, counter, transports, aaguid, device_type, backed_up, passkey, created_at, last_used_at';
const LIST_FOR = prepared('webauthn_credential.list_for', `select ${COLUMNS} from auth.webauthn_credential where account_id = $1 order by created_at, id`);
const BY_CREDENTIAL_ID = prepared('webauthn_credential.by_credential_id', `select ${COLUMNS} from auth.webauthn_credential where credential_id = $1`);
/**
 * The account's credentials as the second step reads them: in the attempt claim's statement
 * (`ClaimRead`), as one json array of the rows of LIST_FOR.
 */
export const CREDENTIALS_AT_CLAIM: ClaimRead = {
  name: 'webauthn_credential.of_account',
  sql: `select coalesce(json_agg(c order by c.created_at, c.id), '[]'::json)
          from (select ${COLUMNS} from auth.webauthn_credential where account_id = claimed.id) c`,
};
const RECORD_USE = prepared(
  'webauthn_credential.record_use',
  `update auth.webauthn_credential set counter = $1::bigint, backed_up = $2, last_used_at = $3
    where id = $4 and (counter < $1::bigint or (counter = 0 and $1::bigint = 0))
   returning id`,
);

/**
 * Every query on security keys and passkeys, each on the EntityManager it is given (the caller's
 * audited change, or a fork whose statements each commit on their own); none opens a
 * transaction. The counter guard is one conditional UPDATE.
 */
@Injectable()
export class WebAuthnCredentialRepository {
  async insert(em: EntityManager, credential: WebAuthnCredential): Promise<void> {
    await em.insert(WebAuthnCredential, credential);
  }

  async listFor(em: PreparedScope, accountId: string): Promise<WebAuthnCredential[]> {
    return (await runPrepared(em, LIST_FOR, [accountId])).rows.map(credentialOf);
  }

  async hasAny(em: EntityManager, accountId: string): Promise<boolean> {
    return (await em.count(WebAuthnCredential, { accountId })) > 0;
  }

  async findByCredentialId(em: PreparedScope, credentialId: string): Promise<WebAuthnCredential | null> {
    const row = (await runPrepared(em, BY_CREDENTIAL_ID, [credentialId])).rows[0];
    return row ? credentialOf(row) : null;
  }

  /** The credentials CREDENTIALS_AT_CLAIM read. */
  fromClaim(read: unknown): WebAuthnCredential[] {
    if (!Array.isArray(read)) throw new Error('webauthn_credential.of_account: expected a json array');
    return read.map((row) => credentialOf(row as SqlRow));
  }

  /**
   * Records a verified use. The signature counter must grow unless the authenticator keeps none
   * (0 before and after) — WebAuthn section 6.1.1: a counter that does not increase means two
   * copies of the private key may exist. Decided in the statement, so two racing assertions
   * cannot both pass with one counter value.
   */
  async recordUse(em: PreparedScope, id: string, newCounter: number, backedUp: boolean, now: Date): Promise<boolean> {
    return (await runPrepared(em, RECORD_USE, [newCounter, backedUp, now, id])).rowCount === 1;
  }

  async delete(em: EntityManager, id: string, accountId: string): Promise<boolean> {
    return (await em.nativeDelete(WebAuthnCredential, { id, accountId })) === 1;
  }

  deleteAllFor(em: EntityManager, accountId: string): Promise<number> {
    return em.nativeDelete(WebAuthnCredential, { accountId });
  }
}

/**
 * A row (or an element of CREDENTIALS_AT_CLAIM's array: counter a json number, times json strings)
 * as the entity MikroORM would have loaded (bigint `counter` as text, as the entity declares it).
 */
function credentialOf(row: SqlRow): WebAuthnCredential {
  return Object.assign(new WebAuthnCredential(), {
    id: String(row['id']),
    accountId: String(row['account_id']),
    name: String(row['name']),
    credentialId: String(row['credential_id']),
    publicKey: String(row['public_key']),
    counter: String(row['counter']),
    transports: (row['transports'] as string[] | null) ?? [],
    aaguid: String(row['aaguid']),
    deviceType: String(row['device_type']),
    backedUp: Boolean(row['backed_up']),
    passkey: Boolean(row['passkey']),
    createdAt: new Date(row['created_at'] as string),
    lastUsedAt: row['last_used_at'] ? new Date(row['last_used_at'] as string) : undefined,
  });
}
