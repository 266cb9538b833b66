import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { EntityManager } from '@mikro-orm/postgresql';
import { Clock } from '@keyhaven/config';
import { GroupCommit, PreparedAlone } from '@keyhaven/database';
import { AccountsService } from '../accounts/accounts.service';
import { AuthError } from '../app/auth-errors';
import { truncateIp } from '../common/client-ip';
import { ClientInfo } from '../common/request-context';
import type { SecurityEventInput } from '../common/types';
import { AUTH_CONFIG, AuthConfig } from '../config/auth.config';
import { SecurityNotifier } from '../notifications/security-notifier';
import { SecurityEventsService } from '../security-events/security-events.service';
import { deviceLabel } from './device-label';
import { RefreshTokens } from './refresh-tokens';
import { LiveSession, NewSession, Rotation, SessionStore } from './session.store';
import type { Amr } from './token-claims';
import { IssuedToken, TokenService, TokenSubject } from './token.service';

/** What a sign-in established; a refresh hands on exactly this (never more). */
export interface SessionGrant {
  use: 'access' | 'enrollment';
  aal: 1 | 2;
  amr: readonly Amr[];
  authTime: Date;
  /** An end sooner than AUTH_SESSION_MAX (the MFA grace deadline). */
  endsBy?: Date;
  rememberedDeviceId?: string;
}

/** A session's tokens as the sign-in and refresh answers carry them. */
export interface SessionTokens extends IssuedToken {
  refreshToken: string;
  /** Seconds until the refresh token stops working unused (idle limit, or the session's end if sooner). */
  refreshExpiresIn: number;
}

/** A session prepared before the transaction that opens it (ids and secrets made, no I/O yet). */
export interface SessionDraft {
  row: NewSession;
  refresh: { token: string; hash: Buffer };
}

/** The audit event of a sign-in from a device label and network the account has not signed in from before. */
export function newDeviceEvent({ row }: SessionDraft): SecurityEventInput {
  return { type: 'new_device_sign_in', accountId: row.accountId, details: { sessionId: row.id, device: row.deviceLabel, network: row.network ?? null } };
}

export const invalidRefreshToken = () => new AuthError('invalid_token', 'The refresh token is not valid; sign in again.');

/**
 * The one place full sessions are issued: the row (with its first refresh token) and the
 * tokens the client gets; and their rotation on refresh, with reuse detection.
 */
@Injectable()
export class SessionIssuer {
  /**
   * Refresh rotations that arrive while one is on its way to the database go together as one
   * statement (GroupCommit): a burst of refreshes costs one round trip and one commit per batch
   * instead of per refresh, and an idle service sends each at once. Each rotation commits on its
   * own pooled connection's statement, never inside a caller's transaction (PreparedAlone); two
   * rotations of one session never share a statement, so racing requests with one token still
   * meet one after the other on the row.
   */
  private readonly rotations: GroupCommit<Rotation, LiveSession | undefined>;

  constructor(
    private readonly store: SessionStore,
    private readonly refreshTokens: RefreshTokens,
    private readonly tokens: TokenService,
    private readonly accounts: AccountsService,
    private readonly events: SecurityEventsService,
    private readonly notifier: SecurityNotifier,
    private readonly clock: Clock,
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
    private readonly em: EntityManager,
  ) {
    const alone = new PreparedAlone(em);
    this.rotations = new GroupCommit(
      (batch) => this.store.rotateMany(alone, batch),
      (rotation) => rotation.sessionId,
      { maxBatch: 64, concurrency: 1 },
    );
  }

  draft(accountId: string, grant: SessionGrant, client: ClientInfo): SessionDraft {
    const now = this.clock.now();
    const max = new Date(now.getTime() + this.config.session.maxMs);
    const id = randomUUID();
    return {
      row: {
        id,
        accountId,
        tokenUse: grant.use,
        aal: grant.aal,
        amr: [...new Set(grant.amr)],
        authTime: grant.authTime,
        createdAt: now,
        expiresAt: grant.endsBy && grant.endsBy < max ? grant.endsBy : max,
        deviceLabel: deviceLabel(client.userAgent),
        network: truncateIp(client.ip),
        ...(grant.rememberedDeviceId ? { rememberedDeviceId: grant.rememberedDeviceId } : {}),
      },
      refresh: this.refreshTokens.mint(id, 0),
    };
  }

  /** Writes the draft's row and first refresh token — on `tx` when the sign-in step has one open, else committed on its own. */
  open(draft: SessionDraft, tx?: EntityManager): Promise<void> {
    return this.store.open(tx ?? this.em.fork(), draft.row, draft.refresh.hash);
  }

  /** The access token (with `sid`) and refresh token of an opened draft. */
  async tokensFor(subject: TokenSubject, draft: SessionDraft, options: { newDeviceChecked?: boolean } = {}): Promise<SessionTokens> {
    const { row } = draft;
    if (!options.newDeviceChecked && (await this.recordIfNewDevice(subject.id, draft))) this.mailNewDevice(subject, draft);
    const access = await this.tokens.issue(subject, { use: row.tokenUse, aal: row.aal, amr: row.amr as Amr[], authTime: row.authTime, sid: row.id });
    return { ...access, refreshToken: draft.refresh.token, refreshExpiresIn: this.refreshLifetime(row.expiresAt, row.createdAt) };
  }

  /** Draft, open and hand out, for sign-ins without a transaction of their own. */
  async start(subject: TokenSubject, grant: SessionGrant, client: ClientInfo): Promise<SessionTokens & { sessionId: string }> {
    const draft = this.draft(subject.id, grant, client);
    await this.open(draft);
    return { ...(await this.tokensFor(subject, draft)), sessionId: draft.row.id };
  }

