import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

export const WORKSPACE = join(__dirname, '../../../..');

export type ServiceName = 'auth-service' | 'release-api';

export interface ServiceProcess {
  url: string;
  child: ChildProcess;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code (or signal name) once the process ends. */
  exited: Promise<number | string>;
  /** Polls `/health/ready` until it answers 200. */
  ready(timeoutMs?: number): Promise<void>;
}

/** A free loopback port (the OS picks it; released before the service binds it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Starts a built service (`dist/apps/<name>/main.js`) with plain `node`, as production would. */
export async function startService(name: ServiceName, env: Record<string, string>, args: string[] = []): Promise<ServiceProcess> {
  const port = env['PORT'] ?? String(await freePort());
  const child = spawn(process.execPath, [join(WORKSPACE, 'dist/apps', name, 'main.js'), ...args], {
    cwd: WORKSPACE,
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp', LOG_LEVEL: 'warn', ...env, PORT: port },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  const url = `http://127.0.0.1:${port}`;
  let done = false;
  void exited.then(() => (done = true));
  return {
    url,
    child,
    output: () => output,
    exited,
    async ready(timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        if (done) throw new Error(`${name} exited before it was ready:\n${output}`);
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
