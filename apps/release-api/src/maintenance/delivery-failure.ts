import { formatDuration } from '@keyhaven/config';
import { WebhookTargetForbidden } from '@keyhaven/release-maintenance';

/** OpenSSL's and Node's codes for a certificate or handshake that did not pass. */
const TLS_CODES = new Set([
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'EPROTO',
]);

interface SystemError extends Error {
  code?: string;
  address?: string;
  port?: number;
  hostname?: string;
  /** nodemailer: the SMTP server's reply code and line. */
  responseCode?: number;
  response?: string;
}

/**
 * What a delivery's `lastError` says: the cause an operator can act on (DNS, refused, timeout,
 * TLS, an HTTP status, the egress policy), never Node's bare "fetch failed" or a stack. The
 * text names hosts and addresses, not the URL's path (which may hold the receiver's token).
 */
export function describeDeliveryFailure(error: unknown, timeoutMs: number): string {
  // Duck-typed: errors of node:net and node:tls may come from another realm than this `Error`.
  if (!isErrorLike(error)) return String(error);
  if (error instanceof WebhookTargetForbidden) return error.message;
  const failure = error;
  const cause = isErrorLike(failure.cause) ? failure.cause : undefined;
  const code = failure.code ?? cause?.code;
  if (
    failure.name === 'AbortError' ||
    failure.name === 'TimeoutError' ||
    cause?.name === 'TimeoutError' ||
    code === 'ETIMEDOUT' ||
    code === 'ESOCKETTIMEDOUT'
  ) {
    return `timeout: no answer within ${formatDuration(timeoutMs)} (MAINTENANCE_WEBHOOK_TIMEOUT)`;
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME' || code === 'ENODATA') {
    const host = failure.hostname ?? /(?:ENOTFOUND|EAI_AGAIN)\s+(\S+)|^(\S+) has no address/.exec(failure.message)?.slice(1).find(Boolean);
    return `DNS: ${host ?? 'the host'} could not be resolved (${code})`;
  }
  if (code === 'ECONNREFUSED') return `connection refused by ${endpoint(failure)}`;
  if (code === 'ECONNRESET' || code === 'EPIPE') return `connection closed by the receiver before it answered (${code})`;
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return `network: ${endpoint(failure)} is unreachable (${code})`;
  if (code && (TLS_CODES.has(code) || code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_'))) return `TLS: ${tlsReason(failure.message)} (${code})`;
  if (failure.responseCode !== undefined) return `SMTP ${failure.responseCode}: ${failure.response ?? failure.message}`;
  return code && !failure.message.includes(code) ? `${failure.message} (${code})` : failure.message;
}

function isErrorLike(value: unknown): value is SystemError {
  return typeof value === 'object' && value !== null && typeof (value as { message?: unknown }).message === 'string';
}

/** OpenSSL's reason ("wrong version number") instead of its error stack line. */
function tlsReason(message: string): string {
  return /SSL routines:[^:]*:([^:]+):/.exec(message)?.[1] ?? message.trim();
}

function endpoint(failure: SystemError): string {
  return failure.address
    ? `${failure.address.includes(':') ? `[${failure.address}]` : failure.address}${failure.port ? `:${failure.port}` : ''}`
    : 'the receiver';
}
