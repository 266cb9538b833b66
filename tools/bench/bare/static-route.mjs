// Answers one route with fixed bytes and headers: the floor a service route is compared to.
export default async function staticRoute(fastify, { method = 'GET', url, status = 200, headers = {}, body = '' }) {
  const payload = Buffer.from(body, 'base64');
  fastify.route({ method, url, handler: (_request, reply) => reply.code(status).headers(headers).send(payload) });
}
