import { Inject, Injectable, Logger } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { Clock } from '@keyhaven/config';
import { describeRetention, RetentionReport, runRetention } from '@keyhaven/database';
import { AUTH_CONFIG, AuthConfig } from '../config/auth.config';
import { authDataInventory } from './auth-data-inventory';

/**
 * Storage limitation (GDPR Art. 5(1)(e)): deletes what the inventory says has expired — security
 * events past AUTH_EVENT_RETENTION, tombstones past AUTH_TOMBSTONE_RETENTION, ended sessions,
 * expired challenges, consumed tokens and remembered devices. Run once a day by a durable job
 * (PrivacyJobs), in batches of short transactions so sign-ins go on meanwhile.
 */
@Injectable()
export class RetentionService {
  private readonly logger = new Logger(RetentionService.name);

  constructor(
    private readonly em: EntityManager,
    private readonly clock: Clock,
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
  ) {}

  async run(batchSize?: number): Promise<RetentionReport> {
    const report = await runRetention(this.em, authDataInventory(this.config), this.clock.now(), batchSize);
    this.logger.log(describeRetention(report));
    return report;
  }
}
