import { Inject, Injectable, Logger } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { Clock } from '@keyhaven/config';
import { describeRetention, RetentionReport, runRetention } from '@keyhaven/database';
import { AUTH_CONFIG, AuthConfig } from '../config/auth.config';
import { SecondFactorAttempts } from '../second-factors/second-factor-attempts';
import { authDataInventory } from './auth-data-inventory';

/** The report's name for second-factor failure counters cleared at their expiry (rows updated, not deleted). */
export const STALE_ATTEMPT_COUNTERS = 'auth.account (second-factor attempt counters)';

/**
 * Storage limitation (GDPR Art. 5(1)(e)): deletes what the inventory says has expired — security
 * events past AUTH_EVENT_RETENTION, tombstones past AUTH_TOMBSTONE_RETENTION, ended sessions,
 * expired challenges, consumed tokens and remembered devices — and clears second-factor failure
 * counters past AUTH_MFA_ATTEMPT_RETENTION (columns of the account row). Run once a day by a durable job
 * (PrivacyJobs), in batches of short transactions so sign-ins go on meanwhile.
 */
@Injectable()
export class RetentionService {
  private readonly logger = new Logger(RetentionService.name);

  constructor(
    private readonly em: EntityManager,
    private readonly clock: Clock,
    private readonly attempts: SecondFactorAttempts,
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
  ) {}

  async run(batchSize?: number): Promise<RetentionReport> {
    const now = this.clock.now();
    const started = Date.now();
    const report = await runRetention(this.em, authDataInventory(this.config), now, batchSize);
    report.deleted[STALE_ATTEMPT_COUNTERS] = await this.attempts.clearStale(now, batchSize);
    report.ms = Date.now() - started;
    this.logger.log(describeRetention(report));
    return report;
  }
}
