import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { Clock } from '@keyhaven/config';
import { AuthError } from '../app/auth-errors';
import { ClientInfo } from '../common/request-context';
import { AUTH_CONFIG, AuthConfig } from '../config/auth.config';
import { SecurityEventsService } from '../security-events/security-events.service';
import { RememberedDeviceStore } from '../sessions/remembered-device.store';
import { SessionRevocation } from '../sessions/session-revocation';
import { SessionStore } from '../sessions/session.store';
import type { TokenClaims } from '../sessions/token-claims';

export interface SessionView {
  id: string;
  current: boolean;
  device: string;
  network: string | null;
  aal: 1 | 2;
  amr: string[];
  signedInAt: string;
  lastUsedAt: string;
  expiresAt: string;
  /** The sign-in skipped the second step with this remembered device. */
  rememberedDeviceId: string | null;
}

export interface RememberedDeviceView {
  id: string;
  device: string;
  network: string | null;
  rememberedAt: string;
  lastUsedAt: string | null;
  expiresAt: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const sessionNotFound = () => new AuthError('session_not_found', 'You have no open session with this id.');

/** "Where you're signed in": a user's own sessions and remembered devices, and ending them. */
@Injectable()
export class MeSessionsService {
  constructor(
    private readonly sessions: SessionStore,
    private readonly devices: RememberedDeviceStore,
    private readonly revocation: SessionRevocation,
    private readonly events: SecurityEventsService,
    private readonly clock: Clock,
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
    private readonly em: EntityManager,
  ) {}

  async list(user: TokenClaims): Promise<{ sessions: SessionView[]; rememberedDevices: RememberedDeviceView[] }> {
    const now = this.clock.now();
    const em = this.em.fork();
    const rows = await this.sessions.listOpen(em, user.sub, now, new Date(now.getTime() - this.config.session.idleMs));
    const devices = await this.devices.list(em, user.sub, now);
    return {
      sessions: rows.map((row) => ({
        id: row.id,
        current: row.id === user.sid,
        device: row.deviceLabel,
        network: row.network,
        aal: row.aal,
        amr: row.amr,
        signedInAt: row.createdAt.toISOString(),
        lastUsedAt: row.lastUsedAt.toISOString(),
        expiresAt: row.expiresAt.toISOString(),
        rememberedDeviceId: row.rememberedDeviceId,
      })),
      rememberedDevices: devices.map((device) => ({
        id: device.id,
        device: device.deviceLabel,
        network: device.network,
        rememberedAt: device.createdAt.toISOString(),
        lastUsedAt: device.lastUsedAt?.toISOString() ?? null,
        expiresAt: device.expiresAt.toISOString(),
      })),
    };
  }

  /** Ends one of the caller's sessions (the current one too); 404 for anyone else's. */
  async revoke(user: TokenClaims, sessionId: string, client: ClientInfo): Promise<void> {
    if (!UUID.test(sessionId)) throw sessionNotFound();
    const reason = sessionId === user.sid ? 'signed_out' : 'revoked_by_user';
    if (!(await this.revocation.revokeOne(user.sub, sessionId, reason, { ip: client.ip }))) throw sessionNotFound();
  }

  /** "Sign out everywhere else": every session but the caller's. Remembered devices stay (they are forgotten on their own). */
  async revokeOthers(user: TokenClaims, client: ClientInfo): Promise<{ revoked: number }> {
    const { revokedSessions } = await this.revocation.revokeAccount(user.sub, 'revoked_by_user', {
      ip: client.ip,
      keepDevices: true,
      ...(user.sid ? { keep: user.sid } : {}),
    });
    return { revoked: revokedSessions.length };
  }

  /** `POST /v1/sessions/sign-out`: the caller's own session. */
  async signOut(user: TokenClaims, client: ClientInfo): Promise<void> {
    if (!user.sid) return;
    await this.revocation.revokeOne(user.sub, user.sid, 'signed_out', { ip: client.ip });
  }

  async forgetDevice(user: TokenClaims, id: string, client: ClientInfo): Promise<void> {
    const forgotten = await this.events.audited(async (tx) => {
      const done = await this.devices.forget(tx, user.sub, id);
      return {
        result: done,
        events: done
          ? [{ type: 'devices_forgotten' as const, accountId: user.sub, ip: client.ip, details: { reason: 'forgotten_by_user', deviceIds: [id] } }]
          : [],
      };
    });
    if (!forgotten) throw new AuthError('remembered_device_not_found', 'You have no remembered device with this id.');
  }

  async forgetAllDevices(user: TokenClaims, client: ClientInfo): Promise<{ forgotten: number }> {
    const forgotten = await this.events.audited(async (tx) => {
      const count = await this.devices.forgetAll(tx, user.sub);
      return {
        result: count,
        events: count > 0 ? [{ type: 'devices_forgotten' as const, accountId: user.sub, ip: client.ip, details: { reason: 'forgotten_by_user', count } }] : [],
      };
    });
    return { forgotten };
  }
}
