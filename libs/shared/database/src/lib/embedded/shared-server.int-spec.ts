import { spawn } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { isAlive, readPostmasterState } from './cluster';
import { EMBEDDED_FILES, EmbeddedPostgres, startEmbeddedPostgres } from './shared-server';

/** Connects with the given credentials and runs one query; the error's SQLSTATE when refused. */
async function tryConnect(url: string): Promise<'ok' | string> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('select 1');
    return 'ok';
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  } finally {
    await client.end().catch(() => undefined);
  }
}

function withCredentials(url: string, user: string, password: string): string {
  const parsed = new URL(url);
  parsed.username = user;
  parsed.password = password;
  return parsed.toString();
}

describe('startEmbeddedPostgres', () => {
  const opened: EmbeddedPostgres[] = [];
  const dirs: string[] = [];

  async function setup() {
    const parent = await mkdtemp(join(tmpdir(), 'kh-embedded-'));
    // As root the server runs as `postgres`, which must be able to pass through the folder.
    await chmod(parent, 0o755);
    dirs.push(parent);
    const dataDir = join(parent, 'data');
    const open = async () => {
      const embedded = await startEmbeddedPostgres({ dataDir, settings: { fsync: 'off' } });
      opened.push(embedded);
      return embedded;
    };
    return { sut: open, ctx: { dataDir, clusterDir: join(dataDir, EMBEDDED_FILES.cluster) } };
  }

  afterAll(async () => {
    for (const embedded of opened.reverse()) await embedded.stop().catch(() => undefined);
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('asks every connection for the password only the data folder holds', async () => {
    const { sut, ctx } = await setup();
    const embedded = await sut();
    expect(embedded.started).toBe(true);
    expect(new URL(embedded.url).hostname).toBe('127.0.0.1');
    expect(await tryConnect(embedded.url)).toBe('ok');

    const passwordFile = join(ctx.dataDir, EMBEDDED_FILES.password);
    expect((await stat(passwordFile)).mode & 0o777).toBe(0o600);
    expect(decodeURIComponent(new URL(embedded.url).password)).toBe((await readFile(passwordFile, 'utf8')).trim());

    const port = embedded.port;
    // 28000: no pg_hba.conf entry — only the service's superuser may connect at all.
    expect(await tryConnect(`postgres://nobody:wrong@127.0.0.1:${port}/postgres`)).toBe('28000');
    expect(await tryConnect(`postgres://postgres@127.0.0.1:${port}/postgres`)).toBe('28000');
    // 28P01: password authentication failed.
    expect(await tryConnect(withCredentials(embedded.url, 'keyhaven', 'wrong'))).toBe('28P01');
    expect(await tryConnect(withCredentials(embedded.url, 'keyhaven', ''))).not.toBe('ok');
    await embedded.stop();
  });

  it('lets a second process join the running server; the last one to leave stops it', async () => {
    const { sut, ctx } = await setup();
    const first = await sut();
    const second = await sut();
    expect(second.started).toBe(false);
    expect(second.serverPid).toBe(first.serverPid);
    expect(second.url).toBe(first.url);

    await first.stop();
    expect(isAlive(first.serverPid)).toBe(true);
    expect(await tryConnect(second.url)).toBe('ok');

    await second.stop();
    expect(isAlive(first.serverPid)).toBe(false);
    expect(await readPostmasterState(ctx.clusterDir)).toBeUndefined();
  });

  it('starts one server when several processes boot at once', async () => {
    const { sut } = await setup();
    const all = await Promise.all([sut(), sut(), sut()]);
    expect(new Set(all.map((embedded) => embedded.serverPid)).size).toBe(1);
    expect(all.filter((embedded) => embedded.started)).toHaveLength(1);
    await Promise.all(all.map((embedded) => embedded.stop()));
    expect(isAlive(all[0]!.serverPid)).toBe(false);
  });

  it('starts again over the postmaster.pid of a server that was SIGKILLed', async () => {
    const { sut, ctx } = await setup();
    const crashed = await sut();
    process.kill(crashed.serverPid, 'SIGKILL');
    await waitFor(() => !isAlive(crashed.serverPid));
    expect(await readPostmasterState(ctx.clusterDir)).toMatchObject({ pid: crashed.serverPid });

    const next = await sut();
    expect(next.started).toBe(true);
    expect(next.serverPid).not.toBe(crashed.serverPid);
    expect(await tryConnect(next.url)).toBe('ok');
    await next.stop();
  });

  it('treats a postmaster.pid naming a live process that is not its server as stale', async () => {
    const { sut, ctx } = await setup();
    const first = await sut();
    await first.stop();
    // What a reboot can leave: the old pid now belongs to some other program.
    const other = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      await writeFile(join(ctx.clusterDir, 'postmaster.pid'), `${other.pid}\n${ctx.clusterDir}\n0\n5432\n\n127.0.0.1\n0 0\nready\n`);
      const next = await sut();
      expect(next.started).toBe(true);
      expect(next.serverPid).not.toBe(other.pid);
      await next.stop();
    } finally {
      other.kill();
    }
  });

  it('joins the server of a starter that was SIGKILLed, and stops it when leaving last', async () => {
    const { sut, ctx } = await setup();
    const starter = spawn(process.execPath, ['-e', startAndWait(ctx.dataDir)], { stdio: ['ignore', 'pipe', 'inherit'] });
    const serverPid = await new Promise<number>((resolve, reject) => {
      starter.stdout.on('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
      starter.once('exit', (code) => reject(new Error(`the starter exited with ${code}`)));
    });
    starter.kill('SIGKILL');
    await new Promise((resolve) => starter.once('exit', resolve));
    expect(isAlive(serverPid)).toBe(true);

    const joined = await sut();
    expect(joined.started).toBe(false);
    expect(joined.serverPid).toBe(serverPid);
    await joined.stop();
    expect(isAlive(serverPid)).toBe(false);
  });
});

/** A script for a child process: start the embedded server, print its pid, wait to be killed. */
function startAndWait(dataDir: string): string {
  return `require('ts-node').register({ transpileOnly: true, project: ${JSON.stringify(join(__dirname, '../../../tsconfig.json'))} });
    require(${JSON.stringify(join(__dirname, 'shared-server.ts'))})
    .startEmbeddedPostgres({ dataDir: ${JSON.stringify(dataDir)} })
    .then((embedded) => { process.stdout.write(embedded.serverPid + '\\n'); setInterval(() => undefined, 1000); });`;
}

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
