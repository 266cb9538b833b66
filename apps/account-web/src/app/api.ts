/**
 * The auth-service HTTP API as the page uses it. The page is served by auth-service itself at
 * `/`, so every call is a same-origin relative path: no CORS, and the strict CSP only needs
 * `connect-src 'self'`.
 */
import type { RecordsOfProcessing, RetentionView } from '@keyhaven/database';
import type { components } from './generated/auth-api';

/**
 * auth-service's documented shapes, generated from its OpenAPI document at build time
 * (tools/scripts/api-types.mjs → generated/auth-api.ts; CI fails when that file is stale), so a
 * server change that the page does not follow fails the type check instead of the page.
 */
type Schemas = components['schemas'];

export type SecondFactorMethod = Schemas['SessionAnswerDto']['methods'][number];

export type SessionAnswer = Schemas['SessionAnswerDto'];

/** A factor as the page reads it: what it shows, and whether it is pending or a passkey. */
export type Factor = Pick<Schemas['FactorDto'], 'id' | 'type' | 'name' | 'createdAt' | 'lastUsedAt'> &
  Partial<Pick<Schemas['FactorDto'], 'confirmed' | 'passkey'>>;

export type TotpEnrollment = Schemas['TotpEnrollmentDto'];

export type ConfirmedFactor = Schemas['ConfirmedFactorDto'];

/**
 * A security event as the page reads it. `type` stays a string: a newer server may record kinds
 * this page does not know yet, and the page describes those generically.
 */
export type SecurityEvent = Pick<Schemas['SecurityEventDto'], 'id' | 'occurredAt'> &
  Partial<Pick<Schemas['SecurityEventDto'], 'ipPrefix' | 'details'>> & { type: string };

/**
 * auth-service's records of processing (`GET /v1/privacy/records`), as far as the page reads them.
 * The OpenAPI document describes that answer in words only, so the shape comes from the type the
 * server builds it with (@keyhaven/database, a type-only import: nothing of it is bundled).
 */
export interface PrivacyRecords extends Pick<RecordsOfProcessing, 'url'> {
  storage: (Pick<RecordsOfProcessing['storage'][number], 'table' | 'personalData' | 'holds'> & { retention: Omit<RetentionView, 'table'> })[];
}

export type SessionView = Schemas['SessionViewDto'];

export type RememberedDeviceView = Schemas['RememberedDeviceViewDto'];

export type SessionList = Schemas['SessionListDto'];

/** An answer in the uniform error shape `{error:{code,message,details?}}` (or a network failure). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    /** From `Retry-After` (429), in seconds. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Reads an error answer; a body that is not the uniform shape still yields a code from the status. */
export async function apiErrorFrom(response: Response): Promise<ApiError> {
  const retryAfter = parseRetryAfter(response.headers.get('retry-after'));
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    body = undefined;
  }
  const error = (body as { error?: { code?: unknown; message?: unknown; details?: unknown } } | undefined)?.error;
  if (error && typeof error.code === 'string') {
    return new ApiError(response.status, error.code, typeof error.message === 'string' ? error.message : '', error.details, retryAfter);
  }
  return new ApiError(response.status, `http_${response.status}`, response.statusText, undefined, retryAfter);
}

/** `Retry-After` is either delta-seconds or an HTTP date (RFC 9110 10.2.3). */
export function parseRetryAfter(value: string | null, nowMs = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - nowMs) / 1000));
}

export class AuthApi {
  constructor(private readonly fetchImpl: typeof fetch = (input, init) => fetch(input, init)) {}

  /**
   * The sign-in routes are the only calls that carry a cookie: the remembered device's (HttpOnly,
   * SameSite=Strict, Path=/v1/sessions), which the browser sends and the page never sees. A
   * step-up asks for the real second factor (`skipRememberedDevice`).
   */
  signIn(email: string, password: string, options: { skipRememberedDevice?: boolean } = {}): Promise<SessionAnswer> {
    return this.call(
      'POST',
      '/v1/sessions',
      undefined,
      { email, password, ...(options.skipRememberedDevice ? { skipRememberedDevice: true } : {}) } satisfies Schemas['SignInDto'],
      'same-origin',
    );
  }

  totpStep(pendingToken: string, code: string, rememberDevice = false): Promise<SessionAnswer> {
    return this.call(
      'POST',
      '/v1/sessions/mfa/totp',
      pendingToken,
      { code, ...(rememberDevice ? { rememberDevice } : {}) } satisfies Schemas['CodeDto'],
      'same-origin',
    );
  }

  recoveryCodeStep(pendingToken: string, code: string, rememberDevice = false): Promise<SessionAnswer> {
    return this.call(
      'POST',
      '/v1/sessions/mfa/recovery-code',
      pendingToken,
      { code, ...(rememberDevice ? { rememberDevice } : {}) } satisfies Schemas['CodeDto'],
      'same-origin',
    );
  }

