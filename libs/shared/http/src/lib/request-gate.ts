import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, ErrorBody, SharedErrorCode, SHARED_ERROR_STATUS } from '@keyhaven/errors';

/**
 * The parts of the input gate that run before Nest sees a request: Fastify answers these
 * itself (routing, the raw HTTP parser), so each writes the contract's error body on its own.
 * None of them echoes the request: a 10 kB path or a header block is the client's to keep.
 */

/** Headers every answer carries, error or not: browsers must not guess a type from a body. */
export const BASELINE_HEADERS: Readonly<Record<string, string>> = { 'x-content-type-options': 'nosniff' };

function errorJson(code: SharedErrorCode, message: string): string {
  const body: ErrorBody = { error: { code, message } };
  return JSON.stringify(body);
}

/**
 * `%00` anywhere in the path or query decodes to NUL in a parameter; PostgreSQL cannot store it
 * in text and no identifier of ours contains it. Checked on the raw URL, so every route (and
 * the 404 handler) refuses it the same way and no handler ever sees one. `%2500` is a literal
 * "%00" and passes.
 */
export function refuseNulInUrl(request: FastifyRequest, _reply: FastifyReply, done: (error?: Error) => void): void {
  if (/%00/i.test(request.url)) {
    done(new DomainError('validation_failed', 'The URL must not contain NUL characters (%00).'));
    return;
  }
  done();
}

/**
 * Fastify's `frameworkErrors`: a URL its router cannot decode (`%ZZ`, bad UTF-8) or a path
 * parameter over `maxParamLength`. Fastify's default answers echo the whole path.
 */
export function answerFrameworkError(error: Error & { code?: string }, request: FastifyRequest, reply: FastifyReply): void {
  const [status, code, message]: [number, SharedErrorCode, string] =
    error.code === 'FST_ERR_BAD_URL'
      ? [SHARED_ERROR_STATUS.bad_url, 'bad_url', 'The URL is not valid: a percent-escape or its UTF-8 is malformed.']
      : error.code === 'FST_ERR_MAX_PARAM_LENGTH'
        ? [SHARED_ERROR_STATUS.uri_too_long, 'uri_too_long', 'A part of the URL path is longer than any resource name.']
        : [SHARED_ERROR_STATUS.bad_request, 'bad_request', 'The request could not be routed.'];
  void reply
    .status(status)
    .headers({ ...BASELINE_HEADERS, 'x-request-id': request.id, 'content-type': 'application/json; charset=utf-8' })
    .send(errorJson(code, message));
}

/**
 * Node counts the request line toward its header limit (16 KiB), so a URL that alone fills it
 * overflows "the headers": a request line this long is answered 414, as a URL too long.
 */
const LONGEST_REQUEST_LINE = 8 * 1024;

/** Node hands the bytes it buffered as `rawPacket` (a Buffer, whatever Fastify's typings say). */
function requestLineLength(packet: unknown): number {
  if (!Buffer.isBuffer(packet)) return 0;
  const end = packet.indexOf('\r\n');
  return end === -1 ? packet.length : end;
}

/**
 * The raw server's `clientError`: Node's HTTP parser refused the request before Fastify made a
 * request of it (headers over the limit, a malformed request line, a timeout). Fastify's
 * default writes `{"error":…,"message":"Client Error"}`; this writes the contract's shape and
 * closes the connection, which is all HTTP allows once the parser lost its place.
 */
export function answerClientError(error: Error & { code?: string; rawPacket?: unknown }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, message]: [number, SharedErrorCode, string] =
    error.code === 'HPE_HEADER_OVERFLOW' && requestLineLength(error.rawPacket) > LONGEST_REQUEST_LINE
      ? [SHARED_ERROR_STATUS.uri_too_long, 'uri_too_long', 'The URL is longer than allowed.']
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? [SHARED_ERROR_STATUS.headers_too_large, 'headers_too_large', 'The request headers are larger than allowed.']
        : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? [SHARED_ERROR_STATUS.request_timeout, 'request_timeout', 'The request did not arrive in time.']
          : [SHARED_ERROR_STATUS.bad_request, 'bad_request', 'The request is not valid HTTP.'];
  const body = errorJson(code, message);
  if (socket.writable) {
    const headers = [
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`,
      'content-type: application/json; charset=utf-8',
      `content-length: ${Buffer.byteLength(body)}`,
      ...Object.entries(BASELINE_HEADERS).map(([name, value]) => `${name}: ${value}`),
      'connection: close',
    ];
    socket.write(`${headers.join('\r\n')}\r\n\r\n${body}`);
  }
  socket.destroy(error);
}
