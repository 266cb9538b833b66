import { UsageError } from '../cli/cli-error';
import { formatAffected, parseAffected } from './advisories';

describe(parseAffected.name, () => {
  it.each([
    ['13.0.0..13.4.2', { introduced: '13.0.0', fixed: '13.4.2' }],
    ['14.0.0..=14.0.1', { introduced: '14.0.0', lastAffected: '14.0.1' }],
    ['14.1.0..', { introduced: '14.1.0' }],
    ['0..1.0.0', { introduced: '0', fixed: '1.0.0' }],
    ['1.0.0-rc.1..1.0.0', { introduced: '1.0.0-rc.1', fixed: '1.0.0' }],
  ])('reads %s', (text, range) => {
    expect(parseAffected(text)).toEqual(range);
  });

  it.each(['13.0.0', '..1.0.0', '1.0.0..=', '1.0.0 .. 2.0.0', ''])('rejects %p as a usage error', (text) => {
    expect(() => parseAffected(text)).toThrow(UsageError);
  });
});

describe(formatAffected.name, () => {
  it('writes ranges back in the notation parseAffected reads', () => {
    const text = formatAffected([{ introduced: '13.0.0', fixed: '13.4.2' }, { introduced: '14.0.0', lastAffected: '14.0.1' }, { introduced: '15.0.0' }]);
    expect(text).toBe('13.0.0..13.4.2, 14.0.0..=14.0.1, 15.0.0..');
    expect(text.split(', ').map(parseAffected)).toHaveLength(3);
  });
});
