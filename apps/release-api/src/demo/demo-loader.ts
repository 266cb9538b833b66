import { Inject, Injectable, Logger } from '@nestjs/common';
import { Clock } from '@keyhaven/config';
import { AdvisoryRepository } from '../advisories/advisory.repository';
import { scoreVector } from '../catalog/cvss';
import { CatalogChanges } from '../catalog/catalog-changes';
import { CatalogState } from '../catalog/catalog-state';
import { ReleaseRepository } from '../releases/release.repository';
import { RELEASE_CONFIG, ReleaseConfig } from '../config/release.config';
import { DEMO_ADVISORIES, DEMO_RELEASES, syntheticCatalog } from './demo-catalog';

export const DEMO_ACTOR = { sub: 'system:demo-data', email: undefined };

/** Loads the demo catalog into an empty catalog (RELEASE_DEMO_DATA), audited like any change. */
@Injectable()
export class DemoLoader {
  private readonly logger = new Logger(DemoLoader.name);

  constructor(
    private readonly catalog: CatalogChanges,
    private readonly releases: ReleaseRepository,
    private readonly advisories: AdvisoryRepository,
    private readonly state: CatalogState,
    private readonly clock: Clock,
    @Inject(RELEASE_CONFIG) private readonly config: ReleaseConfig,
  ) {}

  async loadIfEmpty(): Promise<boolean> {
    // Cheap look first, so a non-empty catalog's sequence does not move on every boot.
    if ((await this.state.refresh()).releases.length > 0) return false;
    const { result } = await this.catalog.change(DEMO_ACTOR, async (em) => {
      // Under the sequence row lock: two replicas booting together cannot both load it.
      const existing = (await this.releases.count(em)) + (await this.advisories.count(em));
      if (existing > 0) return { result: false, audit: [] };
      const synthetic = syntheticCatalog(this.config.demoSynthetic);
      for (const r of [...DEMO_RELEASES, ...synthetic.releases]) {
        this.releases.add(em, {
          version: r.version,
          channel: r.channel,
          editions: r.editions ?? [],
          releasedAt: new Date(r.releasedAt),
          supportedUntil: r.supportedUntil ? new Date(r.supportedUntil) : null,
          security: r.security ?? false,
          yanked: r.yanked ?? false,
          upgradeFrom: r.upgradeFrom ?? null,
          notesUrl: `https://keyhaven.example/releases/${r.version}`,
        });
      }
      for (const a of [...DEMO_ADVISORIES, ...synthetic.advisories]) {
        const severity = scoreVector(a.vector);
        if (!severity) throw new Error(`Demo advisory ${a.id} has a bad CVSS vector`);
        this.advisories.add(em, {
          id: a.id,
          aliases: a.aliases,
          title: a.title,
          summary: a.summary,
          severityType: severity.type,
          severityVector: severity.vector,
          severityScore: severity.score,
          severityLevel: severity.level,
          knownExploited: a.knownExploited ?? false,
          affected: a.affected,
          fixedIn: a.fixedIn,
          url: `https://keyhaven.example/security/${a.id}`,
          publishedAt: new Date(a.publishedAt),
          modifiedAt: new Date(a.withdrawnAt ?? a.publishedAt),
          withdrawnAt: a.withdrawnAt ? new Date(a.withdrawnAt) : null,
        });
      }
      await em.flush();
      return {
        result: true,
        audit: [
          {
            action: 'catalog.demo_data',
            subject: 'demo',
            after: {
              releases: DEMO_RELEASES.length,
              advisories: DEMO_ADVISORIES.length,
              synthetic: this.config.demoSynthetic,
              at: this.clock.now().toISOString(),
            },
          },
        ],
      };
    });
    if (result) {
      this.logger.log(
        `Loaded the demo catalog: ${DEMO_RELEASES.length} releases, ${DEMO_ADVISORIES.length} advisories, ${this.config.demoSynthetic} synthetic of each (RELEASE_DEMO_DATA)`,
      );
      await this.state.refresh();
    }
    return result;
  }
}
