import { Inject, Injectable, Logger } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { Clock } from '@keyhaven/config';
import { describeRetention, RetentionReport, runRetention } from '@keyhaven/database';
import { RELEASE_CONFIG, ReleaseConfig } from '../config/release.config';
import { releaseDataInventory } from './release-data-inventory';

/**
 * Storage limitation (GDPR Art. 5(1)(e)) for release-api: deletes what the inventory says has
 * expired — audit rows past RELEASE_AUDIT_RETENTION, settled deliveries past MAINTENANCE_RETENTION
 * and then the removed subscriptions they referred to, check counts past RELEASE_STATS_RETENTION —
 * in batches of short transactions. Run by the daily `maintenance-retention` job.
 */
@Injectable()
export class ReleaseRetention {
  private readonly logger = new Logger(ReleaseRetention.name);

  constructor(
    private readonly em: EntityManager,
    private readonly clock: Clock,
    @Inject(RELEASE_CONFIG) private readonly config: ReleaseConfig,
  ) {}

  async run(): Promise<RetentionReport> {
    const report = await runRetention(this.em, releaseDataInventory(this.config), this.clock.now());
    this.logger.log(describeRetention(report));
    return report;
  }
}
