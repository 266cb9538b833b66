import { homedir } from 'node:os';

export interface WritableText {
  write(text: string): unknown;
}

/** The readable side the CLI needs: a TTY for hidden prompts, or a pipe for scripts. */
export type CliInput = NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };

/** Everything the CLI touches outside itself, so tests run it in-process with their own streams and env. */
export interface CliIo {
  stdout: WritableText;
  stderr: WritableText;
  stdin: CliInput;
  env: Record<string, string | undefined>;
  homeDir: string;
  now(): Date;
  fetch: typeof fetch;
}

export function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    homeDir: homedir(),
    now: () => new Date(),
    fetch: globalThis.fetch,
  };
}
