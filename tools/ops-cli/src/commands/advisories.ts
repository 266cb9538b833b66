import { readFile } from 'node:fs/promises';
import { UsageError } from '../cli/cli-error';
import { Args, CommandContext, CommandGroup } from '../cli/command';
import { Column, day, yesNo } from '../cli/table';
import { isoDate } from './releases';

/** One affected interval, OSV events as intervals (docs/release-api.md, "An advisory"). */
export interface AffectedRange {
  introduced: string;
  fixed?: string;
  lastAffected?: string;
}

export interface Advisory {
  id: string;
  aliases: string[];
  title: string;
  summary?: string | null;
  severity: { type?: string; vector: string; score?: number; level?: string } | null;
  knownExploited: boolean;
  affected: AffectedRange[];
  fixedIn: string[];
  url?: string | null;
  publishedAt?: string | null;
  modifiedAt?: string | null;
  withdrawnAt?: string | null;
}

/** `13.0.0..13.4.2` (fixed, exclusive), `14.0.0..=14.0.1` (last affected, inclusive), `14.0.0..` (not fixed yet). */
export function parseAffected(text: string): AffectedRange {
  const match = /^([^.\s][^\s]*?)\.\.(=?)([^\s]*)$/.exec(text.trim());
  if (!match) {
    throw new UsageError(`--affected: expected <introduced>..<fixed>, <introduced>..=<last-affected> or <introduced>.., got "${text}"`);
  }
  const [, introduced, inclusive, end] = match;
  if (end === '') {
    if (inclusive) throw new UsageError(`--affected: "..=" needs the last affected version, got "${text}"`);
    return { introduced };
  }
  return inclusive ? { introduced, lastAffected: end } : { introduced, fixed: end };
}

export function formatAffected(ranges: readonly AffectedRange[]): string {
  return ranges.map((range) => `${range.introduced}..${range.fixed ?? (range.lastAffected ? `=${range.lastAffected}` : '')}`).join(', ');
}

export const ADVISORY_COLUMNS: readonly Column<Advisory>[] = [
  { header: 'Id', value: (advisory) => advisory.id },
  { header: 'Severity', value: (advisory) => (advisory.severity ? `${advisory.severity.level ?? '?'} ${advisory.severity.score ?? ''}`.trim() : '-') },
  { header: 'Exploited', value: (advisory) => yesNo(advisory.knownExploited) },
  { header: 'Title', value: (advisory) => advisory.title, maxWidth: 48 },
  { header: 'Aliases', value: (advisory) => advisory.aliases.join(',') || '-', maxWidth: 32 },
  { header: 'Affected', value: (advisory) => formatAffected(advisory.affected), maxWidth: 40 },
  { header: 'Fixed in', value: (advisory) => advisory.fixedIn.join(',') || '-' },
  { header: 'Published', value: (advisory) => day(advisory.publishedAt?.slice(0, 10)) },
  { header: 'Withdrawn', value: (advisory) => day(advisory.withdrawnAt?.slice(0, 10)) },
];

const path = (id: string) => `/v1/advisories/${encodeURIComponent(id)}`;

/** A JSON document from a file, or from stdin for `-`; a problem with it is a usage error (exit 2). */
export async function readJsonInput(file: string, ctx: CommandContext): Promise<unknown> {
  const text = await readTextInput(file, ctx);
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new UsageError(`${file === '-' ? 'stdin' : file} is not JSON: ${(cause as Error).message}`);
  }
}

/** A text file, or stdin for `-`; a problem reading it is a usage error (exit 2). */
export async function readTextInput(file: string, ctx: CommandContext): Promise<string> {
  try {
    return file === '-' ? await readStream(ctx.io.stdin) : await readFile(file, 'utf8');
  } catch (cause) {
    throw new UsageError(`Cannot read ${file}: ${(cause as Error).message}`);
  }
}

async function readStream(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}

