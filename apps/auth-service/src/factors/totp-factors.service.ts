import { Inject, Injectable } from '@nestjs/common';
import { EntityManager, UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import { randomUUID } from 'node:crypto';
import { toString as renderQr } from 'qrcode';
import { Clock } from '@keyhaven/config';
import { AuthError } from '../app/auth-errors';
import { ClientInfo } from '../common/request-context';
import type { FactorView, SecurityEventInput } from '../common/types';
import { AUTH_CONFIG, AuthConfig } from '../config/auth.config';
import { KeyRing } from '../crypto/key-ring';
import { SecondFactorOutcome, SecondFactorStrategy, SpendWith } from '../second-factors/second-factor.strategy';
import { SecurityEventsService } from '../security-events/security-events.service';
import { TotpFactor } from './entities/totp-factor.entity';
import { matchTotpStep, newTotpSecret, TOTP_PERIOD_SECONDS, totpUri } from './totp';
import { CONFIRMED_AT_CLAIM, TotpFactorRepository } from './totp-factor.repository';

export interface TotpEnrollment {
  id: string;
  secret: string;
  otpauthUri: string;
  qrSvg: string;
}

/** Authenticator-app factors: enrollment, confirmation, sign-in verification with a replay guard. */
@Injectable()
export class TotpFactorsService implements SecondFactorStrategy<{ code: string }> {
  readonly method = 'totp' as const;
  readonly amr = ['otp'] as const;
  readonly countsAsFactor = true;

  constructor(
    private readonly em: EntityManager,
    private readonly factors: TotpFactorRepository,
    private readonly keyRing: KeyRing,
    private readonly clock: Clock,
    private readonly events: SecurityEventsService,
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
  ) {}

  async enroll(account: { id: string; email: string }, name: string, client: ClientInfo): Promise<TotpEnrollment> {
    const id = randomUUID();
    const secret = newTotpSecret();
    try {
      await this.events.audited(async (tx) => {
        await this.factors.insert(tx, { id, accountId: account.id, name, secretSealed: this.seal(id, secret), createdAt: this.clock.now() });
        return { result: undefined, events: [{ type: 'factor_enrolled', accountId: account.id, ip: client.ip, details: { factorId: id, type: 'totp' } }] };
      });
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) throw new AuthError('factor_name_taken', `You already have a factor named "${name}".`);
      throw error;
    }
    const otpauthUri = totpUri({ issuer: this.config.totpIssuer, label: account.email, secret });
    const qrSvg = await renderQr(otpauthUri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
    return { id, secret, otpauthUri, qrSvg };
  }

  /**
   * Proves the app holds the secret; the confirming code's step is consumed. Runs inside the
   * caller's audited change (`tx`), which also issues the first recovery codes; every query
   * goes through `tx` (on the embedded database another connection would wait for it).
   */
  async confirm(
    accountId: string,
    id: string,
    code: string,
    client: ClientInfo,
    tx: EntityManager,
  ): Promise<{ factor: FactorView; event: SecurityEventInput }> {
    const factor = await this.factors.findOwned(tx, id, accountId);
    if (!factor) throw new AuthError('factor_not_found', 'No such factor on your account.');
    if (factor.confirmedAt) throw new AuthError('factor_already_confirmed', 'This factor is already confirmed.');
    const step = await matchTotpStep(this.open(factor), code, this.clock.nowMs());
    if (step === undefined) throw new AuthError('invalid_code', 'The code does not match; check the time on your device.');
    if (!(await this.factors.confirm(tx, id, accountId, step, this.clock.now()))) {
      throw new AuthError('factor_already_confirmed', 'This factor is already confirmed.');
    }
    return {
      factor: toView({ ...factor, confirmedAt: this.clock.now() }),
      event: { type: 'factor_confirmed', accountId, ip: client.ip, details: { factorId: id, type: 'totp' } },
    };
  }

  async list(accountId: string): Promise<FactorView[]> {
    return (await this.factors.listFor(this.em.fork(), accountId)).map(toView);
  }

  /** The removal inside the caller's audited change; its event when there was such a factor. */
  async remove(accountId: string, id: string, client: ClientInfo, tx: EntityManager): Promise<SecurityEventInput | undefined> {
    if (!(await this.factors.delete(tx, id, accountId))) return undefined;
    return { type: 'factor_removed', accountId, ip: client.ip, details: { factorId: id, type: 'totp' } };
  }

  removeAllFor(accountId: string, tx: EntityManager): Promise<number> {
    return this.factors.deleteAllFor(tx, accountId);
  }

  isAvailable(accountId: string, tx?: EntityManager): Promise<boolean> {
    return this.factors.hasConfirmed(tx ?? this.em.fork(), accountId);
  }

  /** The second step reads the confirmed factors in the attempt claim's statement. */
  readonly claimRead = CONFIRMED_AT_CLAIM;

  async verify(accountId: string, input: { code: string }, spend: SpendWith, read?: unknown): Promise<SecondFactorOutcome> {
    const nowMs = this.clock.nowMs();
    // Without the claim's read: one prepared statement on the injected EntityManager itself, no fork.
    const factors = read === undefined ? await this.factors.listConfirmed(this.em, accountId) : this.factors.confirmedFromClaim(read);
    for (const factor of factors) {
      const step = await matchTotpStep(this.open(factor), input.code, nowMs);
      if (step === undefined) continue;
      if (await spend((tx) => this.factors.consumeStep(tx, factor.id, step, new Date(nowMs)), { factorId: factor.id }))
        return { ok: true, factorId: factor.id };
      if (consumedByConfirmation(factor, step)) {
        // The user's own step: confirming the factor took it a moment ago and nothing has signed
        // in with this factor since. Refused like any used step, but it is no sign of an observer.
        const nextStepInSeconds = Math.max(1, Math.ceil(((step + 1) * TOTP_PERIOD_SECONDS * 1000 - nowMs) / 1000));
        return {
          ok: false,
          reason: 'code_already_used',
          factorId: factor.id,
          message: `This code confirmed your authenticator a moment ago and cannot also sign in; wait for the next code (about ${nextStepInSeconds} s).`,
          details: { consumedBy: 'confirmation', nextCodeInSeconds: nextStepInSeconds },
        };
      }
      return { ok: false, reason: 'code_already_used', factorId: factor.id };
    }
    return { ok: false, reason: 'invalid_code' };
  }

  /** Moves every secret under the newest key of the ring; answers how many were rewritten. */
  async reencrypt(): Promise<number> {
    let changed = 0;
    // Each rewrite commits on its own (a compare-and-set: a concurrent rewrite is not overwritten).
    const em = this.em.fork();
    for (const factor of await this.factors.all(em)) {
      if (!this.keyRing.isStale(factor.secretSealed)) continue;
      if (await this.factors.replaceSealed(em, factor.id, factor.secretSealed, this.seal(factor.id, this.open(factor)))) changed++;
    }
    return changed;
  }

  private seal(id: string, secret: string): string {
    return this.keyRing.encrypt(secret, `totp_factor:${id}`);
  }

  private open(factor: Pick<TotpFactor, 'id' | 'secretSealed'>): string {
    return this.keyRing.decrypt(factor.secretSealed, `totp_factor:${factor.id}`).toString('utf8');
  }
}

/**
 * Confirmation records its step in `last_step` without `last_used_at`; the first sign-in sets
 * both. So while a factor has never signed in, a refused step at or before `last_step` was
 * refused because of the user's own confirmation, not because someone else used that code.
 */
function consumedByConfirmation(factor: Pick<TotpFactor, 'lastUsedAt' | 'lastStep'>, step: number): boolean {
  return factor.lastUsedAt == null && factor.lastStep != null && step <= Number(factor.lastStep);
}

function toView(factor: TotpFactor): FactorView {
  return {
    id: factor.id,
    type: 'totp',
    name: factor.name,
    createdAt: factor.createdAt.toISOString(),
    confirmed: Boolean(factor.confirmedAt),
    confirmedAt: factor.confirmedAt?.toISOString() ?? null,
    lastUsedAt: factor.lastUsedAt?.toISOString() ?? null,
  };
}
