import { parseArgs } from 'node:util';
import { UsageError } from './cli-error';
import { Args, CliModule, Command, isGroup, OptionSpec } from './command';

export const PROGRAM = 'keyhaven-ops';

/** Options every command accepts, before or after the command name. */
export const GLOBAL_OPTIONS = {
  'auth-url': { type: 'string', valueName: 'url', description: 'auth-service base URL (env KEYHAVEN_AUTH_URL; default http://localhost:3000)' },
  'release-url': { type: 'string', valueName: 'url', description: 'release-api base URL (env KEYHAVEN_RELEASE_URL; default http://localhost:3001)' },
  json: { type: 'boolean', description: 'print results as JSON (for scripts); errors go to stderr as JSON too' },
  help: { type: 'boolean', short: 'h', description: 'show help for the command' },
} as const satisfies Record<string, OptionSpec>;

export type Invocation =
  | { kind: 'help'; module?: CliModule; command?: Command; exitCode: 0 | 2 }
  | { kind: 'version' }
  | { kind: 'run'; command: Command; path: string; args: Args; globals: Args };

/**
 * Finds the command in argv (global options may come before or after it), then parses the
 * rest strictly with util.parseArgs against the global and the command's own options, so a
 * typo in an option is an error instead of being ignored.
 */
export function parseInvocation(argv: readonly string[], modules: readonly CliModule[]): Invocation {
  const tokens = [...argv];
  const end = tokens.indexOf('--') < 0 ? tokens.length : tokens.indexOf('--');
  const wantsHelp = tokens.slice(0, end).some((token) => token === '--help' || token === '-h');
  const first = takeCommandName(tokens);
  if (first === undefined) {
    if (tokens.includes('--version')) return { kind: 'version' };
    return { kind: 'help', exitCode: wantsHelp ? 0 : 2 };
  }
  const module = modules.find((candidate) => candidate.name === first);
  if (!module) throw new UsageError(`Unknown command "${first}"`);
  let command: Command;
  let path: string;
  if (isGroup(module)) {
    const name = takeCommandName(tokens);
    if (name === undefined) return { kind: 'help', module, exitCode: wantsHelp ? 0 : 2 };
    const found = module.commands.find((candidate) => candidate.name === name);
    if (!found) throw new UsageError(`Unknown command "${module.name} ${name}"`, module.name);
    command = found;
    path = `${module.name} ${found.name}`;
  } else {
    command = module;
    path = module.name;
  }
  if (wantsHelp) return { kind: 'help', module, command, exitCode: 0 };
  const { values, positionals } = parseStrict(tokens, { ...GLOBAL_OPTIONS, ...(command.options ?? {}) }, path);
  const specs = command.positionals ?? [];
  const required = specs.filter((spec) => spec.required).length;
  if (positionals.length < required) {
    throw new UsageError(
      `Missing ${specs
        .slice(positionals.length, required)
        .map((spec) => `<${spec.name}>`)
        .join(' ')}`,
      path,
    );
  }
  if (positionals.length > specs.length) {
    throw new UsageError(`Unexpected argument "${positionals[specs.length]}"`, path);
  }
  const args = new Args(values, positionals, path);
  return { kind: 'run', command, path, args, globals: args };
}

/**
 * Removes and returns the first command-name word of argv. Only global options may stand
 * before a command name, and of those only `--auth-url`/`--release-url` take a separate value.
 */
function takeCommandName(tokens: string[]): string | undefined {
  for (let index = 0; index < tokens.length; index++) {
    const token = tokens[index];
    if (token === '--') return undefined;
    if (token.startsWith('-')) {
      if (token === '--auth-url' || token === '--release-url') index++;
      continue;
    }
    tokens.splice(index, 1);
    return token;
  }
  return undefined;
}

function parseStrict(tokens: string[], options: Record<string, OptionSpec>, path: string) {
  const config = Object.fromEntries(
    Object.entries(options).map(([name, spec]) => [
      name,
      // util.parseArgs rejects keys that are present but undefined.
      { type: spec.type, ...(spec.short ? { short: spec.short } : {}), ...(spec.multiple ? { multiple: true } : {}) },
    ]),
  );
  try {
    const parsed = parseArgs({ args: tokens, options: config, allowPositionals: true, strict: true });
    return { values: parsed.values as Record<string, string | boolean | (string | boolean)[] | undefined>, positionals: parsed.positionals };
  } catch (error) {
    // util.parseArgs explains the problem well; keep its words, drop its "To specify a positional…" advice.
    // (Read `message` structurally: under jest node's own errors come from another realm.)
    const raw = typeof (error as { message?: unknown })?.message === 'string' ? (error as { message: string }).message : String(error);
    const message = raw.split('. To specify')[0];
    throw new UsageError(message, path);
  }
}
