import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { Clock } from '@keyhaven/config';
import { RawAnswer } from '@keyhaven/http';
import { ReleaseError } from '../app/release-errors';
import { CatalogState } from '../catalog/catalog-state';
import type { CatalogSnapshot } from '../catalog/catalog-snapshot';
import type { CheckQuery, CheckStatus } from '../catalog/catalog-types';
import { normalizeVersion } from '../catalog/semver-intervals';
import { RELEASE_CONFIG, ReleaseConfig } from '../config/release.config';
import { ResponseSigner } from '../signing/response-signer';
import { StatsService } from '../stats/stats.service';
import { renderBadge } from './badge';
import type { CheckQueryDto } from './dto/check-query.dto';

/** A signed answer, ready to send as is. */
export interface IssuedAnswer {
  body: string;
  etag: string;
  signature: string;
  status: CheckStatus;
  issuedAtMs: number;
  /** Served from the cache until then: RELEASE_CHECK_REISSUE, or the next end of life, scheduled release or window start/end if sooner. */
  freshUntilMs: number;
  sequence: number;
  /** When it was last marked as used in the LRU order. */
  usedMs: number;
  /** The 200 answer, made once: every request that gets it gets this object (never modify). */
  ok: RawAnswer;
  /** The 304 to a matching If-None-Match. */
  notModified: RawAnswer;
}

/** An answer sent as is: status, headers and bytes. */
export type HttpAnswer = RawAnswer;

/** A check query read once (`CheckService.prepare`). */
export interface PreparedCheck {
  readonly query: CheckQuery;
  /** Its answer's key in the cache. */
  readonly key: string;
  /** What the stats count it under, for a version the catalog knows and for any other. */
  readonly statsKey: string;
  readonly statsKeyOther: string;
}

/** How often a cached answer in use is moved to the back of the LRU order. */
const TOUCH_MS = 1000;

const ENVIRONMENT = /^[a-z0-9][a-z0-9-]{0,31}$/;

/**
 * The update check. An answer is computed and signed once per (version, channel, edition,
 * environment) and catalog `sequence`, then served from a bounded LRU map until the catalog
 * changes or it is RELEASE_CHECK_REISSUE old (so `expiresAt` always lies well ahead).
 */
@Injectable()
export class CheckService {
  private readonly cache = new Map<string, IssuedAnswer>();
  private readonly pending = new Map<string, Promise<IssuedAnswer>>();
  private readonly cacheControl: string;

  constructor(
    private readonly state: CatalogState,
    private readonly signer: ResponseSigner,
    private readonly stats: StatsService,
    private readonly clock: Clock,
    @Inject(RELEASE_CONFIG) private readonly config: ReleaseConfig,
  ) {
    this.state.onChange(() => this.cache.clear());
    this.cacheControl = `public, max-age=${Math.floor(this.config.check.maxAgeMs / 1000)}`;
  }

  async respond(dto: CheckQueryDto, ifNoneMatch: string | undefined): Promise<HttpAnswer> {
    const prepared = this.prepare(dto);
    const answer = await this.answer(prepared);
    return this.toHttp(prepared, answer, await this.state.current(), ifNoneMatch);
  }

  /**
   * `respond` when the answer is cached and fresh — what nearly every check is — without a
   * promise (see `LeanRoute`); undefined when it must be computed. Throws as `respond` does.
   */
  respondCached(dto: CheckQueryDto, ifNoneMatch: string | undefined): HttpAnswer | undefined {
    return this.respondPrepared(this.prepare(dto), ifNoneMatch);
  }

  /**
   * The query read and checked once (throws as `respond` does), for `respondPrepared`: what a
   * query's answer depends on besides the catalog is the service's configuration, which does not
   * change while it runs, so a caller may keep it for the same query.
   */
  prepare(dto: CheckQueryDto): PreparedCheck {
    const query = this.parse(dto);
    return {
      query,
      key: this.keyOf(query),
      statsKey: StatsService.keyOf(query.version, query.channel, query.edition),
      statsKeyOther: StatsService.keyOf('other', query.channel, query.edition),
    };
  }

  /** `respondCached` of a prepared query: map lookups and a count, no string built. */
  respondPrepared(prepared: PreparedCheck, ifNoneMatch: string | undefined): HttpAnswer | undefined {
    const snapshot = this.state.loaded();
    const answer = snapshot && this.cached(prepared.key, snapshot);
    return answer && this.toHttp(prepared, answer, snapshot, ifNoneMatch);
  }

  private toHttp(prepared: PreparedCheck, answer: IssuedAnswer, snapshot: CatalogSnapshot, ifNoneMatch: string | undefined): HttpAnswer {
    const known = snapshot.release(prepared.query.version) !== undefined;
    this.stats.countKey(known ? prepared.statsKey : prepared.statsKeyOther);
    return ifNoneMatch && matches(ifNoneMatch, answer.etag) ? answer.notModified : answer.ok;
  }

