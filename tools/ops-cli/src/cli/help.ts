import { CliModule, Command, isGroup, OptionSpec, PositionalSpec } from './command';
import { GLOBAL_OPTIONS, PROGRAM } from './parse';

/** `--help` text: for the whole CLI, for a group (`releases`), or for one command. */
export function renderHelp(modules: readonly CliModule[], module?: CliModule, command?: Command): string {
  if (command) return commandHelp(module && isGroup(module) ? `${module.name} ${command.name}` : command.name, command);
  if (module && isGroup(module)) {
    return [
      `Usage: ${PROGRAM} ${module.name} <command> [options]`,
      '',
      module.summary,
      '',
      'Commands:',
      ...rows(module.commands.map((entry) => [entry.name, entry.summary])),
      '',
      `Run "${PROGRAM} ${module.name} <command> --help" for the options of a command.`,
      '',
    ].join('\n');
  }
  return [
    `Usage: ${PROGRAM} <command> [options]`,
    '',
    'Keyhaven operations: sign in, publish releases and security advisories, announce maintenance windows.',
    '',
    'Commands:',
    ...rows(modules.map((entry) => [isGroup(entry) ? `${entry.name} <${entry.commands.map((sub) => sub.name).join('|')}>` : entry.name, entry.summary])),
    '',
    'Global options:',
    ...optionRows(GLOBAL_OPTIONS),
    '  --version                  print the CLI version',
    '',
    'Exit codes: 0 ok, 1 refused by the API, 2 usage, 3 not logged in / 401 / 403, 4 service unreachable.',
    `Run "${PROGRAM} <command> --help" for the options of a command.`,
    '',
  ].join('\n');
}

function commandHelp(path: string, command: Command): string {
  const positionals = command.positionals ?? [];
  const usage = [PROGRAM, path, ...positionals.map(positionalUsage), '[options]'].join(' ');
  const lines = [`Usage: ${usage}`, '', command.summary];
  if (command.description) lines.push('', command.description);
  if (positionals.length > 0) lines.push('', 'Arguments:', ...rows(positionals.map((spec) => [`<${spec.name}>`, spec.description])));
  if (command.options && Object.keys(command.options).length > 0) lines.push('', 'Options:', ...optionRows(command.options));
  lines.push('', 'Global options:', ...optionRows(GLOBAL_OPTIONS));
  if (command.examples?.length) lines.push('', 'Examples:', ...command.examples.map((example) => `  ${example}`));
  lines.push('');
  return lines.join('\n');
}

function positionalUsage(spec: PositionalSpec): string {
  return spec.required ? `<${spec.name}>` : `[${spec.name}]`;
}

function optionRows(options: Readonly<Record<string, OptionSpec>>): string[] {
  return rows(
    Object.entries(options).map(([name, spec]) => {
      const flag = `${spec.short ? `-${spec.short}, ` : ''}--${name}${spec.type === 'string' ? ` <${spec.valueName ?? 'value'}>` : ''}`;
      return [flag, `${spec.description}${spec.multiple ? ' (repeatable)' : ''}`];
    }),
  );
}

/** Widest left column; a longer entry (`maintenance <announce|…|replay>`) gets its text on the next line. */
const MAX_LEFT = 34;

function rows(entries: readonly (readonly [string, string])[]): string[] {
  const width = Math.min(MAX_LEFT, Math.max(24, ...entries.map(([left]) => left.length))) + 2;
  return entries.flatMap(([left, right]) =>
    left.length > width ? [`  ${left}`, `  ${''.padEnd(width)} ${right}`.trimEnd()] : [`  ${left.padEnd(width)} ${right}`.trimEnd()],
  );
}
