import { BestCoverIndex, IntervalIndex, normalizeVersion, rangeToIntervals, VersionInterval } from './semver-intervals';

const closedOpen = (low: string, high: string): VersionInterval => ({ low: { version: low, inclusive: true }, high: { version: high, inclusive: false } });

describe('semver intervals', () => {
  describe(normalizeVersion.name, () => {
    it('accepts semver with an optional leading v and refuses the rest', () => {
      expect(normalizeVersion('v14.2.1')).toBe('14.2.1');
      expect(normalizeVersion('15.0.0-beta.1+build.7')).toBe('15.0.0-beta.1'); // build metadata has no precedence (semver §10)
      expect(normalizeVersion('14.2')).toBeUndefined();
      expect(normalizeVersion('latest')).toBeUndefined();
      expect(normalizeVersion('1'.repeat(300))).toBeUndefined();
    });
  });

  describe(rangeToIntervals.name, () => {
    it('turns comparator sets into intervals, one per || branch', () => {
      expect(rangeToIntervals('>=13.4.0 <14.0.0 || 12.9.x')).toEqual([
        closedOpen('13.4.0', '14.0.0'),
        { low: { version: '12.9.0-0', inclusive: true }, high: { version: '12.10.0-0', inclusive: false } },
      ]);
      expect(rangeToIntervals('*')).toEqual([{}]);
      expect(rangeToIntervals('>=2.0.0 <1.0.0')).toEqual([]);
      expect(rangeToIntervals('>=banana')).toBeUndefined();
    });
  });

  describe(IntervalIndex.name, () => {
    const setup = () =>
      new IntervalIndex<string>([
        { interval: closedOpen('1.0.0', '1.4.0'), item: 'A' },
        { interval: { low: { version: '1.2.0', inclusive: true }, high: { version: '2.0.0', inclusive: true } }, item: 'B' },
        { interval: { low: { version: '3.0.0', inclusive: true } }, item: 'C' },
        { interval: { high: { version: '0.5.0', inclusive: false } }, item: 'D' },
      ]);

    it.each([
      ['0.1.0', ['D']],
      ['0.5.0', []],
      ['1.0.0', ['A']],
      ['1.2.0', ['A', 'B']],
      ['1.4.0', ['B']],
      ['2.0.0', ['B']],
      ['2.0.1', []],
      ['3.0.0-rc.1', []],
      ['3.0.0', ['C']],
      ['99.0.0', ['C']],
    ])('finds the intervals containing %s', (version, expected) => {
      expect([...setup().query(version)].sort()).toEqual(expected);
    });

    it('counts an item once even if two of its intervals touch', () => {
      const sut = new IntervalIndex<string>([
        { interval: closedOpen('1.0.0', '2.0.0'), item: 'A' },
        { interval: closedOpen('2.0.0', '3.0.0'), item: 'A' },
      ]);
      expect(sut.query('2.0.0')).toEqual(['A']);
      expect(sut.query('1.5.0')).toEqual(['A']);
    });
  });

  describe(BestCoverIndex.name, () => {
    it('answers the best (first listed) item covering a version', () => {
      const sut = new BestCoverIndex<string>([
        { interval: closedOpen('13.4.0', '14.2.1'), item: '14.2.1' },
        { interval: closedOpen('12.4.0', '13.4.2'), item: '13.4.2' },
        { interval: closedOpen('11.2.0', '12.4.3'), item: '12.4.3' },
      ]);
      expect(sut.query('13.4.0')).toBe('14.2.1');
      expect(sut.query('13.1.0')).toBe('13.4.2');
      expect(sut.query('12.4.1')).toBe('13.4.2');
      expect(sut.query('12.3.0')).toBe('12.4.3');
      expect(sut.query('11.0.0')).toBeUndefined();
      expect(sut.query('14.2.1')).toBeUndefined();
    });

    it('scales to a large catalog without per-class lists', () => {
      const entries = Array.from({ length: 10_000 }, (_, i) => ({ interval: closedOpen('0.0.0', `1.${10_000 - i}.0`), item: 10_000 - i }));
      const sut = new BestCoverIndex(entries);
      expect(sut.query('1.5000.5')).toBe(10_000);
      expect(sut.query('1.9999.5')).toBe(10_000);
      expect(sut.query('1.10000.0')).toBeUndefined();
    });
  });
});
