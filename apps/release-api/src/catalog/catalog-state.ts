import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { IsolationLevel } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import { Clock } from '@keyhaven/config';
import { AdvisoryRepository } from '../advisories/advisory.repository';
import { RELEASE_CONFIG, ReleaseConfig } from '../config/release.config';
import { MaintenanceRepository } from '../maintenance/maintenance.repository';
import { ReleaseRepository } from '../releases/release.repository';
import { CatalogRepository } from './catalog.repository';
import { CatalogSnapshot, sortReleasesNewestFirst } from './catalog-snapshot';
import { toAdvisoryView, toReleaseView } from './views';

/**
 * The catalog as this replica currently sees it. Rebuilt when the `sequence` moves: at once
 * after a change made here, and within RELEASE_SEQUENCE_POLL for changes made on another
 * replica (one primary-key read per poll, no matter how large the catalog).
 */
@Injectable()
export class CatalogState implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(CatalogState.name);
  private snapshot: CatalogSnapshot | undefined;
  private loading: Promise<CatalogSnapshot> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly listeners: ((snapshot: CatalogSnapshot) => void)[] = [];

  constructor(
    private readonly em: EntityManager,
    private readonly catalog: CatalogRepository,
    private readonly releases: ReleaseRepository,
    private readonly advisories: AdvisoryRepository,
    private readonly maintenance: MaintenanceRepository,
    private readonly clock: Clock,
    @Inject(RELEASE_CONFIG) private readonly config: ReleaseConfig,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => {
      this.refresh().catch((error: unknown) => this.logger.debug(`Sequence poll failed: ${String(error)}`));
    }, this.config.check.sequencePollMs);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Called when a new snapshot replaces the old one (the check cache clears itself). */
  onChange(listener: (snapshot: CatalogSnapshot) => void): void {
    this.listeners.push(listener);
  }

  async current(): Promise<CatalogSnapshot> {
    return this.snapshot ?? this.load();
  }

  /** The snapshot if one is loaded (the hot check answers from it without a promise), else undefined. */
  loaded(): CatalogSnapshot | undefined {
    return this.snapshot;
  }

  /** Reloads if the database's sequence differs from the snapshot's. */
  async refresh(): Promise<CatalogSnapshot> {
    if (this.loading) await this.loading; // it may have read the catalog before our change committed
    if (!this.snapshot) return this.load();
    const sequence = await this.catalog.currentSequence(this.em.fork());
    if (sequence === this.snapshot.sequence) return this.snapshot;
    return this.load();
  }

  private load(): Promise<CatalogSnapshot> {
    // One load at a time; concurrent callers share it.
    this.loading ??= this.loadAll()
      .then(({ sequence, releases, advisories, windows }) => {
        const next = new CatalogSnapshot(
          sequence,
          sortReleasesNewestFirst(releases.map(toReleaseView)),
          advisories.map(toAdvisoryView),
          this.config.channels,
          windows,
        );
        if (!this.snapshot || next.sequence >= this.snapshot.sequence) {
          this.snapshot = next;
          for (const listener of this.listeners) listener(next);
        }
        return this.snapshot;
      })
      .finally(() => {
        this.loading = undefined;
      });
    return this.loading;
  }

  /** Everything a snapshot needs, read in one repeatable-read transaction so rows and sequence agree. */
  private loadAll() {
    return this.em.fork().transactional(
      async (em) => ({
        sequence: await this.catalog.currentSequence(em),
        releases: await this.releases.all(em),
        advisories: await this.advisories.all(em),
        // Window changes bump the same sequence, so the signed check's maintenance[] moves with it.
        windows: await this.maintenance.openWindows(em, this.clock.now()),
      }),
      { isolationLevel: IsolationLevel.REPEATABLE_READ, readOnly: true },
    );
  }
}