  async badge(dto: CheckQueryDto): Promise<HttpAnswer> {
    const headers = {
      'content-type': 'image/svg+xml; charset=utf-8',
      'cache-control': this.cacheControl,
      // An SVG served from an API origin must not run scripts if someone opens it directly.
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
    };
    let prepared: PreparedCheck;
    try {
      prepared = this.prepare(dto);
    } catch (error) {
      if (error instanceof ReleaseError) return new RawAnswer(400, headers, renderBadge('invalid', undefined));
      throw error;
    }
    const answer = await this.answer(prepared);
    return new RawAnswer(200, headers, renderBadge(answer.status, prepared.query.version));
  }

  private parse(dto: CheckQueryDto): CheckQuery {
    if (dto.version === undefined || dto.version.trim() === '') {
      throw new ReleaseError('invalid_version', 'Say which version is installed: /v1/check?version=14.2.1.', { version: null });
    }
    const version = normalizeVersion(dto.version);
    if (!version) {
      throw new ReleaseError(
        'invalid_version',
        `"${dto.version.slice(0, 64)}" is not a semver version; send the installed version as MAJOR.MINOR.PATCH, e.g. 14.2.1 or 15.0.0-beta.1.`,
        { version: dto.version.slice(0, 64) },
      );
    }
    const channel = dto.channel ?? 'stable';
    const edition = dto.edition ?? this.config.editions[0] ?? 'community';
    const environment = dto.environment ?? 'production';
    const fields: { field: string; problems: string[] }[] = [];
    if (!this.config.channels.includes(channel)) fields.push({ field: 'channel', problems: [`must be one of ${this.config.channels.join(', ')}`] });
    if (!this.config.editions.includes(edition)) fields.push({ field: 'edition', problems: [`must be one of ${this.config.editions.join(', ')}`] });
    if (!ENVIRONMENT.test(environment)) fields.push({ field: 'environment', problems: ['must be 1–32 of a-z, 0-9 and -, e.g. production'] });
    if (fields.length > 0) {
      throw new ReleaseError('validation_failed', `The request is not valid: ${fields.map((f) => `${f.field}: ${f.problems.join(', ')}`).join('; ')}`, {
        fields,
      });
    }
    return { version, channel, edition, environment };
  }

  private keyOf(query: CheckQuery): string {
    return `${query.version}\u0000${query.channel}\u0000${query.edition}\u0000${query.environment}`;
  }

  /**
   * The cached answer of `key` if it is of this snapshot and still fresh (marked as used), else
   * undefined. Marked at most once a second: re-inserting on every hit (least recently used goes
   * first) cost more than the rest of the lookup, and an answer used within the last second is
   * not what a full cache should evict anyway.
   */
  private cached(key: string, snapshot: CatalogSnapshot): IssuedAnswer | undefined {
    const cached = this.cache.get(key);
    const nowMs = this.clock.nowMs();
    if (!cached || cached.sequence !== snapshot.sequence || nowMs >= cached.freshUntilMs) return undefined;
    if (nowMs - cached.usedMs >= TOUCH_MS || nowMs < cached.usedMs) {
      this.cache.delete(key);
      this.cache.set(key, cached);
      cached.usedMs = nowMs;
    }
    return cached;
  }

  private async answer({ query, key }: PreparedCheck): Promise<IssuedAnswer> {
    const snapshot = await this.state.current();
    const cached = this.cached(key, snapshot);
    if (cached) return cached;
    // Concurrent misses for one key share one computation and one signature.
    const inFlight = this.pending.get(key);
    if (inFlight) return inFlight;
    const work = (async () => {
      const now = this.clock.now();
      const answer = snapshot.check(query, now, this.config.check.validityMs);
      const body = JSON.stringify(answer);
      const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 32)}"`;
      const signature = await this.signer.sign(body);
      // The headers of its 200 and 304, made once: every cached answer is sent as is.
      const notModifiedHeaders = { etag, 'cache-control': this.cacheControl };
      const headers = { ...notModifiedHeaders, 'content-type': 'application/json; charset=utf-8', 'keyhaven-signature': signature };
      const issued: IssuedAnswer = {
        body,
        etag,
        signature,
        ok: new RawAnswer(200, headers, body),
        notModified: new RawAnswer(304, notModifiedHeaders, undefined),
        status: answer.status,
        issuedAtMs: now.getTime(),
        freshUntilMs: Math.min(
          now.getTime() + this.config.check.reissueMs,
          snapshot.nextSupportChange(now),
          snapshot.nextMaintenanceChange(now),
          snapshot.nextRelease(now),
        ),
        sequence: snapshot.sequence,
        usedMs: now.getTime(),
      };
      if ((await this.state.current()).sequence === snapshot.sequence) {
        this.cache.delete(key);
        this.cache.set(key, issued);
        while (this.cache.size > this.config.check.cacheSize) this.cache.delete(this.cache.keys().next().value as string);
      }
      return issued;
    })().finally(() => this.pending.delete(key));
    this.pending.set(key, work);
    return work;
  }
}

/** RFC 9110 §13.1.2: `*` or a list of (weak-compared) entity tags. */
function matches(header: string, etag: string): boolean {
  if (header.trim() === '*') return true;
  return header.split(',').some((candidate) => candidate.trim().replace(/^W\//, '') === etag);
}
