/** The exit codes scripts can rely on (documented in docs/ops-cli.md). */
export const ExitCode = {
  ok: 0,
  /** The API refused the request (4xx/5xx other than 401/403), or the CLI failed otherwise. */
  api: 1,
  /** Wrong command line: unknown command or option, missing argument, unreadable input file. */
  usage: 2,
  /** Not logged in, session expired, 401 or 403. */
  auth: 3,
  /** The service could not be reached. */
  network: 4,
  /** Interrupted at a prompt (Ctrl-C), as shells report SIGINT. */
  interrupted: 130,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
