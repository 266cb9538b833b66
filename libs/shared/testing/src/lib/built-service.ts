import { ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { freeLoopbackPort } from '@keyhaven/database/embedded';
import { join } from 'node:path';

/** The repository root, where `dist/` holds the built services. */
export const WORKSPACE = join(__dirname, '../../../../..');

export type ServiceName = 'auth-service' | 'release-api';

export interface ServiceProcess {
  readonly url: string;
  readonly child: ChildProcess;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code (or signal name) once the process ends. */
  readonly exited: Promise<number | string>;
  /** Polls `/health/ready` until it answers 200. */
  ready(timeoutMs?: number): Promise<void>;
  /** SIGTERM (a graceful shutdown), then waits for the exit; nothing when it already ended. */
  stop(): Promise<void>;
}

/** A free loopback port (the OS picks it; released before the service binds it). */
export const freePort = freeLoopbackPort;

/**
 * Starts a built service (`dist/apps/<name>/main.js`) with plain `node`, as production would.
 * The port is picked free just before the spawn; if another process grabs it in between
 * (EADDRINUSE), `ready()` starts the service again on a new port.
 */
export async function startService(name: ServiceName, env: Record<string, string>, args: string[] = []): Promise<ServiceProcess> {
  const fixedPort = env['PORT'];
  const fullEnv: Record<string, string> = { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp', LOG_LEVEL: 'warn', ...env };
  const databaseUrl = fullEnv['DATABASE_URL'];
  if (databaseUrl) {
    // With a real database both services refuse to generate their own keys next to the data, and
    // refuse keys that do not open what an earlier run stored: one key per database, so a
    // restart against the same database (with nothing said about keys) finds the same one.
    const key = createHash('sha256').update(`keyhaven e2e key for ${databaseUrl}`).digest();
    if (name === 'auth-service' && fullEnv['AUTH_ENCRYPTION_KEYS'] === undefined) fullEnv['AUTH_ENCRYPTION_KEYS'] = `e2e:${key.toString('base64')}`;
    if (name === 'release-api' && fullEnv['RELEASE_KEY_ENCRYPTION_KEY'] === undefined) fullEnv['RELEASE_KEY_ENCRYPTION_KEY'] = key.toString('base64url');
  }
  let output = '';
  let child!: ChildProcess;
  let exited!: Promise<number | string>;
  let done = false;
  let url = '';

  const spawnOnce = async () => {
    const port = fixedPort ?? String(await freePort());
    url = `http://127.0.0.1:${port}`;
    done = false;
    child = spawn(process.execPath, [join(WORKSPACE, 'dist/apps', name, 'main.js'), ...args], {
      cwd: WORKSPACE,
      env: { ...fullEnv, PORT: port },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const current = child;
    exited = new Promise<number | string>((resolve) => current.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
    void exited.then(() => (done = true));
  };
  await spawnOnce();

  return {
    get url() {
      return url;
    },
    get child() {
      return child;
    },
    get exited() {
      return exited;
    },
    output: () => output,
    async stop() {
      if (!done) child.kill('SIGTERM');
      await exited;
    },
    async ready(timeoutMs = 150_000) {
      const deadline = Date.now() + timeoutMs;
      let respawns = 0;
      while (Date.now() < deadline) {
        if (done) {
          await exited;
          if (!fixedPort && output.includes('EADDRINUSE') && respawns < 5) {
            respawns++;
            output += `\n[e2e] port taken by another process; starting ${name} again on a new port\n`;
            await spawnOnce();
            continue;
          }
          throw new Error(`${name} exited before it was ready:\n${output}`);
        }
        try {
          if ((await fetch(`${url}/health/ready`)).ok) return;
        } catch {
          // not listening yet
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      throw new Error(`${name} was not ready after ${timeoutMs} ms:\n${output}`);
    },
  };
}
