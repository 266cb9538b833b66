import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, ErrorBody } from './domain-error';
import { CODE_FOR_STATUS, SharedErrorCode } from './shared-codes';

interface Answer {
  status: number;
  code: string;
  message: string;
  details?: unknown;
  headers?: Readonly<Record<string, string>>;
}

/** Fastify's own request errors (raised before a route runs) and what they mean to a client. */
const FASTIFY_ERRORS: Readonly<Record<string, { code: SharedErrorCode; message: string }>> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'malformed_json', message: 'The request body is not valid JSON.' },
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    code: 'malformed_json',
    message: 'The request says it is JSON but the body is empty.',
  },
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'payload_too_large', message: 'The request body is larger than allowed.' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    code: 'unsupported_media_type',
    message: 'This content type is not accepted; send application/json.',
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    code: 'bad_request',
    message: 'The Content-Length header does not match the body.',
  },
  FST_ERR_BAD_URL: { code: 'bad_url', message: 'The URL is not valid: a percent-escape or its UTF-8 is malformed.' },
  FST_ERR_MAX_PARAM_LENGTH: { code: 'uri_too_long', message: 'A part of the URL path is longer than any resource name.' },
};

/**
 * Framework exceptions carry messages meant for developers ("ThrottlerException: Too Many
 * Requests"); these statuses get a sentence meant for the caller instead.
 */
const MESSAGE_FOR_STATUS: Readonly<Record<number, string>> = {
  404: 'No such resource.',
  405: 'This method is not allowed on this resource.',
  429: 'Too many requests from this address: wait a little, then try again.',
};

/**
 * The one exception filter of a service: every error leaves as
 * `{ error: { code, message, details? } }` with the status from the service's code table.
 * Anything unexpected is logged with its stack and answered as a generic 500 that leaks nothing.
 */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('ApiExceptionFilter');

  constructor(private readonly statusByCode: Readonly<Record<string, HttpStatus>>) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const request = http.getRequest<FastifyRequest>();
    const answer = errorAnswer(exception, this.statusByCode);
    if (answer.status >= 500) {
      this.logger.error(
        { err: exception, method: request?.method, url: request?.url },
        `Unhandled error: ${exception instanceof Error ? exception.message : String(exception)}`,
      );
    }
    if (reply.sent) return;
    reply.status(answer.status);
    for (const [name, value] of Object.entries(answer.headers)) reply.header(name, value);
    reply.send(answer.body);
  }
}

/**
 * What an error becomes on the wire — the status from the service's code table, the uniform
 * `{ error: { code, message, details? } }` body (serialised) and the headers it asks for. The one
 * mapping, shared by the filter and by routes served outside Nest's pipeline (lean routes).
 */
export function errorAnswer(
  exception: unknown,
  statusByCode: Readonly<Record<string, HttpStatus>>,
): { status: number; headers: Readonly<Record<string, string>>; body: string } {
  const answer = answerFor(exception, statusByCode);
  const body: ErrorBody = { error: { code: answer.code, message: answer.message } };
  if (answer.details !== undefined) body.error.details = answer.details;
  return { status: answer.status, headers: { ...answer.headers, 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify(body) };
}

function answerFor(exception: unknown, statusByCode: Readonly<Record<string, HttpStatus>>): Answer {
  if (exception instanceof DomainError) {
    const status = statusByCode[exception.code];
    if (status === undefined) return INTERNAL;
    return {
      status,
      code: exception.code,
      message: exception.message,
      details: exception.details,
      headers: exception.headers,
    };
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const code = CODE_FOR_STATUS[status];
    const response = exception.getResponse();
    if (status === HttpStatus.SERVICE_UNAVAILABLE) {
      // Readiness probes: the failing checks are the point of the answer.
      return { status, code: 'service_unavailable', message: 'The service is not ready.', details: response };
    }
    if (!code || status >= 500) return INTERNAL;
    const message =
      typeof response === 'object' && response !== null && typeof (response as { message?: unknown }).message === 'string'
        ? (response as { message: string }).message
        : exception.message;
    return { status, code, message: MESSAGE_FOR_STATUS[status] ?? message.slice(0, 500) };
  }
  const fastify = fastifyError(exception);
  if (fastify) {
    const known = FASTIFY_ERRORS[fastify.code];
    if (known) return { status: statusByCode[known.code] ?? 400, ...known };
    if (fastify.statusCode >= 400 && fastify.statusCode < 500) {
      return {
        status: fastify.statusCode,
        code: CODE_FOR_STATUS[fastify.statusCode] ?? 'bad_request',
        message: MESSAGE_FOR_STATUS[fastify.statusCode] ?? fastify.message.slice(0, 500),
      };
    }
  }
  return INTERNAL;
}

const INTERNAL: Answer = { status: 500, code: 'internal_error', message: 'An unexpected error occurred.' };

function fastifyError(exception: unknown): { code: string; statusCode: number; message: string } | undefined {
  if (typeof exception !== 'object' || exception === null) return undefined;
  const candidate = exception as { code?: unknown; statusCode?: unknown; message?: unknown };
  if (typeof candidate.statusCode !== 'number') return undefined;
  return {
    code: typeof candidate.code === 'string' ? candidate.code : '',
    statusCode: candidate.statusCode,
    message: typeof candidate.message === 'string' ? candidate.message : 'Bad request.',
  };
}
