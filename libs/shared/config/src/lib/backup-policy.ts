/**
 * What the records of processing say about backups, from the variables `keyhaven-ops backup`
 * reads (docs/backups.md): where (only the kind of repository — never a path, bucket or
 * credential) and how long. The services read them only for this; the ops CLI owns backups.
 */
export interface BackupPolicy {
  repository: 'folder' | 's3';
  retentionDays: number;
}

/** BACKUP_RETENTION: `30d` (the default), `4w`, or hours that make whole days (`720h`) — pgBackRest keeps time in days. */
export function parseBackupRetention(text: string): { days: number } | { problem: string } {
  const match = /^(\d{1,5})\s*(d|w|h)$/.exec(text);
  if (!match) return { problem: `BACKUP_RETENTION: expected days like 30d (or 4w, 720h), got "${text}"` };
  const amount = Number(match[1]);
  const days = match[2] === 'w' ? amount * 7 : match[2] === 'h' ? amount / 24 : amount;
  if (!Number.isInteger(days) || days < 1 || days > 9999)
    return { problem: `BACKUP_RETENTION: expected a whole number of days between 1 and 9999, got "${text}"` };
  return { days };
}

/** The kind of repository BACKUP_REPO names, or undefined when it is neither an absolute folder nor `s3://…`. */
export function backupRepositoryKind(text: string): BackupPolicy['repository'] | undefined {
  if (text.startsWith('s3://')) return 's3';
  return text.startsWith('/') && !text.includes('\0') ? 'folder' : undefined;
}

/**
 * BACKUP_REPO and BACKUP_RETENTION as a policy (undefined without BACKUP_REPO), or the problems
 * that stop the boot. BACKUP_CIPHER_PASS is deliberately not read: keyhaven-ops refuses to write
 * an unencrypted repository, so a configured repository is an encrypted one, and the services
 * have no business holding the backups' key.
 */
export function parseBackupPolicy(repo: string | undefined, retention: string | undefined): { policy: BackupPolicy | undefined; problems: string[] } {
  const problems: string[] = [];
  const parsed = parseBackupRetention(retention ?? '30d');
  const days = 'days' in parsed ? parsed.days : undefined;
  if ('problem' in parsed) problems.push(parsed.problem);
  if (repo === undefined) return { policy: undefined, problems };
  const kind = backupRepositoryKind(repo);
  if (kind === undefined) problems.push('BACKUP_REPO: expected an absolute folder or s3://bucket/prefix');
  return { policy: kind && days ? { repository: kind, retentionDays: days } : undefined, problems };
}
