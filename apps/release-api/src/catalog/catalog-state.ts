import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { RELEASE_CONFIG, ReleaseConfig } from '../config/release.config';
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
    private readonly repository: CatalogRepository,
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

  /** Reloads if the database's sequence differs from the snapshot's. */
  async refresh(): Promise<CatalogSnapshot> {
    if (this.loading) await this.loading; // it may have read the catalog before our change committed
    if (!this.snapshot) return this.load();
    const sequence = await this.repository.currentSequence();
    if (sequence === this.snapshot.sequence) return this.snapshot;
    return this.load();
  }

  private load(): Promise<CatalogSnapshot> {
    // One load at a time; concurrent callers share it.
    this.loading ??= this.repository
      .loadAll()
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
}
