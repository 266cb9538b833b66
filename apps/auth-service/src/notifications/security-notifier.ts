import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { Mailer } from '@keyhaven/mail';
import { AUTH_CONFIG, AuthConfig } from '../config/auth.config';

/** When and from where something happened, as a mail tells it (a device label and a network, never an address). */
export interface MailContext {
  at: Date;
  device: string;
  network?: string | undefined;
}

/** The way out every security mail offers: end every session but the one the reader is in. */
export const SIGN_OUT_EVERYWHERE =
  'To sign out every other device: open your account page, "Where you\'re signed in", and choose "Sign out everywhere else" (API: DELETE /v1/me/sessions). Then change your password.';

/** "On 2026-03-02 at 09:00 UTC from Firefox on Linux (network 203.0.113.0/24)". */
export function describeContext(context: MailContext): string {
  const when = `${context.at.toISOString().slice(0, 10)} at ${context.at.toISOString().slice(11, 16)} UTC`;
  return `When: ${when}. Device: ${context.device}${context.network ? `, network ${context.network}` : ''}.`;
}

/**
 * The mails a user gets when something happens to their account's second factors. Sent in the
 * background: the HTTP answer never waits on SMTP, and a failed delivery is logged.
 */
@Injectable()
export class SecurityNotifier implements OnApplicationShutdown {
  private readonly mailer: Mailer;
  private readonly pending = new Set<Promise<void>>();

  constructor(@Inject(AUTH_CONFIG) config: AuthConfig) {
    this.mailer = new Mailer({ smtpUrl: config.smtpUrl, from: config.mailFrom });
  }

  codeReused(to: string): Promise<void> {
    return this.send(to, 'A sign-in code of yours was used twice', [
      'Someone entered an authenticator code for your Keyhaven account that had already been used.',
      'If that was not you, someone knows your password and may be watching your codes: change your password now.',
    ]);
  }

  failedAttempts(to: string, count: number): Promise<void> {
    return this.send(to, 'Several wrong sign-in codes for your account', [
      `${count} wrong second-factor codes were entered for your Keyhaven account after a correct password.`,
      'If that was not you, your password is known to someone: change it now.',
    ]);
  }

  locked(to: string, until: Date): Promise<void> {
    return this.send(to, 'Second-factor sign-in locked', [
      `Too many wrong second-factor codes: sign-in with a second factor is locked until ${until.toISOString()}.`,
      'An administrator can release it earlier. If this was not you, change your password.',
    ]);
  }

  factorsReset(to: string, reason: string): Promise<void> {
    return this.send(to, 'Your second factors were reset by an administrator', [
      'An administrator removed all second factors and recovery codes from your Keyhaven account.',
      `Reason given: ${reason}`,
      'Sign in with your password and enroll a new authenticator. If you did not ask for this, contact your administrator.',
    ]);
  }

  /** A factor became usable: a confirmed authenticator app, a registered security key or passkey. */
  factorAdded(to: string, kind: string, name: string): Promise<void> {
    return this.send(to, `${withArticle(kind)} was added to your account`, [
      `${withArticle(kind)} named "${name}" can now be used to sign in to your Keyhaven account.`,
      'If that was not you, someone has your password and a session: change your password now and remove this factor from your account page.',
    ]);
  }

  factorRemoved(to: string, kind: string, name: string): Promise<void> {
    return this.send(to, `${withArticle(kind)} was removed from your account`, [
      `The ${kind} named "${name}" was removed from your Keyhaven account and no longer signs in.`,
      'If that was not you, change your password now and check the second factors on your account page.',
    ]);
  }

  recoveryCodesRegenerated(to: string): Promise<void> {
    return this.send(to, 'New recovery codes for your account', [
      'A new set of recovery codes was made for your Keyhaven account; the previous codes no longer work.',
      'If that was not you, someone has your second factor: change your password and regenerate the codes yourself.',
    ]);
  }

  recoveryCodeUsed(to: string, remaining: number): Promise<void> {
    return this.send(to, 'A recovery code was used', [
      `A recovery code was used to sign in to your Keyhaven account. ${remaining} remain.`,
      'If that was not you, change your password and regenerate your recovery codes.',
    ]);
  }