function advisoryFromOptions(args: Args): Record<string, unknown> {
  const fields: Record<string, unknown> = {
    id: args.string('id'),
    title: args.string('title'),
    summary: args.string('summary'),
    aliases: args.has('alias') ? args.strings('alias') : undefined,
    severity: args.has('cvss') ? { vector: args.string('cvss') } : undefined,
    knownExploited: args.flag('known-exploited') || undefined,
    affected: args.has('affected') ? args.strings('affected').map(parseAffected) : undefined,
    fixedIn: args.has('fixed-in') ? args.strings('fixed-in') : undefined,
    url: args.string('url'),
    publishedAt: isoDate(args, 'published-at'),
  };
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
}

export const advisoriesCommands: CommandGroup = {
  name: 'advisories',
  summary: 'Security advisories: publish, import OSV, list and withdraw',
  commands: [
    {
      name: 'list',
      summary: 'List advisories, optionally only those affecting one version',
      options: {
        version: { type: 'string', valueName: 'semver', description: 'only advisories affecting this exact version' },
        'include-withdrawn': { type: 'boolean', description: 'also list withdrawn advisories (not with --version)' },
      },
      async run(args, ctx) {
        // release-api never lists withdrawn advisories for a version (they affect nobody).
        if (args.has('version') && args.flag('include-withdrawn')) {
          throw new UsageError('--include-withdrawn cannot be combined with --version: a withdrawn advisory affects no version', 'advisories list');
        }
        const answer = await ctx.release.get<{ advisories: Advisory[] }>('/v1/advisories', {
          query: { version: args.string('version'), includeWithdrawn: args.flag('include-withdrawn') || undefined },
        });
        ctx.out.table(answer, ADVISORY_COLUMNS, answer.advisories, 'No advisories.');
      },
    },
    {
      name: 'show',
      summary: 'Show one advisory (or its OSV document with --osv)',
      positionals: [{ name: 'id', description: 'the advisory id, e.g. KHSA-2026-0003', required: true }],
      options: { osv: { type: 'boolean', description: 'print the OSV 1.6 JSON export' } },
      async run(args, ctx) {
        const id = args.positionals[0];
        if (args.flag('osv')) {
          const osv = await ctx.release.get<unknown>(`${path(id)}.osv.json`);
          ctx.io.stdout.write(`${JSON.stringify(osv, null, 2)}\n`);
          return;
        }
        const advisory = await ctx.release.get<Advisory>(path(id));
        ctx.out.result(advisory, () => describeAdvisory(advisory));
      },
    },
    {
      name: 'add',
      summary: 'Publish an advisory (ops), from options or from a JSON file in the release-api shape',
      description: [
        'Affected intervals (repeat --affected for several branches):',
        '  13.0.0..13.4.2    introduced 13.0.0, fixed in 13.4.2 (exclusive)',
        '  14.0.0..=14.0.1   introduced 14.0.0, last affected 14.0.1 (inclusive)',
        '  14.1.0..          introduced 14.1.0, not fixed yet      (use 0.. for "every version")',
        'With --file, options given as well override the fields of the file.',
      ].join('\n'),
      options: {
        file: { type: 'string', valueName: 'path', description: 'an advisory as JSON (release-api shape); - reads stdin' },
        id: { type: 'string', valueName: 'id', description: 'e.g. KHSA-2026-0010 (default: generated by the service)' },
        title: { type: 'string', valueName: 'text', description: 'one line (required without --file)' },
        summary: { type: 'string', valueName: 'text', description: 'a longer description (markdown)' },
        alias: { type: 'string', multiple: true, valueName: 'id', description: 'a CVE or GHSA id' },
        cvss: { type: 'string', valueName: 'vector', description: 'CVSS v3.1 or v4.0 base vector; score and level are computed' },
        'known-exploited': { type: 'boolean', description: 'exploited in the wild (makes the check critical)' },
        affected: { type: 'string', multiple: true, valueName: 'range', description: 'an affected interval (see above)' },
        'fixed-in': { type: 'string', multiple: true, valueName: 'version', description: 'the fixed version of a branch' },
        url: { type: 'string', valueName: 'url', description: 'the public advisory page' },
        'published-at': { type: 'string', valueName: 'date', description: 'ISO 8601 (default: now)' },
      },
      examples: [
        'keyhaven-ops advisories add --id KHSA-2026-0010 --title "Stored XSS in the audit view" --alias CVE-2026-40001 \\\n' +
          '    --cvss CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:C/C:L/I:L/A:N --affected 13.0.0..13.4.2 --affected 14.0.0..14.2.1 --fixed-in 13.4.2 --fixed-in 14.2.1',
        'keyhaven-ops advisories add --file advisory.json',
      ],
      async run(args, ctx) {
        const file = args.string('file');
        const fromFile = file === undefined ? {} : await readJsonInput(file, ctx);
        if (typeof fromFile !== 'object' || fromFile === null || Array.isArray(fromFile)) {
          throw new UsageError(`${file} must hold one advisory object (use "advisories import" for OSV documents)`, 'advisories add');
        }
        const body = { ...fromFile, ...advisoryFromOptions(args) } as Record<string, unknown>;
        if (body['title'] === undefined) throw new UsageError('Missing --title', 'advisories add');
        if (body['affected'] === undefined) throw new UsageError('Missing --affected (at least one interval)', 'advisories add');
        const advisory = await ctx.release.post<Advisory>('/v1/advisories', { body, token: ctx.token });
        ctx.out.result(advisory, `Published ${advisory.id}${advisory.severity?.level ? ` (${advisory.severity.level})` : ''}: ${advisory.title}`);
      },
    },
    {
      name: 'import',
      summary: 'Import OSV JSON documents (one, or an array) (ops); existing ids are updated',
      positionals: [{ name: 'osv.json', description: 'the OSV file; - reads stdin', required: true }],
      examples: ['keyhaven-ops advisories import KHSA-2026-0003.osv.json', 'curl -s https://…/all.json | keyhaven-ops advisories import -'],
      async run(args, ctx) {
        const documents = await readJsonInput(args.positionals[0], ctx);
        const answer = await ctx.release.post<{ imported: { id: string; created: boolean }[]; sequence?: number }>('/v1/advisories/import', {
          body: documents,
          token: ctx.token,
        });
        const created = answer.imported.filter((entry) => entry.created).length;
        ctx.out.result(answer, () =>
          [
            `Imported ${answer.imported.length} advisor${answer.imported.length === 1 ? 'y' : 'ies'} (${created} new, ${answer.imported.length - created} updated).`,
            ...answer.imported.map((entry) => `  ${entry.id}  ${entry.created ? 'new' : 'updated'}`),
          ].join('\n'),
        );
      },
    },
    {
      name: 'withdraw',
      summary: 'Withdraw an advisory (ops): it stops affecting check answers; --undo restores it',
      positionals: [{ name: 'id', description: 'the advisory id', required: true }],
      options: { undo: { type: 'boolean', description: 'restore a withdrawn advisory' } },
      async run(args, ctx) {
        const withdrawn = !args.flag('undo');
        const advisory = await ctx.release.patch<Advisory>(path(args.positionals[0]), { body: { withdrawn }, token: ctx.token });
        ctx.out.result(advisory, withdrawn ? `Withdrew ${advisory.id} (at ${advisory.withdrawnAt ?? 'now'}).` : `Restored ${advisory.id}.`);
      },
    },
  ],
};

function describeAdvisory(advisory: Advisory): string {
  const severity = advisory.severity ? `${advisory.severity.level ?? '?'} ${advisory.severity.score ?? ''} ${advisory.severity.vector}` : 'not rated';
  return [
    `${advisory.id}: ${advisory.title}`,
    `  aliases:         ${advisory.aliases.join(', ') || '-'}`,
    `  severity:        ${severity}`,
    `  known exploited: ${yesNo(advisory.knownExploited)}`,
    `  affected:        ${formatAffected(advisory.affected)}`,
    `  fixed in:        ${advisory.fixedIn.join(', ') || '-'}`,
    `  url:             ${advisory.url ?? '-'}`,
    `  published:       ${advisory.publishedAt ?? '-'}   modified: ${advisory.modifiedAt ?? '-'}   withdrawn: ${advisory.withdrawnAt ?? '-'}`,
    ...(advisory.summary ? ['', advisory.summary] : []),
  ].join('\n');
}
