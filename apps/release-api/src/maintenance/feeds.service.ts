import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { Clock } from '@keyhaven/config';
import { maintenanceAtom, maintenanceIcs, type FeedSite } from '@keyhaven/release-maintenance';
import { UUID } from '../app/uuid';
import { RELEASE_CONFIG, ReleaseConfig } from '../config/release.config';
import { windowNotFound } from './maintenance.errors';
import { MaintenanceRepository } from './maintenance.repository';
import { toWindowView } from './window-views';

/** The public feeds: open windows plus those finished or cancelled within MAINTENANCE_FEED_HISTORY. */
@Injectable()
export class FeedsService {
  constructor(
    private readonly em: EntityManager,
    private readonly repository: MaintenanceRepository,
    private readonly clock: Clock,
    @Inject(RELEASE_CONFIG) private readonly config: ReleaseConfig,
  ) {}

  async ics(): Promise<string> {
    const now = this.clock.now();
    return maintenanceIcs(await this.views(now), this.site());
  }

  /** One window as its own calendar (the link in notice emails); the same UID and SEQUENCE as in the feed. */
  async windowIcs(id: string): Promise<string> {
    const window = UUID.test(id) ? await this.repository.findWindow(this.em.fork(), id) : null;
    if (!window) throw windowNotFound(id);
    return maintenanceIcs([toWindowView(window, this.clock.now())], this.site());
  }

  async atom(): Promise<string> {
    const now = this.clock.now();
    return maintenanceAtom(await this.views(now), this.site(), now);
  }

  private async views(now: Date) {
    const since = new Date(now.getTime() - this.config.maintenance.feedHistoryMs);
    const em = this.em.fork();
    const windows = [...(await this.repository.openWindows(em, now)), ...(await this.repository.pastWindows(em, now, since, 1000))];
    return windows.map((window) => toWindowView(window, now));
  }

  private site(): FeedSite {
    return { baseUrl: this.config.publicUrl, uidDomain: new URL(this.config.publicUrl).hostname };
  }
}
