import { CliError, UsageError } from '../cli/cli-error';
import { Args, CommandGroup } from '../cli/command';
import { Column, day, yesNo } from '../cli/table';

/** A release as release-api returns it (docs/release-api.md, "The catalog"). */
export interface Release {
  version: string;
  channel: string;
  editions: string[];
  releasedAt: string;
  notesUrl?: string | null;
  supportedUntil?: string | null;
  security: boolean;
  yanked: boolean;
  upgradeFrom?: string | null;
}

export const RELEASE_COLUMNS: readonly Column<Release>[] = [
  { header: 'Version', value: (release) => release.version },
  { header: 'Channel', value: (release) => release.channel },
  { header: 'Editions', value: (release) => (release.editions.length === 0 ? 'all' : release.editions.join(',')) },
  { header: 'Released', value: (release) => day(release.releasedAt) },
  { header: 'Supported until', value: (release) => day(release.supportedUntil) },
  { header: 'Security', value: (release) => yesNo(release.security) },
  { header: 'Yanked', value: (release) => yesNo(release.yanked) },
  { header: 'Upgrade from', value: (release) => release.upgradeFrom ?? 'any' },
];

const path = (version: string) => `/v1/releases/${encodeURIComponent(version)}`;

export const releasesCommands: CommandGroup = {
  name: 'releases',
  summary: 'The release catalog: publish, list, edit and yank releases',
  commands: [
    {
      name: 'list',
      summary: 'List releases, newest first',
      options: {
        channel: { type: 'string', valueName: 'name', description: 'only this channel (lts, stable, beta, …)' },
        edition: { type: 'string', valueName: 'name', description: 'only releases for this edition' },
        'hide-yanked': { type: 'boolean', description: 'leave out yanked releases' },
      },
      examples: ['keyhaven-ops releases list --channel lts', 'keyhaven-ops releases list --json | jq -r ".releases[].version"'],
      async run(args, ctx) {
        const answer = await ctx.release.get<{ releases: Release[]; sequence?: number }>('/v1/releases', {
          query: { channel: args.string('channel'), edition: args.string('edition'), includeYanked: args.flag('hide-yanked') ? false : undefined },
        });
        ctx.out.table(answer, RELEASE_COLUMNS, answer.releases, 'No releases.');
      },
    },
    {
      name: 'show',
      summary: 'Show one release',
      positionals: [{ name: 'version', description: 'the release version', required: true }],
      async run(args, ctx) {
        const release = await ctx.release.get<Release>(path(args.positionals[0]));
        ctx.out.table(release, RELEASE_COLUMNS, [release], '');
      },
    },
    {
      name: 'add',
      summary: 'Publish a release (ops)',
      positionals: [{ name: 'version', description: 'the semver version, e.g. 14.3.0', required: true }],
      options: {
        channel: { type: 'string', valueName: 'name', description: 'lts, stable, beta, … (required)' },
        edition: { type: 'string', multiple: true, valueName: 'name', description: 'an edition it applies to (default: every edition)' },
        'released-at': { type: 'string', valueName: 'date', description: 'ISO 8601 release date (default: now)' },
        'notes-url': { type: 'string', valueName: 'url', description: 'the release notes' },
        'supported-until': { type: 'string', valueName: 'date', description: 'ISO 8601 end of support (EOL) of this release' },
        security: { type: 'boolean', description: 'a security release' },
        'upgrade-from': { type: 'string', valueName: 'range', description: 'semver range of versions that may upgrade straight to it, e.g. ">=13.4.0"' },
      },
      examples: ['keyhaven-ops releases add 14.3.0 --channel stable --notes-url https://keyhaven.example/releases/14.3.0 --upgrade-from ">=13.4.0"'],
      async run(args, ctx) {
        const body = {
          version: args.positionals[0],
          channel: args.requireString('channel'),
          editions: args.has('edition') ? args.strings('edition') : undefined,
          releasedAt: isoDate(args, 'released-at') ?? ctx.io.now().toISOString(),
          notesUrl: args.string('notes-url'),
          supportedUntil: isoDate(args, 'supported-until'),
          security: args.flag('security') || undefined,
          upgradeFrom: args.string('upgrade-from'),
        };
        const release = await ctx.release.post<Release>('/v1/releases', { body, token: ctx.token }).catch((error: unknown) => {
          // The API's message names its HTTP route; here the way to change a release is a command.
          if (error instanceof CliError && error.code === 'release_exists') {
            const version = args.positionals[0];
            throw new CliError(
              `Release ${version} is already in the catalog (release_exists). Change it with: keyhaven-ops releases edit ${version} [--released-at …] [--supported-until …] [--notes-url …]; or yank it: keyhaven-ops releases yank ${version}`,
              error.exitCode,
              error.code,
              error.details,
              error.status,
            );
          }
          throw error;
        });
        ctx.out.result(release, `Published ${release.version} (${release.channel}).`);
      },
    },
    {
      name: 'edit',
      summary: 'Change a published release: dates, notes, channel, editions, upgrade range (ops)',
      positionals: [{ name: 'version', description: 'the release version', required: true }],
      options: {
        channel: { type: 'string', valueName: 'name', description: 'move it to another channel' },
        edition: { type: 'string', multiple: true, valueName: 'name', description: 'the editions it applies to (replaces the list)' },
        'all-editions': { type: 'boolean', description: 'it applies to every edition' },
        'released-at': { type: 'string', valueName: 'date', description: 'ISO 8601 release date; a future one holds the release back until then' },
        'notes-url': { type: 'string', valueName: 'url', description: 'the release notes' },
        'supported-until': { type: 'string', valueName: 'date', description: 'ISO 8601 end of support (EOL)' },
        security: { type: 'boolean', description: 'mark it a security release' },
        'not-security': { type: 'boolean', description: 'mark it an ordinary release' },
        'upgrade-from': { type: 'string', valueName: 'range', description: 'semver range of versions that may upgrade straight to it' },
      },
      examples: ['keyhaven-ops releases edit 14.3.0 --supported-until 2027-11-20', 'keyhaven-ops releases edit 14.3.0 --released-at 2026-12-15T09:00:00Z'],
      async run(args, ctx) {
        if (args.flag('security') && args.flag('not-security')) throw new UsageError('Give --security or --not-security, not both', 'releases edit');
        if (args.has('edition') && args.flag('all-editions')) throw new UsageError('Give --edition or --all-editions, not both', 'releases edit');
        const body = {
          channel: args.string('channel'),
          editions: args.flag('all-editions') ? [] : args.has('edition') ? args.strings('edition') : undefined,
          releasedAt: isoDate(args, 'released-at'),
          notesUrl: args.string('notes-url'),
          supportedUntil: isoDate(args, 'supported-until'),
          security: args.flag('security') ? true : args.flag('not-security') ? false : undefined,
          upgradeFrom: args.string('upgrade-from'),
        };
        if (Object.values(body).every((value) => value === undefined)) throw new UsageError('Nothing to change: give at least one option', 'releases edit');
        const release = await ctx.release.patch<Release>(path(args.positionals[0]), { body, token: ctx.token });
        ctx.out.result(release, `Changed ${release.version}.`);
      },
    },
    {
      name: 'yank',
      summary: 'Yank a release (installations on it are told to update), or undo that (ops)',
      positionals: [{ name: 'version', description: 'the release version', required: true }],
      options: { undo: { type: 'boolean', description: 'un-yank the release' } },
      async run(args, ctx) {
        const yanked = !args.flag('undo');
        const release = await ctx.release.patch<Release>(path(args.positionals[0]), { body: { yanked }, token: ctx.token });
        ctx.out.result(release, `${yanked ? 'Yanked' : 'Restored'} ${release.version}.`);
      },
    },
  ],
};

/** An ISO 8601 date or date-time from an option; a plain date means midnight UTC. */
export function isoDate(args: Args, option: string): string | undefined {
  const value = args.string(option);
  if (value === undefined) return undefined;
  const text = /^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value;
  // No offset → refuse rather than guess the operator's time zone.
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i.test(text) || Number.isNaN(Date.parse(text))) {
    throw new UsageError(`--${option}: expected an ISO 8601 date (2026-11-20) or date-time with an offset (2026-11-20T09:00:00Z), got "${value}"`);
  }
  return new Date(text).toISOString();
}
