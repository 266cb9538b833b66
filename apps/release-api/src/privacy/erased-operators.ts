import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { CatalogRepository } from '../catalog/catalog.repository';
import { RELEASE_CONFIG, ReleaseConfig } from '../config/release.config';
import { ErasureSyncRepository } from './erasure-sync.repository';

interface ErasureFeedPage {
  erasures: { accountId: string; erasedAt: string }[];
  next: string | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The stable pseudonym an erased ops account's email becomes in the audit trail. */
export function erasedPseudonym(sub: string): string {
  return `erased-${createHash('sha256').update(sub).digest('hex').slice(0, 16)}`;
}

/**
 * When an ops person's account is erased in auth-service, their email in release-api's audit
 * rows is replaced by a stable pseudonym (the same for all their rows, so the trail still shows
 * one person did these changes). The services share no tables: release-api reads auth-service's
 * public erasure feed (`GET /v1/privacy/erasures`, account ids and times only) every
 * RELEASE_ERASURES_SYNC from the cursor it keeps in `release.erasure_sync`. Every replica polls;
 * the updates are idempotent and the cursor only moves forward, so that is harmless. The URL is
 * the operator's configuration (beside AUTH_JWKS_URL), never taken from a request.
 */
@Injectable()
export class ErasedOperators implements OnModuleDestroy {
  private readonly logger = new Logger(ErasedOperators.name);
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly em: EntityManager,
    private readonly erasureSync: ErasureSyncRepository,
    private readonly catalog: CatalogRepository,
    @Inject(RELEASE_CONFIG) private readonly config: ReleaseConfig,
  ) {}

  start(): void {
    if (this.timer) return;
    const tick = () => {
      this.running = this.sync().catch((error: unknown) =>
        this.logger.warn(
          `Erasure feed not read (${error instanceof Error ? error.message : String(error)}); trying again in ${this.config.privacy.erasuresSyncMs} ms`,
        ),
      );
    };
    tick();
    this.timer = setInterval(tick, this.config.privacy.erasuresSyncMs);
    this.timer.unref();
  }

  /** Reads the feed from the stored cursor to its end; answers the audit rows pseudonymised. */
  async sync(): Promise<number> {
    // Every statement commits on its own: the cursor only moves past pages already applied.
    const em = this.em.fork();
    let cursor = await this.erasureSync.cursor(em);
    let changed = 0;
    for (let page = 0; page < 1000; page++) {
      const url = new URL(this.config.privacy.erasuresUrl);
      url.searchParams.set('limit', '500');
      if (cursor) url.searchParams.set('after', cursor);
      const response = await fetch(url, { signal: AbortSignal.timeout(10_000), redirect: 'error', headers: { accept: 'application/json' } });
      if (!response.ok) throw new Error(`${url.origin} answered ${response.status}`);
      const body = (await response.json()) as ErasureFeedPage;
      const subs = (Array.isArray(body.erasures) ? body.erasures : [])
        .map((e) => e.accountId)
        .filter((id): id is string => typeof id === 'string' && UUID.test(id));
      if (subs.length > 0) changed += await this.pseudonymise(em, subs);
      if (typeof body.next !== 'string' || body.next === '') break;
      cursor = body.next;
      await this.erasureSync.saveCursor(em, cursor);
    }
    if (changed > 0) this.logger.log(`Erasure feed: ${changed} audit rows of erased ops accounts pseudonymised`);
    return changed;
  }

  private async pseudonymise(em: EntityManager, subs: readonly string[]): Promise<number> {
    let changed = 0;
    for (const sub of subs) changed += await this.catalog.pseudonymiseActor(em, sub, erasedPseudonym(sub));
    return changed;
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
