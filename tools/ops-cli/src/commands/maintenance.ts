import { CliError, UsageError } from '../cli/cli-error';
import { Args, CommandContext, CommandGroup } from '../cli/command';
import { Column, yesNo } from '../cli/table';
import { readTextInput } from './advisories';
import { formatEnvironments, formatUtc, instantOption, parseEnvironments } from './maintenance-input';

/** A maintenance window as release-api returns it (docs/maintenance.md). */
export interface MaintenanceWindow {
  id: string;
  title: string;
  description: string;
  startsAt: string;
  endsAt: string;
  /** Empty: every environment. */
  environments: string[];
  status: 'scheduled' | 'in_progress' | 'completed' | 'cancelled' | string;
  sequence: number;
  shortNotice: boolean;
  emergencyReason: string | null;
  announcedAt?: string | null;
  cancelledAt?: string | null;
  cancelReason?: string | null;
}

/** One notice to one subscriber; its id is the `Keyhaven-Delivery` header, stable across retries and replays. */
export interface NoticeDelivery {
  id: string;
  noticeId?: string;
  windowId: string;
  /** The notice type, e.g. `maintenance.announced`. */
  type: string;
  subscriptionId: string;
  kind?: 'webhook' | 'email' | string;
  /** Where it goes: the webhook URL or the e-mail address. */
  target?: string | null;
  state: 'pending' | 'delivered' | 'dead' | string;
  attempts: number;
  lastError?: string | null;
  lastAttemptAt?: string | null;
  deliveredAt?: string | null;
  createdAt?: string;
}

export const WINDOW_COLUMNS: readonly Column<MaintenanceWindow>[] = [
  { header: 'Id', value: (window) => window.id },
  { header: 'Status', value: (window) => window.status },
  { header: 'Starts (UTC)', value: (window) => formatUtc(window.startsAt).replace(/ UTC$/, '') },
  { header: 'Ends (UTC)', value: (window) => formatUtc(window.endsAt).replace(/ UTC$/, '') },
  { header: 'Environments', value: (window) => formatEnvironments(window.environments), maxWidth: 32 },
  { header: 'Short notice', value: (window) => yesNo(window.shortNotice) },
  { header: 'Seq', value: (window) => String(window.sequence), align: 'right' },
  { header: 'Title', value: (window) => window.title, maxWidth: 48 },
];

export const DELIVERY_COLUMNS: readonly Column<NoticeDelivery>[] = [
  { header: 'Id', value: (delivery) => delivery.id },
  { header: 'State', value: (delivery) => delivery.state },
  { header: 'Notice', value: (delivery) => delivery.type.replace(/^maintenance\./, '') },
  { header: 'Window', value: (delivery) => delivery.windowId },
  { header: 'To', value: (delivery) => delivery.target ?? delivery.subscriptionId, maxWidth: 48 },
  { header: 'Attempts', value: (delivery) => String(delivery.attempts), align: 'right' },
  { header: 'Last attempt (UTC)', value: (delivery) => formatUtc(delivery.lastAttemptAt).replace(/ UTC$/, '') },
  { header: 'Last error', value: (delivery) => delivery.lastError ?? '-', maxWidth: 40 },
];

const DELIVERY_STATES = ['dead', 'pending', 'delivered'] as const;

const windowPath = (id: string) => `/v1/maintenance-windows/${encodeURIComponent(id)}`;

const TIME_HELP = [
  'Times are ISO 8601 with Z or an offset (2026-12-01T09:00:00Z, 2026-12-01T10:00+01:00); a time',
  'without an offset is refused rather than guessed. Everything is printed in UTC.',
].join('\n');

