import type { AdvisoryView, AffectedRange, CheckQuery, ReleaseView } from './catalog-types';
import { CatalogSnapshot, sortReleasesNewestFirst } from './catalog-snapshot';

const NOW = new Date('2026-11-27T12:00:00Z');

function release(version: string, extra: Partial<ReleaseView> = {}): ReleaseView {
  return {
    version,
    channel: 'stable',
    editions: [],
    releasedAt: '2026-01-01T00:00:00.000Z',
    notesUrl: null,
    supportedUntil: null,
    security: false,
    yanked: false,
    upgradeFrom: null,
    ...extra,
  };
}

function advisory(id: string, affected: AffectedRange[], extra: Partial<AdvisoryView> = {}): AdvisoryView {
  return {
    id,
    aliases: [],
    title: id,
    summary: '',
    severity: { type: 'CVSS_V3', vector: 'CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:L/I:L/A:N', score: 5.4, level: 'medium' },
    knownExploited: false,
    affected,
    fixedIn: [],
    url: null,
    publishedAt: NOW.toISOString(),
    modifiedAt: NOW.toISOString(),
    withdrawnAt: null,
    ...extra,
  };
}

function setup(releases: ReleaseView[], advisories: AdvisoryView[] = []) {
  const sut = new CatalogSnapshot(7, sortReleasesNewestFirst(releases), advisories, ['lts', 'stable', 'beta']);
  const check = (version: string, query: Partial<CheckQuery> = {}) =>
    sut.check({ version, channel: 'stable', edition: 'community', environment: 'production', ...query }, NOW, 7 * 86_400_000);
  return { sut, check };
}

