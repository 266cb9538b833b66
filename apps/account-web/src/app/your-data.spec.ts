import type { PrivacyRecords } from './api';
import { keptRows, periodInWords } from './your-data';

describe(periodInWords.name, () => {
  it.each([
    ['365d', '365 days'],
    ['3y', '3 years'],
    ['1d', '1 day'],
    ['5m', '5 minutes'],
    ['odd', 'odd'],
  ])('says %s as %s', (value, words) => {
    expect(periodInWords(value)).toBe(words);
  });

  it('says nothing for no period', () => {
    expect(periodInWords(null)).toBeNull();
  });
});

describe(keptRows.name, () => {
  it('lists the tables with personal data, with their rule, period and setting', () => {
    const records: PrivacyRecords = {
      url: 'http://localhost:3000/v1/privacy/records',
      storage: [
        {
          table: 'auth.security_event',
          personalData: true,
          holds: [{ category: 'security events', fields: ['type'] }],
          retention: { kind: 'period', rule: '365d after the event', setting: 'AUTH_EVENT_RETENTION', value: '365d' },
        },
        { table: 'auth.signing_key', personalData: false, holds: [], retention: { kind: 'while-in-use', rule: 'keys', setting: null, value: null } },
        {
          table: 'auth.totp_factor',
          personalData: true,
          holds: [
            { category: 'credentials', fields: [] },
            { category: 'factor metadata', fields: [] },
          ],
          retention: { kind: 'with-parent', rule: 'until removed', setting: null, value: null },
        },
      ],
    };
    expect(keptRows(records)).toEqual([
      { what: 'security events', kept: '365d after the event (365 days, AUTH_EVENT_RETENTION)' },
      { what: 'credentials, factor metadata', kept: 'until removed' },
    ]);
  });
});

describe('keptRows without a setting', () => {
  it('gives the period alone when no setting controls it', () => {
    const records: PrivacyRecords = {
      url: 'x',
      storage: [
        {
          table: 'auth_jobs.*',
          personalData: true,
          holds: [{ category: 'erasure record', fields: [] }],
          retention: { kind: 'managed', rule: 'pg-boss deletes', setting: null, value: '7d' },
        },
      ],
    };
    expect(keptRows(records)).toEqual([{ what: 'erasure record', kept: 'pg-boss deletes (7 days)' }]);
  });
});
