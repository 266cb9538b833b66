import { ApiClient } from './api-client';
import { CliError, UsageError } from './cli-error';
import { Args, CliModule, CommandContext, GlobalOptions } from './command';
import { CredentialStore } from './credentials';
import { ExitCode } from './exit-codes';
import { renderHelp } from './help';
import { CliIo } from './io';
import { Output } from './output';
import { parseInvocation, PROGRAM } from './parse';
import { Prompter } from './prompt';

export const CLI_VERSION = '0.1.0';

/** Runs one command line and resolves with the exit code; never throws. */
export async function runCli(argv: readonly string[], io: CliIo, modules: readonly CliModule[]): Promise<number> {
  const json = argv.includes('--json');
  const prompt = new Prompter(io.stdin, io.stderr);
  try {
    const invocation = parseInvocation(argv, modules);
    if (invocation.kind === 'version') {
      io.stdout.write(`${PROGRAM} ${CLI_VERSION}\n`);
      return ExitCode.ok;
    }
    if (invocation.kind === 'help') {
      const text = renderHelp(modules, invocation.module, invocation.command);
      (invocation.exitCode === 0 ? io.stdout : io.stderr).write(text);
      return invocation.exitCode;
    }
    const globals = globalOptions(invocation.globals, io);
    const credentials = new CredentialStore(io);
    const ctx: CommandContext = {
      io,
      globals,
      out: new Output(io, globals.json),
      credentials,
      prompt,
      auth: new ApiClient('auth-service', globals.authUrl, io.fetch),
      release: new ApiClient('release-api', globals.releaseUrl, io.fetch),
      token: async () => (await credentials.token()).token,
    };
    await invocation.command.run(invocation.args, ctx);
    return ExitCode.ok;
  } catch (error) {
    return report(error, io, json);
  } finally {
    prompt.close();
  }
}

function globalOptions(args: Args, io: CliIo): GlobalOptions {
  return {
    authUrl: serviceUrl('auth-url', args.string('auth-url') ?? io.env['KEYHAVEN_AUTH_URL'] ?? 'http://localhost:3000'),
    releaseUrl: serviceUrl('release-url', args.string('release-url') ?? io.env['KEYHAVEN_RELEASE_URL'] ?? 'http://localhost:3001'),
    json: args.flag('json'),
  };
}

function serviceUrl(option: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`--${option}: not a URL: ${value}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--${option}: must be http:// or https://`);
  return value.replace(/\/+$/, '');
}

function report(error: unknown, io: CliIo, json: boolean): number {
  const failure =
    error instanceof CliError ? error : new CliError(`Unexpected failure: ${error instanceof Error ? error.message : String(error)}`, ExitCode.api, 'internal');
  if (json) {
    const body = { error: { code: failure.code, message: failure.message, status: failure.status, details: failure.details } };
    io.stderr.write(`${JSON.stringify(body)}\n`);
    return failure.exitCode;
  }
  const lines = [`${PROGRAM}: ${failure.message}`];
  if (failure.details !== undefined) lines.push(...describeDetails(failure.details));
  if (failure instanceof UsageError) lines.push(`Run "${[PROGRAM, failure.helpCommand, '--help'].filter(Boolean).join(' ')}" for usage.`);
  io.stderr.write(`${lines.join('\n')}\n`);
  return failure.exitCode;
}

/** The API's `details` (e.g. which fields failed validation), one line each where possible. */
export function describeDetails(details: unknown): string[] {
  if (typeof details !== 'object' || details === null) return [`  ${String(details)}`];
  // validation_failed lists its fields in the message already (`The request is not valid: a: …; b: …`).
  if ('fields' in details) return [];
  return Object.entries(details).map(([name, value]) => `  ${name}: ${typeof value === 'string' ? value : JSON.stringify(value)}`);
}
