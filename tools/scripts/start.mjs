#!/usr/bin/env node
// `npm start`: builds both services, starts them (embedded PostgreSQL unless DATABASE_URL is
// set), waits until each answers /health/ready and prints where they are. Ctrl-C stops both.
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';

const root = join(import.meta.dirname, '../..');
const SERVICES = [
  { name: 'auth-service', port: process.env.AUTH_PORT ?? '3000' },
  { name: 'release-api', port: process.env.RELEASE_PORT ?? '3001' },
];

if (!process.argv.includes('--no-build')) {
  const build = spawnSync('npx', ['nx', 'run-many', '-t', 'build', '--outputStyle=static'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

const children = [];
let stopping = false;

function stopAll(code) {
  if (stopping) return;
  stopping = true;
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  Promise.all(children.map((child) => (child.exitCode === null ? new Promise((r) => child.once('exit', r)) : null))).then(() =>
    process.exit(code),
  );
}

for (const service of SERVICES) {
  const child = spawn(process.execPath, [join(root, 'dist/apps', service.name, 'main.js')], {
    cwd: root,
    env: { PORT: service.port, ...process.env, ...(process.env.PORT ? { PORT: service.port } : {}) },
    stdio: ['ignore', 'pipe', 'pipe'],
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
  console.log(`  data          ${process.env.DATABASE_URL ? 'DATABASE_URL' : 'embedded PostgreSQL under .data/'}\nCtrl-C stops both.\n`);
} else if (!stopping) {
  console.error('A service did not become ready in 60 s; stopping.');
  stopAll(1);
}
