import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { EntityManager } from '@mikro-orm/postgresql';
import { Clock } from '@keyhaven/config';
import { JobQueue } from '@keyhaven/jobs';
import { AccountRepository } from '../accounts/account.repository';
import { AuthError } from '../app/auth-errors';
import type { SecurityEventInput } from '../common/types';
import { SecurityEventsService } from '../security-events/security-events.service';
import { SessionStore } from '../sessions/session.store';
import { DirectoryClient, DirectoryUnavailable } from './directory.client';
import { DirectoryConfig, nextSyncAt } from './directory.config';
import { DirectorySyncRepository, SyncRunView } from './directory-sync.repository';
import { rolesByPerson } from './group-roles';
import type { SyncChange } from '../common/types';
import { planSync } from './sync-plan';

export const DIRECTORY_SYNC_QUEUE = 'directory-sync';
/** A job names the run it executes; a scheduled tick names none and starts one. */
export interface DirectorySyncJob {
  runId?: string;
}

/** A run still `running` after this long lost its worker for good (pg-boss retries within it). */
const STALE_RUN_MS = 2 * 3_600_000;

export interface SyncRequest {
  trigger: 'schedule' | 'admin';
  dryRun?: boolean;
  force?: boolean;
  requestedBy?: string;
}

/**
 * The directory sync: every linked account checked against the directory — disabled → locked
 * (`ldap_disabled`), missing → locked (`ldap_missing`), found and enabled again → a directory
 * lock lifted — mail copied, group membership turned into roles. A run reads everything first,
 * plans (sync-plan.ts), and writes the plan in one transaction with its security events and its
 * report; any directory error before that aborts the run with nothing changed.
 */
@Injectable()
export class DirectorySyncService {
  private readonly logger = new Logger(DirectorySyncService.name);

  constructor(
    private readonly em: EntityManager,
    private readonly runs: DirectorySyncRepository,
    private readonly accounts: AccountRepository,
    @Inject(DirectoryClient) private readonly directory: DirectoryClient | null,
    private readonly events: SecurityEventsService,
    private readonly sessions: SessionStore,
    private readonly queue: JobQueue,
    private readonly clock: Clock,
  ) {}

  get config(): DirectoryConfig {
    return this.requireConfig();
  }

  private requireConfig(): DirectoryConfig {
    if (!this.directory) throw new AuthError('directory_not_configured', 'No directory is configured (LDAP_URL is unset).');
    return this.directory.config;
  }

  /** Starts a run (202 of `POST /v1/admin/ldap/sync`): its row now, its work on the job queue. */
  async request(request: SyncRequest): Promise<{ runId: string }> {
    const runId = await this.open(request);
    await this.queue.send<DirectorySyncJob>(DIRECTORY_SYNC_QUEUE, { runId });
    this.queue.notify(DIRECTORY_SYNC_QUEUE);
    return { runId };
  }

  /** The job handler: a named run, or a scheduled tick (once across replicas: pg-boss sends each tick once). */
  async handle(job: DirectorySyncJob): Promise<void> {
    if (job.runId) return this.execute(job.runId);
    // Old run reports go with the daily retention job (privacy/auth-data-inventory.ts, LDAP_SYNC_RUN_RETENTION).
    let runId: string;
    try {
      runId = await this.open({ trigger: 'schedule' });
    } catch (error) {
      if (error instanceof AuthError && error.code === 'directory_sync_running') return;
      throw error;
    }
    await this.execute(runId);
  }

