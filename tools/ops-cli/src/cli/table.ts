export interface Column<Row> {
  header: string;
  value(row: Row): string;
  align?: 'left' | 'right';
  /** Longer cells are cut with an ellipsis so one long title does not wrap every line. */
  maxWidth?: number;
}

/** A plain-text table: upper-case headers, columns two spaces apart, no trailing spaces. */
export function formatTable<Row>(columns: readonly Column<Row>[], rows: readonly Row[]): string {
  const cells = rows.map((row) => columns.map((column) => fit(clean(column.value(row)), column.maxWidth)));
  const headers = columns.map((column) => column.header.toUpperCase());
  const widths = columns.map((_column, index) => Math.max(headers[index].length, ...cells.map((line) => line[index].length)));
  const render = (line: string[]) =>
    line
      .map((cell, index) => (columns[index].align === 'right' ? cell.padStart(widths[index]) : cell.padEnd(widths[index])))
      .join('  ')
      .trimEnd();
  return [headers, ...cells].map(render).join('\n') + '\n';
}

function clean(text: string): string {
  // A cell is one line: newlines and tabs from a summary would break the columns.
  return text.replace(/\s+/g, ' ').trim();
}

function fit(text: string, maxWidth: number | undefined): string {
  if (maxWidth === undefined || text.length <= maxWidth) return text;
  return `${text.slice(0, Math.max(0, maxWidth - 1))}…`;
}

/** `2026-10-01T00:00:00.000Z` → `2026-10-01`; anything else as it is; null/undefined → `-`. */
export function day(value: string | null | undefined): string {
  if (value === null || value === undefined || value === '') return '-';
  return /^\d{4}-\d{2}-\d{2}T00:00:00(\.000)?Z$/.test(value) ? value.slice(0, 10) : value;
}

export function yesNo(value: boolean | null | undefined): string {
  return value ? 'yes' : 'no';
}
