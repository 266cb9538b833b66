import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Client, ClientBase, Pool, Query, QueryConfig } from 'pg';
import { startPgliteServer } from './pglite-server';

/**
 * PGlite cannot start inside jest's module sandbox (it needs a real dynamic `import()`), so the
 * server under test runs with an in-memory PGlite in a child process (ts-node runs this very
 * source), and the tests talk to it as services do: with real `pg` clients over TCP.
 */
const HOST = `
  require('ts-node').register({ project: ${JSON.stringify(join(__dirname, '../../tsconfig.json'))}, transpileOnly: true });
  const { startPgliteServer } = require(${JSON.stringify(join(__dirname, 'pglite-server.ts'))});
  (async () => {
    const { PGlite } = await import('@electric-sql/pglite');
    const db = await PGlite.create();
    const server = await startPgliteServer({ db, ...JSON.parse(process.argv[1]) });
    process.stdout.write('listening ' + server.address.port + '\\n');
    process.once('SIGTERM', () => {
      process.exitCode = 1; // what a stop that never settles exits with, once nothing is left to wait for
      void server.stop().then(() => db.close()).then(() => process.exit(0));
    });
  })();
`;

/** ts-node and PGlite's start take several seconds on a busy 2-core machine. */
const HOST_START_TIMEOUT = 60_000;

interface Host {
  url: string;
  port: number;
  /** SIGTERM: the host stops the server, closes the database and exits 0; resolves with its exit code. */
  stop(): Promise<number | null>;
}

