import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { Clock } from '@keyhaven/config';
import { ReleaseError } from '../app/release-errors';
import { CatalogState } from '../catalog/catalog-state';
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
}

export interface HttpAnswer {
  statusCode: 200 | 304 | 400;
  headers: Record<string, string>;
  body: string | undefined;
}

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

  constructor(
    private readonly state: CatalogState,
    private readonly signer: ResponseSigner,
    private readonly stats: StatsService,
    private readonly clock: Clock,
    @Inject(RELEASE_CONFIG) private readonly config: ReleaseConfig,
  ) {
    this.state.onChange(() => this.cache.clear());
  }

  async respond(dto: CheckQueryDto, ifNoneMatch: string | undefined): Promise<HttpAnswer> {
    const query = this.parse(dto);
    const answer = await this.answer(query);
    const known = (await this.state.current()).release(query.version) !== undefined;
    this.stats.count(known ? query.version : 'other', query.channel, query.edition);
    const headers = {
      etag: answer.etag,
      'cache-control': `public, max-age=${Math.floor(this.config.check.maxAgeMs / 1000)}`,
    };
    if (ifNoneMatch && matches(ifNoneMatch, answer.etag)) return { statusCode: 304, headers, body: undefined };
    return {
      statusCode: 200,
      headers: { ...headers, 'content-type': 'application/json; charset=utf-8', 'keyhaven-signature': answer.signature },
      body: answer.body,
    };
  }

  async badge(dto: CheckQueryDto): Promise<HttpAnswer> {
    const headers = {
      'content-type': 'image/svg+xml; charset=utf-8',
      'cache-control': `public, max-age=${Math.floor(this.config.check.maxAgeMs / 1000)}`,
      // An SVG served from an API origin must not run scripts if someone opens it directly.
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
    };
    let query: CheckQuery;
    try {
      query = this.parse(dto);
    } catch (error) {
      if (error instanceof ReleaseError) return { statusCode: 400, headers, body: renderBadge('invalid', undefined) };
      throw error;
    }
    const answer = await this.answer(query);
    return { statusCode: 200, headers, body: renderBadge(answer.status, query.version) };
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

  private async answer(query: CheckQuery): Promise<IssuedAnswer> {
    const snapshot = await this.state.current();
    const key = `${query.version}\u0000${query.channel}\u0000${query.edition}\u0000${query.environment}`;
    const cached = this.cache.get(key);
    if (cached && cached.sequence === snapshot.sequence && this.clock.nowMs() < cached.freshUntilMs) {
      // Least recently used goes first: re-insert to mark it as used.
      this.cache.delete(key);
      this.cache.set(key, cached);
      return cached;
    }
    // Concurrent misses for one key share one computation and one signature.
    const inFlight = this.pending.get(key);
    if (inFlight) return inFlight;
    const work = (async () => {
      const now = this.clock.now();
      const answer = snapshot.check(query, now, this.config.check.validityMs);
      const body = JSON.stringify(answer);
      const issued: IssuedAnswer = {
        body,
        etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 32)}"`,
        signature: await this.signer.sign(body),
        status: answer.status,
        issuedAtMs: now.getTime(),
        freshUntilMs: Math.min(
          now.getTime() + this.config.check.reissueMs,
          snapshot.nextSupportChange(now),
          snapshot.nextMaintenanceChange(now),
          snapshot.nextRelease(now),
        ),
        sequence: snapshot.sequence,
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
