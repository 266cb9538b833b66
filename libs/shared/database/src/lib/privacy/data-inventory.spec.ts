import { backupRecord, buildRecords, DataInventory, formatPeriod, inventoryProblems } from './data-inventory';

describe(formatPeriod.name, () => {
  it.each([
    [365 * 86_400_000, '365d'],
    [3 * 365 * 86_400_000, '3y'],
    [90 * 86_400_000, '90d'],
    [5 * 60_000, '5m'],
    [3_600_000, '1h'],
  ])('writes %d ms as %s', (ms, text) => {
    expect(formatPeriod(ms)).toBe(text);
  });
});

const inventory = (tables: DataInventory['tables']): DataInventory => ({
  service: 'svc',
  url: 'http://svc/v1/privacy/records',
  activities: [{ id: 'a', name: 'A', purpose: 'p', legalBasis: [{ article: 'Art. 6(1)(b)', why: 'w' }], dataSubjects: ['users'], recipients: [] }],
  tables,
  recipients: [],
  transfers: [],
  backups: backupRecord(undefined, 'n'),
});

describe(inventoryProblems.name, () => {
  it('refuses personal data without a category or a retention period, unknown activities and duplicates', () => {
    const problems = inventoryProblems(
      inventory([
        { table: 's.one', activity: 'a', personalData: true, holds: [], retention: { kind: 'with-parent', parent: 's.x', rule: 'r' } },
        { table: 's.two', activity: 'a', personalData: true, holds: [{ category: 'c', fields: ['f'] }], retention: { kind: 'while-in-use', rule: 'r' } },
        { table: 's.two', activity: 'b', personalData: false, holds: [], retention: { kind: 'while-in-use', rule: 'r' } },
      ]),
    );
    expect(problems).toEqual([
      's.one: personal data, but no category named',
      's.two: personal data needs a retention period',
      's.two: listed twice',
      's.two: unknown activity b',
    ]);
  });
});

describe(buildRecords.name, () => {
  it('groups categories per activity with their tables and shows each period with its setting', () => {
    const records = buildRecords(
      inventory([
        {
          table: 's.events',
          activity: 'a',
          personalData: true,
          holds: [{ category: 'events', fields: ['type'] }],
          retention: {
            kind: 'period',
            rule: 'r',
            setting: 'EVENTS_RETENTION',
            ms: 30 * 86_400_000,
            prune: { key: 'id', where: 'at < ?', params: (now) => [now] },
          },
        },
      ]),
      new Date('2026-01-01T00:00:00Z'),
    );
    expect(records.activities[0]).toMatchObject({
      dataCategories: [{ category: 'events', storage: [{ table: 's.events', fields: ['type'] }] }],
      retention: [{ table: 's.events', kind: 'period', setting: 'EVENTS_RETENTION', value: '30d' }],
    });
    expect(JSON.stringify(records)).not.toContain('prune');
  });
});

describe(backupRecord.name, () => {
  it('describes the window, the kind of repository and the encryption of configured backups', () => {
    expect(backupRecord({ repository: 's3', retentionDays: 45 }, 'Restores re-apply erasures.')).toEqual({
      configured: true,
      window: '45d',
      setting: 'BACKUP_RETENTION',
      repository: 's3',
      encryption: 'aes-256-cbc',
      description: expect.stringMatching(
        /^Encrypted database backups \(pgBackRest, AES-256-CBC, an S3-compatible bucket\) with point-in-time restore, kept 45d \(BACKUP_RETENTION\).* Restores re-apply erasures\.$/,
      ),
    });
  });

  it('says so when no backups are declared to the service', () => {
    expect(backupRecord(undefined, 'n')).toMatchObject({
      configured: false,
      window: null,
      repository: null,
      encryption: null,
      description: expect.stringContaining('BACKUP_REPO is not set'),
    });
  });
});
