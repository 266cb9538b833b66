import { ApiClient } from './api-client';
import { UsageError } from './cli-error';
import { CredentialStore } from './credentials';
import { CliIo } from './io';
import { Output } from './output';
import { Prompter } from './prompt';

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** The option may be repeated (`--edition a --edition b`). */
  multiple?: boolean;
  description: string;
  /** Shown in help as `--channel <name>`. */
  valueName?: string;
}

export interface PositionalSpec {
  name: string;
  description: string;
  required?: boolean;
}

/** A runnable command: `login`, or `releases add`. */
export interface Command {
  name: string;
  summary: string;
  /** A paragraph for `--help` below the usage line. */
  description?: string;
  positionals?: readonly PositionalSpec[];
  options?: Readonly<Record<string, OptionSpec>>;
  examples?: readonly string[];
  run(args: Args, ctx: CommandContext): Promise<void>;
}

/** A noun with subcommands: `releases add|list|yank`. A new area of the CLI is one more group. */
export interface CommandGroup {
  name: string;
  summary: string;
  commands: readonly Command[];
}

export type CliModule = Command | CommandGroup;

export function isGroup(module: CliModule): module is CommandGroup {
  return 'commands' in module;
}

export interface GlobalOptions {
  authUrl: string;
  releaseUrl: string;
  json: boolean;
}

export interface CommandContext {
  io: CliIo;
  globals: GlobalOptions;
  out: Output;
  credentials: CredentialStore;
  prompt: Prompter;
  /** auth-service (sign-in). */
  auth: ApiClient;
  /** release-api (catalog, advisories). */
  release: ApiClient;
  /** The bearer token for ops calls: KEYHAVEN_TOKEN or the stored session (exit 3 when missing/expired). */
  token(): Promise<string>;
}

type Value = string | boolean | (string | boolean)[] | undefined;

/** The parsed command line of one command, with typed getters. */
export class Args {
  constructor(
    private readonly values: Record<string, Value>,
    readonly positionals: readonly string[],
    private readonly commandPath: string,
  ) {}

  string(name: string): string | undefined {
    const value = this.values[name];
    return typeof value === 'string' ? value : undefined;
  }

  requireString(name: string): string {
    const value = this.string(name);
    if (value === undefined || value === '') throw new UsageError(`Missing --${name}`, this.commandPath);
    return value;
  }

  strings(name: string): string[] {
    const value = this.values[name];
    if (Array.isArray(value)) return value.filter((item): item is string => typeof item === 'string');
    return typeof value === 'string' ? [value] : [];
  }

  flag(name: string): boolean {
    return this.values[name] === true;
  }

  has(name: string): boolean {
    return this.values[name] !== undefined;
  }

  positional(index: number): string | undefined {
    return this.positionals[index];
  }
}
