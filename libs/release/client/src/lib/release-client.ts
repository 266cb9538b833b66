import { KeyObject } from 'node:crypto';
import { normalizeVersion, parseCheckAnswer, ReleaseCheckAnswer } from './check-answer';
import { ReleaseClientError } from './errors';
import { nextPollDelay } from './poll-schedule';
import { parseRetryAfter } from './retry-after';
import { importPinnedKeys, ReleaseSigningJwk, SIGNATURE_HEADER, verifySignedBody } from './signature';
import { ReleaseClientState, StateFile } from './state-file';

/** The time source; `{ now: () => new Date() }` by default. Any object with `now()` works (e.g. a ManualClock in tests). */
export interface ReleaseClientClock {
  now(): Date;
}

/** Timer functions for the poll loop; the global ones by default. */
export interface ReleaseClientTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface ReleaseClientOptions {
  /** Where release-api is reachable, e.g. `https://releases.keyhaven.example` (a path prefix is kept). */
  baseUrl: string;
  /** The version this installation runs (semver). */
  version: string;
  channel?: string;
  edition?: string;
  environment?: string;
  /** The pinned response-signing public keys (from `GET /v1/keys`, shipped with the installation). */
  publicKeys: readonly ReleaseSigningJwk[];
  /** A JSON file keeping the highest sequence seen and the last good answer across restarts. In memory only if unset. */
  stateFile?: string;
  /** Time between polls; default 6 hours. */
  intervalMs?: number;
  /** Spread of each interval, as a fraction (0.1 = ±10 %); default 0.1. */
  jitter?: number;
  /** Give up on one request after this long; default 15 s. */
  timeoutMs?: number;
  /** The longest `Retry-After` obeyed; default 24 h. */
  maxRetryAfterMs?: number;
  userAgent?: string;
  clock?: ReleaseClientClock;
  fetch?: typeof fetch;
  random?: () => number;
  timers?: ReleaseClientTimers;
  /** Called by the poll loop with every verified answer (also after a 304). */
  onAnswer?: (check: VerifiedCheck) => void;
  /** Called by the poll loop with every failure; the last good answer stays in place. */
  onError?: (error: ReleaseClientError) => void;
}

/** An answer whose signature, freshness and sequence were verified. */
export interface VerifiedCheck {
  answer: ReleaseCheckAnswer;
  /** The exact signed bytes. */
  body: Buffer;
  /** The pinned key that signed it. */
  keyId: string;
  etag?: string;
  /** When the server last sent or confirmed (304) this answer. */
  receivedAt: Date;
  /** True when this call got a 304 and the stored answer was confirmed. */
  notModified: boolean;
}

const HOUR = 3_600_000;
const DEFAULTS = { intervalMs: 6 * HOUR, jitter: 0.1, timeoutMs: 15_000, maxRetryAfterMs: 24 * HOUR };
const PACKAGE_VERSION = '0.1.0';

/**
 * The update check an on-premises installation embeds. It asks release-api whether its version
 * is current, trusts an answer only when an Ed25519 signature by a pinned key covers the exact
 * body bytes, refuses answers that expired or that come from an older catalog than one already
 * seen (replays, rollbacks by a stale mirror), and keeps the last good answer for the host to show.
 */
export class ReleaseClient {
  private readonly keys: Map<string, KeyObject>;
  private readonly checkUrl: URL;
  private readonly query: string;
  private readonly options: Required<Pick<ReleaseClientOptions, 'intervalMs' | 'jitter' | 'timeoutMs' | 'maxRetryAfterMs'>>;
  private readonly clock: ReleaseClientClock;
  private readonly fetchFn: typeof fetch;
  private readonly random: () => number;
  private readonly timers: ReleaseClientTimers;
  private readonly stateFile?: StateFile;

  private state?: ReleaseClientState;
  private loading?: Promise<void>;
  private lastGoodCheck?: VerifiedCheck;
  private backoffUntil?: Date;
  private inFlight?: Promise<VerifiedCheck>;
  private timer?: unknown;
  private running = false;

  constructor(private readonly config: ReleaseClientOptions) {
    this.keys = importPinnedKeys(config.publicKeys);
    if (typeof config.version !== 'string' || normalizeVersion(config.version) === '') {
      throw new ReleaseClientError('invalid_options', 'version: the version this installation runs is required');
    }
    let base: URL;
    try {
      base = new URL(config.baseUrl.endsWith('/') ? config.baseUrl : `${config.baseUrl}/`);
    } catch (cause) {
      throw new ReleaseClientError('invalid_options', `baseUrl: not a URL: ${config.baseUrl}`, { cause });
    }
    if (base.protocol !== 'https:' && base.protocol !== 'http:') {
      throw new ReleaseClientError('invalid_options', 'baseUrl: must be http: or https:');
    }
    this.checkUrl = new URL('v1/check', base);
    const params = { version: config.version, channel: config.channel, edition: config.edition, environment: config.environment };
    for (const [name, value] of Object.entries(params)) if (value !== undefined) this.checkUrl.searchParams.set(name, value);
    this.query = this.checkUrl.search;
    this.options = {
      intervalMs: positive('intervalMs', config.intervalMs ?? DEFAULTS.intervalMs),
      jitter: fraction(config.jitter ?? DEFAULTS.jitter),
      timeoutMs: positive('timeoutMs', config.timeoutMs ?? DEFAULTS.timeoutMs),
      maxRetryAfterMs: positive('maxRetryAfterMs', config.maxRetryAfterMs ?? DEFAULTS.maxRetryAfterMs),
    };
    this.clock = config.clock ?? { now: () => new Date() };
    this.fetchFn = config.fetch ?? fetch;
    this.random = config.random ?? Math.random;
    this.timers = config.timers ?? {
      setTimeout: (callback, ms) => setTimeout(callback, ms).unref(),
      clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
    };
    this.stateFile = config.stateFile === undefined ? undefined : new StateFile(config.stateFile);
  }