export const maintenanceCommands: CommandGroup = {
  name: 'maintenance',
  summary: 'Maintenance windows: announce, reschedule, cancel; notice deliveries and replays',
  commands: [
    {
      name: 'announce',
      summary: 'Schedule a maintenance window (ops); subscribers get notices from the notice lead (72 h) on',
      description: [
        TIME_HELP,
        'The window must start at least the notice lead (72 h by default) from now; the service refuses',
        'an earlier start (notice_too_short) and names the earliest allowed one. --emergency-reason',
        'overrides that: the window is marked short-notice and announced at once.',
      ].join('\n'),
      options: {
        title: { type: 'string', valueName: 'text', description: 'one line (required)' },
        description: { type: 'string', valueName: 'text', description: 'what happens and what users notice (or --description-file)' },
        'description-file': { type: 'string', valueName: 'path', description: 'read the description from a file; - reads stdin' },
        'starts-at': { type: 'string', valueName: 'time', description: 'start, ISO 8601 with Z or an offset (required)' },
        'ends-at': { type: 'string', valueName: 'time', description: 'end, ISO 8601 with Z or an offset (required)' },
        environments: { type: 'string', valueName: 'a,b', description: 'affected environments, comma-separated (default: all)' },
        'emergency-reason': { type: 'string', valueName: 'text', description: 'announce at once although the start is inside the notice lead' },
      },
      examples: [
        'keyhaven-ops maintenance announce --title "Database upgrade" --description "Sign-in unavailable for up to 30 min." \\\n' +
          '    --starts-at 2026-12-05T02:00:00Z --ends-at 2026-12-05T04:00:00Z --environments production',
        'keyhaven-ops maintenance announce --title "Certificate renewal" --description-file notice.md --starts-at 2026-11-28T22:00+01:00 \\\n' +
          '    --ends-at 2026-11-28T22:30+01:00 --emergency-reason "The CA revoked the current certificate"',
      ],
      async run(args, ctx) {
        const command = 'maintenance announce';
        const title = args.requireString('title');
        const description = await descriptionOption(args, ctx, command);
        const startsAt = instantOption(args, 'starts-at', command) ?? missing('starts-at', command);
        const endsAt = instantOption(args, 'ends-at', command) ?? missing('ends-at', command);
        requireOrder(startsAt, endsAt, command);
        const body = {
          title,
          description,
          startsAt,
          endsAt,
          environments: environmentsOption(args, command),
          emergencyReason: args.string('emergency-reason'),
        };
        const window = await explainNoticeRule(ctx.release.post<MaintenanceWindow>('/v1/maintenance-windows', { body, token: ctx.token }), ctx);
        ctx.out.result(window, () => [`Scheduled maintenance window ${window.id}.`, describeWindow(window)].join('\n'));
        if (window.shortNotice) ctx.out.note('Short notice: subscribers are notified at once.');
      },
    },
    {
      name: 'list',
      summary: 'List upcoming and running maintenance windows (soonest first)',
      options: {
        environment: { type: 'string', valueName: 'name', description: 'only windows affecting this environment' },
        'include-past': { type: 'boolean', description: 'also completed and cancelled windows (newest first after the open ones)' },
      },
      examples: ['keyhaven-ops maintenance list --environment production', 'keyhaven-ops maintenance list --json | jq -r ".windows[].id"'],
      async run(args, ctx) {
        const environment = args.string('environment');
        if (environment !== undefined) parseEnvironments(environment, 'maintenance list');
        const answer = await ctx.release.get<{ windows: MaintenanceWindow[] }>('/v1/maintenance-windows', {
          query: { environment, includePast: args.flag('include-past') || undefined },
        });
        ctx.out.table(
          answer,
          WINDOW_COLUMNS,
          answer.windows,
          args.flag('include-past') ? 'No maintenance windows.' : 'No upcoming or running maintenance windows.',
        );
      },
    },
    {
      name: 'show',
      summary: 'Show one maintenance window',
      positionals: [{ name: 'id', description: 'the window id', required: true }],
      async run(args, ctx) {
        const window = await ctx.release.get<MaintenanceWindow>(windowPath(args.positionals[0]));
        ctx.out.result(window, () => describeWindow(window));
      },
    },
    {
      name: 'reschedule',
      summary: 'Move or edit a window (ops); announced windows send a "rescheduled" notice and reminders are re-armed',
      description: [
        TIME_HELP,
        'Give only what changes. A new start inside the notice lead needs --emergency-reason.',
        'Cancelled and completed windows cannot be changed.',
      ].join('\n'),
      positionals: [{ name: 'id', description: 'the window id', required: true }],
      options: {
        'starts-at': { type: 'string', valueName: 'time', description: 'new start, ISO 8601 with Z or an offset' },
        'ends-at': { type: 'string', valueName: 'time', description: 'new end, ISO 8601 with Z or an offset' },
        title: { type: 'string', valueName: 'text', description: 'new title' },
        description: { type: 'string', valueName: 'text', description: 'new description' },
        'description-file': { type: 'string', valueName: 'path', description: 'read the new description from a file; - reads stdin' },
        environments: { type: 'string', valueName: 'a,b', description: 'new affected environments, comma-separated' },
        'all-environments': { type: 'boolean', description: 'the window affects every environment again' },
        'emergency-reason': { type: 'string', valueName: 'text', description: 'needed when the new start is inside the notice lead' },
      },
      examples: ['keyhaven-ops maintenance reschedule 6f1c… --starts-at 2026-12-06T02:00:00Z --ends-at 2026-12-06T04:00:00Z'],
      async run(args, ctx) {
        const command = 'maintenance reschedule';
        if (args.has('environments') && args.flag('all-environments')) {
          throw new UsageError('--environments and --all-environments exclude each other', command);
        }
        const startsAt = instantOption(args, 'starts-at', command);
        const endsAt = instantOption(args, 'ends-at', command);
        if (startsAt !== undefined && endsAt !== undefined) requireOrder(startsAt, endsAt, command);
        const changes = {
          startsAt,
          endsAt,
          title: args.string('title'),
          description: await descriptionOption(args, ctx, command),
          environments: args.flag('all-environments') ? [] : environmentsOption(args, command),
        };
        if (Object.values(changes).every((value) => value === undefined)) {
          throw new UsageError('Nothing to change: give --starts-at, --ends-at, --title, --description(-file) or --environments', command);
        }
        const body = { ...changes, emergencyReason: args.string('emergency-reason') };
        const window = await explainNoticeRule(ctx.release.patch<MaintenanceWindow>(windowPath(args.positionals[0]), { body, token: ctx.token }), ctx);
        ctx.out.result(window, () => [`Updated maintenance window ${window.id} (revision ${window.sequence}).`, describeWindow(window)].join('\n'));
      },
    },
    {
      name: 'cancel',
      summary: 'Cancel a window (ops); subscribers that got the announcement get a "cancelled" notice',
      positionals: [{ name: 'id', description: 'the window id', required: true }],
      options: { reason: { type: 'string', valueName: 'text', description: 'why (shown in the notice)' } },
      async run(args, ctx) {
        const body = { reason: args.string('reason') };
        const window = await ctx.release.post<MaintenanceWindow>(`${windowPath(args.positionals[0])}/cancel`, { body, token: ctx.token });
        ctx.out.result(window, `Cancelled maintenance window ${window.id}: ${window.title}.`);
      },
    },
    {
      name: 'deliveries',
      summary: 'List notice deliveries (ops): dead letters to replay, pending retries, delivered ones',
      options: {
        state: { type: 'string', valueName: DELIVERY_STATES.join('|'), description: 'only deliveries in this state' },
        window: { type: 'string', valueName: 'id', description: 'only deliveries of this window' },
        limit: { type: 'string', valueName: 'n', description: 'at most this many, newest first (1–500; the service defaults to 100)' },
      },
      examples: ['keyhaven-ops maintenance deliveries --state dead', 'keyhaven-ops maintenance deliveries --state dead --json | jq -r ".deliveries[].id"'],
      async run(args, ctx) {
        const state = args.string('state');
        if (state !== undefined && !(DELIVERY_STATES as readonly string[]).includes(state)) {
          throw new UsageError(`--state: expected one of ${DELIVERY_STATES.join(', ')}, got "${state}"`, 'maintenance deliveries');
        }
        const limit = args.string('limit');
        if (limit !== undefined && !(/^\d+$/.test(limit) && Number(limit) >= 1 && Number(limit) <= 500)) {
          throw new UsageError(`--limit: expected a whole number from 1 to 500, got "${limit}"`, 'maintenance deliveries');
        }
        const answer = await ctx.release.get<{ deliveries: NoticeDelivery[] }>('/v1/deliveries', {
          query: { state, windowId: args.string('window'), limit },
          token: ctx.token,
        });
        ctx.out.table(answer, DELIVERY_COLUMNS, answer.deliveries, state ? `No ${state} deliveries.` : 'No deliveries.');
      },
    },
    {
      name: 'replay',
      summary: 'Send a dead (or delivered) delivery again with fresh retries (ops); same delivery id',
      positionals: [{ name: 'deliveryId', description: 'the delivery id (Keyhaven-Delivery)', required: true }],
      async run(args, ctx) {
        const delivery = await ctx.release.post<NoticeDelivery>(`/v1/deliveries/${encodeURIComponent(args.positionals[0])}/replay`, { token: ctx.token });
        ctx.out.result(
          delivery,
          `Queued delivery ${delivery.id} again (state ${delivery.state}, ${delivery.attempts} attempt${delivery.attempts === 1 ? '' : 's'} so far).`,
        );
      },
    },
  ],
};

