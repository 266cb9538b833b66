import { CliError } from '../cli/cli-error';
import { CommandContext, CommandGroup } from '../cli/command';
import { ExitCode } from '../cli/exit-codes';
import { Column, formatTable, yesNo } from '../cli/table';

/** A directory sync run as auth-service reports it (docs/auth-service.md, "Directory"). */
export interface SyncRun {
  id: string;
  status: 'running' | 'completed' | 'aborted' | 'refused' | string;
  trigger: string;
  dryRun: boolean;
  forced: boolean;
  startedAt: string;
  finishedAt: string | null;
  counts: Record<string, number> | null;
  /** Directory users read so far (written after each page while the run reads). */
  usersRead?: number;
  abortReason: string | null;
  actions?: { accountId: string; login: string; action: string; reason: string; details?: Record<string, unknown> }[];
}

interface DirectoryStatus {
  url: string;
  flavor: string;
  connection: { ok: boolean; latencyMs?: number; reason?: string };
  lastSuccessfulRun: SyncRun | null;
  runningRun: SyncRun | null;
  syncIntervalSeconds: number;
  nextRunAt: string | null;
}

const count = (run: SyncRun, name: string) => (run.counts ? String(run.counts[name] ?? 0) : '-');

export const RUN_COLUMNS: readonly Column<SyncRun>[] = [
  { header: 'Id', value: (run) => run.id },
  { header: 'Status', value: (run) => run.status },
  { header: 'Trigger', value: (run) => run.trigger },
  { header: 'Dry run', value: (run) => yesNo(run.dryRun) },
  { header: 'Started (UTC)', value: (run) => run.startedAt },
  // A running run has no counts yet: its progress instead.
  { header: 'Users', value: (run) => (run.status === 'running' ? `${run.usersRead ?? 0} read` : count(run, 'directoryUsers')), align: 'right' },
  { header: 'Locked', value: (run) => count(run, 'locked'), align: 'right' },
  { header: 'Unlocked', value: (run) => count(run, 'unlocked'), align: 'right' },
  { header: 'Roles', value: (run) => count(run, 'roleChanges'), align: 'right' },
  { header: 'Reason', value: (run) => run.abortReason ?? '', maxWidth: 60 },
];

const ACTION_COLUMNS: readonly Column<NonNullable<SyncRun['actions']>[number]>[] = [
  { header: 'Login', value: (action) => action.login },
  { header: 'Action', value: (action) => action.action },
  { header: 'Why', value: (action) => action.reason },
  { header: 'Details', value: (action) => (action.details ? JSON.stringify(action.details) : ''), maxWidth: 60 },
];

