#!/usr/bin/env node
// `npm start`: builds both services, starts them (embedded PostgreSQL unless DATABASE_URL is
// set), waits until each answers /health/ready and prints where they are. Ctrl-C stops both.
//
// Embedded mode: both services get the same DATA_DIR (default .data), so the first to boot starts
// the one embedded PostgreSQL in .data/postgres and the other joins it (each in its own schema);
// the last to stop stops it (libs/shared/database/src/lib/embedded/shared-server.ts).
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { join, relative, resolve } from 'node:path';

const root = join(import.meta.dirname, '../..');
const SERVICES = [
  { name: 'auth-service', port: process.env.AUTH_PORT ?? '3000' },
  { name: 'release-api', port: process.env.RELEASE_PORT ?? '3001' },
];
const dataDir = resolve(root, process.env.DATA_DIR ?? '.data');
const shown = (path) => (relative(root, path).startsWith('..') ? path : relative(root, path) || '.');
const shownDataDir = shown(dataDir);

// One `npm start` per data folder: a second one would find the ports taken and, worse, make
// people think it started something.
const pidFile = join(dataDir, 'npm-start.pid');
mkdirSync(dataDir, { recursive: true, mode: 0o700 });
claimPidFile();

if (!process.argv.includes('--no-build')) {
  const build = spawnSync('npx', ['nx', 'run-many', '-t', 'build', '--outputStyle=static'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

// A first administrator for the embedded demo, GitLab-style: a random password written once to a
// file only the current user can read (never printed), so a newcomer can sign in and use the ops CLI.
const demoAdmin = { email: 'admin@keyhaven.local', file: join(dataDir, 'initial-admin-password.txt') };
const bootstrapEnv = {};
if (!process.env.DATABASE_URL && !process.env.AUTH_BOOTSTRAP_EMAIL) {
  if (!existsSync(demoAdmin.file)) {
    writeFileSync(demoAdmin.file, `${randomBytes(18).toString('base64url')}\n`, { mode: 0o600 });
  }
  bootstrapEnv.AUTH_BOOTSTRAP_EMAIL = demoAdmin.email;
  bootstrapEnv.AUTH_BOOTSTRAP_PASSWORD = readFileSync(demoAdmin.file, 'utf8').trim();
}

// The demo's webhooks go to receivers on this machine (a `nc -l` or a local test server); a real
// deployment lists its internal receivers itself, since the egress policy refuses private targets.
if (!process.env.DATABASE_URL && process.env.MAINTENANCE_WEBHOOK_ALLOWLIST === undefined) {
  bootstrapEnv.MAINTENANCE_WEBHOOK_ALLOWLIST = '127.0.0.1,::1,localhost';
}

// Other ports (AUTH_PORT, RELEASE_PORT — e.g. when 3000 is taken): the services must still find
// each other, and the browser's WebAuthn origin is the account page's.
const [auth, release] = SERVICES;
const authUrl = `http://localhost:${auth.port}`;
if (process.env.AUTH_JWKS_URL === undefined) bootstrapEnv.AUTH_JWKS_URL = `${authUrl}/.well-known/jwks.json`;
if (process.env.AUTH_WEBAUTHN_ORIGINS === undefined) bootstrapEnv.AUTH_WEBAUTHN_ORIGINS = authUrl;
if (process.env.RELEASE_PUBLIC_URL === undefined) bootstrapEnv.RELEASE_PUBLIC_URL = `http://localhost:${release.port}`;

const children = [];
let stopping = false;

function stopAll(code) {
  if (stopping) return;
  stopping = true;
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  Promise.all(children.map((child) => (child.exitCode === null ? new Promise((r) => child.once('exit', r)) : null))).then(() => process.exit(code));
}

for (const service of SERVICES) {
  const child = spawn(process.execPath, [join(root, 'dist/apps', service.name, 'main.js')], {
    cwd: root,
    env: { ...bootstrapEnv, ...process.env, DATA_DIR: dataDir, PORT: service.port },
    // The IPC channel closes if this script dies (even by SIGKILL): the services then shut down
    // on their own instead of holding the ports and the database (see listenUntilSignal).
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => process.stdout.write(`[${service.name}] ${line}\n`));
  }
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`${service.name} exited (${signal ?? code}); stopping the others.`);
      stopAll(code || 1);
    }
  });
  children.push(child);
}

process.on('SIGINT', () => stopAll(0));
process.on('SIGTERM', () => stopAll(0));

async function waitReady(service) {
  const url = `http://127.0.0.1:${service.port}/health/ready`;
  for (let attempt = 0; attempt < 240 && !stopping; attempt++) {
    try {
      if ((await fetch(url)).ok) return true;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

const ready = await Promise.all(SERVICES.map(waitReady));
if (ready.every(Boolean)) {
  console.log('\nKeyhaven is running:');
  for (const service of SERVICES) {
    console.log(`  ${service.name.padEnd(13)} http://localhost:${service.port}   (API docs: http://localhost:${service.port}/docs)`);
  }
  console.log(`  account page  http://localhost:${SERVICES[0].port}/`);
  console.log(
    `  data          ${process.env.DATABASE_URL ? 'DATABASE_URL' : `embedded PostgreSQL in ${shownDataDir}/postgres (password in ${shownDataDir}/postgres.password)`}`,
  );
  if (bootstrapEnv.AUTH_BOOTSTRAP_EMAIL) {
    console.log(`  admin         ${demoAdmin.email} (roles admin, ops); password in ${shown(demoAdmin.file)}`);
  }
  console.log('Ctrl-C stops both.\n');
} else if (!stopping) {
  console.error('A service did not become ready in 60 s; stopping.');
  stopAll(1);
}

function claimPidFile() {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(pidFile, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
      process.on('exit', () => rmSync(pidFile, { force: true }));
      return;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
    }
    const holder = Number(readFileSync(pidFile, 'utf8').trim());
    if (holder && isAlive(holder)) {
      console.error(
        `Keyhaven is already running from ${shownDataDir} (npm start, pid ${holder}). Stop it first (Ctrl-C in its terminal, or kill ${holder}), or give this one another DATA_DIR.`,
      );
      process.exit(1);
    }
    rmSync(pidFile, { force: true }); // left by an npm start that was killed
  }
  throw new Error(`could not claim ${pidFile}`);
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}
