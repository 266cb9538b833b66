import { BackupConfigError, loadBackupConfig, parseRetention } from './backup-config';
import { pgbackrestOptions, renderPgbackrestConfig, restorableRange, targetTime } from './pgbackrest';

const PASS = 'Zx8vQ2mT7pL4nR9wK3yB6cH1';

function setup(env: Record<string, string> = {}) {
  const base = { BACKUP_REPO: '/var/backups/keyhaven', BACKUP_CIPHER_PASS: PASS, BACKUP_PG_DATA: '/var/lib/postgresql/15/main' };
  return { sut: () => loadBackupConfig({ ...base, ...env }) };
}

describe(loadBackupConfig.name, () => {
  it('reads a folder repository with the defaults: 30 days, port 5432, stanza keyhaven', () => {
    expect(setup().sut()).toEqual({
      repository: { kind: 'posix', path: '/var/backups/keyhaven' },
      cipherPass: PASS,
      retentionDays: 30,
      pgData: '/var/lib/postgresql/15/main',
      pgPort: 5432,
      pgSocketDir: '/var/run/postgresql',
      configFile: '/etc/pgbackrest/keyhaven.conf',
      stanza: 'keyhaven',
    });
  });

  it('reads an S3 repository with its endpoint, port, region and credentials', () => {
    const { sut } = setup({
      BACKUP_REPO: 's3://kh-backups/prod/db/',
      BACKUP_S3_ENDPOINT: 'https://s3.eu-central-1.example.com:8443',
      BACKUP_S3_REGION: 'eu-central-1',
      BACKUP_S3_KEY: 'AKIA1',
      BACKUP_S3_SECRET: 'secret',
    });
    expect(sut().repository).toEqual({
      kind: 's3',
      bucket: 'kh-backups',
      prefix: '/prod/db',
      endpoint: 's3.eu-central-1.example.com',
      port: 8443,
      region: 'eu-central-1',
      key: 'AKIA1',
      secret: 'secret',
      caFile: undefined,
      uriStyle: 'host',
    });
  });

  it.each([
    [{ BACKUP_CIPHER_PASS: '' }, 'BACKUP_CIPHER_PASS is not set: backups are always encrypted'],
    [{ BACKUP_CIPHER_PASS: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' }, 'BACKUP_CIPHER_PASS is too weak'],
    [{ BACKUP_CIPHER_PASS: 'short1A!' }, 'BACKUP_CIPHER_PASS is too weak'],
    [{ BACKUP_CIPHER_PASS: ` ${PASS}` }, 'without NUL characters or spaces around it'],
    [{ BACKUP_CIPHER_PASS: `${PASS}\nrepo1-type=s3` }, 'must be one line'],
    [{ BACKUP_REPO: 'relative/dir' }, 'BACKUP_REPO: expected an absolute folder or s3://bucket/prefix'],
    [{ BACKUP_REPO: 's3://Bad_Bucket/x' }, 'BACKUP_REPO: expected s3://bucket/prefix'],
    [{ BACKUP_REPO: 's3://bucket/x' }, 'BACKUP_S3_ENDPOINT is not set'],
    [{ BACKUP_REPO: 's3://bucket/x', BACKUP_S3_ENDPOINT: 'http://minio:9000' }, 'BACKUP_S3_ENDPOINT: must be https://'],
    [{ BACKUP_RETENTION: '36h' }, 'BACKUP_RETENTION: expected a whole number of days'],
    [{ BACKUP_RETENTION: 'forever' }, 'BACKUP_RETENTION: expected days like 30d'],
    [{ BACKUP_PG_DATA: '' }, 'BACKUP_PG_DATA is not set'],
    [{ BACKUP_PG_PORT: '70000' }, 'BACKUP_PG_PORT: expected a port'],
    [{ BACKUP_STANZA: 'Prod DB' }, 'BACKUP_STANZA: expected lower-case letters'],
  ])('refuses %j with a message naming the variable', (env, message) => {
    const { sut } = setup(env);
    expect(sut).toThrow(BackupConfigError);
    expect(sut).toThrow(message);
  });
});

describe(parseRetention.name, () => {
  it('takes days, weeks and whole days of hours', () => {
    expect([parseRetention('30d'), parseRetention('4w'), parseRetention('720h')]).toEqual([30, 28, 30]);
  });
});

describe(renderPgbackrestConfig.name, () => {
  it('always encrypts, keeps full backups by time, and puts pg1-* under the stanza', () => {
    const config = setup({ BACKUP_RETENTION: '45d', BACKUP_STANZA: 'prod' }).sut();
    const text = renderPgbackrestConfig(config);
    expect(text).toContain('[global]\nrepo1-path=/var/backups/keyhaven\nrepo1-cipher-type=aes-256-cbc\n');
    expect(text).toContain('repo1-retention-full-type=time\nrepo1-retention-full=45\n');
    expect(text).toContain('\n[prod]\npg1-path=/var/lib/postgresql/15/main\npg1-port=5432\n');
    expect(pgbackrestOptions(config)).toContainEqual(['repo1-cipher-pass', PASS]);
  });
});

describe(restorableRange.name, () => {
  const backup = (finishedAt: string) => ({
    label: 'x',
    type: 'full' as const,
    startedAt: new Date(finishedAt),
    finishedAt: new Date(finishedAt),
    size: 1,
    repositorySize: 1,
  });

  it('runs from the end of the oldest backup to the newest archived WAL', () => {
    const info = {
      cipher: 'aes-256-cbc',
      archive: { id: '15-1', max: '000000010000000000000009' },
      backups: [backup('2026-11-01T00:00:00Z'), backup('2026-11-20T00:00:00Z')],
    };
    expect(restorableRange(info, new Date('2026-11-30T10:00:00Z'))).toEqual({ from: new Date('2026-11-01T00:00:00Z'), to: new Date('2026-11-30T10:00:00Z') });
    expect(restorableRange(info, undefined)).toEqual({ from: new Date('2026-11-01T00:00:00Z'), to: new Date('2026-11-20T00:00:00Z') });
    expect(restorableRange({ ...info, backups: [] }, undefined)).toBeUndefined();
  });

  it("formats a target as pgBackRest's UTC timestamp", () => {
    expect(targetTime(new Date('2026-12-01T10:15:00.250Z'))).toBe('2026-12-01 10:15:00.250+00');
  });
});