  possibleClonedKey(to: string, keyName: string): Promise<void> {
    return this.send(to, 'A security key of yours may have been cloned', [
      `Your security key or passkey "${keyName}" answered with a signature counter that did not increase, so the sign-in was refused.`,
      'This can mean that a copy of the key exists. If you did not just sign in, remove this key from your account and register a new one; consider changing your password.',
    ]);
  }

  /** A spent refresh token came back (RFC 9700 section 4.14.2): someone holds a copy of a session's tokens. */
  refreshTokenReused(to: string, context: MailContext): Promise<void> {
    return this.send(to, 'One of your sessions was signed out: its token was used twice', [
      "A sign-in session of your Keyhaven account presented a refresh token that had already been used. That happens when someone copied the session's tokens, so we signed that session out.",
      describeContext(context),
      `If you did not just get signed out yourself, someone may have had access to one of your devices. ${SIGN_OUT_EVERYWHERE}`,
    ]);
  }

  /** Self-service deletion: when it happens and the one-click way back. */
  deletionScheduled(to: string, at: Date, cancelUrl: string): Promise<void> {
    return this.send(to, 'Your account will be erased', [
      `You asked to delete your Keyhaven account. It is now closed: nobody can sign in to it, and every session was signed out.`,
      `On ${at.toISOString().slice(0, 16).replace('T', ' ')} UTC it will be erased for good: your email, password, second factors and sessions are deleted; security events are kept for their retention period without your name or email.`,
      `Changed your mind, or was it not you? Cancel the deletion before then: ${cancelUrl}`,
    ]);
  }

  deletionCancelled(to: string): Promise<void> {
    return this.send(to, 'The deletion of your account was cancelled', [
      'The deletion of your Keyhaven account was cancelled with the link from our mail. You can sign in again as before.',
      'If that was not you, change your password.',
    ]);
  }

  accountErased(to: string, requestedBy: 'self' | 'admin'): Promise<void> {
    return this.send(to, 'Your account was erased', [
      requestedBy === 'admin' ? 'An administrator erased your Keyhaven account.' : 'Your Keyhaven account was erased, as you asked.',
      'Your email address, password, second factors and sessions are deleted. This is the last mail to this address; you may sign up again with it as a new account.',
    ]);
  }

  /** The password was changed (by the owner, with the old one): every other session ended. */
  passwordChanged(to: string, context: MailContext): Promise<void> {
    return this.send(to, 'The password of your account was changed', [
      'The password of your Keyhaven account was just changed. Every other sign-in session was signed out and every remembered device forgotten.',
      describeContext(context),
      'If that was not you, someone knows your old password and had a session: reset your password through your administrator at once, and check the second factors on your account page.',
    ]);
  }

  /** A device was remembered: its next sign-ins with the password skip the second factor. */
  deviceRemembered(to: string, context: MailContext, days: number): Promise<void> {
    return this.send(to, 'A device will skip your second factor', [
      `A device was remembered on your Keyhaven account: for ${days} days, signing in there with your password alone will be enough (changes to your factors still ask for the second factor).`,
      describeContext(context),
      `If that was not you, forget the device on your account page ("Where you're signed in"), change your password, and sign out everywhere else. ${SIGN_OUT_EVERYWHERE}`,
    ]);
  }

  /** A sign-in from a device label and network this account has not signed in from before. */
  newDeviceSignIn(to: string, context: MailContext): Promise<void> {
    return this.send(to, 'New sign-in to your account', [
      'Your Keyhaven account was signed in to from a device and network it has not used before.',
      describeContext(context),
      `If that was you, there is nothing to do. If not, someone knows your password: change it now. ${SIGN_OUT_EVERYWHERE}`,
    ]);
  }

  /** Resolves when every mail started so far has been handed to SMTP (tests, shutdown). */
  async settled(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.settled();
    this.mailer.close();
  }

  private send(to: string, subject: string, lines: string[]): Promise<void> {
    const delivery = this.mailer.sendInBackground({ to, subject, text: `${lines.join('\n\n')}\n` });
    this.pending.add(delivery);
    void delivery.finally(() => this.pending.delete(delivery));
    return delivery;
  }
}

/** "An authenticator app", "A security key", "A passkey". */
function withArticle(noun: string): string {
  return `${/^[aeiou]/i.test(noun) ? 'An' : 'A'} ${noun}`;
}
