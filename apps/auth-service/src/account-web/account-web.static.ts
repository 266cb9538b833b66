/**
 * Serves the built account page (apps/account-web → dist/apps/account-web) at `/` with a strict
 * Content-Security-Policy, beside the API on the same origin.
 */
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Everything the page needs and nothing more: its own script and stylesheet, calls to its own
 * origin, the QR code as a blob: image. No 'unsafe-inline'/'unsafe-eval', no third-party host,
 * Trusted Types so no string can become markup or script, and no framing (clickjacking a
 * "remove factor" button).
 */
export const ACCOUNT_WEB_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob:",
  "connect-src 'self'",
  "form-action 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "require-trusted-types-for 'script'",
  'trusted-types',
].join('; ');

export const ACCOUNT_WEB_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': ACCOUNT_WEB_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'publickey-credentials-get=(self), publickey-credentials-create=(self), camera=(), microphone=(), geolocation=()',
  // Small files that change with every release: revalidate rather than serve a stale app.js.
  'cache-control': 'no-cache',
};

/**
 * Registers dist/apps/account-web at `/` on auth-service's Fastify instance (in Nest:
 * `app.getHttpAdapter().getInstance()`, before `app.init()`). `wildcard: false` makes
 * @fastify/static register one route per file found at boot (index.html also as `/`), so unknown
 * paths still reach the JSON 404 and no static route shadows the API. Returns false (serving
 * nothing) when the page was not built, so the API still boots without it.
 */
export async function registerAccountWeb(fastify: FastifyInstance, root: string): Promise<boolean> {
  if (!existsSync(join(root, 'index.html'))) return false;
  await fastify.register(fastifyStatic, {
    root,
    prefix: '/',
    wildcard: false,
    index: ['index.html'],
    serveDotFiles: false,
    // Source maps are for our debugging, not for the public: app.js.map (if a build left one)
    // answers the JSON 404 like any unknown path.
    allowedPath: (pathName) => !pathName.endsWith('.map'),
    // @fastify/static 10 hands over the Fastify reply here (not a Node ServerResponse).
    setHeaders(reply) {
      reply.headers(ACCOUNT_WEB_HEADERS);
    },
  });
  return true;
}
