import { createHash } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { Clock, ConfigError } from '@keyhaven/config';
import { MaintenanceRepository } from '../maintenance/maintenance.repository';
import { KeyCheckRepository } from './key-check.repository';
import { SealingKey, seal, unseal } from './sealing-key';
import { SigningKeyRepository } from './signing-key.repository';

const CHECK_NAME = 'sealing_key';
/** The constant the key-check value seals; only whether it opens matters. */
const CHECK_PLAINTEXT = Buffer.from('keyhaven release-api key check v1');

/** A short, one-way name for a key, so a message can say which key the data needs without showing it. */
export function keyFingerprint(key: Buffer): string {
  return createHash('sha256').update('keyhaven release-api key fingerprint v1').update(key).digest('hex').slice(0, 16);
}

/**
 * The boot step that proves the sealing key (RELEASE_KEY_ENCRYPTION_KEY, or the key generated
 * beside DATA_DIR in embedded mode) opens what the database holds, before any traffic: its
 * key-check value must open, and before there is one, a stored secret of each kind must. Else
 * the boot stops with one line naming the variable — never "ready" with webhook secrets that
 * fail to open at every delivery until the dead letter.
 */
@Injectable()
export class KeyCustody {
  private readonly logger = new Logger(KeyCustody.name);

  constructor(
    private readonly em: EntityManager,
    private readonly keyChecks: KeyCheckRepository,
    private readonly signingKeys: SigningKeyRepository,
    private readonly maintenance: MaintenanceRepository,
    private readonly sealingKey: SealingKey,
    private readonly clock: Clock,
  ) {}

  /** Where sealed values live, and the associated data each was sealed with: `limit` of each kind, any or a random sample. */
  private sealedKinds(em: EntityManager, limit: number, sample: boolean) {
    return [
      { what: 'generated signing key', rows: () => this.signingKeys.sealedKeys(em, limit, sample) },
      { what: 'webhook secret', rows: () => this.maintenance.sealedSecrets(em, limit, sample) },
    ];
  }

  async verify(): Promise<void> {
    const key = await this.sealingKey.get();
    const fingerprint = keyFingerprint(key);
    const em = this.em.fork();
    let check = await this.keyChecks.find(em, CHECK_NAME);
    if (!check) {
      for (const sealed of this.sealedKinds(em, 1, false)) {
        const [row] = await sealed.rows();
        if (row && !opens(row.sealed, key, row.context)) {
          throw this.refusal(`does not open a ${sealed.what} stored in this database (this process has key ${fingerprint})`);
        }
      }
      await this.keyChecks.insertIfAbsent(em, {
        name: CHECK_NAME,
        fingerprint,
        checkSealed: seal(CHECK_PLAINTEXT, key, CHECK_NAME),
        createdAt: this.clock.now(),
      });
      this.logger.log(`Key-check value written for sealing key ${fingerprint}`);
      // Two processes with different keys on an empty database: one row wins, the other stops below.
      check = await this.keyChecks.find(em, CHECK_NAME);
    }
    if (!check || !opens(check.check_sealed, key, CHECK_NAME)) {
      throw this.refusal(
        `is not the key this database's secrets are sealed with (they need key ${check?.fingerprint ?? '?'}, this process has ${fingerprint})`,
      );
    }
  }

  /**
   * After verify(): opens up to `limit` stored secrets of each kind (a random sample), so a
   * restored database is proven readable, not only its key-check value. Says what it opened.
   */
  async openSample(limit = 20): Promise<string> {
    const key = await this.sealingKey.get();
    const opened = ['1 key-check value'];
    for (const sample of this.sealedKinds(this.em.fork(), limit, true)) {
      const rows = await sample.rows();
      const closed = rows.filter((row) => !opens(row.sealed, key, row.context)).length;
      if (closed > 0) throw this.refusal(`does not open ${closed} of ${rows.length} sampled ${sample.what}s (this process has key ${keyFingerprint(key)})`);
      opened.push(`${rows.length} ${sample.what}${rows.length === 1 ? '' : 's'}`);
    }
    return opened.join(', ');
  }

  private refusal(problem: string): ConfigError {
    const source = this.sealingKey.source();
    const variable = source === 'environment' ? 'RELEASE_KEY_ENCRYPTION_KEY' : `RELEASE_KEY_ENCRYPTION_KEY (unset: the key generated into ${source})`;
    return new ConfigError([`${variable}: ${problem}: start it with the key the database was set up with (the one the other replicas use)`]);
  }
}

function opens(sealed: string, key: Buffer, context: string): boolean {
  try {
    unseal(sealed, key, context);
    return true;
  } catch {
    return false;
  }
}
