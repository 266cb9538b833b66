import { z } from 'zod';
import { parseBackupPolicy, parseBackupRetention } from './backup-policy';
import { commonEnvShape, toCommonConfig } from './common';
import { ConfigError, parseEnv } from './env';

describe(parseBackupRetention.name, () => {
  it.each([
    ['30d', 30],
    ['4w', 28],
    ['720h', 30],
  ])('reads %s as %d days', (text, days) => {
    expect(parseBackupRetention(text)).toEqual({ days });
  });

  it('names the variable for what is not whole days', () => {
    expect(parseBackupRetention('36h')).toEqual({ problem: 'BACKUP_RETENTION: expected a whole number of days between 1 and 9999, got "36h"' });
    expect(parseBackupRetention('forever')).toEqual({ problem: 'BACKUP_RETENTION: expected days like 30d (or 4w, 720h), got "forever"' });
  });
});

describe(parseBackupPolicy.name, () => {
  it('keeps only the kind of repository — never its path, bucket or credentials — and the window (30d by default)', () => {
    expect(parseBackupPolicy('s3://acme-backups/prod', undefined)).toEqual({ policy: { repository: 's3', retentionDays: 30 }, problems: [] });
    expect(parseBackupPolicy('/var/backups/keyhaven', '8w')).toEqual({ policy: { repository: 'folder', retentionDays: 56 }, problems: [] });
    expect(parseBackupPolicy(undefined, undefined)).toEqual({ policy: undefined, problems: [] });
  });

  it('stops the boot on a repository or window keyhaven-ops would refuse', () => {
    const schema = z.object(commonEnvShape(4000));
    const load = (env: Record<string, string>) => toCommonConfig('demo', parseEnv(schema, env));
    expect(load({ BACKUP_REPO: 's3://b/p', BACKUP_RETENTION: '10d' }).backups).toEqual({ repository: 's3', retentionDays: 10 });
    expect(() => load({ BACKUP_REPO: 'relative/folder', BACKUP_RETENTION: '1y' })).toThrow(ConfigError);
    try {
      load({ BACKUP_REPO: 'relative/folder', BACKUP_RETENTION: '1y' });
    } catch (error) {
      expect((error as ConfigError).problems).toEqual([
        'BACKUP_RETENTION: expected days like 30d (or 4w, 720h), got "1y"',
        'BACKUP_REPO: expected an absolute folder or s3://bucket/prefix',
      ]);
    }
  });
});
