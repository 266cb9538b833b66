import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { CliError } from './cli-error';
import { ExitCode } from './exit-codes';
import { CliIo } from './io';

/** What `login` keeps: the access token and enough about it to explain its state. */
export interface StoredSession {
  authUrl: string;
  email: string;
  accessToken: string;
  /** ISO 8601; after this the token is refused, so the CLI says so before calling the API. */
  expiresAt: string;
  aal?: number;
  roles?: string[];
}

export interface ActiveToken {
  token: string;
  source: 'env' | 'file';
  session?: StoredSession;
}

/**
 * `~/.config/keyhaven/credentials.json` (or `$XDG_CONFIG_HOME/keyhaven/…`), mode 0600 in a
 * 0700 folder — the token is as good as the ops password for its lifetime. `KEYHAVEN_TOKEN`
 * wins over the file, for CI jobs that must not write a home folder.
 */
export class CredentialStore {
  readonly path: string;

  constructor(private readonly io: CliIo) {
    const configHome = io.env['XDG_CONFIG_HOME'] || join(io.homeDir, '.config');
    this.path = join(configHome, 'keyhaven', 'credentials.json');
  }

  async read(): Promise<StoredSession | undefined> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new CliError(`Cannot read ${this.path}: ${(cause as Error).message}`, ExitCode.auth, 'credentials_unreadable');
    }
    try {
      const session = JSON.parse(text) as StoredSession;
      if (typeof session.accessToken !== 'string' || typeof session.expiresAt !== 'string') throw new Error('fields missing');
      return session;
    } catch {
      throw new CliError(`${this.path} is damaged; log in again: keyhaven-ops login`, ExitCode.auth, 'credentials_unreadable');
    }
  }

  /** The token to send, or exit 3 with what to do when there is none or it has expired. */
  async token(): Promise<ActiveToken> {
    const fromEnv = this.io.env['KEYHAVEN_TOKEN'];
    if (fromEnv) return { token: fromEnv, source: 'env' };
    const session = await this.read();
    if (!session) {
      throw new CliError('Not logged in. Run: keyhaven-ops login (or set KEYHAVEN_TOKEN)', ExitCode.auth, 'not_logged_in');
    }
    if (Date.parse(session.expiresAt) <= this.io.now().getTime()) {
      throw new CliError(`Your session expired at ${session.expiresAt}. Run: keyhaven-ops login`, ExitCode.auth, 'session_expired');
    }
    return { token: session.accessToken, source: 'file', session };
  }

  async save(session: StoredSession): Promise<void> {
    const dir = dirname(this.path);
    const temp = join(dir, `.credentials.${randomBytes(4).toString('hex')}.tmp`);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    // Created 0600 (not chmod-ed after), so the token is never readable by others, not even briefly.
    await writeFile(temp, `${JSON.stringify(session, null, 2)}\n`, { mode: 0o600 });
    await rename(temp, this.path);
    await chmod(this.path, 0o600);
  }

  async remove(): Promise<boolean> {
    const existed = await stat(this.path).then(
      () => true,
      () => false,
    );
    await rm(this.path, { force: true });
    return existed;
  }
}

/** The claims of a JWT, read without verifying (only to show them; the services verify). */
export function readJwtClaims(token: string): Record<string, unknown> {
  const payload = token.split('.')[1];
  if (!payload) return {};
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as unknown;
    return typeof claims === 'object' && claims !== null ? (claims as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
