import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { BackupConfig } from './backup-config';
import { deriveKey } from './pass-key';
import { ClusterOwner, pgbackrest, ToolError } from './pgbackrest';

/**
 * The erasure ledger: every GDPR erasure both services recorded (auth-service's account
 * tombstones, release-api's erased subscribers), kept OUTSIDE the database — in the backup
 * repository itself (a folder or the S3 bucket), so that whatever can restore a backup can also
 * read it. After a restore to a moment before an erasure, the restored database has the person
 * back; the ledger erases them again (`backup restore` does it, `backup reapply-erasures` too).
 *
 * It holds ids and times only (the random account/subscription id, when, and for accounts
 * whether the person or an admin asked), never an email. It is sealed with AES-256-GCM under a
 * key derived from BACKUP_CIPHER_PASS: a truncated, altered or foreign file fails whole instead
 * of silently yielding fewer erasures; the entry count is inside the sealed part too.
 */
export interface ErasureEntry {
  kind: 'account' | 'subscription';
  id: string;
  erasedAt: string;
  requestedBy?: 'self' | 'admin';
}

export interface ErasureLedger {
  /** When it was last refreshed from the databases; null for a ledger not written yet. */
  refreshedAt: string | null;
  entries: ErasureEntry[];
}

export const LEDGER_FORMAT = 'keyhaven.erasure-ledger/v1';
const MAGIC = 'KHLEDG01';
const SALT_BYTES = 16;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Where in the repository: one ledger per stanza, beside (not inside) pgBackRest's own folders. */
export function ledgerPath(config: BackupConfig): string {
  return `keyhaven-erasures/${config.stanza}.ledger`;
}

/** One line of text: `KHLEDG01.` + base64(salt ‖ iv ‖ ciphertext ‖ tag). */
export async function sealLedger(ledger: ErasureLedger, pass: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', await deriveKey(pass, salt), iv);
  cipher.setAAD(Buffer.from(MAGIC));
  const body = JSON.stringify({ format: LEDGER_FORMAT, refreshedAt: ledger.refreshedAt, count: ledger.entries.length, entries: ledger.entries });
  const sealed = Buffer.concat([salt, iv, cipher.update(body, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return `${MAGIC}.${sealed.toString('base64')}\n`;
}

export async function openLedger(text: string, pass: string): Promise<ErasureLedger> {
  const [magic, payload, ...rest] = text.trim().split('.');
  if (magic !== MAGIC || payload === undefined || rest.length > 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(payload)) {
    throw new ToolError('the erasure ledger in the repository is not a ledger (damaged or truncated)');
  }
  const bytes = Buffer.from(payload, 'base64');
  if (bytes.length < SALT_BYTES + IV_BYTES + TAG_BYTES) throw new ToolError('the erasure ledger in the repository is truncated');
  const salt = bytes.subarray(0, SALT_BYTES);
  const iv = bytes.subarray(SALT_BYTES, SALT_BYTES + IV_BYTES);
  const tag = bytes.subarray(bytes.length - TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', await deriveKey(pass, salt), iv);
  decipher.setAAD(Buffer.from(MAGIC));
  decipher.setAuthTag(tag);
  let body: { format?: unknown; refreshedAt?: unknown; count?: unknown; entries?: unknown };
  try {
    body = JSON.parse(
      Buffer.concat([decipher.update(bytes.subarray(SALT_BYTES + IV_BYTES, bytes.length - TAG_BYTES)), decipher.final()]).toString('utf8'),
    ) as typeof body;
  } catch {
    throw new ToolError('the erasure ledger does not open: damaged, truncated, or sealed under another BACKUP_CIPHER_PASS');
  }
  if (body.format !== LEDGER_FORMAT || !Array.isArray(body.entries) || body.count !== body.entries.length) {
    throw new ToolError(`the erasure ledger is not in format ${LEDGER_FORMAT} or its entry count does not match`);
  }
  return { refreshedAt: typeof body.refreshedAt === 'string' ? body.refreshedAt : null, entries: body.entries.map(checkEntry) };
}

/** Validates an erasure record, from the ledger or from a service's `main.js erasures`. */
export function checkEntry(raw: unknown): ErasureEntry {
  const entry = (typeof raw === 'object' && raw !== null ? raw : {}) as Partial<ErasureEntry>;
  const { kind, id, erasedAt, requestedBy } = entry;
  if (
    (kind !== 'account' && kind !== 'subscription') ||
    typeof id !== 'string' ||
    !UUID.test(id) ||
    typeof erasedAt !== 'string' ||
    Number.isNaN(Date.parse(erasedAt)) ||
    (requestedBy !== undefined && requestedBy !== 'self' && requestedBy !== 'admin')
  ) {
    throw new ToolError(`not an erasure record: ${JSON.stringify(raw)?.slice(0, 200)}`);
  }
  return { kind, id, erasedAt: new Date(erasedAt).toISOString(), ...(requestedBy ? { requestedBy } : {}) };
}

/**
 * The ledger after a refresh: what it held plus what the databases hold now (an erasure stays in
 * the ledger even when the database's record of it is gone — that is the point), the earliest
 * time when both know one. Entries erased before `keepFrom` (the start of the oldest backup still
 * in the repository) are dropped: every restorable state already contains those erasures.
 */
export function mergeLedger(current: ErasureLedger, fresh: readonly ErasureEntry[], refreshedAt: Date, keepFrom: Date | undefined): ErasureLedger {
  const byKey = new Map<string, ErasureEntry>();
  for (const entry of [...current.entries, ...fresh]) {
    const key = `${entry.kind}:${entry.id}`;
    const known = byKey.get(key);
    if (!known || entry.erasedAt < known.erasedAt)
      byKey.set(key, { ...entry, ...(known?.requestedBy && !entry.requestedBy ? { requestedBy: known.requestedBy } : {}) });
  }
  const entries = [...byKey.values()]
    .filter((entry) => keepFrom === undefined || new Date(entry.erasedAt) >= keepFrom)
    .sort((a, b) => a.erasedAt.localeCompare(b.erasedAt) || a.kind.localeCompare(b.kind) || a.id.localeCompare(b.id));
  return { refreshedAt: refreshedAt.toISOString(), entries };
}

/**
 * Reads the ledger from the repository (through pgBackRest, so a folder and S3 work alike). No
 * ledger yet is an empty one; one that does not open is an error, never silently empty. The file
 * is stored with pgBackRest's own cipher off (`--repo1-cipher-type=none`): pgBackRest only
 * decrypts files it knows, and the ledger is sealed by us instead.
 */
export async function readLedger(config: BackupConfig, owner: ClusterOwner): Promise<ErasureLedger> {
  let text: string;
  try {
    ({ stdout: text } = await pgbackrest(config, owner, 'repo-get', ['--repo1-cipher-type=none', '--ignore-missing'], [ledgerPath(config)]));
  } catch (error) {
    // repo-get --ignore-missing exits 1 without a word when the file is not there.
    if (error instanceof ToolError && /repo-get failed: Command failed/.test(error.message)) return { refreshedAt: null, entries: [] };
    throw error;
  }
  return openLedger(text, config.cipherPass);
}

export async function writeLedger(config: BackupConfig, owner: ClusterOwner, ledger: ErasureLedger): Promise<void> {
  await pgbackrest(config, owner, 'repo-put', ['--repo1-cipher-type=none'], [ledgerPath(config)], '/dev/null', await sealLedger(ledger, config.cipherPass));
}
