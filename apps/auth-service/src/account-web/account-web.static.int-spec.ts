import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import Fastify, { FastifyInstance } from 'fastify';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ACCOUNT_WEB_CSP, registerAccountWeb } from './account-web.static';

/** A real Fastify instance serving a folder shaped like dist/apps/account-web. */
async function setup(
  files: Record<string, string> = { 'index.html': '<!doctype html><title>Your Keyhaven account</title>', 'app.js': 'void 0;', 'styles.css': 'body{}' },
) {
  const root = await mkdtemp(join(tmpdir(), 'account-web-'));
  for (const [name, body] of Object.entries(files)) await writeFile(join(root, name), body);
  const sut: FastifyInstance = Fastify();
  sut.get('/v1/me/factors', async () => []);
  const registered = await registerAccountWeb(sut, root);
  await sut.ready();
  return { sut, registered, cleanup: async () => (await sut.close(), await rm(root, { recursive: true, force: true })) };
}

describe('registerAccountWeb', () => {
  it('serves index.html at / with the strict CSP and security headers', async () => {
    const { sut, registered, cleanup } = await setup();
    const answer = await sut.inject({ method: 'GET', url: '/' });
    expect(registered).toBe(true);
    expect(answer.statusCode).toBe(200);
    expect(answer.headers['content-type']).toMatch(/^text\/html/);
    expect(answer.headers['content-security-policy']).toBe(ACCOUNT_WEB_CSP);
    expect(answer.headers['x-content-type-options']).toBe('nosniff');
    expect(answer.headers['referrer-policy']).toBe('no-referrer');
    expect(answer.body).toContain('Your Keyhaven account');
    await cleanup();
  });

  it('serves the bundle and the stylesheet, and leaves the API routes alone', async () => {
    const { sut, cleanup } = await setup();
    expect((await sut.inject({ method: 'GET', url: '/app.js' })).headers['content-type']).toMatch(/javascript/);
    expect((await sut.inject({ method: 'GET', url: '/styles.css' })).headers['content-type']).toMatch(/^text\/css/);
    expect((await sut.inject({ method: 'GET', url: '/v1/me/factors' })).json()).toEqual([]);
    await cleanup();
  });

  it('answers 404 for files that were not there at boot and for paths outside the folder', async () => {
    const { sut, cleanup } = await setup();
    expect((await sut.inject({ method: 'GET', url: '/v1/nope' })).statusCode).toBe(404);
    expect((await sut.inject({ method: 'GET', url: '/../package.json' })).statusCode).toBe(404);
    expect((await sut.inject({ method: 'GET', url: '/%2e%2e/package.json' })).statusCode).toBe(404);
    await cleanup();
  });

  it('does not serve source maps, even when the build left one', async () => {
    const { sut, cleanup } = await setup({
      'index.html': '<!doctype html><title>x</title>',
      'app.js': 'void 0;',
      'app.js.map': '{"version":3,"sources":["main.ts"]}',
    });
    const map = await sut.inject({ method: 'GET', url: '/app.js.map' });
    expect(map.statusCode).toBe(404);
    expect(map.body).not.toContain('sources');
    expect((await sut.inject({ method: 'GET', url: '/app.js' })).statusCode).toBe(200);
    await cleanup();
  });

  it('serves nothing (and says so) when the page was not built', async () => {
    const { sut, registered, cleanup } = await setup({});
    expect(registered).toBe(false);
    expect((await sut.inject({ method: 'GET', url: '/' })).statusCode).toBe(404);
    await cleanup();
  });
});

@Controller('v1/me')
class MeController {
  @Get('factors')
  factors() {
    return [];
  }
}

@Module({ controllers: [MeController] })
class TestModule {}

describe('registerAccountWeb inside a Nest app on Fastify (the way auth-service would call it)', () => {
  it('serves the page before app.init() and keeps Nest routes and JSON 404s', async () => {
    const root = await mkdtemp(join(tmpdir(), 'account-web-nest-'));
    await writeFile(join(root, 'index.html'), '<!doctype html><title>Your Keyhaven account</title>');
    const app = await NestFactory.create<NestFastifyApplication>(TestModule, new FastifyAdapter(), { logger: false });
    const fastify = app.getHttpAdapter().getInstance();
    expect(await registerAccountWeb(fastify, root)).toBe(true);
    await app.init();
    await fastify.ready();

    const page = await fastify.inject({ method: 'GET', url: '/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-security-policy']).toBe(ACCOUNT_WEB_CSP);
    expect((await fastify.inject({ method: 'GET', url: '/v1/me/factors' })).json()).toEqual([]);
    const missing = await fastify.inject({ method: 'GET', url: '/v1/unknown' });
    expect(missing.statusCode).toBe(404);
    expect(missing.headers['content-type']).toMatch(/json/);

    await app.close();
    await rm(root, { recursive: true, force: true });
  });
});
