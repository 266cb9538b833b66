import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { Clock } from '@keyhaven/config';
import { JobQueue, transactionJobDb } from '@keyhaven/jobs';
import { affects, checkWindow, planNotices, windowJson, windowStatus, type PlannedNotice } from '@keyhaven/release-maintenance';
import { ReleaseError } from '../app/release-errors';
import { UUID } from '../app/uuid';
import type { Actor } from '../app/actor';
import { CatalogChanges } from '../catalog/catalog-changes';
import { CatalogState } from '../catalog/catalog-state';
import { RELEASE_CONFIG, ReleaseConfig } from '../config/release.config';
import type { CancelWindowDto, CreateWindowDto, ListWindowsQueryDto, UpdateWindowDto } from './dto/window.dto';
import { MaintenanceWindow } from './entities/maintenance-window.entity';
import { NOTICE_QUEUE, NoticeJob } from './maintenance-queues';
import { windowNotFound } from './maintenance.errors';
import { MaintenanceRepository } from './maintenance.repository';
import { toWindowView, windowApiJson, WindowJson } from './window-views';

/**
 * Maintenance windows. Every change runs as a catalog change (sequence bump + audit, so the
 * signed check's `maintenance[]` is never served stale) and writes the window, its planned
 * notices and their pg-boss jobs in that one transaction.
 */
@Injectable()
export class WindowsService {
  constructor(
    private readonly em: EntityManager,
    private readonly repository: MaintenanceRepository,
    private readonly catalog: CatalogChanges,
    private readonly state: CatalogState,
    private readonly jobs: JobQueue,
    private readonly clock: Clock,
    @Inject(RELEASE_CONFIG) private readonly config: ReleaseConfig,
  ) {}

  async list(query: ListWindowsQueryDto): Promise<{ windows: WindowJson[] }> {
    const now = this.clock.now();
    const em = this.em.fork();
    const open = await this.repository.openWindows(em, now);
    const past = query.includePast ? await this.repository.pastWindows(em, now, undefined, 500) : [];
    const windows = [...open, ...past].filter((window) => query.environment === undefined || affects(window, query.environment));
    return { windows: windows.map((window) => windowApiJson(window, now)) };
  }

  async get(id: string): Promise<WindowJson> {
    const window = UUID.test(id) ? await this.repository.findWindow(this.em.fork(), id) : null;
    if (!window) throw windowNotFound(id);
    return windowApiJson(window, this.clock.now());
  }

  async create(dto: CreateWindowDto, actor: Actor): Promise<WindowJson> {
    const now = this.clock.now();
    const times = { startsAt: new Date(dto.startsAt), endsAt: new Date(dto.endsAt) };
    this.assertAllowed(times, now, dto.emergencyReason);
    const shortNotice = times.startsAt.getTime() < now.getTime() + this.config.maintenance.noticeLeadMs;
    if (!shortNotice && dto.emergencyReason !== undefined) throw this.reasonUnneeded();
    const { result } = await this.catalog.change(actor, async (em) => {
      const window = this.repository.addWindow(em, {
        title: dto.title,
        description: dto.description ?? '',
        ...times,
        environments: [...new Set(dto.environments ?? [])].sort(),
        emergencyReason: dto.emergencyReason?.trim() ?? null,
        shortNotice,
        sequence: 0,
        createdAt: now,
        updatedAt: now,
      });
      await this.plan(em, window, planNotices(times, now, this.policy()));
      return { result: window, audit: [{ action: 'maintenance.create', subject: window.id, after: windowJson(toWindowView(window, now)) }] };
    });
    await this.state.refresh();
    return windowApiJson(result, now);
  }

