import { CliIo } from './io';
import { Column, formatTable } from './table';

/** Writes results as tables and sentences for people, or as JSON with `--json` for scripts. */
export class Output {
  constructor(
    private readonly io: CliIo,
    readonly json: boolean,
  ) {}

  /** The result of a command: `json` is printed with --json, `text` otherwise. */
  result(json: unknown, text: string | (() => string)): void {
    if (this.json) this.io.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
    else this.io.stdout.write(ensureNewline(typeof text === 'function' ? text() : text));
  }

  table<Row>(json: unknown, columns: readonly Column<Row>[], rows: readonly Row[], empty: string): void {
    this.result(json, () => (rows.length === 0 ? empty : formatTable(columns, rows)));
  }

  /** Progress and hints for people: stderr, so stdout stays clean for pipes; silent with --json. */
  note(text: string): void {
    if (!this.json) this.io.stderr.write(ensureNewline(text));
  }

  warn(text: string): void {
    this.io.stderr.write(ensureNewline(`warning: ${text}`));
  }
}

function ensureNewline(text: string): string {
  return text.endsWith('\n') ? text : `${text}\n`;
}
