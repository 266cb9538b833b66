import { Inject, Injectable } from '@nestjs/common';
import { AUTH_CONFIG, AuthConfig } from '../config/auth.config';
import { KeyRing } from '../crypto/key-ring';

const PURPOSE = 'keyhaven auth-service deletion-cancel link v1';

/**
 * The one-click cancel link of a self-service deletion mail: the account id and the scheduled
 * date, sealed (AES-256-GCM) under the key ring — nothing is stored, a link cannot be forged or
 * altered, it names one account and one scheduling (a later deletion needs its own link), and it
 * stops working when the erasure happens. Verification tries every key of the ring, so a key
 * rotation does not break links already mailed.
 */
@Injectable()
export class DeletionLinks {
  constructor(
    private readonly keys: KeyRing,
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
  ) {}

  token(accountId: string, scheduledAt: Date): string {
    return this.keys.encrypt(JSON.stringify({ a: accountId, u: scheduledAt.getTime() }), PURPOSE);
  }

  url(accountId: string, scheduledAt: Date): string {
    return `${this.config.issuer.replace(/\/$/, '')}/v1/deletion/cancel?token=${encodeURIComponent(this.token(accountId, scheduledAt))}`;
  }

  /** The account and date a token was made for; undefined for anything forged, altered or malformed. */
  open(token: unknown): { accountId: string; scheduledAt: Date } | undefined {
    if (typeof token !== 'string' || token.length > 512) return undefined;
    try {
      const payload = JSON.parse(this.keys.decrypt(token, PURPOSE).toString('utf8')) as { a?: unknown; u?: unknown };
      if (typeof payload.a !== 'string' || typeof payload.u !== 'number') return undefined;
      return { accountId: payload.a, scheduledAt: new Date(payload.u) };
    } catch {
      return undefined;
    }
  }
}
