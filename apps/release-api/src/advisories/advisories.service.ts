import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Clock } from '@keyhaven/config';
import { ReleaseError } from '../app/release-errors';
import type { Actor } from '../app/actor';
import { CatalogChanges } from '../catalog/catalog-changes';
import { CatalogState } from '../catalog/catalog-state';
import { RELEASE_CONFIG, ReleaseConfig } from '../config/release.config';
import type { AdvisoryView } from '../catalog/catalog-types';
import { normalizeVersion } from '../catalog/semver-intervals';
import { toAdvisoryView } from '../catalog/views';
import { AdvisoryInput, AdvisoryProblem, checkAffected, checkFixedIn, checkId, checkSeverity } from './advisory-input';
import { CreateAdvisoryDto, ListAdvisoriesQuery, UpdateAdvisoryDto } from './dto/advisory.dto';
import { AdvisoryRepository } from './advisory.repository';
import { fromOsv, toOsv } from './osv';

const OSV_SUFFIX = '.osv.json';

function entityFields(input: AdvisoryInput) {
  return {
    aliases: input.aliases,
    title: input.title,
    summary: input.summary,
    severityType: input.severity?.type ?? null,
    severityVector: input.severity?.vector ?? null,
    severityScore: input.severity?.score ?? null,
    severityLevel: input.severity?.level ?? null,
    knownExploited: input.knownExploited,
    affected: input.affected,
    fixedIn: input.fixedIn,
    url: input.url,
    publishedAt: input.publishedAt,
    modifiedAt: input.modifiedAt,
    withdrawnAt: input.withdrawnAt,
  };
}

/** Turns a field problem into the API's 400. */
function guarded<T>(work: () => T): T {
  try {
    return work();
  } catch (error) {
    if (error instanceof AdvisoryProblem) throw new ReleaseError(error.code, error.message);
    throw error;
  }
}

@Injectable()
export class AdvisoriesService {
  constructor(
    private readonly catalog: CatalogChanges,
    private readonly advisories: AdvisoryRepository,
    private readonly state: CatalogState,
    private readonly clock: Clock,
    @Inject(RELEASE_CONFIG) private readonly config: ReleaseConfig,
  ) {}

  async list(query: ListAdvisoriesQuery): Promise<{ advisories: AdvisoryView[]; sequence: number }> {
    const snapshot = await this.state.current();
    const includeWithdrawn = query.includeWithdrawn === 'true';
    if (query.version !== undefined) {
      const version = normalizeVersion(query.version);
      if (!version)
        throw new ReleaseError('invalid_version', `"${query.version.slice(0, 64)}" is not a semver version; write it as MAJOR.MINOR.PATCH, e.g. 14.2.1.`);
      // Withdrawn advisories affect nobody, so they are never listed for a version.
      return { advisories: snapshot.advisoriesAffecting(version), sequence: snapshot.sequence };
    }
    const advisories = snapshot.advisories.filter((a) => includeWithdrawn || a.withdrawnAt === null);
    return { advisories: [...advisories].sort((a, b) => b.publishedAt.localeCompare(a.publishedAt) || a.id.localeCompare(b.id)), sequence: snapshot.sequence };
  }

  /** `GET /v1/advisories/:id`, or the OSV export when the id ends in `.osv.json`. */
  async get(idOrExport: string): Promise<AdvisoryView | Record<string, unknown>> {
    const osv = idOrExport.endsWith(OSV_SUFFIX);
    const id = osv ? idOrExport.slice(0, -OSV_SUFFIX.length) : idOrExport;
    const advisory = (await this.state.current()).advisories.find((a) => a.id === id);
    if (!advisory) throw new ReleaseError('advisory_not_found', `No advisory ${id.slice(0, 100)}.`);
    return osv ? toOsv(advisory, this.config.osvPackage) : advisory;
  }

  async create(actor: Actor, dto: CreateAdvisoryDto): Promise<AdvisoryView> {
    const now = this.clock.now();
    const input = guarded((): AdvisoryInput => {
      const affected = checkAffected(dto.affected);
      return {
        id: checkId(dto.id ?? `KHSA-${now.getUTCFullYear()}-${randomBytes(3).toString('hex')}`),
        aliases: [...new Set(dto.aliases ?? [])],
        title: dto.title,
        summary: dto.summary ?? '',
        severity: checkSeverity(dto.severity?.vector),
        knownExploited: dto.knownExploited ?? false,
        affected,
        fixedIn: checkFixedIn(dto.fixedIn, affected),
        url: dto.url ?? null,
        publishedAt: dto.publishedAt ? new Date(dto.publishedAt) : now,
        modifiedAt: now,
        withdrawnAt: null,
      };
    });
    const { result } = await this.catalog.change(actor, async (em) => {
      const inserted = await this.insertIfAbsent(em, input);
      if (!inserted) throw new ReleaseError('advisory_exists', `Advisory ${input.id} exists; change it with PATCH /v1/advisories/${input.id}.`);
      return { result: inserted, audit: [{ action: 'advisory.create', subject: input.id, after: inserted }] };
    });
    await this.state.refresh();
    return result;
  }

