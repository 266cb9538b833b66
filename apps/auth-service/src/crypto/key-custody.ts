import { Inject, Injectable, Logger } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { Clock, ConfigError } from '@keyhaven/config';
import { AUTH_CONFIG, AuthConfig } from '../config/auth.config';
import { SigningKeyRepository } from '../signing-keys/signing-key.repository';
import { TotpFactorRepository } from '../factors/totp-factor.repository';
import { KeyCheckRepository } from './key-check.repository';
import type { SealedColumn } from './sealed-column';
import { KeyRing } from './key-ring';
import { EMBEDDED_KEY_FILE } from './key-ring.provider';

/** The constant each key-check value seals; what it says does not matter, only that it opens. */
const CHECK_PLAINTEXT = 'keyhaven auth-service key check v1';
const checkContext = (kid: string) => `key_check:${kid}`;

/**
 * The boot step that proves AUTH_ENCRYPTION_KEYS can open what the database holds, before the
 * service takes traffic: every key of the ring opens its key-check value (written the first time
 * the key met this database, after one stored secret of each kind opened with it), and no stored
 * secret is sealed under a key the ring no longer has. Otherwise the boot stops with one line
 * naming the variable and the key ids — never "ready" and then 500 on every sign-in.
 */
@Injectable()
export class KeyCustody {
  private readonly logger = new Logger(KeyCustody.name);

  constructor(
    private readonly em: EntityManager,
    private readonly checks: KeyCheckRepository,
    totpFactors: TotpFactorRepository,
    signingKeys: SigningKeyRepository,
    private readonly ring: KeyRing,
    private readonly clock: Clock,
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
  ) {
    this.sealed = [
      { what: 'TOTP secret', column: totpFactors.sealedSecrets, context: (id) => `totp_factor:${id}` },
      { what: 'signing key', column: signingKeys.sealedKeys, context: (id) => `signing_key:${id}` },
    ];
  }

  /** Where stored sealed values live (each read by its table's repository), and the associated data each was sealed with. */
  private readonly sealed: readonly { what: string; column: SealedColumn; context: (id: string) => string }[];

  async verify(): Promise<void> {
    const em = this.em.fork();
    const checks = await this.checks.all(em);
    const inUse = await this.kidsInUse();
    const missing = [...inUse.keys()].filter((kid) => !this.ring.kids.includes(kid));
    const wrong: string[] = [];
    const unchecked: string[] = [];
    for (const kid of this.ring.kids) {
      const check = checks.get(kid);
      if (check !== undefined) {
        if (!this.opens(check, checkContext(kid))) wrong.push(kid);
      } else if (await this.opensStoredSamples(kid)) {
        unchecked.push(kid);
      } else {
        wrong.push(kid);
      }
    }
    const problems: string[] = [];
    if (wrong.length > 0) {
      problems.push(
        `key${wrong.length > 1 ? 's' : ''} ${wrong.join(', ')} do${wrong.length > 1 ? '' : 'es'} not open what ${wrong.length > 1 ? 'they' : 'it'} sealed in this database (not the key material used before under that id)`,
      );
    }
    if (missing.length > 0) {
      const described = missing.map((kid) => `${kid} (${inUse.get(kid)})`).join(', ');
      problems.push(
        `lacks key${missing.length > 1 ? 's' : ''} ${described} still sealing stored secrets: put ${missing.length > 1 ? 'them' : 'it'} back after the newest key and run "node dist/apps/auth-service/main.js reencrypt" before dropping ${missing.length > 1 ? 'them' : 'it'}`,
      );
    }
    if (problems.length > 0) throw new ConfigError([`${this.variable()}: ${problems.join('; ')}`]);

    for (const kid of unchecked) await this.checks.insertIfAbsent(em, kid, this.ring.encryptWith(kid, CHECK_PLAINTEXT, checkContext(kid)), this.clock.now());
    if (unchecked.length > 0) {
      // Two processes with different key material booting on one database at once: one check row wins, the other process stops here.
      for (const kid of unchecked) {
        const stored = await this.checks.find(em, kid);
        if (stored === undefined || !this.opens(stored, checkContext(kid))) {
          throw new ConfigError([
            `${this.variable()}: key ${kid} does not open what it sealed in this database (another process wrote its check value with other key material)`,
          ]);
        }
      }
      this.logger.log(`Key-check values written for ${unchecked.join(', ')}`);
    }
    // A key dropped after `reencrypt` leaves nothing to check; its id may come back with new material.
    await this.checks.deleteAllBut(em, [...new Set([...this.ring.kids, ...inUse.keys()])]);
  }

  /**
   * After verify(): opens up to `limit` stored secrets of each kind (a random sample), so a
   * restored database is proven readable, not only its key-check values. Says what it opened.
   */
  async openSample(limit = 20): Promise<string> {
    const em = this.em.fork();
    const checks = await this.checks.all(em);
    const opened = [`${checks.size} key-check value${checks.size === 1 ? '' : 's'}`];
    for (const [kid, sealed] of checks) {
      if (!this.opens(sealed, checkContext(kid))) throw new ConfigError([`${this.variable()}: key ${kid} does not open its key-check value`]);
    }
    for (const sealed of this.sealed) {
      const rows = await sealed.column.sample(em, limit);
      const closed = rows.filter((row) => !this.opens(row.sealed, sealed.context(row.id)));
      if (closed.length > 0) {
        throw new ConfigError([
          `${this.variable()}: ${closed.length} of ${rows.length} sampled ${sealed.what}s do not open (key ids ${[...new Set(closed.map((row) => row.sealed.split('.')[1]))].join(', ')})`,
        ]);
      }
      opened.push(`${rows.length} ${sealed.what}${rows.length === 1 ? '' : 's'}`);
    }
    return opened.join(', ');
  }

  /** Key ids that seal stored values → what they seal, e.g. `3 TOTP secrets, 1 signing key`. */
  private async kidsInUse(): Promise<Map<string, string>> {
    const em = this.em.fork();
    const counts = new Map<string, string[]>();
    for (const sealed of this.sealed) {
      for (const [kid, n] of await sealed.column.kidCounts(em)) counts.set(kid, [...(counts.get(kid) ?? []), `${n} ${sealed.what}${n > 1 ? 's' : ''}`]);
    }
    return new Map([...counts].map(([kid, parts]) => [kid, parts.join(', ')]));
  }

  /** Before a key has a check value: one stored secret of each kind sealed under it must open. */
  private async opensStoredSamples(kid: string): Promise<boolean> {
    const em = this.em.fork();
    for (const sealed of this.sealed) {
      const row = await sealed.column.firstUnder(em, kid);
      if (row && !this.opens(row.sealed, sealed.context(row.id))) return false;
    }
    return true;
  }

  private opens(sealed: string, context: string): boolean {
    try {
      this.ring.decrypt(sealed, context);
      return true;
    } catch {
      return false;
    }
  }

  private variable(): string {
    return this.config.encryptionKeys
      ? 'AUTH_ENCRYPTION_KEYS'
      : `AUTH_ENCRYPTION_KEYS (unset: the key generated into ${this.config.dataDir}/${EMBEDDED_KEY_FILE})`;
  }
}
