import { ApiError } from './api';
import { formatWait, messageFor, messageForApiError, messageForWebAuthnError } from './messages';

const apiError = (code: string, status = 400, retryAfterSeconds?: number, message = 'server text') =>
  new ApiError(status, code, message, undefined, retryAfterSeconds);

describe('messages', () => {
  describe('formatWait', () => {
    it.each([
      [1, '1 second'],
      [30, '30 seconds'],
      [60, '1 minute'],
      [61, '2 minutes'],
      [3600, '1 hour'],
      [3601, '2 hours'],
    ])('says %i s as "%s", rounding up', (seconds, text) => {
      expect(formatWait(seconds)).toBe(text);
    });
  });

  describe('messageForApiError', () => {
    it('tells a wrong password apart from a wrong code', () => {
      expect(messageForApiError(apiError('invalid_credentials', 401), 'password')).toBe('That email and password do not match an account.');
      expect(messageForApiError(apiError('invalid_code', 401), 'totp')).toMatch(/^That code is not valid/);
      expect(messageForApiError(apiError('invalid_code', 401), 'recovery_code')).toMatch(/recovery code is not valid, or it has been used/);
    });

    it('asks for the current password when the first factor is added, and says when it is wrong', () => {
      expect(messageForApiError(apiError('password_required', 403), 'enroll_totp')).toMatch(/^Enter your current password/);
      expect(messageForApiError(apiError('invalid_credentials', 401), 'enroll_webauthn')).toBe('That is not your current password.');
    });

    it('asks to wait for the next code after a reused one', () => {
      expect(messageForApiError(apiError('code_already_used', 401), 'totp')).toMatch(/used already. Wait for the app to show the next code/);
    });

    it('says how long to wait from Retry-After, and what a lock means without it', () => {
      expect(messageForApiError(apiError('too_many_attempts', 429, 90), 'totp')).toBe('Too many wrong codes. Wait 2 minutes, then try again.');
      expect(messageForApiError(apiError('too_many_attempts', 429), 'totp')).toMatch(/locked for a while/);
      expect(messageForApiError(apiError('too_many_requests', 429, 20))).toMatch(/Wait 20 seconds/);
    });

    it('sends an expired pending token back to the password step, and an expired session to sign-in', () => {
      expect(messageForApiError(apiError('invalid_token', 401), 'totp')).toMatch(/expired. Start again with your email and password/);
      expect(messageForApiError(apiError('invalid_token', 401), 'general')).toBe('Your session has ended. Sign in again.');
    });

    it('explains a missing WebAuthn route as not available yet', () => {
      expect(messageForApiError(apiError('not_found', 404), 'passkey')).toBe('Security keys and passkeys are not available on this server yet.');
      expect(messageForApiError(apiError('not_found', 404), 'general')).toBe('The server does not know this request.');
    });

    it('explains the WebAuthn refusals: stale challenge, unknown or cloned key, duplicate, disallowed model', () => {
      expect(messageForApiError(apiError('challenge_expired', 401), 'webauthn')).toBe('That request took too long or was already used. Try again.');
      expect(messageForApiError(apiError('challenge_not_found', 401), 'passkey')).toBe('That request took too long or was already used. Try again.');
      expect(messageForApiError(apiError('unknown_credential', 401), 'passkey')).toMatch(/passkey is not registered with your account/);
      expect(messageForApiError(apiError('unknown_credential', 401), 'webauthn')).toMatch(/not registered to your account/);
      expect(messageForApiError(apiError('counter_regression', 401), 'webauthn')).toMatch(/may have been copied/);
      expect(messageForApiError(apiError('credential_already_registered', 409), 'enroll_webauthn')).toBe(
        'This security key or passkey is already registered to your account.',
      );
      expect(messageForApiError(apiError('authenticator_not_allowed', 400), 'enroll_webauthn')).toMatch(/does not allow this model/);
    });

    it('asks for a name when a factor name is refused', () => {
      expect(messageForApiError(apiError('validation_failed'), 'enroll_totp')).toBe('Give the factor a name (up to 64 characters).');
      expect(messageForApiError(apiError('factor_name_taken', 409), 'enroll_webauthn')).toMatch(/already have a factor with that name/);
    });

    it('falls back to the server message for a code it does not know, never to an empty text', () => {
      expect(messageForApiError(apiError('brand_new_code', 418, undefined, 'Teapot says no.'))).toBe('Teapot says no.');
      expect(messageForApiError(apiError('brand_new_code', 418, undefined, ''))).toBe('The request failed (418).');
    });

    it('never shows a server 500 text', () => {
      expect(messageForApiError(apiError('internal_error', 500, undefined, 'stack trace here'))).toBe(
        'Something went wrong on our side. Try again in a moment.',
      );
    });
  });

  describe('messageForWebAuthnError', () => {
    it('says a key is already registered when the authenticator is in excludeCredentials', () => {
      expect(messageForWebAuthnError({ name: 'InvalidStateError', code: 'ERROR_AUTHENTICATOR_PREVIOUSLY_REGISTERED' }, true)).toBe(
        'This security key or passkey is already registered to your account.',
      );
    });

    it('treats NotAllowedError as cancelled or timed out', () => {
      expect(messageForWebAuthnError({ name: 'NotAllowedError', code: 'ERROR_PASSTHROUGH_SEE_CAUSE_PROPERTY' }, false)).toMatch(/cancelled or timed out/);
    });

    it('names a wrong page address (RP ID / origin) as the cause', () => {
      expect(messageForWebAuthnError({ name: 'SecurityError', code: 'ERROR_INVALID_RP_ID' }, false)).toMatch(/address is not allowed/);
    });

    it('has a message for anything else', () => {
      expect(messageForWebAuthnError(undefined, false)).toBe('The security key or passkey did not respond as expected. Try again.');
    });
  });

  describe('messageFor', () => {
    it('maps API errors first, also during a WebAuthn step', () => {
      expect(messageFor(apiError('webauthn_failed', 401), 'webauthn')).toMatch(/was not accepted/);
      expect(messageFor(new DOMException('x', 'NotAllowedError'), 'webauthn')).toMatch(/cancelled or timed out/);
      expect(messageFor(new Error('boom'), 'general')).toBe('Something unexpected went wrong. Reload the page and try again.');
    });
  });
});