  /** All documents or none: one bad document rejects the request and names its index. */
  async import(actor: Actor, body: unknown): Promise<{ imported: { id: string; created: boolean }[]; sequence: number }> {
    const documents = Array.isArray(body) ? body : [body];
    if (documents.length === 0 || documents.length > 1000) {
      throw new ReleaseError('invalid_osv', 'Send one OSV document or an array of 1 to 1000 of them.');
    }
    const now = this.clock.now();
    const inputs = documents.map((document, index) => {
      try {
        return fromOsv(document, now, this.config.osvPackage);
      } catch (error) {
        if (error instanceof AdvisoryProblem) {
          throw new ReleaseError('invalid_osv', `OSV document ${index}: ${error.message}`, { index });
        }
        throw error;
      }
    });
    const { result, sequence } = await this.catalog.change(actor, async (em) => {
      const imported: { id: string; created: boolean }[] = [];
      const audit = [];
      for (const input of inputs) {
        const inserted = await this.insertIfAbsent(em, input);
        if (inserted) {
          imported.push({ id: input.id, created: true });
          audit.push({ action: 'advisory.import', subject: input.id, after: inserted });
          continue;
        }
        const existing = await this.advisories.lock(em, input.id);
        if (!existing) throw new Error(`Advisory ${input.id} was neither inserted nor found`);
        const before = toAdvisoryView(existing);
        em.assign(existing, entityFields(input));
        await em.flush();
        imported.push({ id: input.id, created: false });
        audit.push({ action: 'advisory.import', subject: input.id, before, after: toAdvisoryView(existing) });
      }
      return { result: imported, audit };
    });
    await this.state.refresh();
    return { imported: result, sequence };
  }

  async update(actor: Actor, id: string, dto: UpdateAdvisoryDto): Promise<AdvisoryView> {
    const now = this.clock.now();
    const changes = guarded(() => {
      const affected = dto.affected ? checkAffected(dto.affected) : undefined;
      return {
        affected,
        severity: dto.severity === undefined ? undefined : checkSeverity(dto.severity?.vector ?? null),
        fixedIn: dto.fixedIn ? checkFixedIn(dto.fixedIn, affected ?? []) : affected && !dto.fixedIn ? checkFixedIn(undefined, affected) : undefined,
      };
    });
    const { result } = await this.catalog.change(actor, async (em) => {
      const advisory = await this.advisories.lock(em, id);
      if (!advisory) throw new ReleaseError('advisory_not_found', `No advisory ${id.slice(0, 100)}.`);
      const before = toAdvisoryView(advisory);
      if (dto.aliases !== undefined) advisory.aliases = [...new Set(dto.aliases)];
      if (dto.title !== undefined) advisory.title = dto.title;
      if (dto.summary !== undefined) advisory.summary = dto.summary;
      if (changes.severity !== undefined) {
        advisory.severityType = changes.severity?.type ?? null;
        advisory.severityVector = changes.severity?.vector ?? null;
        advisory.severityScore = changes.severity?.score ?? null;
        advisory.severityLevel = changes.severity?.level ?? null;
      }
      if (dto.knownExploited !== undefined) advisory.knownExploited = dto.knownExploited;
      if (changes.affected) advisory.affected = changes.affected;
      if (changes.fixedIn) advisory.fixedIn = changes.fixedIn;
      if (dto.url !== undefined) advisory.url = dto.url;
      if (dto.withdrawn === true && !advisory.withdrawnAt) advisory.withdrawnAt = now;
      if (dto.withdrawn === false) advisory.withdrawnAt = null;
      advisory.modifiedAt = now;
      await em.flush();
      const after = toAdvisoryView(advisory);
      const action = dto.withdrawn === true && !before.withdrawnAt ? 'advisory.withdraw' : 'advisory.update';
      return { result: after, audit: [{ action, subject: id, before, after }] };
    });
    await this.state.refresh();
    return result;
  }

  /** Inserts the advisory unless its id exists; its view when it was inserted. */
  private async insertIfAbsent(em: EntityManager, input: AdvisoryInput): Promise<AdvisoryView | undefined> {
    if (!(await this.advisories.insertIfAbsent(em, input.id, { ...entityFields(input), createdAt: this.clock.now() }))) return undefined;
    return {
      id: input.id,
      aliases: input.aliases,
      title: input.title,
      summary: input.summary,
      severity: input.severity,
      knownExploited: input.knownExploited,
      affected: input.affected,
      fixedIn: input.fixedIn,
      url: input.url,
      publishedAt: input.publishedAt.toISOString(),
      modifiedAt: input.modifiedAt.toISOString(),
      withdrawnAt: input.withdrawnAt?.toISOString() ?? null,
    };
  }
}
