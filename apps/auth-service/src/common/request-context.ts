import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

/** Who is asking and from where, as the services need it for audit, limits and session labels. */
export interface ClientInfo {
  ip: string | undefined;
  /** The User-Agent header, only to derive a device label from (never stored as it is). */
  userAgent?: string | undefined;
}

export const clientOf = (request: FastifyRequest): ClientInfo => {
  const userAgent = request.headers['user-agent'];
  return { ip: request.ip, userAgent: typeof userAgent === 'string' ? userAgent : undefined };
};

export const Client = createParamDecorator((_data: unknown, context: ExecutionContext): ClientInfo =>
  clientOf(context.switchToHttp().getRequest<FastifyRequest>()),
);