async function startHost(options: { maxConnections?: number } = {}): Promise<Host> {
  const child = spawn(process.execPath, ['-e', HOST, JSON.stringify(options)], {
    cwd: join(__dirname, '../../../../..'),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const port = await new Promise<number>((resolve, reject) => {
    void exited.then((code) => reject(new Error(`the PGlite host exited with ${code}`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      const match = /^listening (\d+)$/.exec(line);
      if (match) resolve(Number(match[1]));
    });
  });
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${port}/postgres`,
    port,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

async function connected(url: string): Promise<Client> {
  const client = new Client({ connectionString: url });
  client.on('error', () => undefined); // the tests that cut connections check the outcome themselves
  await client.connect();
  return client;
}

/** Cuts the client's TCP connection without a Terminate message, as a crashed process would. */
function hangUp(client: Client): void {
  client.connection.stream.destroy();
}

/** Reads `text` in pages: Execute with a row limit, then Flush, page after page; Sync after the last. */
function paged(client: ClientBase, text: string, rowsPerPage: number) {
  // pg's Query takes `rows`; @types/pg leaves it out.
  const query = client.query(new Query({ text, rows: rowsPerPage } as QueryConfig));
  const rows: unknown[] = [];
  query.on('row', (row) => rows.push(row));
  const done = new Promise<unknown[]>((resolve, reject) => query.on('end', () => resolve(rows)).on('error', reject));
  return { query, done };
}

/**
 * A parameterised query with 1–4 numbers to add up, and (every other one) a 200 kB text whose
 * Bind message spans several TCP reads, so exchanges of different connections overlap in time.
 */
function sumQuery(i: number) {
  const numbers = Array.from({ length: 1 + (i % 4) }, (_, k) => i * 10 + k);
  const padding = i % 2 ? 'x'.repeat(200_000) : '';
  return {
    text: `select length($1::text) as length, ${numbers.map((_, k) => `$${k + 2}::int`).join(' + ')} as sum`,
    values: [padding, ...numbers],
    expected: { length: padding.length, sum: numbers.reduce((a, b) => a + b, 0) },
  };
}

/** All at once through the pool: each query's first row, or its error message. */
function answersOf(pool: Pool, queries: { text: string; values: unknown[] }[]): Promise<unknown[]> {
  return Promise.all(
    queries.map(({ text, values }) =>
      pool.query(text, values).then(
        (result) => result.rows[0] as unknown,
        (error: Error) => error.message,
      ),
    ),
  );
}

describe(startPgliteServer.name, () => {
  let host: Host;
  let pool: Pool;

  beforeAll(async () => {
    host = await startHost();
    pool = new Pool({ connectionString: host.url, max: 8 });
  }, HOST_START_TIMEOUT);

  afterAll(async () => {
    await pool?.end();
    await host?.stop();
  });

  describe('concurrent connections outside transactions', () => {
    it('answers hundreds of parameterised queries of different shapes from 8 connections, each correctly', async () => {
      const queries = Array.from({ length: 400 }, (_, i) => sumQuery(i));
      const answers = await answersOf(pool, queries);
      expect(answers).toEqual(queries.map((query) => query.expected));
    });

    it('keeps a paged query (Execute with a row limit, then Flush) whole while other connections query', async () => {
      const client = await pool.connect();
      try {
        const pages = paged(client, 'select n from generate_series(1, 40) as n', 3);
        const others = Array.from({ length: 100 }, (_, i) => sumQuery(i));
        const answers = await answersOf(pool, others);
        expect(answers).toEqual(others.map((query) => query.expected));
        expect(await pages.done).toEqual(Array.from({ length: 40 }, (_, i) => ({ n: i + 1 })));
      } finally {
        client.release();
      }
    });

    it('gives an error inside an extended-protocol exchange only to its own connection', async () => {
      const queries = Array.from({ length: 200 }, (_, i) => {
        const query = sumQuery(i);
        // Every fourth one divides by zero, after a Bind that may still be arriving.
        return i % 4 ? query : { ...query, text: `${query.text}, 1 / ($2::int - $2::int) as boom`, expected: 'division by zero' };
      });
      const answers = await answersOf(pool, queries);
      expect(answers).toEqual(queries.map((query) => query.expected));
    });
  });

  describe('transactions', () => {
    beforeAll(async () => {
      await pool.query('create table ledger (who text not null, seen int)');
    });

    beforeEach(async () => {
      await pool.query('truncate ledger');
    });

    it("runs another connection's statement only after the transaction that holds the session commits", async () => {
      const [a, b] = [await connected(host.url), await connected(host.url)];
      try {
        await a.query('begin');
        await a.query("insert into ledger (who) values ('a')");
        // Sent while A's transaction is open; it counts A's rows when it runs.
        const counted = b.query("insert into ledger (who, seen) select 'b', count(*) from ledger where who = 'a' returning seen");
        await a.query("insert into ledger (who) values ('a')");
        await a.query("insert into ledger (who) values ('a')");
        await a.query('commit');
        expect((await counted).rows).toEqual([{ seen: 3 }]);
      } finally {
        await Promise.all([a.end(), b.end()]);
      }
    });

    it('rolls back the transaction of a connection that hangs up in it, and the others go on', async () => {
      const [a, b] = [await connected(host.url), await connected(host.url)];
      try {
        await a.query('begin');
        await a.query("insert into ledger (who) values ('a')");
        const waiting = b.query("insert into ledger (who) values ('b')");
        hangUp(a);
        await waiting;
        expect((await b.query('select who from ledger')).rows).toEqual([{ who: 'b' }]);
      } finally {
        await b.end();
      }
    });

    it('rolls back the work of a connection that hangs up in the middle of a paged query', async () => {
      const [a, b] = [await connected(host.url), await connected(host.url)];
      try {
        // INSERT … RETURNING runs whole at the first Execute; its rows wait in the implicit
        // transaction that the Sync after the last page would commit.
        const insert = paged(a, "insert into ledger (who) select 'a' from generate_series(1, 5) returning who", 1);
        insert.query.on('row', () => hangUp(a));
        await expect(insert.done).rejects.toThrow();
        await b.query("insert into ledger (who) values ('b')");
        expect((await b.query('select who from ledger')).rows).toEqual([{ who: 'b' }]);
      } finally {
        await b.end();
      }
    });
  });

  describe('framing', () => {
    it('receives a 5 MB bind parameter split across TCP reads intact', async () => {
      const text = randomBytes(3_750_000).toString('base64'); // 5,000,000 characters
      const { rows } = await pool.query('select md5($1::text) as md5, length($1::text) as length', [text]);
      expect(rows).toEqual([{ md5: createHash('md5').update(text).digest('hex'), length: 5_000_000 }]);
    });

    it('closes only the connection whose message length is malformed', async () => {
      const socket = connect(host.port, '127.0.0.1');
      const closed = new Promise((resolve) => socket.once('close', resolve));
      socket.on('error', () => undefined);
      socket.end(Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 3, 0, 0]));
      await closed;
      expect((await pool.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
    });
  });
});

describe('startPgliteServer limits and shutdown', () => {
  let host: Host;

  beforeAll(async () => {
    host = await startHost({ maxConnections: 2 });
  }, HOST_START_TIMEOUT);

  afterAll(async () => {
    await host?.stop();
  });

  it('refuses a connection over maxConnections with too_many_connections, and takes one again after a client leaves', async () => {
    const [first, second] = [await connected(host.url), await connected(host.url)];
    await expect(connected(host.url)).rejects.toMatchObject({ code: '53300' });
    await first.end();
    const third = await connected(host.url);
    expect((await third.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
    await Promise.all([second.end(), third.end()]);
  });

  it('stop() hangs up its clients and settles, so the database closes, also with a transaction open', async () => {
    const client = await connected(host.url);
    await client.query('begin');
    await client.query('create table t (n int)');
    const ended = new Promise((resolve) => client.once('end', resolve));
    expect(await host.stop()).toBe(0);
    await ended;
  });
});
