import { levelOf, scoreVector } from './cvss';

describe('cvss', () => {
  describe(scoreVector.name, () => {
    it.each([
      ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 'CVSS_V3', 9.8, 'critical'],
      ['CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:C/C:L/I:L/A:N', 'CVSS_V3', 5.4, 'medium'],
      ['CVSS:3.0/AV:L/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N', 'CVSS_V3', 1.8, 'low'],
      ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', 'CVSS_V4', 9.3, 'critical'],
    ])('scores %s', (vector, type, score, level) => {
      expect(scoreVector(vector)).toEqual({ type, vector, score, level });
    });

    it.each(['CVSS:3.1/AV:N', 'nonsense', 'CVSS:2.0/AV:N/AC:L/Au:N/C:P/I:P/A:P', '', 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:Q'])(
      'refuses %p',
      (vector) => {
        expect(scoreVector(vector)).toBeUndefined();
      },
    );
  });

  describe(levelOf.name, () => {
    it('follows the CVSS qualitative bands', () => {
      expect([0, 0.1, 3.9, 4, 6.9, 7, 8.9, 9, 10].map(levelOf)).toEqual(['none', 'low', 'low', 'medium', 'medium', 'high', 'high', 'critical', 'critical']);
    });
  });
});