  /** Runs a started run to its end (idempotent: a retried job finds it finished and stops). */
  async execute(runId: string): Promise<void> {
    // Every step commits on its own (the progress, the report), except the changes: one transaction.
    const em = this.em.fork();
    const run = await this.runs.find(em, runId);
    if (!run || run.status !== 'running') return;
    const config = this.config;
    const directory = this.directory as DirectoryClient;
    let people;
    let roles;
    try {
      people = await directory.listPeople((read) => this.runs.progress(em, runId, read));
      roles = config.groupRoles.size > 0 ? rolesByPerson(await directory.listGroups(), config.groupRoles) : undefined;
    } catch (error) {
      const reason =
        error instanceof DirectoryUnavailable ? error.reason : `unexpected error: ${error instanceof Error ? error.message.slice(0, 200) : String(error)}`;
      this.logger.warn(`Directory sync ${runId} aborted: ${reason}`);
      await this.runs.finish(em, runId, { status: 'aborted', finishedAt: this.clock.now(), abortReason: reason });
      return;
    }
    const accounts = await this.accounts.linkedAccounts(em);
    const plan = planSync({
      people,
      accounts,
      rolesByPerson: roles,
      takenMails: await this.accounts.takenMails(
        em,
        people.flatMap((person) => (person.mail ? [person.mail] : [])),
      ),
      otherAdmins: await this.accounts.localAdmins(em),
      maxLockPercent: config.maxLockPercent,
      force: run.forced,
    });
    const finishedAt = this.clock.now();
    if (plan.abort) {
      await this.runs.finish(em, runId, { status: 'aborted', finishedAt, counts: plan.counts, abortReason: plan.abort });
      return;
    }
    if (plan.refusal) {
      this.logger.warn(`Directory sync ${runId} refused: ${plan.refusal}`);
      await this.runs.finish(em, runId, { status: 'refused', finishedAt, counts: plan.counts, actions: plan.actions, abortReason: plan.refusal });
      return;
    }
    if (run.dryRun) {
      await this.runs.finish(em, runId, { status: 'completed', finishedAt, counts: plan.counts, actions: plan.actions });
      return;
    }
    await this.events.audited(async (tx) => {
      const events: SecurityEventInput[] = [];
      for (const change of await this.accounts.applyDirectoryChanges(tx, plan.changes, finishedAt)) {
        // A lock ends the account's sessions with it (#14's revocation, reason account_locked).
        if (change.kind === 'lock') await this.sessions.revoke(tx, change.accountId, 'account_locked', finishedAt, {});
        const event = eventOf(change, runId, run.requestedBy ?? undefined);
        if (event) events.push(event);
      }
      await this.runs.finish(tx, runId, { status: 'completed', finishedAt, counts: plan.counts, actions: plan.actions });
      return { result: undefined, events };
    });
    const { locked, unlocked, roleChanges, updated } = plan.counts;
    this.logger.log(
      `Directory sync ${runId}: ${people.length} directory users, ${accounts.length} linked; locked ${locked}, unlocked ${unlocked}, role changes ${roleChanges}, updated ${updated}`,
    );
  }

  runsList(limit = 50): Promise<SyncRunView[]> {
    this.requireConfig();
    return this.runs.list(this.em.fork(), limit);
  }

  async run(id: string): Promise<SyncRunView> {
    this.requireConfig();
    const run = /^[0-9a-f-]{36}$/i.test(id) ? await this.runs.find(this.em.fork(), id) : undefined;
    if (!run) throw new AuthError('directory_run_not_found', 'No directory sync run has this id.');
    return run;
  }

  /** `GET /v1/admin/ldap/status`: a live connection test, the last successful run, the next scheduled one. */
  async status() {
    const config = this.config;
    const directory = this.directory as DirectoryClient;
    const [connection, lastSuccessfulRun, running] = await Promise.all([
      directory.test(),
      this.runs.lastCompleted(this.em.fork()),
      this.runs.runningRun(this.em.fork()),
    ]);
    return {
      url: config.url,
      flavor: config.flavor,
      startTls: config.startTls,
      connection,
      lastSuccessfulRun: lastSuccessfulRun ?? null,
      runningRun: running ?? null,
      syncIntervalSeconds: config.syncIntervalMs / 1000,
      nextRunAt: nextSyncAt(config.syncIntervalMs, this.clock.now())?.toISOString() ?? null,
    };
  }

  private async open(request: SyncRequest): Promise<string> {
    this.requireConfig();
    const now = this.clock.now();
    await this.runs.abortStale(this.em.fork(), new Date(now.getTime() - STALE_RUN_MS), now);
    const id = randomUUID();
    const started = await this.runs.start(this.em.fork(), {
      id,
      trigger: request.trigger,
      dryRun: request.dryRun ?? false,
      forced: request.force ?? false,
      requestedBy: request.requestedBy,
      startedAt: now,
    });
    if (!started) {
      const running = await this.runs.runningRun(this.em.fork());
      throw new AuthError('directory_sync_running', 'A directory sync is running; wait for it to finish.', { runId: running?.id });
    }
    return id;
  }
}

/** The security event of a change (a DN/login refresh is bookkeeping, not an event). */
function eventOf(change: SyncChange, runId: string, actorId: string | undefined): SecurityEventInput | undefined {
  const base = { accountId: change.accountId, ...(actorId ? { actorId } : {}) };
  switch (change.kind) {
    case 'lock':
      return { ...base, type: 'account_locked', details: { reason: change.reason, by: 'directory_sync', runId } };
    case 'unlock':
      return { ...base, type: 'account_unlocked', details: { previousReason: change.previousReason, by: 'directory_sync', runId } };
    case 'mail':
      return { ...base, type: 'directory_profile_updated', details: { fields: ['email'], runId } };
    case 'roles':
      return change.added.length || change.removed.length
        ? { ...base, type: 'directory_roles_changed', details: { added: change.added, removed: change.removed, runId } }
        : undefined;
    case 'relink':
      return undefined;
  }
}
