import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { WebAuthnCredential } from './entities/webauthn-credential.entity';

/** Every query on security keys and passkeys. The counter guard is one conditional UPDATE. */
@Injectable()
export class WebAuthnCredentialRepository {
  constructor(private readonly em: EntityManager) {}

  /** `tx`: the audited change this write belongs to (see SecurityEventsService.audited). */
  async insert(credential: WebAuthnCredential, tx: EntityManager = this.em.fork()): Promise<void> {
    await tx.insert(WebAuthnCredential, credential);
  }

  listFor(accountId: string): Promise<WebAuthnCredential[]> {
    return this.em.fork().find(WebAuthnCredential, { accountId }, { orderBy: { createdAt: 'asc', id: 'asc' } });
  }

  async hasAny(accountId: string, tx: EntityManager = this.em.fork()): Promise<boolean> {
    return (await tx.count(WebAuthnCredential, { accountId })) > 0;
  }

  findByCredentialId(credentialId: string): Promise<WebAuthnCredential | null> {
    return this.em.fork().findOne(WebAuthnCredential, { credentialId });
  }

  /**
   * Records a verified use. The signature counter must grow unless the authenticator keeps none
   * (0 before and after) — WebAuthn section 6.1.1: a counter that does not increase means two
   * copies of the private key may exist. Decided in the statement, so two racing assertions
   * cannot both pass with one counter value.
   */
  async recordUse(id: string, newCounter: number, backedUp: boolean, now: Date, tx?: EntityManager): Promise<boolean> {
    const rows: unknown[] = await this.em.getConnection().execute(
      `update auth.webauthn_credential set counter = ?::bigint, backed_up = ?, last_used_at = ?
        where id = ? and (counter < ?::bigint or (counter = 0 and ?::bigint = 0))
       returning id`,
      [newCounter, backedUp, now, id, newCounter, newCounter],
      'all',
      tx?.getTransactionContext(),
    );
    return rows.length === 1;
  }

  async delete(id: string, accountId: string, tx: EntityManager = this.em.fork()): Promise<boolean> {
    return (await tx.nativeDelete(WebAuthnCredential, { id, accountId })) === 1;
  }

  deleteAllFor(accountId: string, tx: EntityManager = this.em.fork()): Promise<number> {
    return tx.nativeDelete(WebAuthnCredential, { accountId });
  }
}
