// Answers one route with fixed bytes and headers: the floor a service route is compared to.
// `requestId`: each answer also carries an `x-request-id` minted per request (a random UUID, first
// of the headers), as the services answer a caller that sends none — the same bytes on the wire.
import { randomUUID } from 'node:crypto';

export default async function staticRoute(fastify, { method = 'GET', url, status = 200, headers = {}, body = '', requestId = false }) {
  const payload = Buffer.from(body, 'base64');
  const handler = requestId
    ? (_request, reply) => reply.code(status).header('x-request-id', randomUUID()).headers(headers).send(payload)
    : (_request, reply) => reply.code(status).headers(headers).send(payload);
  fastify.route({ method, url, handler });
}
