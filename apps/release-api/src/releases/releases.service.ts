import { Inject, Injectable } from '@nestjs/common';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { Clock } from '@keyhaven/config';
import { ReleaseError } from '../app/release-errors';
import type { Actor } from '../app/actor';
import { CatalogChanges } from '../catalog/catalog-changes';
import { CatalogState } from '../catalog/catalog-state';
import type { ReleaseView } from '../catalog/catalog-types';
import { normalizeVersion, rangeToIntervals } from '../catalog/semver-intervals';
import { toReleaseView } from '../catalog/views';
import { RELEASE_CONFIG, ReleaseConfig } from '../config/release.config';
import { CreateReleaseDto, ListReleasesQuery, UpdateReleaseDto } from './dto/release.dto';
import { ReleaseRepository } from './release.repository';

@Injectable()
export class ReleasesService {
  constructor(
    private readonly catalog: CatalogChanges,
    private readonly releases: ReleaseRepository,
    private readonly state: CatalogState,
    private readonly clock: Clock,
    @Inject(RELEASE_CONFIG) private readonly config: ReleaseConfig,
  ) {}

  async list(query: ListReleasesQuery): Promise<{ releases: ReleaseView[]; sequence: number }> {
    if (query.channel) this.assertChannel(query.channel);
    if (query.edition) this.assertEditions([query.edition]);
    const snapshot = await this.state.current();
    const includeYanked = query.includeYanked !== 'false';
    const releases = snapshot.releases.filter(
      (r) =>
        (includeYanked || !r.yanked) &&
        (!query.channel || r.channel === query.channel) &&
        (!query.edition || r.editions.length === 0 || r.editions.includes(query.edition)),
    );
    return { releases, sequence: snapshot.sequence };
  }

  async get(version: string): Promise<ReleaseView> {
    const normalized = normalizeVersion(version);
    const release = normalized ? (await this.state.current()).release(normalized) : undefined;
    if (!release) throw new ReleaseError('release_not_found', `No release ${version} in the catalog.`);
    return release;
  }

  async create(actor: Actor, dto: CreateReleaseDto): Promise<ReleaseView> {
    const version = this.version(dto.version);
    this.assertChannel(dto.channel);
    this.assertEditions(dto.editions ?? []);
    this.assertRange(dto.upgradeFrom);
    try {
      const { result } = await this.catalog.change(actor, async (em) => {
        const release = this.releases.add(em, {
          version,
          channel: dto.channel,
          editions: dto.editions ?? [],
          releasedAt: new Date(dto.releasedAt),
          notesUrl: dto.notesUrl ?? null,
          supportedUntil: dto.supportedUntil ? new Date(dto.supportedUntil) : null,
          security: dto.security ?? false,
          upgradeFrom: dto.upgradeFrom ?? null,
          createdAt: this.clock.now(),
          updatedAt: this.clock.now(),
        });
        await em.flush();
        const view = toReleaseView(release);
        return { result: view, audit: [{ action: 'release.create', subject: version, after: view }] };
      });
      await this.state.refresh();
      return result;
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) {
        throw new ReleaseError('release_exists', `Release ${version} is already in the catalog; change it with PATCH /v1/releases/${version}.`);
      }
      throw error;
    }
  }

  async update(actor: Actor, rawVersion: string, dto: UpdateReleaseDto): Promise<ReleaseView> {
    const version = normalizeVersion(rawVersion);
    if (!version) throw new ReleaseError('release_not_found', `No release ${rawVersion} in the catalog.`);
    if (dto.channel !== undefined) this.assertChannel(dto.channel);
    if (dto.editions !== undefined) this.assertEditions(dto.editions);
    this.assertRange(dto.upgradeFrom);
    const { result } = await this.catalog.change(actor, async (em) => {
      // The row lock makes concurrent edits of one release apply one after the other.
      const release = await this.releases.lock(em, version);
      if (!release) throw new ReleaseError('release_not_found', `No release ${rawVersion} in the catalog.`);
      const before = toReleaseView(release);
      if (dto.channel !== undefined) release.channel = dto.channel;
      if (dto.editions !== undefined) release.editions = dto.editions;
      if (dto.releasedAt !== undefined) release.releasedAt = new Date(dto.releasedAt);
      if (dto.notesUrl !== undefined) release.notesUrl = dto.notesUrl;
      if (dto.supportedUntil !== undefined) release.supportedUntil = dto.supportedUntil === null ? null : new Date(dto.supportedUntil);
      if (dto.security !== undefined) release.security = dto.security;
      if (dto.yanked !== undefined) release.yanked = dto.yanked;
      if (dto.upgradeFrom !== undefined) release.upgradeFrom = dto.upgradeFrom;
      release.updatedAt = this.clock.now();
      await em.flush();
      const after = toReleaseView(release);
      const action = dto.yanked === true && !before.yanked ? 'release.yank' : 'release.update';
      return { result: after, audit: [{ action, subject: version, before, after }] };
    });
    await this.state.refresh();
    return result;
  }

  private version(raw: string): string {
    const version = normalizeVersion(raw);
    if (!version) {
      throw new ReleaseError('invalid_version', `"${raw.slice(0, 64)}" is not a semver version; write it as MAJOR.MINOR.PATCH, e.g. 14.2.1.`, {
        version: raw.slice(0, 64),
      });
    }
    return version;
  }

  private assertChannel(channel: string): void {
    if (!this.config.channels.includes(channel)) {
      throw new ReleaseError('validation_failed', `Unknown channel "${channel}"; use one of ${this.config.channels.join(', ')}.`, {
        fields: [{ field: 'channel', problems: [`must be one of ${this.config.channels.join(', ')}`] }],
      });
    }
  }

  private assertEditions(editions: string[]): void {
    const unknown = editions.filter((edition) => !this.config.editions.includes(edition));
    if (unknown.length > 0) {
      throw new ReleaseError('validation_failed', `Unknown edition ${unknown.join(', ')}; use ${this.config.editions.join(', ')}.`, {
        fields: [{ field: 'editions', problems: [`must be among ${this.config.editions.join(', ')}`] }],
      });
    }
  }

  private assertRange(range: string | null | undefined): void {
    if (range === undefined || range === null) return;
    if (range.trim() === '' || !rangeToIntervals(range)) {
      throw new ReleaseError('invalid_range', `upgradeFrom "${range.slice(0, 64)}" is not a semver range; write e.g. ">=13.4.0 <14.0.0".`);
    }
  }
}
