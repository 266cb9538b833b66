import type { Factor, SecondFactorMethod, SecurityEvent } from './api';

export interface DateOptions {
  /** Defaults to the browser's; tests pin it. */
  locale?: string;
  timeZone?: string;
}

/** A date and time in the user's own locale, or "Never" for a factor not used yet. */
export function formatWhen(iso: string | null | undefined, options: DateOptions = {}): string {
  if (!iso) return 'Never';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return 'Unknown';
  return new Intl.DateTimeFormat(options.locale, { dateStyle: 'medium', timeStyle: 'short', timeZone: options.timeZone }).format(date);
}

export function factorKind(factor: Factor): string {
  if (factor.type === 'totp') return 'Authenticator app';
  if (factor.passkey === true) return 'Passkey';
  if (factor.passkey === false) return 'Security key';
  return 'Security key or passkey';
}

export const METHOD_LABELS: Readonly<Record<SecondFactorMethod, string>> = {
  webauthn: 'Security key or passkey',
  totp: 'Authenticator app',
  recovery_code: 'Recovery code',
};

/** The strongest way first: phishing-resistant keys, then app codes, the recovery code last. */
export function orderMethods(methods: readonly string[]): SecondFactorMethod[] {
  const order: SecondFactorMethod[] = ['webauthn', 'totp', 'recovery_code'];
  return order.filter((method) => methods.includes(method));
}

/** The base32 secret in groups of four, easier to type into an app by hand (apps ignore spaces). */
export function groupSecret(secret: string): string {
  return (secret.replace(/\s+/g, '').match(/.{1,4}/g) ?? []).join(' ');
}

const EVENT_LABELS: Readonly<Record<string, string>> = {
  factor_enrolled: 'Factor setup started',
  factor_confirmed: 'Factor added',
  factor_removed: 'Factor removed',
  mfa_succeeded: 'Signed in with a second factor',
  mfa_failed: 'Wrong second-factor code or key',
  code_reused: 'An already used code was tried again',
  recovery_code_used: 'Recovery code used',
  recovery_codes_regenerated: 'New recovery codes generated',
  mfa_locked: 'Second-factor sign-in locked after too many failures',
  admin_factors_reset: 'An administrator reset your factors',
  webauthn_counter_regression: 'A security key may have been cloned',
  session_revoked: 'Signed out',
  refresh_token_reused: 'A session was signed out: its token was used twice',
  password_changed: 'Password changed',
  password_check_failed: 'Wrong current password entered',
  device_remembered: 'Device remembered',
  devices_forgotten: 'Remembered devices forgotten',
  device_token_ignored: "Another account's remembered device was refused",
  new_device_sign_in: 'Sign-in from a new device',
};

/** A readable line for an audit event; unknown types still show, as words. */
export function describeEvent(event: SecurityEvent): string {
  const label = EVENT_LABELS[event.type] ?? capitalise(event.type.replace(/_/g, ' '));
  const method = event.details?.['method'];
  const name = event.details?.['name'];
  const extras: string[] = [];
  if (typeof method === 'string' && method in METHOD_LABELS) extras.push(METHOD_LABELS[method as SecondFactorMethod].toLowerCase());
  if (typeof name === 'string' && name) extras.push(`“${name}”`);
  const reason = event.details?.['reason'];
  if (event.type === 'admin_factors_reset' && typeof reason === 'string' && reason) extras.push(`reason: ${reason}`);
  return extras.length ? `${label} (${extras.join(', ')})` : label;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
