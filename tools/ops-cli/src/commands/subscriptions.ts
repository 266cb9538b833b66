import { UsageError } from '../cli/cli-error';
import { Args, CommandContext, CommandGroup } from '../cli/command';
import { Column } from '../cli/table';
import { formatEnvironments, formatUtc, parseEnvironments, parseTimeZone } from './maintenance-input';

/** A subscriber to maintenance notices as release-api returns it; the webhook secret never comes back. */
export interface Subscription {
  id: string;
  kind: 'webhook' | 'email' | string;
  url?: string | null;
  address?: string | null;
  timeZone?: string | null;
  /** Empty: every environment. */
  environments: string[];
  createdAt?: string;
}

export const SUBSCRIPTION_COLUMNS: readonly Column<Subscription>[] = [
  { header: 'Id', value: (subscription) => subscription.id },
  { header: 'Kind', value: (subscription) => subscription.kind },
  { header: 'To', value: (subscription) => subscription.url ?? subscription.address ?? '-', maxWidth: 56 },
  { header: 'Environments', value: (subscription) => formatEnvironments(subscription.environments), maxWidth: 32 },
  { header: 'Time zone', value: (subscription) => subscription.timeZone ?? (subscription.kind === 'email' ? 'UTC' : '-') },
  { header: 'Created (UTC)', value: (subscription) => formatUtc(subscription.createdAt).replace(/ UTC$/, '') },
];

/** What release-api accepts as a webhook secret (the HMAC-SHA256 key of the signature header). */
export const MIN_SECRET_LENGTH = 16;
export const MAX_SECRET_LENGTH = 256;

const COMMAND = 'subscriptions add';

export const subscriptionsCommands: CommandGroup = {
  name: 'subscriptions',
  summary: 'Who gets maintenance notices: webhooks (signed JSON) and e-mail addresses',
  commands: [
    {
      name: 'add',
      summary: 'Subscribe a webhook or an e-mail address to maintenance notices (ops)',
      description: [
        'A webhook gets each notice as JSON with the headers Keyhaven-Delivery (stable across retries:',
        'drop duplicates by it) and Keyhaven-Webhook-Signature: sha256=<HMAC-SHA256 of the body with the',
        `secret>. The secret (${MIN_SECRET_LENGTH}–${MAX_SECRET_LENGTH} characters) comes from --secret, KEYHAVEN_WEBHOOK_SECRET,`,
        'a prompt that does not echo, or the first line of stdin; it is stored encrypted and never shown again.',
        'An e-mail shows times in UTC and in --time-zone (an IANA name).',
      ].join('\n'),
      options: {
        webhook: { type: 'string', valueName: 'url', description: 'an http(s) URL that receives notices as signed JSON' },
        secret: { type: 'string', valueName: 'secret', description: `the webhook's signing secret (${MIN_SECRET_LENGTH}–${MAX_SECRET_LENGTH} characters)` },
        email: { type: 'string', valueName: 'address', description: 'an e-mail address that receives notices' },
        'time-zone': { type: 'string', valueName: 'zone', description: 'IANA time zone for e-mails, e.g. Europe/Berlin (default: UTC only)' },
        environments: { type: 'string', valueName: 'a,b', description: 'only notices affecting these environments (default: all)' },
      },
      examples: [
        'KEYHAVEN_WEBHOOK_SECRET="$(openssl rand -hex 32)" keyhaven-ops subscriptions add --webhook https://status.example.com/hooks/keyhaven --environments production',
        'keyhaven-ops subscriptions add --email ops-team@example.com --time-zone Europe/Berlin',
      ],
      async run(args, ctx) {
        const body = await subscriptionBody(args, ctx);
        const subscription = await ctx.release.post<Subscription>('/v1/subscriptions', { body, token: ctx.token });
        ctx.out.result(
          subscription,
          `Subscribed ${subscription.kind} ${subscription.url ?? subscription.address ?? ''} (${subscription.id}) to notices for ${environmentsText(subscription.environments)}.`,
        );
      },
    },
    {
      name: 'list',
      summary: 'List the subscriptions (ops)',
      examples: ['keyhaven-ops subscriptions list', 'keyhaven-ops subscriptions list --json | jq -r ".subscriptions[].id"'],
      async run(_args, ctx) {
        const answer = await ctx.release.get<{ subscriptions: Subscription[] }>('/v1/subscriptions', { token: ctx.token });
        ctx.out.table(answer, SUBSCRIPTION_COLUMNS, answer.subscriptions, 'No subscriptions.');
      },
    },
    {
      name: 'remove',
      summary: 'Remove a subscription (ops); its past deliveries stay listed',
      positionals: [{ name: 'id', description: 'the subscription id', required: true }],
      async run(args, ctx) {
        const id = args.positionals[0];
        await ctx.release.delete<undefined>(`/v1/subscriptions/${encodeURIComponent(id)}`, { token: ctx.token });
        ctx.out.result({ id, removed: true }, `Removed subscription ${id}.`);
      },
    },
  ],
};

function environmentsText(environments: readonly string[] | undefined): string {
  return !environments || environments.length === 0 ? 'all environments' : `environments ${environments.join(', ')}`;
}

/** The POST body, checked before any request: exactly one channel, and only options that fit it. */
export async function subscriptionBody(args: Args, ctx: Pick<CommandContext, 'io' | 'prompt'>): Promise<Record<string, unknown>> {
  const webhook = args.string('webhook');
  const email = args.string('email');
  if ((webhook === undefined) === (email === undefined)) throw new UsageError('Give exactly one of --webhook <url> or --email <address>', COMMAND);
  const environments = args.has('environments') ? parseEnvironments(args.string('environments') ?? '', COMMAND) : undefined;
  if (email !== undefined) {
    if (args.has('secret')) throw new UsageError('--secret belongs to --webhook (e-mails are not signed)', COMMAND);
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) throw new UsageError(`--email: not an e-mail address: "${email}"`, COMMAND);
    const timeZone = args.string('time-zone');
    return { kind: 'email', address: email, environments, timeZone: timeZone === undefined ? undefined : parseTimeZone(timeZone, COMMAND) };
  }
  if (args.has('time-zone')) throw new UsageError('--time-zone belongs to --email (webhook bodies carry UTC times)', COMMAND);
  const url = webhookUrl(webhook ?? '');
  // Not only --secret: a secret on the command line lands in the shell history and in `ps`.
  const secret = args.string('secret') ?? ctx.io.env['KEYHAVEN_WEBHOOK_SECRET'] ?? (await ctx.prompt.askHidden('Webhook secret: ', 'webhook secret'));
  if (secret.length < MIN_SECRET_LENGTH || secret.length > MAX_SECRET_LENGTH) {
    throw new UsageError(`The webhook secret must be ${MIN_SECRET_LENGTH} to ${MAX_SECRET_LENGTH} characters long (e.g. openssl rand -hex 32)`, COMMAND);
  }
  return { kind: 'webhook', url, secret, environments };
}

function webhookUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`--webhook: not a URL: "${value}"`, COMMAND);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--webhook: must be http:// or https://, got "${value}"`, COMMAND);
  return value;
}
