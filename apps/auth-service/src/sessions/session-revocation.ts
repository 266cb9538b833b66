import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { Clock } from '@keyhaven/config';
import { SecurityEventsService } from '../security-events/security-events.service';
import type { RevokeReason } from './entities/session.entity';
import { RememberedDeviceStore } from './remembered-device.store';
import { SessionStore } from './session.store';

/** Who ends the sessions, for the audit row. */
export interface RevocationActor {
  /** The admin (or the account itself, the default). */
  actorId?: string;
  ip?: string | undefined;
}

export interface AccountRevocation {
  revokedSessions: string[];
  forgottenDevices: number;
}

/**
 * Ending sessions, with their audit rows in the same transaction. `revokeAccount` is the one
 * method every feature that must cut an account off calls — password change, admin factor
 * reset, admin sign-out, account lock, directory lock, erasure: pass your transaction so the
 * revocation commits (or rolls back) with your change. auth-service refuses the sessions' tokens
 * at once; other services within AUTH_REVOCATION_MAX_DELAY (the revocation list).
 */
@Injectable()
export class SessionRevocation {
  constructor(
    private readonly store: SessionStore,
    private readonly devices: RememberedDeviceStore,
    private readonly events: SecurityEventsService,
    private readonly clock: Clock,
  ) {}

  /**
   * Revokes every open session of the account (except `keep`, e.g. the one changing the
   * password) and, unless `keepDevices`, forgets its remembered devices — a device token with
   * the password would otherwise sign straight back in. Records `session_revoked` (and
   * `devices_forgotten`) when anything ended. Runs in the caller's transaction `tx` when given,
   * else in an audited unit of work of its own; either way the stores get that one transaction.
   */
  async revokeAccount(
    accountId: string,
    reason: RevokeReason,
    options: RevocationActor & {
      keep?: string;
      keepDevices?: boolean;
      /** Audit even when nothing was open (an admin's request is itself worth a row). */ auditAlways?: boolean;
    } = {},
    tx?: EntityManager,
  ): Promise<AccountRevocation> {
    const work = async (em: EntityManager): Promise<AccountRevocation> => {
      const now = this.clock.now();
      const revokedSessions = await this.store.revoke(em, accountId, reason, now, options.keep ? { keep: options.keep } : {});
      const forgottenDevices = options.keepDevices ? 0 : await this.devices.forgetAll(em, accountId);
      const actor = { accountId, ...(options.actorId ? { actorId: options.actorId } : {}), ...(options.ip ? { ip: options.ip } : {}) };
      if (revokedSessions.length > 0 || options.auditAlways) {
        await this.events.recordIn(em, { ...actor, type: 'session_revoked', details: { reason, sessionIds: revokedSessions } });
      }
      if (forgottenDevices > 0 || (options.auditAlways && !options.keepDevices))
        await this.events.recordIn(em, { ...actor, type: 'devices_forgotten', details: { reason, count: forgottenDevices } });
      return { revokedSessions, forgottenDevices };
    };
    if (tx) return work(tx);
    return this.events.audited(async (em) => ({ result: await work(em), events: [] }));
  }

  /** Ends one session of the account; false when it has no such open session (another's, unknown, ended). */
  async revokeOne(accountId: string, sessionId: string, reason: RevokeReason, actor: RevocationActor = {}): Promise<boolean> {
    return this.events.audited(async (tx) => {
      const ids = await this.store.revoke(tx, accountId, reason, this.clock.now(), { ids: [sessionId] });
      const events =
        ids.length === 1
          ? [
              {
                type: 'session_revoked' as const,
                accountId,
                ...(actor.actorId ? { actorId: actor.actorId } : {}),
                ip: actor.ip,
                details: { reason, sessionIds: ids },
              },
            ]
          : [];
      return { result: ids.length === 1, events };
    });
  }

  /**
   * Forgets every remembered device of the account inside the caller's transaction (a factor was
   * added or removed: what "remembered" vouched for has changed). Recorded when there were any.
   */
  async forgetDevices(accountId: string, reason: string, actor: RevocationActor, tx: EntityManager): Promise<number> {
    const count = await this.devices.forgetAll(tx, accountId);
    if (count > 0) {
      await this.events.recordIn(tx, {
        type: 'devices_forgotten',
        accountId,
        ...(actor.actorId ? { actorId: actor.actorId } : {}),
        ip: actor.ip,
        details: { reason, count },
      });
    }
    return count;
  }
}
