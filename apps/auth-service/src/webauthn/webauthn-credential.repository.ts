import { Injectable } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/postgresql';
import { WebAuthnCredential } from './entities/webauthn-credential.entity';

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

  listFor(em: EntityManager, accountId: string): Promise<WebAuthnCredential[]> {
    return em.find(WebAuthnCredential, { accountId }, { orderBy: { createdAt: 'asc', id: 'asc' } });
  }

  async hasAny(em: EntityManager, accountId: string): Promise<boolean> {
    return (await em.count(WebAuthnCredential, { accountId })) > 0;
  }

  findByCredentialId(em: EntityManager, credentialId: string): Promise<WebAuthnCredential | null> {
    return em.findOne(WebAuthnCredential, { credentialId });
  }

  /**
   * Records a verified use. The signature counter must grow unless the authenticator keeps none
   * (0 before and after) — WebAuthn section 6.1.1: a counter that does not increase means two
   * copies of the private key may exist. Decided in the statement, so two racing assertions
   * cannot both pass with one counter value.
   */
  async recordUse(em: EntityManager, id: string, newCounter: number, backedUp: boolean, now: Date): Promise<boolean> {
    const rows: unknown[] = await em.getConnection().execute(
      `update auth.webauthn_credential set counter = ?::bigint, backed_up = ?, last_used_at = ?
        where id = ? and (counter < ?::bigint or (counter = 0 and ?::bigint = 0))
       returning id`,
      [newCounter, backedUp, now, id, newCounter, newCounter],
      'all',
      em.getTransactionContext(),
    );
    return rows.length === 1;
  }

  async delete(em: EntityManager, id: string, accountId: string): Promise<boolean> {
    return (await em.nativeDelete(WebAuthnCredential, { id, accountId })) === 1;
  }

  deleteAllFor(em: EntityManager, accountId: string): Promise<number> {
    return em.nativeDelete(WebAuthnCredential, { accountId });
  }
}
