import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startService, WORKSPACE } from '@keyhaven/testing';

/**
 * Embedded mode of the built services: one embedded PostgreSQL per data folder, started by the
 * first process and joined by the others (`npm start`, `migrate`, `reencrypt`, replicas), stopped
 * by the last; and data of the earlier embedded engine never touched.
 */
describe('embedded mode (built services, no DATABASE_URL)', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  });

  async function dataFolder() {
    const parent = await mkdtemp(join(tmpdir(), 'kh-embedded-e2e-'));
    // As root the embedded PostgreSQL runs as `postgres`, which must pass through this folder.
    await chmod(parent, 0o755);
    cleanups.push(() => rm(parent, { recursive: true, force: true }));
    return join(parent, 'data');
  }

  /** `npm start` without the build step, on free ports; resolves once it printed its URLs. */
  async function npmStart(dataDir: string) {
    const child = spawn(process.execPath, [join(WORKSPACE, 'tools/scripts/start.mjs'), '--no-build'], {
      cwd: WORKSPACE,
      env: {
        PATH: process.env['PATH'] ?? '',
        HOME: process.env['HOME'] ?? '/tmp',
        LOG_LEVEL: 'warn',
        DATA_DIR: dataDir,
        AUTH_PORT: String(await freePort()),
        RELEASE_PORT: String(await freePort()),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
    cleanups.push(async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    });
    return { child, exited, output: () => output };
  }

  async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 120_000) {
    const deadline = Date.now() + timeoutMs;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  const serverPid = async (dataDir: string) => Number((await readFile(join(dataDir, 'postgres/postmaster.pid'), 'utf8').catch(() => '')).split('\n')[0]);
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      // A server adopted by pid 1 may stay a zombie after it exits: that is stopped too.
      return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    } catch {
      return false;
    }
  };

  it('npm start runs one server for both services, says so when started twice, and leaves nothing running after SIGKILL', async () => {
    const dataDir = await dataFolder();
    const first = await npmStart(dataDir);
    await until(() => first.output().includes('Keyhaven is running'), 'npm start');
    const output = first.output();
    expect(output.match(/using the embedded PostgreSQL in .* \(started, port (\d+)\)/)).not.toBeNull();
    expect(output.match(/using the embedded PostgreSQL in .* \(joined, port (\d+)\)/)).not.toBeNull();
    const pid = await serverPid(dataDir);
    expect(alive(pid)).toBe(true);

    const second = await npmStart(dataDir);
    expect(await second.exited).toBe(1);
    expect(second.output()).toContain(`Keyhaven is already running from ${dataDir} (npm start, pid ${first.child.pid})`);

    // Commands beside it join the running server instead of failing on a busy database.
    const migrate = await startService('auth-service', { DATA_DIR: dataDir, LOG_LEVEL: 'info' }, ['migrate']);
    expect(await migrate.exited).toBe(0);
    expect(migrate.output()).toContain('(joined, port');
    const reencrypt = await startService('auth-service', { DATA_DIR: dataDir }, ['reencrypt']);
    expect(await reencrypt.exited).toBe(0);
    expect(reencrypt.output()).toMatch(/reencrypt: re-encrypted \d+ TOTP secret/);
    expect(await serverPid(dataDir)).toBe(pid);

    // Killed without a chance to clean up: the services notice (IPC), drain, and the last stops the server.
    first.child.kill('SIGKILL');
    await until(() => !alive(pid), 'the embedded server to stop');
    await until(async () => (await readdir(join(dataDir, 'postgres'))).every((file) => file !== 'postmaster.pid'), 'postmaster.pid to go');

    const again = await npmStart(dataDir);
    await until(() => again.output().includes('Keyhaven is running'), 'npm start after a SIGKILL');
    again.child.kill('SIGINT');
    expect(await again.exited).toBe(0);
    await until(async () => !(await serverPid(dataDir)), 'the server to stop on Ctrl-C');
  });

  it('refuses to start on data of the earlier embedded engine, with one line, touching nothing', async () => {
    const dataDir = await dataFolder();
    const old = join(dataDir, 'auth-service');
    await mkdir(join(old, 'base'), { recursive: true });
    await writeFile(join(old, 'PG_VERSION'), '18\n');
    await writeFile(join(old, 'auth-encryption.keys'), 'local-abc123:key\n');
    const before = (await readdir(dataDir)).sort();

    const service = await startService('auth-service', { DATA_DIR: dataDir });
    expect(await service.exited).toBe(1);
    const lines = service.output().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`${old} holds data of the earlier embedded database (PGlite)`);
    expect(lines[0]).toContain('npm run move-pglite-data');
    expect((await readdir(dataDir)).sort()).toEqual(before);
    expect(await readFile(join(old, 'PG_VERSION'), 'utf8')).toBe('18\n');
  });
});
