import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { WebAuthnCredential } from './entities/webauthn-credential.entity';

/** Every query on security keys and passkeys. The counter guard is one conditional UPDATE. */
@Injectable()
export class WebAuthnCredentialRepository {
  constructor(private readonly em: EntityManager) {}

  async insert(credential: WebAuthnCredential): Promise<void> {
    await this.em.fork().insert(WebAuthnCredential, credential);
  }

  listFor(accountId: string): Promise<WebAuthnCredential[]> {
    return this.em.fork().find(WebAuthnCredential, { accountId }, { orderBy: { createdAt: 'asc', id: 'asc' } });
  }

  async hasAny(accountId: string): Promise<boolean> {
    return (await this.em.fork().count(WebAuthnCredential, { accountId })) > 0;
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
  async recordUse(id: string, newCounter: number, backedUp: boolean, now: Date): Promise<boolean> {
    const rows: unknown[] = await this.em.getConnection().execute(
      `update auth.webauthn_credential set counter = ?::bigint, backed_up = ?, last_used_at = ?
        where id = ? and (counter < ?::bigint or (counter = 0 and ?::bigint = 0))
       returning id`,
      [newCounter, backedUp, now, id, newCounter, newCounter],
    );
    return rows.length === 1;
  }

  async delete(id: string, accountId: string): Promise<boolean> {
    return (await this.em.fork().nativeDelete(WebAuthnCredential, { id, accountId })) === 1;
  }

  deleteAllFor(accountId: string): Promise<number> {
    return this.em.fork().nativeDelete(WebAuthnCredential, { accountId });
  }
}
