import { Injectable } from '@nestjs/common';
import { ReleaseRetention } from '../privacy/release-retention';

/**
 * Keeps delivery history only as long as ops need it (MAINTENANCE_RETENTION, default 90 days,
 * like the delivery logs of GitLab's webhooks but longer), then forgets it — and with it the
 * addresses and URLs of subscriptions removed since. Windows stay: they are public anyway. The
 * rules live in the data inventory (privacy/release-data-inventory.ts) with every other table's;
 * the daily job runs them all.
 */
@Injectable()
export class MaintenanceRetention {
  constructor(private readonly retention: ReleaseRetention) {}

  async prune(): Promise<{ deliveries: number; subscriptions: number }> {
    const { deleted } = await this.retention.run();
    return { deliveries: deleted['release.notice_delivery'] ?? 0, subscriptions: deleted['release.maintenance_subscription'] ?? 0 };
  }
}
