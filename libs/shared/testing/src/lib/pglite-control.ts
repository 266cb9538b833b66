import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';

/**
 * Runs in jest's parent process (globalSetup): PGlite needs a real dynamic `import()`, which
 * jest's module sandbox cannot do. Test files ask this small HTTP service for an isolated
 * database; each one is an in-memory PGlite served on its own loopback port.
 *
 * Templates work like `CREATE DATABASE … TEMPLATE` on real PostgreSQL: the first file that
 * asks for a key migrates its database and hands it back as the template; every later file
 * gets a clone of it, so migrations run once per test run.
 */
import type { PGlite as PGliteInstance } from '@electric-sql/pglite' with { 'resolution-mode': 'import' };
// A relative path, not @keyhaven/database: jest loads its globalSetup with Node's own require,
// which knows neither the tsconfig aliases nor jest's moduleNameMapper.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { type PgliteServer, startPgliteServer } from '../../../database/src/lib/pglite-server';

interface Served {
  db: PGliteInstance;
  server: PgliteServer;
}

export interface PgliteControl {
  url: string;
  close(): Promise<void>;
}

export async function startPgliteControl(): Promise<PgliteControl> {
  const { PGlite } = await import('@electric-sql/pglite');
  const base = await PGlite.create();
  const served = new Map<string, Served>();
  const templates = new Map<string, Promise<PGliteInstance>>();
  const building = new Map<string, { resolve(template: PGliteInstance): void; reject(error: Error): void }>();

  async function serve(db: PGliteInstance): Promise<{ id: string; url: string }> {
    const server = await startPgliteServer({ db });
    const id = randomUUID();
    served.set(id, { db, server });
    return { id, url: server.url };
  }

  async function handle(method: string, path: string, body: Record<string, unknown>) {
    if (method === 'POST' && path === '/databases') {
      const key = String(body['key'] ?? '');
      const template = templates.get(key);
      if (template) return { ...(await serve((await (await template).clone()) as PGliteInstance)), build: false };
      // First caller for this key: it migrates, then promotes its database to the template.
      const pending = new Promise<PGliteInstance>((resolve, reject) => building.set(key, { resolve, reject }));
      pending.catch(() => undefined); // observed by whoever asks next
      templates.set(key, pending);
      return { ...(await serve((await base.clone()) as PGliteInstance)), build: true };
    }
    const promote = /^\/databases\/([\w-]+)\/template$/.exec(path);
    if (method === 'POST' && promote) {
      const entry = served.get(promote[1]);
      const key = String(body['key'] ?? '');
      const waiting = building.get(key);
      if (!entry || !waiting) throw new Error(`nothing to promote for ${key}`);
      building.delete(key);
      if (body['failed']) {
        // The builder could not migrate: fail the files waiting on it instead of hanging them.
        templates.delete(key);
        waiting.reject(new Error(`migrating the template ${key} failed`));
      } else {
        waiting.resolve((await entry.db.clone()) as PGliteInstance);
      }
      return { ok: true };
    }
    const drop = /^\/databases\/([\w-]+)$/.exec(path);
    if (method === 'DELETE' && drop) {
      const entry = served.get(drop[1]);
      served.delete(drop[1]);
      if (entry) {
        await entry.server.stop();
        await entry.db.close();
      }
      return { ok: true };
    }
    throw new Error(`unknown request ${method} ${path}`);
  }

  const http: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      handle(req.method ?? 'GET', req.url ?? '/', text ? (JSON.parse(text) as Record<string, unknown>) : {})
        .then((answer) => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify(answer));
        })
        .catch((error: unknown) => {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: String(error) }));
        });
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      await new Promise<void>((resolve) => http.close(() => resolve()));
      for (const entry of served.values()) {
        await entry.server.stop().catch(() => undefined);
        await entry.db.close().catch(() => undefined);
      }
      for (const template of templates.values()) {
        await Promise.race([template.then((db) => db.close()), Promise.resolve()]).catch(() => undefined);
      }
      await base.close();
    },
  };
}