  async update(id: string, dto: UpdateWindowDto, actor: Actor): Promise<WindowJson> {
    const now = this.clock.now();
    const { result } = await this.catalog.change(actor, async (em) => {
      const window = await this.openWindow(em, id, now);
      const before = windowJson(toWindowView(window, now));
      const times = {
        startsAt: dto.startsAt ? new Date(dto.startsAt) : window.startsAt,
        endsAt: dto.endsAt ? new Date(dto.endsAt) : window.endsAt,
      };
      const startMoved = times.startsAt.getTime() !== window.startsAt.getTime();
      const timesChanged = startMoved || times.endsAt.getTime() !== window.endsAt.getTime();
      const environments = dto.environments ? [...new Set(dto.environments)].sort() : window.environments;
      const environmentsChanged = environments.join(',') !== window.environments.join(',');
      if (timesChanged) {
        // A moved start is a new announcement promise: the lead rule applies again. With the start
        // unchanged (e.g. a running window is extended) only the order of the times is checked.
        const problem = startMoved
          ? checkWindow(times, now, this.config.maintenance.noticeLeadMs, dto.emergencyReason, this.config.maintenance.noticeLead)
          : checkWindow(times, now, 0, 'start unchanged');
        if (problem) throw windowProblem(problem);
      }
      if (startMoved && times.startsAt.getTime() < now.getTime() + this.config.maintenance.noticeLeadMs) {
        window.shortNotice = true;
        window.emergencyReason = dto.emergencyReason?.trim() ?? window.emergencyReason ?? null;
      } else if (dto.emergencyReason !== undefined) {
        // A short-notice window may have its reason reworded; any other has no use for one.
        if (!window.shortNotice) throw this.reasonUnneeded();
        window.emergencyReason = dto.emergencyReason.trim();
      }
      if (dto.title !== undefined) window.title = dto.title;
      if (dto.description !== undefined) window.description = dto.description;
      window.startsAt = times.startsAt;
      window.endsAt = times.endsAt;
      window.environments = environments;
      window.sequence += 1;
      window.updatedAt = now;
      await this.repository.supersedePlanned(em, window.id);
      const plan = planNotices(times, now, this.policy()).filter(
        // Re-arm only what still lies ahead; an announced window is not announced again.
        (notice) => notice.dueAt.getTime() >= now.getTime() && !(notice.type === 'maintenance.announced' && window.announcedAt),
      );
      if (window.announcedAt && (timesChanged || environmentsChanged)) {
        plan.unshift({ type: 'maintenance.rescheduled', dueAt: now, key: 'rescheduled' });
      }
      await this.plan(em, window, plan);
      return { result: window, audit: [{ action: 'maintenance.update', subject: window.id, before, after: windowJson(toWindowView(window, now)) }] };
    });
    await this.state.refresh();
    return windowApiJson(result, now);
  }

  async cancel(id: string, dto: CancelWindowDto, actor: Actor): Promise<WindowJson> {
    const now = this.clock.now();
    const { result } = await this.catalog.change(actor, async (em) => {
      const window = await this.openWindow(em, id, now);
      window.cancelledAt = now;
      window.cancelReason = dto.reason?.trim() || null;
      window.sequence += 1;
      window.updatedAt = now;
      await this.repository.supersedePlanned(em, window.id);
      // Subscribers who never heard of it need not hear that it is off.
      await this.plan(em, window, window.announcedAt ? [{ type: 'maintenance.cancelled', dueAt: now, key: 'cancelled' }] : []);
      return {
        result: window,
        audit: [{ action: 'maintenance.cancel', subject: window.id, after: { cancelledAt: now.toISOString(), reason: window.cancelReason } }],
      };
    });
    await this.state.refresh();
    return windowApiJson(result, now);
  }

  private policy() {
    return { leadMs: this.config.maintenance.noticeLeadMs, remindersMs: this.config.maintenance.remindersMs };
  }

  /**
   * An emergency reason explains a short-notice announcement; given for a window that keeps the
   * full lead it would be dropped or shown beside an ordinary notice — refused instead, so the
   * operator learns the window is announced on the normal schedule.
   */
  private reasonUnneeded(): ReleaseError {
    const lead = this.config.maintenance.noticeLead;
    return new ReleaseError(
      'emergency_reason_unneeded',
      `This window starts at least ${lead} ahead (the notice lead), so it is announced on the normal schedule and takes no emergencyReason: leave it out.`,
      { field: 'emergencyReason', leadMs: this.config.maintenance.noticeLeadMs, lead },
    );
  }

  private assertAllowed(times: { startsAt: Date; endsAt: Date }, now: Date, emergencyReason: string | undefined): void {
    const problem = checkWindow(times, now, this.config.maintenance.noticeLeadMs, emergencyReason, this.config.maintenance.noticeLead);
    if (problem) throw windowProblem(problem);
  }

  private async openWindow(em: EntityManager, id: string, now: Date): Promise<MaintenanceWindow> {
    const window = UUID.test(id) ? await this.repository.lockWindow(em, id) : null;
    if (!window) throw windowNotFound(id);
    const status = windowStatus(window, now);
    if (status === 'cancelled' || status === 'completed') {
      throw new ReleaseError('window_closed', `The window is ${status}; it can no longer be changed.`, { status });
    }
    return window;
  }

  /** The notices of this revision and one job each (job id = notice id), on the same transaction. */
  private async plan(em: EntityManager, window: MaintenanceWindow, plan: readonly PlannedNotice[]): Promise<void> {
    const notices = this.repository.addNotices(em, window, plan);
    await em.flush();
    if (notices.length === 0) return;
    await this.jobs.insert<NoticeJob>(
      notices.map((notice) => ({ id: notice.id, name: NOTICE_QUEUE, data: { noticeId: notice.id }, startAfter: notice.dueAt })),
      transactionJobDb(em),
    );
  }
}

function windowProblem(problem: NonNullable<ReturnType<typeof checkWindow>>): ReleaseError {
  return problem.code === 'notice_too_short'
    ? new ReleaseError('notice_too_short', problem.message, problem.details)
    : new ReleaseError('invalid_window', problem.message);
}
