import { createInterface } from 'node:readline';
import { CliError } from './cli-error';
import { ExitCode } from './exit-codes';
import { CliInput, WritableText } from './io';

/**
 * Asks for values on a terminal, or reads them line by line from a pipe for scripts
 * (`printf '%s\n' "$PASSWORD" "$CODE" | keyhaven-ops login --email …`).
 */
export class Prompter {
  private lines?: AsyncIterator<string>;

  constructor(
    private readonly stdin: CliInput,
    private readonly stderr: WritableText,
  ) {}

  get interactive(): boolean {
    return this.stdin.isTTY === true && typeof this.stdin.setRawMode === 'function';
  }

  /** A visible answer (an e-mail address, a TOTP code). */
  async ask(question: string, what: string): Promise<string> {
    return this.interactive ? this.readTerminal(question, false) : this.nextLine(what);
  }

  /** A secret: on a terminal, read in raw mode so nothing is echoed; from a pipe, one line. */
  async askHidden(question: string, what: string): Promise<string> {
    return this.interactive ? this.readTerminal(question, true) : this.nextLine(what);
  }

  close(): void {
    void this.lines?.return?.();
  }

  /**
   * One answer from the terminal. Raw mode (hidden) turns the terminal's echo off, so every
   * key arrives here: Enter ends, Backspace deletes, Ctrl-C aborts (the terminal no longer
   * turns it into SIGINT). Cooked mode (visible) gets the line as the terminal edited it.
   */
  private readTerminal(question: string, hidden: boolean): Promise<string> {
    const stdin = this.stdin;
    this.stderr.write(question);
    return new Promise<string>((resolve, reject) => {
      let value = '';
      const finish = (error?: CliError) => {
        stdin.removeListener('data', onData);
        if (hidden) {
          stdin.setRawMode?.(false);
          this.stderr.write('\n');
        }
        stdin.pause();
        if (error) reject(error);
        else resolve(value);
      };
      const onData = (chunk: Buffer | string) => {
        for (const char of chunk.toString()) {
          if (char === '\r' || char === '\n' || char === '\u0004') return finish();
          if (char === '\u0003') return finish(new CliError('Interrupted', ExitCode.interrupted, 'interrupted'));
          if (char === '\u007f' || char === '\b') value = value.slice(0, -1);
          else value += char;
        }
      };
      if (hidden) stdin.setRawMode?.(true);
      stdin.on('data', onData);
      stdin.resume();
    });
  }

  private async nextLine(what: string): Promise<string> {
    this.lines ??= createInterface({ input: this.stdin, terminal: false, crlfDelay: Infinity })[Symbol.asyncIterator]();
    const next = await this.lines.next();
    if (next.done) throw new CliError(`No ${what} given (stdin ended)`, ExitCode.usage, 'usage');
    return next.value;
  }
}
