import { ApiError } from './api';

/** What the user was doing when an error came back: the same code can mean different things. */
export type ErrorContext = 'password' | 'totp' | 'recovery_code' | 'webauthn' | 'passkey' | 'enroll_totp' | 'enroll_webauthn' | 'general';

/** "30 seconds", "2 minutes", "1 hour" — rounded up, so the user never retries too early. */
export function formatWait(seconds: number): string {
  if (seconds < 60) return seconds === 1 ? '1 second' : `${Math.max(1, Math.ceil(seconds))} seconds`;
  const minutes = Math.ceil(seconds / 60);
  if (minutes < 60) return minutes === 1 ? '1 minute' : `${minutes} minutes`;
  const hours = Math.ceil(minutes / 60);
  return hours === 1 ? '1 hour' : `${hours} hours`;
}

const SESSION_ENDED = 'Your session has ended. Sign in again.';

/**
 * The text shown for an API error. Codes come from auth-service's error table; the server's own
 * message is a fallback for codes this page does not know yet, so nothing is ever shown blank.
 */
export function messageForApiError(error: ApiError, context: ErrorContext = 'general'): string {
  switch (error.code) {
    case 'invalid_credentials':
      if (context === 'enroll_totp' || context === 'enroll_webauthn') return 'That is not your current password.';
      return 'That email and password do not match an account.';
    case 'password_required':
      return 'Enter your current password: adding your first way to sign in needs it again.';
    case 'invalid_code':
      if (context === 'recovery_code') return 'That recovery code is not valid, or it has been used already.';
      return 'That code is not valid. Use the current 6-digit code from your authenticator app, and check that your phone’s clock is right.';
    case 'code_already_used':
      return 'That code has been used already. Wait for the app to show the next code, then enter it.';
    case 'too_many_attempts':
      return error.retryAfterSeconds !== undefined
        ? `Too many wrong codes. Wait ${formatWait(error.retryAfterSeconds)}, then try again.`
        : 'Too many wrong codes. Second-factor sign-in is locked for a while; try again later or ask an administrator.';
    case 'too_many_requests':
      return error.retryAfterSeconds !== undefined
        ? `Too many sign-in requests from here. Wait ${formatWait(error.retryAfterSeconds)}, then try again.`
        : 'Too many sign-in requests from here. Wait a minute, then try again.';
    case 'webauthn_failed':
      return context === 'enroll_webauthn'
        ? 'The security key or passkey could not be registered. Try again, or use another authenticator.'
        : 'The security key or passkey was not accepted. Use one registered to this account.';
    case 'challenge_expired':
    case 'challenge_not_found':
      // The server keeps each challenge once and for a few minutes: an old or reused one is refused.
      return 'That request took too long or was already used. Try again.';
    case 'unknown_credential':
      return context === 'passkey'
        ? 'This passkey is not registered with your account (it may have been removed). Sign in with your password instead.'
        : 'This security key or passkey is not registered to your account. Use one you added, or choose another way.';
    case 'counter_regression':
      return 'This security key was refused because it may have been copied. Use another way to sign in, and remove the key from your account.';
    case 'credential_already_registered':
      return 'This security key or passkey is already registered to your account.';
    case 'authenticator_not_allowed':
      return 'Your organisation does not allow this model of security key. Use another one.';
    case 'step_up_required':
      return 'For your safety, confirm it’s you before changing how you sign in.';
    case 'enrollment_required':
      return 'Your account must add a second factor before you can do anything else.';
    case 'deletion_scheduled':
      return 'This account is closed and will be erased. To keep it, use the link in the mail we sent when you deleted it.';
    case 'deletion_already_scheduled':
      return 'Your account is already scheduled for deletion.';
    case 'last_admin':
      return 'You are the last administrator, so your account cannot be deleted. Make another account an administrator first.';
    case 'too_many_exports':
      return error.message || 'You can download your data once an hour.';
    case 'wrong_token_use':
    case 'invalid_token':
    case 'unauthorized':
      return context === 'totp' || context === 'recovery_code' || context === 'webauthn'
        ? 'This sign-in attempt has expired. Start again with your email and password.'
        : SESSION_ENDED;
    case 'factor_not_found':
      return 'That factor no longer exists on your account. The list has been refreshed.';
    case 'factor_already_confirmed':
      return 'This authenticator app is already set up.';
    case 'factor_name_taken':
      return 'You already have a factor with that name. Choose another name.';
    case 'no_confirmed_factor':
      return 'Add a second factor first: recovery codes come with your first factor.';
    case 'validation_failed':
      return context === 'enroll_totp' || context === 'enroll_webauthn'
        ? 'Give the factor a name (up to 64 characters).'
        : `Check what you entered: ${error.message}`;
    case 'not_found':
      if (context === 'passkey' || context === 'webauthn' || context === 'enroll_webauthn') {
        return 'Security keys and passkeys are not available on this server yet.';
      }
      return 'The server does not know this request.';
    case 'network_error':
      return 'The server could not be reached. Check your connection and try again.';
    case 'internal_error':
    case 'service_unavailable':
      return 'Something went wrong on our side. Try again in a moment.';
    default:
      return error.message || `The request failed (${error.status}).`;
  }
}

/**
 * Errors thrown by the browser's WebAuthn ceremony (through @simplewebauthn/browser, which adds
 * a `code`). Matched by name/code only, so this stays a pure function.
 */
export function messageForWebAuthnError(error: unknown, registering: boolean): string {
  const { name, code } = (error ?? {}) as { name?: string; code?: string };
  if (code === 'ERROR_AUTHENTICATOR_PREVIOUSLY_REGISTERED' || name === 'InvalidStateError') {
    return registering ? 'This security key or passkey is already registered to your account.' : 'This authenticator cannot be used here.';
  }
  if (code === 'ERROR_AUTHENTICATOR_MISSING_DISCOVERABLE_CREDENTIAL_SUPPORT') {
    return 'This authenticator cannot store a passkey. Add it as a security key instead.';
  }
  if (code === 'ERROR_AUTHENTICATOR_MISSING_USER_VERIFICATION_SUPPORT') {
    return 'This authenticator cannot verify you (PIN or biometrics), which a passkey needs.';
  }
  if (code === 'ERROR_INVALID_DOMAIN' || code === 'ERROR_INVALID_RP_ID' || name === 'SecurityError') {
    return 'This page’s address is not allowed to use security keys. Open the account page at its usual address.';
  }
  if (name === 'NotAllowedError' || name === 'AbortError' || code === 'ERROR_CEREMONY_ABORTED') {
    return registering
      ? 'The request was cancelled or timed out. Try again and touch your security key, or confirm on your device.'
      : 'The request was cancelled or timed out, or no matching security key or passkey was found. Try again, or choose another way.';
  }
  if (name === 'NotSupportedError' || code === 'ERROR_AUTHENTICATOR_NO_SUPPORTED_PUBKEYCREDPARAMS_ALG') {
    return 'This browser or authenticator does not support what the server asked for.';
  }
  return 'The security key or passkey did not respond as expected. Try again.';
}

/** One entry point for the page: API errors, WebAuthn errors, or anything else. */
export function messageFor(error: unknown, context: ErrorContext = 'general'): string {
  if (error instanceof ApiError) return messageForApiError(error, context);
  if (context === 'webauthn' || context === 'passkey' || context === 'enroll_webauthn') {
    return messageForWebAuthnError(error, context === 'enroll_webauthn');
  }
  return 'Something unexpected went wrong. Reload the page and try again.';
}
