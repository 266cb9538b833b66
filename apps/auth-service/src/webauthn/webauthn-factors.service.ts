import { Inject, Injectable } from '@nestjs/common';
import { EntityManager, UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import { randomBytes, randomUUID } from 'node:crypto';
import {
  AuthenticationResponseJSON,
  generateAuthenticationOptions,
  generateRegistrationOptions,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import { Clock } from '@keyhaven/config';
import { PreparedAlone } from '@keyhaven/database';
import { AuthError } from '../app/auth-errors';
import { ClientInfo } from '../common/request-context';
import { AUTH_CONFIG, AuthConfig, WebAuthnPolicy } from '../config/auth.config';
import { SecondFactorOutcome, SecondFactorStrategy, SpendWith } from '../second-factors/second-factor.strategy';
import type { FactorView, SecurityEventInput } from '../common/types';
import { WebAuthnCeremony } from './entities/webauthn-challenge.entity';
import { WebAuthnCredential } from './entities/webauthn-credential.entity';
import { WebAuthnChallengeRepository } from './webauthn-challenge.repository';
import { CREDENTIALS_AT_CLAIM, WebAuthnCredentialRepository } from './webauthn-credential.repository';

/** COSE algorithms accepted for new credentials: ES256, EdDSA, RS256 (what authenticators ship). */
const SUPPORTED_ALGORITHMS = [-7, -8, -257];

export interface WebAuthnAssertionInput {
  response: AuthenticationResponseJSON;
}

type Failure = Extract<SecondFactorOutcome, { ok: false }>;

/** A passkey assertion checked: whose key it is (when known) and whether it proved anything. */
export type PasskeyOutcome = { accountId?: string } & SecondFactorOutcome;

/**
 * Security keys and passkeys (W3C WebAuthn Level 3 through @simplewebauthn/server): registration,
 * the second step after a password (a SecondFactorStrategy, so it shares the failure counter,
 * the lock and the audit trail with TOTP), and passkey sign-in without a password.
 *
 * Every ceremony is: options with a fresh challenge stored on the server → the browser asks the
 * authenticator → the answer's challenge is *taken* from the store (single use, bound to ceremony
 * and account, unexpired) → the library checks origin, RP ID, flags and signature → our own
 * checks (owner, counter, attestation policy). Any failure is a coded 400/401, never a 500.
 */
@Injectable()
export class WebAuthnFactorsService implements SecondFactorStrategy<WebAuthnAssertionInput> {
  readonly method = 'webauthn' as const;
  /** RFC 8176 `hwk`: proof of possession of a hardware-secured key. */
  readonly amr = ['hwk'] as const;
  readonly countsAsFactor = true;
  /** The second step reads the account's credentials in the attempt claim's statement. */
  readonly claimRead = CREDENTIALS_AT_CLAIM;
  private readonly policy: WebAuthnPolicy;
  /** The ceremonies' statements each commit on their own (no fork per statement). */
  private readonly alone: PreparedAlone;

  constructor(
    private readonly credentials: WebAuthnCredentialRepository,
    private readonly challenges: WebAuthnChallengeRepository,
    private readonly clock: Clock,
    private readonly em: EntityManager,
    @Inject(AUTH_CONFIG) config: AuthConfig,
  ) {
    this.policy = config.webauthn;
    this.alone = new PreparedAlone(em);
  }

  // --- registration -------------------------------------------------------------------------

  async registrationOptions(account: { id: string; email: string }, passkey: boolean): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const existing = await this.credentials.listFor(this.alone, account.id);
    const challenge = await this.newChallenge('registration', account.id, passkey);
    return generateRegistrationOptions({
      rpName: this.policy.rpName,
      rpID: this.policy.rpId,
      userName: account.email,
      userDisplayName: account.email,
      // The user handle: the account id, never the email (it is stored on the authenticator
      // and handed back on passkey sign-in; WebAuthn section 14.6.1 says no personal data).
      userID: userHandleOf(account.id),
      challenge,
      timeout: this.policy.challengeTtlMs,
      attestationType: this.policy.attestation,
      // One authenticator registered twice would look like two factors while being one.
      excludeCredentials: existing.map((c) => ({ id: c.credentialId, transports: c.transports })),
      authenticatorSelection: {
        // A passkey signs in alone: it must be discoverable and verify the user (PIN/biometrics).
        residentKey: passkey ? 'required' : this.policy.residentKey,
        requireResidentKey: passkey || this.policy.residentKey === 'required',
        userVerification: passkey ? 'required' : this.policy.userVerification,
        ...(this.policy.attachment ? { authenticatorAttachment: this.policy.attachment } : {}),
      },
      supportedAlgorithmIDs: SUPPORTED_ALGORITHMS,
    });
  }

  /**
   * Checks a registration ceremony (the challenge is spent here) and answers the credential to
   * store; nothing is stored yet. `store` then writes it inside the caller's audited change.
   */
  async verifyRegistration(accountId: string, name: string, response: RegistrationResponseJSON): Promise<WebAuthnCredential> {
    const taken = await this.takeChallenge(response, 'registration', accountId);
    if (!taken.ok) throw new AuthError(taken.reason, taken.message ?? 'The registration was refused.');
    const requireUserVerification = taken.passkey || this.policy.userVerification === 'required';
    let info;
    try {
      const result = await verifyRegistrationResponse({
        response,
        expectedChallenge: taken.challenge,
        expectedOrigin: this.policy.origins,
        expectedRPID: this.policy.rpId,
        requireUserVerification,
        supportedAlgorithmIDs: SUPPORTED_ALGORITHMS,
      });
      if (!result.verified) throw new Error('the attestation did not verify');
      info = result.registrationInfo;
    } catch (error) {
      throw new AuthError('webauthn_failed', `The security key could not be registered: ${reasonOf(error)}.`);
    }
    if (this.policy.attestation === 'direct' && (info.fmt === 'none' || !this.policy.allowedAaguids.includes(info.aaguid.toLowerCase()))) {
      throw new AuthError('authenticator_not_allowed', 'This model of security key is not allowed here.', { aaguid: info.aaguid, fmt: info.fmt });
    }
    const credential: WebAuthnCredential = {
      id: randomUUID(),
      accountId,
      name,
      credentialId: info.credential.id,
      publicKey: Buffer.from(info.credential.publicKey).toString('base64url'),
      counter: String(info.credential.counter),
      transports: info.credential.transports ?? [],
      aaguid: info.aaguid,
      deviceType: info.credentialDeviceType,
      backedUp: info.credentialBackedUp,
      passkey: taken.passkey,
      createdAt: this.clock.now(),
    };
    return credential;
  }

  /** Stores a verified credential inside the caller's audited change; answers the events to record with it. */
  async store(credential: WebAuthnCredential, client: ClientInfo, tx: EntityManager): Promise<{ factor: FactorView; events: SecurityEventInput[] }> {
    const { accountId, name } = credential;
    try {
      await this.credentials.insert(tx, credential);
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) {
        if (/webauthn_credential_credential_id_unique/.test(error.message))
          throw new AuthError('credential_already_registered', 'This security key or passkey is already registered.');
        throw new AuthError('factor_name_taken', `You already have a security key or passkey named "${name}".`);
      }
      throw error;
    }
    // No factor name: events outlive an erasure under the pseudonym, and a name is the user's own text.
    const details = { factorId: credential.id, type: 'webauthn', passkey: credential.passkey, aaguid: credential.aaguid };
    return {
      factor: toView(credential),
      events: [
        { type: 'factor_enrolled', accountId, ip: client.ip, details },
        // Registration is its own proof of possession: the factor is confirmed at once.
        { type: 'factor_confirmed', accountId, ip: client.ip, details: { factorId: credential.id, type: 'webauthn' } },
      ],
    };
  }

  async list(accountId: string): Promise<FactorView[]> {
    return (await this.credentials.listFor(this.alone, accountId)).map(toView);
  }

  /** The removal inside the caller's audited change; its event when there was such a key. */
  async remove(accountId: string, id: string, client: ClientInfo, tx: EntityManager): Promise<SecurityEventInput | undefined> {
    if (!(await this.credentials.delete(tx, id, accountId))) return undefined;
    return { type: 'factor_removed', accountId, ip: client.ip, details: { factorId: id, type: 'webauthn' } };
  }

  removeAllFor(accountId: string, tx: EntityManager): Promise<number> {
    return this.credentials.deleteAllFor(tx, accountId);
  }

  // --- second factor ------------------------------------------------------------------------

  isAvailable(accountId: string, tx?: EntityManager): Promise<boolean> {
    return this.credentials.hasAny(tx ?? this.em.fork(), accountId);
  }

  /** Lists every credential of the account, so any of the user's keys works, not one "default". */
  async secondFactorOptions(accountId: string): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const credentials = await this.credentials.listFor(this.alone, accountId);
    if (credentials.length === 0) throw new AuthError('no_confirmed_factor', 'This account has no security key or passkey.');
    return generateAuthenticationOptions({
      rpID: this.policy.rpId,
      challenge: await this.newChallenge('second_factor', accountId, false),
      timeout: this.policy.challengeTtlMs,
      allowCredentials: credentials.map((c) => ({ id: c.credentialId, transports: c.transports })),
      userVerification: this.policy.userVerification,
    });
  }

  async verify(accountId: string, input: WebAuthnAssertionInput, spend: SpendWith, read?: unknown): Promise<SecondFactorOutcome> {
    const taken = await this.takeChallenge(input.response, 'second_factor', accountId);
    if (!taken.ok) return taken;
    const id = String(input.response.id);
    // The claim read the account's own credentials: a key of another account is not among them.
    const credential =
      read === undefined
        ? await this.credentials.findByCredentialId(this.alone, id)
        : (this.credentials.fromClaim(read).find((c) => c.credentialId === id) ?? null);
    // Someone else's key (or none of ours) proves nothing about this account.
    if (!credential || credential.accountId !== accountId)
      return { ok: false, reason: 'unknown_credential', message: 'This security key is not registered to your account.' };
    return this.checkAssertion(credential, input.response, taken.challenge, this.policy.userVerification === 'required', spend);
  }

  // --- passkey sign-in ----------------------------------------------------------------------

  /** Empty allowCredentials: the authenticator offers whichever discoverable passkeys it holds. */
  async passkeyOptions(): Promise<PublicKeyCredentialRequestOptionsJSON> {
    return generateAuthenticationOptions({
      rpID: this.policy.rpId,
      challenge: await this.newChallenge('passkey', null, false),
      timeout: this.policy.challengeTtlMs,
      allowCredentials: [],
      userVerification: 'required',
    });
  }

  /**
   * A passkey alone: possession of the key plus user verification on the device (PIN or
   * biometrics) are two factors, so the session is aal2 (NIST SP 800-63B 5.1.8 multi-factor
   * cryptographic authenticator).
   */
  async verifyPasskey(response: AuthenticationResponseJSON): Promise<PasskeyOutcome> {
    const taken = await this.takeChallenge(response, 'passkey', null);
    if (!taken.ok) return taken;
    const credential = await this.credentials.findByCredentialId(this.alone, String(response.id));
    if (!credential) return { ok: false, reason: 'unknown_credential', message: 'This passkey is not registered here.' };
    // Only a credential registered as a passkey (discoverable, user-verifying) replaces the
    // password. A security key registered as a second factor — even one that happens to be
    // discoverable — proves possession only, so it signs in after the password, never alone.
    if (!credential.passkey) {
      return {
        ok: false,
        reason: 'webauthn_failed',
        accountId: credential.accountId,
        factorId: credential.id,
        message: 'This security key is registered as a second factor, not as a passkey: sign in with your password first.',
      };
    }
    // WebAuthn section 7.2 step 6: the user handle the authenticator returns must name the owner.
    const userHandle = response.response?.userHandle;
    if (!userHandle || userHandle !== Buffer.from(userHandleOf(credential.accountId)).toString('base64url')) {
      return {
        ok: false,
        reason: 'unknown_credential',
        accountId: credential.accountId,
        factorId: credential.id,
        message: 'This passkey does not belong to the account it names.',
      };
    }
    return { accountId: credential.accountId, ...(await this.checkAssertion(credential, response, taken.challenge, true)) };
  }

  // --- shared steps -------------------------------------------------------------------------

  private async checkAssertion(
    credential: WebAuthnCredential,
    response: AuthenticationResponseJSON,
    challenge: string,
    requireUserVerification: boolean,
    // A passkey sign-in has no pending token to spend: the counter update stands alone.
    spend: SpendWith = (write) => write(this.em.fork()),
  ): Promise<SecondFactorOutcome> {
    let info;
    try {
      const result = await verifyAuthenticationResponse({
        response,
        expectedChallenge: challenge,
        expectedOrigin: this.policy.origins,
        expectedRPID: this.policy.rpId,
        // The counter is checked below in the database (recordUse), atomically; the library's
        // own check would throw an Error we could not tell apart from a bad signature.
        credential: { id: credential.credentialId, publicKey: Buffer.from(credential.publicKey, 'base64url'), counter: 0, transports: credential.transports },
        requireUserVerification,
      });
      // The library answers { verified: false } for a bad signature rather than throwing.
      if (!result.verified)
        return { ok: false, reason: 'webauthn_failed', factorId: credential.id, message: 'The signature of the security key did not verify.' };
      info = result.authenticationInfo;
    } catch (error) {
      return { ok: false, reason: 'webauthn_failed', factorId: credential.id, message: `The security key's answer was refused: ${reasonOf(error)}.` };
    }
    if (
      !(await spend((tx) => this.credentials.recordUse(tx, credential.id, info.newCounter, info.credentialBackedUp, this.clock.now()), {
        amr: info.userVerified ? ['user'] : [],
        factorId: credential.id,
      }))
    ) {
      return {
        ok: false,
        reason: 'counter_regression',
        factorId: credential.id,
        message: 'This security key reported a signature counter that did not increase; it may have been cloned.',
        details: { storedCounter: Number(credential.counter), receivedCounter: info.newCounter, name: credential.name },
      };
    }
    return { ok: true, factorId: credential.id, amr: info.userVerified ? ['user'] : [] };
  }

  /**
   * 32 random bytes (WebAuthn section 13.4.3 asks for at least 16), stored as the base64url text
   * the browser will put into clientDataJSON. Handed to the library as bytes: a string would be
   * UTF-8 encoded once more and no longer match.
   */
  private async newChallenge(ceremony: WebAuthnCeremony, accountId: string | null, passkey: boolean): Promise<Uint8Array<ArrayBuffer>> {
    const bytes = new Uint8Array(randomBytes(32));
    const challenge = Buffer.from(bytes).toString('base64url');
    await this.challenges.insert(this.alone, {
      challenge,
      ceremony,
      accountId: accountId ?? undefined,
      passkey,
      expiresAt: new Date(this.clock.nowMs() + this.policy.challengeTtlMs),
    });
    return bytes;
  }

  private async takeChallenge(
    response: { response?: { clientDataJSON?: unknown } } | undefined,
    ceremony: WebAuthnCeremony,
    accountId: string | null,
  ): Promise<{ ok: true; challenge: string; passkey: boolean } | Failure> {
    const challenge = challengeOf(response);
    if (!challenge) return { ok: false, reason: 'webauthn_failed', message: 'The answer has no readable clientDataJSON challenge.' };
    const taken = await this.challenges.take(this.alone, challenge, ceremony, accountId, this.clock.now());
    if (!taken.found)
      return {
        ok: false,
        reason: 'challenge_not_found',
        message: 'This challenge is unknown, already used, or was issued for another sign-in: ask for new options.',
      };
    if (taken.expired) return { ok: false, reason: 'challenge_expired', message: 'The challenge has expired: ask for new options and try again.' };
    return { ok: true, challenge, passkey: taken.passkey };
  }
}