  refresh(refreshToken: string): Promise<SessionAnswer> {
    return this.call('POST', '/v1/sessions/refresh', undefined, { refreshToken } satisfies Schemas['RefreshDto']);
  }

  signOut(token: string): Promise<void> {
    return this.call('POST', '/v1/sessions/sign-out', token);
  }

  sessions(token: string): Promise<SessionList> {
    return this.call('GET', '/v1/me/sessions', token);
  }

  revokeSession(token: string, id: string): Promise<void> {
    return this.call('DELETE', `/v1/me/sessions/${encodeURIComponent(id)}`, token);
  }

  revokeOtherSessions(token: string): Promise<{ revoked: number }> {
    return this.call('DELETE', '/v1/me/sessions', token);
  }

  forgetDevice(token: string, id: string): Promise<void> {
    return this.call('DELETE', `/v1/me/remembered-devices/${encodeURIComponent(id)}`, token);
  }

  webauthnStepOptions(pendingToken: string): Promise<unknown> {
    return this.call('POST', '/v1/sessions/mfa/webauthn/options', pendingToken);
  }

  webauthnStep(pendingToken: string, response: unknown, rememberDevice = false): Promise<SessionAnswer> {
    return this.call('POST', '/v1/sessions/mfa/webauthn', pendingToken, { response, ...(rememberDevice ? { rememberDevice } : {}) }, 'same-origin');
  }

  passkeyOptions(): Promise<unknown> {
    return this.call('POST', '/v1/sessions/passkey/options');
  }

  passkeySignIn(response: unknown): Promise<SessionAnswer> {
    return this.call('POST', '/v1/sessions/passkey', undefined, { response });
  }

  factors(token: string): Promise<Factor[]> {
    return this.call('GET', '/v1/me/factors', token);
  }

  /** `currentPassword`: needed for the account's first factor (the server says password_required otherwise). */
  enrollTotp(token: string, name: string, currentPassword?: string): Promise<TotpEnrollment> {
    return this.call('POST', '/v1/me/factors/totp', token, {
      name,
      ...(currentPassword === undefined ? {} : { currentPassword }),
    } satisfies Schemas['EnrollTotpDto']);
  }

  confirmTotp(token: string, id: string, code: string): Promise<ConfirmedFactor> {
    return this.call('POST', `/v1/me/factors/totp/${encodeURIComponent(id)}/confirm`, token, { code } satisfies Schemas['ConfirmTotpDto']);
  }

  webauthnRegistrationOptions(token: string, passkey: boolean, currentPassword?: string): Promise<unknown> {
    return this.call('POST', '/v1/me/factors/webauthn/options', token, {
      passkey,
      ...(currentPassword === undefined ? {} : { currentPassword }),
    } satisfies Schemas['WebAuthnRegistrationOptionsDto']);
  }

  registerWebauthn(token: string, name: string, response: unknown): Promise<ConfirmedFactor> {
    return this.call('POST', '/v1/me/factors/webauthn', token, { name, response });
  }

  removeFactor(token: string, id: string): Promise<void> {
    return this.call('DELETE', `/v1/me/factors/${encodeURIComponent(id)}`, token);
  }

  recoveryCodesRemaining(token: string): Promise<Schemas['RemainingDto']> {
    return this.call('GET', '/v1/me/recovery-codes', token);
  }

  regenerateRecoveryCodes(token: string): Promise<Schemas['RecoveryCodesDto']> {
    return this.call('POST', '/v1/me/recovery-codes', token);
  }

  securityEvents(token: string): Promise<SecurityEvent[]> {
    return this.call('GET', '/v1/me/security-events', token);
  }

  privacyRecords(): Promise<PrivacyRecords> {
    return this.call('GET', '/v1/privacy/records');
  }

  /** The export as the text of the attachment and the file name the server suggests. */
  async exportData(token: string): Promise<{ text: string; fileName: string }> {
    const response = await this.send('GET', '/v1/me/export', token);
    const fileName = /filename="([^"]+)"/.exec(response.headers.get('content-disposition') ?? '')?.[1] ?? 'keyhaven-export.json';
    return { text: await response.text(), fileName };
  }

  deleteAccount(token: string): Promise<{ erasureScheduledAt: string }> {
    return this.call('DELETE', '/v1/me', token);
  }

  private async call<T>(method: string, path: string, token?: string, body?: unknown, credentials: RequestCredentials = 'omit'): Promise<T> {
    const response = await this.send(method, path, token, body, credentials);
    if (response.status === 204) return undefined as T;
    return (await response.json()) as T;
  }

  private async send(method: string, path: string, token?: string, body?: unknown, credentials: RequestCredentials = 'omit'): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (token) headers['authorization'] = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await this.fetchImpl(path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        // Tokens travel only in the Authorization header; the one cookie (a remembered device)
        // goes only to the sign-in routes.
        credentials,
        cache: 'no-store',
      });
    } catch {
      throw new ApiError(0, 'network_error', 'The server could not be reached.');
    }
    if (!response.ok) throw await apiErrorFrom(response);
    return response;
  }
}
