import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ServiceProcess, startService, WORKSPACE } from '@keyhaven/testing';
export const CLI = join(WORKSPACE, 'dist/tools/ops-cli/main.js');

/** Fails (never skips) with the command that fixes it when a bundle is missing. */
export function requireBuilt(...bundles: string[]): void {
  const missing = bundles.filter((bundle) => !existsSync(join(WORKSPACE, bundle)));
  if (missing.length > 0) {
    throw new Error(`Missing ${missing.join(', ')}: run "npx nx run-many -t build -p auth-service release-api ops-cli" first`);
  }
}

/** Starts a built service with plain node (a taken port is retried) and waits for /health/ready. */
export async function startBuiltService(name: 'auth-service' | 'release-api', env: Record<string, string>): Promise<ServiceProcess> {
  const service = await startService(name, env);
  await service.ready(60_000);
  return service;
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
