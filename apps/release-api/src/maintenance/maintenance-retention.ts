import { Inject, Injectable, Logger } from '@nestjs/common';
import { Clock } from '@keyhaven/config';
import { RELEASE_CONFIG, ReleaseConfig } from '../config/release.config';
import { MaintenanceRepository } from './maintenance.repository';

/**
 * Keeps delivery history only as long as ops need it (MAINTENANCE_RETENTION, default 90 days,
 * like the delivery logs of GitLab's webhooks but longer), then forgets it — and with it the
 * addresses and URLs of subscriptions removed since. Windows stay: they are public anyway.
 */
@Injectable()
export class MaintenanceRetention {
  private readonly logger = new Logger(MaintenanceRetention.name);

  constructor(
    private readonly repository: MaintenanceRepository,
    private readonly clock: Clock,
    @Inject(RELEASE_CONFIG) private readonly config: ReleaseConfig,
  ) {}

  async prune(): Promise<{ deliveries: number; subscriptions: number }> {
    const before = new Date(this.clock.now().getTime() - this.config.maintenance.retentionMs);
    const pruned = await this.repository.prune(before);
    this.logger.log(`Retention: deleted ${pruned.deliveries} deliveries settled and ${pruned.subscriptions} subscriptions removed before ${before.toISOString()}`);
    return pruned;
  }
}
