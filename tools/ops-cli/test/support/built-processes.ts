import { ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

export const WORKSPACE = join(__dirname, '../../../..');
export const CLI = join(WORKSPACE, 'dist/tools/ops-cli/main.js');

/** Fails (never skips) with the command that fixes it when a bundle is missing. */
export function requireBuilt(...bundles: string[]): void {
  const missing = bundles.filter((bundle) => !existsSync(join(WORKSPACE, bundle)));
  if (missing.length > 0) {
    throw new Error(`Missing ${missing.join(', ')}: run "npx nx run-many -t build -p auth-service release-api ops-cli" first`);
  }
}

async function freePort(): Promise<number> {
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

export interface RunningService {
  url: string;
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** Starts a built service with plain node and waits for /health/ready. */
export async function startBuiltService(name: 'auth-service' | 'release-api', env: Record<string, string>, port?: number): Promise<RunningService> {
  const chosen = port ?? (await freePort());
  const child = spawn(process.execPath, [join(WORKSPACE, 'dist/apps', name, 'main.js')], {
    cwd: WORKSPACE,
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp', LOG_LEVEL: 'warn', ...env, PORT: String(chosen) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${chosen}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited before it was ready:\n${output}`);
    try {
      if ((await fetch(`${url}/health/ready`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${name} was not ready within 60 s:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return {
    url,
    child,
    output: () => output,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built keyhaven-ops as a user would, with only the environment given. */
export function runBuiltCli(argv: string[], env: Record<string, string>, stdin = ''): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [CLI, ...argv], { env: { PATH: process.env['PATH'] ?? '', ...env } }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
    child.stdin?.end(stdin);
  });
}

/** A TOTP code computed by an independent tool (oathtool), for the time step at `at`. */
export function oathtoolCode(secret: string, at: Date): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('oathtool', ['--totp', '-b', `--now=@${Math.floor(at.getTime() / 1000)}`, secret], (error, stdout) =>
      error ? reject(new Error(`oathtool failed (apt-get install -y oathtool): ${error.message}`)) : resolve(stdout.trim()),
    );
  });
}