describe(CatalogSnapshot.name, () => {
  describe('advisoriesAffecting', () => {
    const { sut } = setup(
      [release('1.0.0')],
      [
        advisory('FIXED-BRANCHES', [
          { introduced: '1.0.0', fixed: '1.4.2' },
          { introduced: '2.0.0', fixed: '2.1.1' },
          { introduced: '3.0.0-rc.1', fixed: '3.0.1' },
        ]),
        advisory('LAST-AFFECTED', [{ introduced: '0', lastAffected: '1.2.0' }]),
        advisory('OPEN', [{ introduced: '2.5.0' }]),
        advisory('WITHDRAWN', [{ introduced: '0' }], { withdrawnAt: NOW.toISOString() }),
      ],
    );
    const ids = (version: string) => sut.advisoriesAffecting(version).map((a) => a.id);

    it.each([
      ['0.1.0', ['LAST-AFFECTED']],
      ['1.0.0', ['FIXED-BRANCHES', 'LAST-AFFECTED']],
      ['1.2.0', ['FIXED-BRANCHES', 'LAST-AFFECTED']],
      ['1.2.1', ['FIXED-BRANCHES']],
      ['1.4.2', []],
      ['1.9.0', []],
      ['2.0.0', ['FIXED-BRANCHES']],
      ['2.1.1', []],
      ['2.5.0', ['OPEN']],
      ['3.0.0-beta.1', ['OPEN']],
      ['3.0.0-rc.2', ['FIXED-BRANCHES', 'OPEN']],
      ['3.0.1', ['OPEN']],
    ])('%s is affected by %j (withdrawn never)', (version, expected) => {
      expect(ids(version)).toEqual(expected);
    });
  });

  describe('check', () => {
    it('marks critical for a critical or known-exploited advisory, separately from the status', () => {
      const { check } = setup(
        [release('1.0.0', { supportedUntil: '2026-01-01T00:00:00.000Z' }), release('2.0.0')],
        [advisory('KEV', [{ introduced: '1.0.0', fixed: '2.0.0' }], { knownExploited: true })],
      );
      expect(check('1.0.0')).toMatchObject({ status: 'unsupported', critical: true });
    });

    it('calls a newer security release of the same major a security update', () => {
      const { check } = setup([release('1.0.0'), release('1.0.1', { security: true }), release('2.0.0')]);
      expect(check('1.0.0').status).toBe('security_update');
      expect(check('1.0.1').status).toBe('update_available');
    });

    it('treats a major the catalog never shipped between known ones as unsupported', () => {
      const { check } = setup([release('1.0.0'), release('3.0.0')]);
      expect(check('2.1.0').current).toEqual({ version: '2.1.0', known: false, yanked: false, supported: false, supportedUntil: null });
    });

    it('answers an empty catalog with up_to_date', () => {
      expect(setup([]).check('1.2.3')).toMatchObject({ status: 'up_to_date', target: null, upgradePath: [], latest: {}, sequence: 7 });
    });

    it('lets a release without upgradeFrom take any older version', () => {
      const { check } = setup([release('1.0.0'), release('5.0.0')]);
      expect(check('1.0.0').upgradePath).toEqual(['5.0.0']);
    });

    it('honours ranges with several branches (||)', () => {
      const { check } = setup([release('1.9.0'), release('2.0.0', { upgradeFrom: '1.9.x || >=1.5.0 <1.6.0' }), release('1.5.3')]);
      expect(check('1.5.2').upgradePath).toEqual(['2.0.0']);
      expect(check('1.7.0').upgradePath).toEqual(['1.9.0', '2.0.0']);
    });

    it('serialises its fields in the contract order', () => {
      expect(Object.keys(setup([release('1.0.0')]).check('1.0.0'))).toEqual([
        'status',
        'critical',
        'current',
        'latest',
        'target',
        'upgradePath',
        'upgradePathComplete',
        'advisories',
        'maintenance',
        'issuedAt',
        'expiresAt',
        'sequence',
      ]);
    });

    it('builds for 10,000 releases and 10,000 advisories and answers from the indexes', () => {
      const releases = Array.from({ length: 10_000 }, (_, i) =>
        release(`${Math.floor(i / 100) + 1}.${i % 100}.0`, { upgradeFrom: `>=${Math.floor(i / 100)}.0.0 <${Math.floor(i / 100) + 1}.${i % 100}.0` }),
      );
      const advisories = Array.from({ length: 10_000 }, (_, i) =>
        advisory(`A-${i}`, [{ introduced: `${Math.floor(i / 100) + 1}.${i % 100}.0`, fixed: `${Math.floor(i / 100) + 1}.${i % 100}.1` }]),
      );
      const { check } = setup(releases, advisories);
      const answer = check('50.7.0');
      expect(answer.advisories.map((a) => a.id)).toEqual(['A-4907']);
      expect(answer.target).toBe('100.99.0');
      expect(answer.upgradePath[0]).toBe('51.99.0');
      expect(answer.upgradePathComplete).toBe(true);
    });
  });

  describe('scheduled releases', () => {
    const LATER = '2026-12-01T09:00:00.000Z';
    const at = (iso: string) => new Date(iso);
    const checkAt = (sut: CatalogSnapshot, version: string, now: Date) =>
      sut.check({ version, channel: 'stable', edition: 'community', environment: 'production' }, now, 7 * 86_400_000);

    it('offers a release only from its releasedAt on, and says when that is', () => {
      const { sut } = setup([release('1.0.0'), release('1.1.0', { releasedAt: LATER, security: true })]);
      expect(checkAt(sut, '1.0.0', NOW)).toMatchObject({ status: 'up_to_date', target: null, latest: { stable: { version: '1.0.0' } } });
      expect(sut.nextRelease(NOW)).toBe(Date.parse(LATER));
      expect(checkAt(sut, '1.0.0', at(LATER))).toMatchObject({ status: 'security_update', target: '1.1.0', upgradePath: ['1.1.0'] });
      expect(sut.nextRelease(at(LATER))).toBe(Number.POSITIVE_INFINITY);
      // The caller already running the scheduled build is told it is a known version.
      expect(checkAt(sut, '1.1.0', NOW).current.known).toBe(true);
    });

    it('keeps the end of life of the released line until a scheduled release of it is out', () => {
      const { sut } = setup([
        release('2.0.0', { supportedUntil: '2026-12-15T00:00:00.000Z' }),
        release('2.1.0', { releasedAt: LATER, supportedUntil: '2027-12-31T00:00:00.000Z' }),
      ]);
      expect(checkAt(sut, '2.0.0', NOW).current.supportedUntil).toBe('2026-12-15T00:00:00.000Z');
      expect(sut.nextSupportChange(NOW)).toBe(Date.parse('2026-12-15T00:00:00.000Z'));
      expect(checkAt(sut, '2.0.0', at(LATER)).current.supportedUntil).toBe('2027-12-31T00:00:00.000Z');
    });
  });
});
