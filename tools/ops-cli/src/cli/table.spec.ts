import { day, formatTable } from './table';

describe(formatTable.name, () => {
  const columns = [
    { header: 'Version', value: (row: { v: string; n: number; t: string }) => row.v },
    { header: 'Count', value: (row: { v: string; n: number; t: string }) => String(row.n), align: 'right' as const },
    { header: 'Title', value: (row: { v: string; n: number; t: string }) => row.t, maxWidth: 10 },
  ];

  it('pads columns to the widest cell, right-aligns numbers and trims line ends', () => {
    const text = formatTable(columns, [
      { v: '14.2.1', n: 7, t: 'short' },
      { v: '9.0.0', n: 1234, t: 'x' },
    ]);
    expect(text).toBe(['VERSION  COUNT  TITLE', '14.2.1       7  short', '9.0.0     1234  x', ''].join('\n'));
  });

  it('cuts long cells with an ellipsis and keeps each row on one line', () => {
    const text = formatTable(columns, [{ v: '1.0.0', n: 1, t: 'a very long\ntitle indeed' }]);
    expect(text.split('\n')[1]).toBe('1.0.0        1  a very lo…');
  });

  it('prints only the header for no rows', () => {
    expect(formatTable(columns, [])).toBe('VERSION  COUNT  TITLE\n');
  });
});

describe(day.name, () => {
  it('shortens a midnight UTC timestamp to its date and keeps others', () => {
    expect(day('2026-10-01T00:00:00.000Z')).toBe('2026-10-01');
    expect(day('2026-10-01T09:30:00.000Z')).toBe('2026-10-01T09:30:00.000Z');
    expect(day(null)).toBe('-');
    expect(day(undefined)).toBe('-');
  });
});
