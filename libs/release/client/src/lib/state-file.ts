import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, basename } from 'node:path';
import { ReleaseClientError } from './errors';

/** What survives a restart: the rollback floor and the last good answer (re-verified on load). */
export interface ReleaseClientState {
  /** The highest catalog `sequence` ever accepted; answers below it are rollbacks. */
  highestSequence: number;
  lastGood?: StoredAnswer;
}

export interface StoredAnswer {
  /** The exact signed body bytes, base64 (the signature covers bytes, not parsed JSON). */
  body: string;
  signature: string;
  etag?: string;
  /** The query it answers, so an upgraded installation does not reuse its old version's ETag. */
  query: string;
  receivedAt: string;
}

const EMPTY: ReleaseClientState = { highestSequence: -1 };

/** A small JSON file, replaced atomically (write a sibling, then rename) so a crash never leaves half a file. */
export class StateFile {
  constructor(readonly path: string) {}

  async load(): Promise<ReleaseClientState> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return { ...EMPTY };
      throw new ReleaseClientError('state_unreadable', `Cannot read the release client state file ${this.path}`, { cause });
    }
    // A corrupt file must not silently reset the rollback floor to nothing: refuse instead,
    // and let the operator delete it knowingly.
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (cause) {
      throw new ReleaseClientError('state_unreadable', `The release client state file ${this.path} is not JSON`, { cause });
    }
    if (!isState(parsed)) {
      throw new ReleaseClientError('state_unreadable', `The release client state file ${this.path} does not hold a release client state`);
    }
    return parsed;
  }

  async save(state: ReleaseClientState): Promise<void> {
    const temp = join(dirname(this.path), `.${basename(this.path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
    try {
      await mkdir(dirname(this.path), { recursive: true });
      await writeFile(temp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
      await rename(temp, this.path);
    } catch (cause) {
      await rm(temp, { force: true }).catch(() => undefined);
      throw new ReleaseClientError('state_unwritable', `Cannot write the release client state file ${this.path}`, { cause });
    }
  }
}

function isState(value: unknown): value is ReleaseClientState {
  if (typeof value !== 'object' || value === null) return false;
  const state = value as Record<string, unknown>;
  if (!Number.isSafeInteger(state['highestSequence'])) return false;
  const lastGood = state['lastGood'] as Record<string, unknown> | undefined;
  if (lastGood === undefined) return true;
  return (
    typeof lastGood === 'object' &&
    lastGood !== null &&
    typeof lastGood['body'] === 'string' &&
    typeof lastGood['signature'] === 'string' &&
    typeof lastGood['query'] === 'string' &&
    typeof lastGood['receivedAt'] === 'string' &&
    (lastGood['etag'] === undefined || typeof lastGood['etag'] === 'string')
  );
}