  /**
   * `POST /v1/sessions/refresh`: the presented token is spent and a new one issued with a new
   * access token of the same assurance (aal, amr and auth_time are the sign-in's: a refresh is
   * not an authentication). Anything else is one answer, 401 invalid_token, whichever it was —
   * malformed, unknown, expired, spent, or its session ended. A spent token presented again is
   * theft or a replay (RFC 9700 section 4.14.2): the whole session is revoked, audited, and the
   * owner mailed.
   */
  async refresh(
    presented: unknown,
    client: ClientInfo,
  ): Promise<SessionTokens & { session: { aal: 1 | 2; amr: string[]; tokenUse: 'access' | 'enrollment' } }> {
    const presentedToken = this.refreshTokens.parse(presented);
    if (!presentedToken) throw invalidRefreshToken();
    const now = this.clock.now();
    const idleSince = new Date(now.getTime() - this.config.session.idleMs);
    // Every statement of a refresh commits on its own. The injected EntityManager is passed as is
    // rather than a fork: this runs per request, and runPrepared only reads its (absent)
    // transaction context, so a fork would be an allocation for nothing.
    const em = this.em;
    let session: LiveSession | undefined;
    let next: { token: string; hash: Buffer };
    if (presentedToken.kind === 'session') {
      const { sessionId, generation, hash } = presentedToken;
      next = this.refreshTokens.mint(sessionId, generation + 1);
      session = await this.rotations.submit({ sessionId, generation, oldHash: hash, newHash: next.hash, now, idleSince });
      if (!session) {
        // The MAC says this token was issued: if its session has moved past it, it was spent.
        const current = await this.store.refreshGeneration(em, sessionId);
        if (current !== undefined && generation < current) await this.revokeAfterReuse(sessionId, client);
        throw invalidRefreshToken();
      }
    } else {
      // A token from before session-bound tokens: spent in auth.refresh_token, its session moved
      // on to the session-bound form.
      const legacy = await this.store.legacyTokenSession(em, presentedToken.hash);
      next = legacy ? this.refreshTokens.mint(legacy.sessionId, legacy.generation + 1) : { token: '', hash: Buffer.alloc(0) };
      session = legacy ? await this.store.rotateLegacy(em, presentedToken.hash, legacy.sessionId, legacy.generation, next.hash, now, idleSince) : undefined;
      if (!session) {
        const reusedIn = await this.store.spentTokenSession(em, presentedToken.hash);
        if (reusedIn) await this.revokeAfterReuse(reusedIn, client);
        throw invalidRefreshToken();
      }
    }
    const subject = { id: session.accountId, email: session.email, roles: session.roles };
    const grant = { use: session.tokenUse, aal: session.aal, amr: session.amr as Amr[], authTime: session.authTime, sid: session.id };
    const access = this.tokens.issueNow(subject, grant) ?? (await this.tokens.issue(subject, grant));
    return {
      ...access,
      refreshToken: next.token,
      refreshExpiresIn: this.refreshLifetime(session.expiresAt, now),
      session: { aal: session.aal, amr: session.amr, tokenUse: session.tokenUse },
    };
  }

  private async revokeAfterReuse(sessionId: string, client: ClientInfo): Promise<void> {
    const accountId = await this.store.ownerOf(this.em.fork(), sessionId);
    if (!accountId) return;
    const now = this.clock.now();
    const revoked = await this.events.audited(async (tx) => {
      const ids = await this.store.revoke(tx, accountId, 'refresh_token_reused', now, { ids: [sessionId] });
      return {
        result: ids.length > 0,
        events:
          ids.length > 0
            ? [{ type: 'refresh_token_reused' as const, accountId, ip: client.ip, details: { sessionId, device: deviceLabel(client.userAgent) } }]
            : [],
      };
    });
    // Once per session: later replays of its tokens meet a revoked session and say nothing new.
    if (!revoked) return;
    const account = await this.accounts.findById(accountId);
    if (account) void this.notifier.refreshTokenReused(account.email, { at: now, device: deviceLabel(client.userAgent), network: truncateIp(client.ip) });
  }

  /**
   * A sign-in from a device label and network this account has not signed in from before (while
   * its earlier sessions are kept) is recorded — in `tx` when the sign-in step has one open — and
   * then mailed (`mailNewDevice`); but not the account's first sign-in ever, which has nothing to
   * compare with. Answers whether it was new.
   */
  async recordIfNewDevice(accountId: string, draft: SessionDraft, tx?: EntityManager): Promise<boolean> {
    const { row } = draft;
    const seen = await this.store.seenBefore(tx ?? this.em.fork(), accountId, row.deviceLabel, row.network, row.id);
    if (!seen.any || seen.same) return false;
    const event = newDeviceEvent(draft);
    await (tx ? this.events.recordIn(tx, event) : this.events.record(event));
    return true;
  }

  /** The mail about a sign-in `recordIfNewDevice` found new (after its transaction committed). */
  mailNewDevice(subject: TokenSubject, draft: SessionDraft): void {
    const { row } = draft;
    void this.notifier.newDeviceSignIn(subject.email, { at: row.createdAt, device: row.deviceLabel, network: row.network });
  }

  private refreshLifetime(expiresAt: Date, from: Date): number {
    return Math.max(0, Math.floor(Math.min(this.config.session.idleMs, expiresAt.getTime() - from.getTime()) / 1000));
  }
}