  /** The last answer that passed every check (possibly expired since; see `answer.expiresAt`). */
  get lastGood(): VerifiedCheck | undefined {
    return this.lastGoodCheck;
  }

  /** The highest catalog sequence accepted so far (-1 before the first answer). */
  get highestSequence(): number {
    return this.state?.highestSequence ?? -1;
  }

  /** Until when the server asked us to stay away (from `Retry-After`), if that is still ahead. */
  get retryAt(): Date | undefined {
    return this.backoffUntil && this.backoffUntil > this.clock.now() ? this.backoffUntil : undefined;
  }

  get isPolling(): boolean {
    return this.running;
  }

  /** Restores the state file (and re-verifies the stored answer). `check()` does this on its own. */
  async load(): Promise<void> {
    this.loading ??= this.loadState().catch((error: unknown) => {
      this.loading = undefined;
      throw error;
    });
    return this.loading;
  }

  /**
   * One check now. Resolves with a verified answer or rejects with a `ReleaseClientError`;
   * concurrent calls share one request.
   */
  check(): Promise<VerifiedCheck> {
    this.inFlight ??= this.checkOnce().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  /** Polls at once, then every interval (± jitter, never before a `Retry-After`), until `stop()`. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  stop(): void {
    this.running = false;
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(delayMs: number): void {
    this.timer = this.timers.setTimeout(() => void this.pollOnce(), delayMs);
  }

  private async pollOnce(): Promise<void> {
    this.timer = undefined;
    try {
      const check = await this.check();
      this.config.onAnswer?.(check);
    } catch (error) {
      this.config.onError?.(error instanceof ReleaseClientError ? error : new ReleaseClientError('network', 'The update check failed', { cause: error }));
    }
    if (!this.running) return;
    this.schedule(nextPollDelay({ ...this.options, random: this.random(), now: this.clock.now(), retryAt: this.retryAt }));
  }

  private async checkOnce(): Promise<VerifiedCheck> {
    await this.load();
    const retryAt = this.retryAt;
    if (retryAt) {
      throw new ReleaseClientError('backing_off', `The server asked to retry after ${retryAt.toISOString()}`, { retryAt });
    }
    const cached = this.lastGoodCheck;
    const revalidate = cached?.etag !== undefined && !this.isExpired(cached.answer);
    const response = await this.request(revalidate ? cached?.etag : undefined);
    if (response.status === 304) {
      if (revalidate && cached) return this.confirm(cached);
      // A 304 to a request without If-None-Match is a broken cache in between: ask again plainly.
      return this.handle(await this.request(undefined));
    }
    return this.handle(response);
  }

  private async handle(response: Response): Promise<VerifiedCheck> {
    const now = this.clock.now();
    const body = Buffer.from(await response.arrayBuffer());
    if (response.status === 429 || response.status === 503) {
      const retryAt = parseRetryAfter(response.headers.get('retry-after'), now, this.options.maxRetryAfterMs);
      this.backoffUntil = retryAt;
      const code = response.status === 429 ? 'rate_limited' : 'unavailable';
      const when = retryAt ? `; retry after ${retryAt.toISOString()}` : '';
      throw new ReleaseClientError(code, `${apiMessage(body) ?? `release-api answered ${response.status}`}${when}`, {
        status: response.status,
        apiCode: apiCode(body),
        retryAt,
      });
    }
    if (response.status !== 200) {
      throw new ReleaseClientError('http_error', apiMessage(body) ?? `release-api answered ${response.status}`, {
        status: response.status,
        apiCode: apiCode(body),
      });
    }
    // Order matters: nothing in the body is read before the signature over its exact bytes holds.
    const keyId = verifySignedBody(body, response.headers.get(SIGNATURE_HEADER), this.keys);
    const answer = parseCheckAnswer(body);
    this.assertTrustworthy(answer, keyId);
    const check: VerifiedCheck = {
      answer,
      body,
      keyId,
      etag: response.headers.get('etag') ?? undefined,
      receivedAt: now,
      notModified: false,
    };
    await this.persist(
      {
        highestSequence: Math.max(this.highestSequence, answer.sequence),
        lastGood: {
          body: body.toString('base64'),
          signature: response.headers.get(SIGNATURE_HEADER) ?? '',
          etag: check.etag,
          query: this.query,
          receivedAt: now.toISOString(),
        },
      },
      check,
    );
    return check;
  }

  /** A 304 re-confirms the stored answer, which was verified when it arrived; its expiry still applies. */
  private async confirm(cached: VerifiedCheck): Promise<VerifiedCheck> {
    if (this.isExpired(cached.answer)) return this.handle(await this.request(undefined));
    const check: VerifiedCheck = { ...cached, receivedAt: this.clock.now(), notModified: true };
    this.lastGoodCheck = check;
    return check;
  }

  private assertTrustworthy(answer: ReleaseCheckAnswer, keyId: string): void {
    if (answer.current && normalizeVersion(answer.current.version) !== normalizeVersion(this.config.version)) {
      throw new ReleaseClientError('mismatched_answer', `The signed answer is about version ${answer.current.version}, not ${this.config.version}`, {
        keyId,
        sequence: answer.sequence,
      });
    }
    if (this.isExpired(answer)) {
      throw new ReleaseClientError('expired', `The signed answer expired at ${answer.expiresAt}`, {
        keyId,
        expiresAt: new Date(answer.expiresAt),
        sequence: answer.sequence,
      });
    }
    if (answer.sequence < this.highestSequence) {
      throw new ReleaseClientError(
        'sequence_rollback',
        `The signed answer has sequence ${answer.sequence}, older than ${this.highestSequence} already seen (a replayed or stale answer)`,
        { keyId, sequence: answer.sequence, highestSequence: this.highestSequence },
      );
    }
  }

  private isExpired(answer: ReleaseCheckAnswer): boolean {
    return Date.parse(answer.expiresAt) <= this.clock.now().getTime();
  }

  private async request(etag: string | undefined): Promise<Response> {
    const headers: Record<string, string> = {
      accept: 'application/json',
      'user-agent': this.config.userAgent ?? `keyhaven-release-client/${PACKAGE_VERSION}`,
    };
    if (etag !== undefined) headers['if-none-match'] = etag;
    try {
      return await this.fetchFn(this.checkUrl, { headers, signal: AbortSignal.timeout(this.options.timeoutMs), redirect: 'follow' });
    } catch (cause) {
      const reason = cause instanceof Error && cause.name === 'TimeoutError' ? `no answer within ${this.options.timeoutMs} ms` : describe(cause);
      throw new ReleaseClientError('network', `Cannot reach release-api at ${this.checkUrl.origin}: ${reason}`, { cause });
    }
  }

  private async persist(next: ReleaseClientState, check: VerifiedCheck): Promise<void> {
    // Written before the answer is accepted: if the floor cannot be saved, a restart could be
    // rolled back, so the answer is refused rather than half-trusted.
    if (this.stateFile) await this.stateFile.save(next);
    this.state = next;
    this.lastGoodCheck = check;
  }

  private async loadState(): Promise<void> {
    if (this.state) return;
    const state = this.stateFile ? await this.stateFile.load() : { highestSequence: -1 };
    this.state = state;
    const stored = state.lastGood;
    if (!stored || stored.query !== this.query) return;
    // The state file is not trusted more than the network: the stored answer is verified again.
    try {
      const body = Buffer.from(stored.body, 'base64');
      const keyId = verifySignedBody(body, stored.signature, this.keys);
      const answer = parseCheckAnswer(body);
      if (answer.sequence > state.highestSequence) return;
      this.lastGoodCheck = { answer, body, keyId, etag: stored.etag, receivedAt: new Date(stored.receivedAt), notModified: false };
    } catch {
      // A stored answer signed by a key no longer pinned, or edited by hand: forget it, fetch anew.
    }
  }
}

function apiBody(body: Buffer): { code?: unknown; message?: unknown } | undefined {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { error?: { code?: unknown; message?: unknown } };
    return typeof parsed?.error === 'object' && parsed.error !== null ? parsed.error : undefined;
  } catch {
    return undefined;
  }
}

function apiCode(body: Buffer): string | undefined {
  const code = apiBody(body)?.code;
  return typeof code === 'string' ? code : undefined;
}

function apiMessage(body: Buffer): string | undefined {
  const error = apiBody(body);
  if (typeof error?.message !== 'string') return undefined;
  return typeof error.code === 'string' ? `${error.code}: ${error.message}` : error.message;
}

function describe(cause: unknown): string {
  if (cause instanceof Error) {
    const inner = (cause as Error & { cause?: unknown }).cause;
    return inner instanceof Error ? `${cause.message} (${inner.message})` : cause.message;
  }
  return String(cause);
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new ReleaseClientError('invalid_options', `${name}: must be a positive number of milliseconds`);
  return value;
}

function fraction(value: number): number {
  if (!Number.isFinite(value) || value < 0 || value > 1) throw new ReleaseClientError('invalid_options', 'jitter: must be between 0 and 1');
  return value;
}