/** Polls a run until it is no longer running (or `timeoutMs` passes). */
async function waitForRun(ctx: CommandContext, runId: string, timeoutMs: number): Promise<SyncRun> {
  const deadline = ctx.io.now().getTime() + timeoutMs;
  for (;;) {
    const run = await ctx.auth.get<SyncRun>(`/v1/admin/ldap/runs/${encodeURIComponent(runId)}`, { token: ctx.token });
    if (run.status !== 'running') return run;
    if (ctx.io.now().getTime() > deadline)
      throw new CliError(`Run ${runId} is still running; see keyhaven-ops ldap runs ${runId}`, ExitCode.api, 'still_running');
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

function describeRun(run: SyncRun): string {
  const head = `Run ${run.id}: ${run.status}${run.dryRun ? ' (dry run: nothing was changed)' : ''}`;
  const lines = [head];
  if (run.abortReason) lines.push(`Reason: ${run.abortReason}`);
  if (run.counts)
    lines.push(
      `Directory users ${count(run, 'directoryUsers')}, linked accounts ${count(run, 'linkedAccounts')}; locked ${count(run, 'locked')}, unlocked ${count(run, 'unlocked')}, role changes ${count(run, 'roleChanges')}, updated ${count(run, 'updated')}, reported ${count(run, 'reported')}`,
    );
  return lines.join('\n');
}

export const ldapCommands: CommandGroup = {
  name: 'ldap',
  summary: 'The directory sync of auth-service (LDAP / Active Directory): run it, read its reports (admin, aal 2)',
  commands: [
    {
      name: 'sync',
      summary: 'Start a directory sync now and wait for its report',
      description: [
        'Locks accounts disabled or deleted in the directory, unlocks those enabled again, copies mail',
        'changes and turns group membership into roles. Try --dry-run first: it reports what would',
        'change and changes nothing. A run that would lock more than LDAP_SYNC_MAX_LOCK_PERCENT of the',
        'linked accounts is refused; --force runs it anyway. Exit 1 when the run was aborted or refused.',
      ].join('\n'),
      options: {
        'dry-run': { type: 'boolean', description: 'report what would change; change nothing' },
        force: { type: 'boolean', description: 'lock even beyond LDAP_SYNC_MAX_LOCK_PERCENT' },
        'no-wait': { type: 'boolean', description: 'print the run id and return at once' },
      },
      examples: ['keyhaven-ops ldap sync --dry-run', 'keyhaven-ops ldap sync', 'keyhaven-ops ldap sync --force --json'],
      async run(args, ctx) {
        const body = { ...(args.flag('dry-run') ? { dryRun: true } : {}), ...(args.flag('force') ? { force: true } : {}) };
        const { runId } = await ctx.auth.post<{ runId: string }>('/v1/admin/ldap/sync', { body, token: ctx.token });
        if (args.flag('no-wait')) {
          ctx.out.result({ runId }, `Started run ${runId}.`);
          return;
        }
        ctx.out.note(`Run ${runId} started; waiting for its report…`);
        const run = await waitForRun(ctx, runId, 10 * 60_000);
        ctx.out.result(run, () =>
          [describeRun(run), run.actions?.length ? '' : undefined, run.actions?.length ? formatActions(run) : undefined]
            .filter((line) => line !== undefined)
            .join('\n'),
        );
        if (run.status === 'aborted' || run.status === 'refused')
          throw new CliError(`The run was ${run.status}: ${run.abortReason ?? ''}`, ExitCode.api, `run_${run.status}`);
      },
    },
    {
      name: 'runs',
      summary: 'List the latest sync runs, or show one with every account action',
      positionals: [{ name: 'run-id', description: 'show this run with its actions' }],
      examples: ['keyhaven-ops ldap runs', 'keyhaven-ops ldap runs 3f0c…'],
      async run(args, ctx) {
        const id = args.positional(0);
        if (id) {
          const run = await ctx.auth.get<SyncRun>(`/v1/admin/ldap/runs/${encodeURIComponent(id)}`, { token: ctx.token });
          ctx.out.result(run, () => [describeRun(run), '', run.actions?.length ? formatActions(run) : 'No account actions.'].join('\n'));
          return;
        }
        const answer = await ctx.auth.get<{ runs: SyncRun[] }>('/v1/admin/ldap/runs', { token: ctx.token });
        ctx.out.table(answer, RUN_COLUMNS, answer.runs, 'No sync runs yet.');
      },
    },
    {
      name: 'status',
      summary: 'Test the connection to the directory; show the last successful and the next run',
      async run(_args, ctx) {
        const status = await ctx.auth.get<DirectoryStatus>('/v1/admin/ldap/status', { token: ctx.token });
        ctx.out.result(status, () =>
          [
            `Directory: ${status.url} (${status.flavor})`,
            `Connection: ${status.connection.ok ? `ok (${status.connection.latencyMs ?? '?'} ms)` : `FAILED: ${status.connection.reason ?? 'unknown'}`}`,
            `Last successful run: ${status.lastSuccessfulRun ? `${status.lastSuccessfulRun.finishedAt ?? status.lastSuccessfulRun.startedAt} (${status.lastSuccessfulRun.id})` : 'none'}`,
            ...(status.runningRun ? [`Running now: ${status.runningRun.id} since ${status.runningRun.startedAt}`] : []),
            `Next scheduled run: ${status.nextRunAt ?? 'none (LDAP_SYNC_INTERVAL=0: on demand only)'}`,
          ].join('\n'),
        );
        if (!status.connection.ok)
          throw new CliError(`The directory cannot be reached: ${status.connection.reason ?? ''}`, ExitCode.network, 'directory_unavailable');
      },
    },
  ],
};

function formatActions(run: SyncRun): string {
  return formatTable(ACTION_COLUMNS, run.actions ?? []).trimEnd();
}
