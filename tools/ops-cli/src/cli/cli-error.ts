import { ExitCode } from './exit-codes';

/** A failure the CLI reports in one line (plus details) and turns into an exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    readonly code = 'cli_error',
    readonly details?: unknown,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** A wrong command line; the message is followed by a pointer to `--help`. */
export class UsageError extends CliError {
  constructor(
    message: string,
    readonly helpCommand = '',
  ) {
    super(message, ExitCode.usage, 'usage');
    this.name = 'UsageError';
  }
}