function missing(option: string, command: string): never {
  throw new UsageError(`Missing --${option}`, command);
}

function requireOrder(startsAt: string, endsAt: string, command: string): void {
  if (Date.parse(endsAt) <= Date.parse(startsAt)) {
    throw new UsageError(`--ends-at (${formatUtc(endsAt)}) must be after --starts-at (${formatUtc(startsAt)})`, command);
  }
}

function environmentsOption(args: Args, command: string): string[] | undefined {
  const value = args.string('environments');
  return value === undefined ? undefined : parseEnvironments(value, command);
}

async function descriptionOption(args: Args, ctx: CommandContext, command: string): Promise<string | undefined> {
  const file = args.string('description-file');
  if (file === undefined) return args.string('description');
  if (args.has('description')) throw new UsageError('--description and --description-file exclude each other', command);
  return (await readTextInput(file, ctx)).trimEnd();
}

/**
 * A 422 notice_too_short says how early the window may start at the soonest; put that
 * moment and the two ways forward in front of the operator (the JSON error stays the API's).
 */
async function explainNoticeRule<T>(call: Promise<T>, ctx: CommandContext): Promise<T> {
  try {
    return await call;
  } catch (error) {
    if (!(error instanceof CliError) || error.code !== 'notice_too_short' || ctx.out.json) throw error;
    const details = (error.details ?? {}) as { earliestStart?: unknown; leadMs?: unknown; lead?: unknown };
    const lines = [error.message];
    if (typeof details.earliestStart === 'string') {
      // `lead` is the lead as the service's operator configured it; older services send only ms.
      const said = typeof details.lead === 'string' ? details.lead : typeof details.leadMs === 'number' ? formatLead(details.leadMs) : undefined;
      const lead = said ? ` (notice lead ${said})` : '';
      lines.push(`  Earliest allowed start: ${formatUtc(details.earliestStart)}${lead}`);
    }
    lines.push('  Start then or later, or give --emergency-reason "<why>" to announce at once as short notice.');
    throw new CliError(lines.join('\n'), error.exitCode, error.code, undefined, error.status);
  }
}

/** The lead as MAINTENANCE_NOTICE_LEAD writes it (`72h`, `90m`, `20s`), as the service's message does. */
function formatLead(ms: number): string {
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

export function describeWindow(window: MaintenanceWindow): string {
  const lines = [
    `${window.id}: ${window.title}`,
    `  status:        ${window.status} (revision ${window.sequence})`,
    `  starts:        ${formatUtc(window.startsAt)}`,
    `  ends:          ${formatUtc(window.endsAt)}`,
    `  environments:  ${formatEnvironments(window.environments)}`,
    `  short notice:  ${window.shortNotice ? `yes — ${window.emergencyReason ?? 'no reason given'}` : 'no'}`,
  ];
  if (window.announcedAt !== undefined) lines.push(`  announced:     ${window.announcedAt ? formatUtc(window.announcedAt) : 'not yet'}`);
  if (window.cancelledAt) lines.push(`  cancelled:     ${formatUtc(window.cancelledAt)}${window.cancelReason ? ` — ${window.cancelReason}` : ''}`);
  if (window.description) lines.push('', window.description);
  return lines.join('\n');
}
