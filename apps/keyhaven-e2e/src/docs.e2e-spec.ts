import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, WORKSPACE } from '@keyhaven/testing';
import { docsScript, runnableBlocks } from './support/runnable-docs';

/** The README first (it signs the ops CLI in), then the guides; guides added later run too. */
const FIRST = ['README.md', 'docs/auth-service.md', 'docs/release-api.md', 'docs/maintenance.md', 'docs/ops-cli.md'];
const DOCS = [
  ...FIRST,
  ...readdirSync(join(WORKSPACE, 'docs'))
    .map((name) => `docs/${name}`)
    .filter((file) => file.endsWith('.md') && !FIRST.includes(file))
    .sort(),
];

/**
 * Fails at the first command that fails: `set -e`, pipefail, and curl failing on HTTP errors
 * (what a reader sees as an error answer is an error here). The trap names the script line,
 * which the runner turns back into the doc's file and line.
 */
const PRELUDE = [
  // -E: the trap also fires inside functions (curl below), where the caller's line is BASH_LINENO.
  'set -eEuo pipefail',
  'curl() { command curl --fail-with-body "$@"; }',
  'trap \'status=$?; line=${BASH_LINENO[0]:-0}; [ "$line" -gt 0 ] || line=$LINENO; echo "docs-runner: script line $line failed with exit $status: $BASH_COMMAND" >&2\' ERR',
].join('\n');

interface Running {
  child: ChildProcess;
  exited: Promise<number | string>;
  output: () => string;
}

function run(command: string, args: string[], options: { cwd: string; env: Record<string, string> }): Running {
  // Its own process group, so whatever a block leaves in the background is stopped with it.
  const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  return { child, exited, output: () => output };
}

function stopGroup(running: Running, signal: NodeJS.Signals): void {
  try {
    if (running.child.pid) process.kill(-running.child.pid, signal);
  } catch {
    // already gone
  }
}

/** Resolves with `value` after `ms` without keeping jest alive afterwards. */
function after<T>(ms: number, value: T): Promise<T> {
  return new Promise((resolve) => setTimeout(() => resolve(value), ms).unref());
}

/** The first failure the prelude's trap reported, as the doc's file and line. */
function failedAt(output: string, origin: (line: number) => string | undefined): string | undefined {
  const failed = /docs-runner: script line (\d+) failed/.exec(output);
  return failed ? origin(Number(failed[1])) : undefined;
}

