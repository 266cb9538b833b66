import { Inject, Injectable } from '@nestjs/common';
import { serialize } from 'cookie';
import { EntityManager } from '@mikro-orm/postgresql';
import { Clock } from '@keyhaven/config';
import { AccountsService } from '../accounts/accounts.service';
import { AuthError } from '../app/auth-errors';
import { truncateIp } from '../common/client-ip';
import { ClientInfo } from '../common/request-context';
import { AUTH_CONFIG, AuthConfig } from '../config/auth.config';
import { SecurityNotifier } from '../notifications/security-notifier';
import { SecurityEventsService } from '../security-events/security-events.service';
import { deviceLabel } from './device-label';
import { newOpaqueToken, parseOpaqueToken } from './opaque-token';
import { RememberedDeviceStore } from './remembered-device.store';

/** The account page's cookie: sent only to the sign-in routes, never readable by script. */
export const DEVICE_COOKIE = 'kh_device';
const COOKIE_PATH = '/v1/sessions';

/** What a presented device token turned out to be. */
export type DeviceRecognition = { kind: 'remembered'; id: string } | { kind: 'none' } | { kind: 'ignored' };

export const invalidDeviceToken = () => new AuthError('invalid_token', 'The device token is not valid; sign in with your second factor.');

/**
 * "Remember this device" (OpenProject's "remember 2FA for N days"): after a second step with
 * `rememberDevice: true` the device gets a token (256 random bits, stored as its hash, bound to
 * the account) that lets a later password sign-in skip the second step for
 * AUTH_REMEMBER_DEVICE_TTL. Such a session says so (amr `remembered_device`, aal 1): step-up
 * for sensitive changes and aal-2 routes still ask for a real factor.
 */
@Injectable()
export class RememberedDevices {
  constructor(
    private readonly store: RememberedDeviceStore,
    private readonly accounts: AccountsService,
    private readonly events: SecurityEventsService,
    private readonly notifier: SecurityNotifier,
    private readonly clock: Clock,
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
    private readonly em: EntityManager,
  ) {}

  get enabled(): boolean {
    return this.config.rememberDeviceTtlMs > 0;
  }

  /** Remembers the device of this request for the account; audited, and the owner is mailed. */
  async remember(accountId: string, client: ClientInfo): Promise<{ deviceToken: string; deviceTokenExpiresIn: number }> {
    const now = this.clock.now();
    const expiresAt = new Date(now.getTime() + this.config.rememberDeviceTtlMs);
    const { token, hash } = newOpaqueToken('device');
    const device = deviceLabel(client.userAgent);
    const network = truncateIp(client.ip);
    await this.events.audited(async (tx) => {
      const id = await this.store.remember(tx, { accountId, tokenHash: hash, deviceLabel: device, network, now, expiresAt });
      return {
        result: id,
        events: [{ type: 'device_remembered' as const, accountId, ip: client.ip, details: { deviceId: id, device, expiresAt: expiresAt.toISOString() } }],
      };
    });
    const account = await this.accounts.findById(accountId);
    if (account) void this.notifier.deviceRemembered(account.email, { at: now, device, network }, Math.round(this.config.rememberDeviceTtlMs / 86_400_000));
    return { deviceToken: token, deviceTokenExpiresIn: Math.floor(this.config.rememberDeviceTtlMs / 1000) };
  }

  /**
   * The device token a password sign-in presents. A token of this account that is still valid
   * → remembered. A well-formed, valid token of another account → ignored (the second step is
   * asked for) and recorded on the account signing in: someone is trying devices across accounts.
   * Anything else — malformed, unknown, expired, forgotten — throws 401 invalid_token when the
   * client sent it explicitly (`strict`), and is ignored when it came from the cookie (the page
   * then asks for the second factor and clears the cookie).
   */
  async recognise(accountId: string, presented: unknown, client: ClientInfo, strict: boolean): Promise<DeviceRecognition> {
    if (!this.enabled) return { kind: 'none' };
    const hash = parseOpaqueToken('device', presented);
    const found = hash ? await this.store.use(this.em.fork(), hash, accountId, this.clock.now()) : undefined;
    if (found && found.accountId === accountId) return { kind: 'remembered', id: found.id };
    if (found) {
      await this.events.record({
        type: 'device_token_ignored',
        accountId,
        ip: client.ip,
        details: { reason: 'other_account', device: deviceLabel(client.userAgent) },
      });
      return { kind: 'ignored' };
    }
    if (strict) throw invalidDeviceToken();
    return { kind: 'ignored' };
  }

  /** Set-Cookie for the account page (HttpOnly, Secure, SameSite=Strict, only the sign-in routes). */
  cookie(token: string, maxAgeSeconds: number): string {
    return serialize(DEVICE_COOKIE, token, { httpOnly: true, secure: true, sameSite: 'strict', path: COOKIE_PATH, maxAge: maxAgeSeconds });
  }

  clearCookie(): string {
    return serialize(DEVICE_COOKIE, '', { httpOnly: true, secure: true, sameSite: 'strict', path: COOKIE_PATH, maxAge: 0 });
  }
}
