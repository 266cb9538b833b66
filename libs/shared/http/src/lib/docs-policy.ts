import type { FastifyInstance } from 'fastify';

/**
 * What Swagger UI (served by @nestjs/swagger at /docs) needs and nothing more: its own scripts
 * and stylesheet from this origin, the inline <style> blocks and style attributes its page and
 * components use, its icons as data: images, and "Try it out" calls to this origin. No script
 * from anywhere else and no inline script, so an injection into the page cannot run; no framing.
 * On auth-service /docs shares its origin with the account page, where a script running would
 * reach the page's sessions.
 */
export const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "form-action 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * Adds the CSP (and no framing, no sniffing) to every answer under /docs. Set when the request
 * arrives, not in an onSend hook: the docs' handlers set none of these headers, and an onSend hook
 * would run on every answer of the service — the refresh and the sign-in steps included.
 */
export function protectDocs(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    const path = request.url.split('?')[0] ?? '';
    if (path === '/docs' || path.startsWith('/docs/')) {
      void reply.header('content-security-policy', DOCS_CSP);
      void reply.header('x-content-type-options', 'nosniff');
      void reply.header('x-frame-options', 'DENY');
    }
    done();
  });
}