async function until(condition: () => boolean, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('runnableBlocks', () => {
  it('takes only the ```sh blocks right after a runnable marker, with their line numbers', () => {
    const markdown = [
      '# Guide',
      '```sh',
      'echo not marked',
      '```',
      '<!-- runnable -->',
      '```sh',
      'A=1',
      'echo $A',
      '```',
      'text',
      '<!-- runnable -->',
      '```bash',
      'true',
      '```',
    ].join('\n');
    expect(runnableBlocks(markdown, 'guide.md')).toEqual([
      { file: 'guide.md', line: 7, code: 'A=1\necho $A' },
      { file: 'guide.md', line: 13, code: 'true' },
    ]);
  });

  it('refuses a marker that is not followed by a shell block (a typo must not skip a block)', () => {
    expect(() => runnableBlocks('<!-- runnable -->\n\n```sh\ntrue\n```', 'bad.md')).toThrow(
      'bad.md:1: <!-- runnable --> must be directly followed by a ```sh block',
    );
    expect(() => runnableBlocks('<!-- runnable -->\n```json\n{}\n```', 'bad.md')).toThrow('bad.md:1');
  });

  it('fails at the first failing command — also an HTTP error answer of curl — and names its doc line', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kh-docs-unit-'));
    try {
      const attempt = async (code: string) => {
        const { script, origin } = docsScript(PRELUDE, [{ file: 'a.md', line: 10, code }]);
        await writeFile(join(dir, 'a.sh'), script);
        const bash = run('bash', [join(dir, 'a.sh')], { cwd: dir, env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' } });
        return { status: await bash.exited, output: bash.output(), at: failedAt(bash.output(), origin) };
      };
      expect(await attempt('A=1\necho "ok $A"')).toEqual({ status: 0, output: 'ok 1\n', at: undefined });
      expect(await attempt('true\nX=$(false)\necho never')).toMatchObject({ status: 1, at: 'a.md:11' });
      const port = await freePort(); // nothing listens there
      expect(await attempt(`echo first\n\ncurl -s http://127.0.0.1:${port}/`)).toMatchObject({ status: 7, at: 'a.md:12' });
      const server = createServer((_request, response) => {
        response.statusCode = 404;
        response.end('{"error":{"code":"not_found"}}');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const answered = await attempt(`curl -s http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      server.close();
      expect(answered).toMatchObject({ status: 22, at: 'a.md:10' });
      expect(answered.output).toContain('"not_found"');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('docs that run: the runnable blocks of README.md and docs/*.md against npm start', () => {
  let home: string;
  let services: Running | undefined;
  let session: Running | undefined;

  afterAll(async () => {
    if (session) stopGroup(session, 'SIGKILL');
    if (services) {
      stopGroup(services, 'SIGINT');
      await Promise.race([services.exited, after(30_000, 'timeout')]);
      stopGroup(services, 'SIGKILL');
    }
    if (home) await rm(home, { recursive: true, force: true });
  });

  it('runs every marked block in order, as a reader copying them would, and each command succeeds', async () => {
    const blocks = DOCS.filter((file) => existsSync(join(WORKSPACE, file))).flatMap((file) =>
      runnableBlocks(readFileSync(join(WORKSPACE, file), 'utf8'), file),
    );
    expect(blocks.filter((block) => block.file === 'README.md').length).toBeGreaterThanOrEqual(3);

    // A reader's checkout: the built bundles, and a fresh `.data` the services create.
    home = await mkdtemp(join(tmpdir(), 'kh-docs-'));
    await chmod(home, 0o755); // as root the embedded PostgreSQL runs as `postgres`
    const checkout = join(home, 'keyhaven');
    await mkdir(checkout);
    await symlink(join(WORKSPACE, 'dist'), join(checkout, 'dist'));
    const [authPort, releasePort] = [String(await freePort()), String(await freePort())];
    const base = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: home, LANG: 'C.UTF-8' };

    // `npm start` without its build step, with the maintenance guide's short try-out settings
    // (which npm start hands to the services), on free ports instead of 3000/3001.
    services = run(process.execPath, [join(WORKSPACE, 'tools/scripts/start.mjs'), '--no-build'], {
      cwd: checkout,
      env: {
        ...base,
        DATA_DIR: join(checkout, '.data'),
        AUTH_PORT: authPort,
        RELEASE_PORT: releasePort,
        LOG_LEVEL: 'warn',
        MAINTENANCE_NOTICE_LEAD: '20s',
        MAINTENANCE_REMINDERS: '10s',
        JOBS_POLL_INTERVAL: '0.5s',
      },
    });
    await until(() => services!.output().includes('Keyhaven is running') || services!.child.exitCode !== null, 'npm start', 180_000);
    expect(services.output()).toContain('Keyhaven is running');

    // The blocks name 3000 and 3001; this run's services listen elsewhere (the line count stays).
    const rewrite = (code: string) =>
      code.replace(/(localhost|127\.0\.0\.1):3000\b/g, `$1:${authPort}`).replace(/(localhost|127\.0\.0\.1):3001\b/g, `$1:${releasePort}`);
    const { script, origin } = docsScript(PRELUDE, blocks, rewrite);
    const scriptFile = join(home, 'docs.sh');
    await writeFile(scriptFile, script);
    session = run('bash', [scriptFile], {
      cwd: checkout,
      // The CLI's defaults, and the maintenance try-out's webhook receiver, follow the same ports.
      env: {
        ...base,
        KEYHAVEN_AUTH_URL: `http://localhost:${authPort}`,
        KEYHAVEN_RELEASE_URL: `http://localhost:${releasePort}`,
        HOOK_PORT: String(await freePort()),
      },
    });
    const status = await Promise.race([session.exited, after(300_000, 'timeout')]);
    const output = session.output();
    if (status !== 0) {
      const where = failedAt(output, origin);
      throw new Error(
        `A runnable doc block failed${where ? ` at ${where}` : ''} (exit ${status}). Output:\n${output.slice(-6000)}\n--- services ---\n${services.output().slice(-3000)}`,
      );
    }
  });
});