/** The WebAuthn user handle of an account: the 16 bytes of its UUID. */
export function userHandleOf(accountId: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(Buffer.from(accountId.replace(/-/g, ''), 'hex'));
}

/** The challenge inside a response's clientDataJSON, or undefined for anything malformed. */
function challengeOf(response: { response?: { clientDataJSON?: unknown } } | undefined): string | undefined {
  const encoded = response?.response?.clientDataJSON;
  if (typeof encoded !== 'string' || encoded.length > 8192) return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8'));
    const challenge = typeof parsed === 'object' && parsed !== null ? (parsed as { challenge?: unknown }).challenge : undefined;
    return typeof challenge === 'string' && challenge.length > 0 && challenge.length <= 128 ? challenge : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The library's reason for a failed ceremony, without the configuration it names: its messages
 * list the allowed origins and RP ID ("…origin "x", expected one of: https://…"), which would
 * tell a phishing page which origin to imitate.
 */
function reasonOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  if (/\borigin\b/i.test(text)) return 'this origin is not allowed';
  if (/\bRP ?ID\b/i.test(text)) return 'the credential belongs to another site';
  return text
    .replace(/[,;:]?\s*expected\b[\s\S]*$/i, '')
    .replace(/\.$/, '')
    .slice(0, 200);
}

function toView(credential: WebAuthnCredential): FactorView {
  return {
    id: credential.id,
    type: 'webauthn',
    name: credential.name,
    createdAt: credential.createdAt.toISOString(),
    confirmed: true,
    confirmedAt: credential.createdAt.toISOString(),
    lastUsedAt: credential.lastUsedAt?.toISOString() ?? null,
    passkey: credential.passkey,
    backedUp: credential.backedUp,
  };
}
