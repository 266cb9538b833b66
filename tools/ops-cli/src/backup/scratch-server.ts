import { chown, readFile, writeFile } from 'node:fs/promises';
import { freeLoopbackPort } from '@keyhaven/database/embedded';
import { join } from 'node:path';
import { Client } from 'pg';
import { ownedFolder } from './cluster';
import { ClusterOwner, runAsOwner, ToolError } from './pgbackrest';

/** A temporary PostgreSQL on a restored data folder: loopback only, its own port, archiving off. */
export interface ScratchServer {
  port: number;
  /** The private socket folder (only the owner and root can enter it). */
  socketDir: string;
  /** A superuser connection over the private socket. */
  query<Row>(sql: string, params?: unknown[], database?: string): Promise<Row[]>;
  /** `immediate` for a throwaway copy; `fast` (a clean shutdown) for a data folder that lives on. */
  stop(mode?: 'immediate' | 'fast'): Promise<void>;
}

/**
 * Starts PostgreSQL on `dataDir` (restored by pgBackRest) with settings of its own: a restored
 * Debian cluster has no postgresql.conf in its data folder, and whatever the original had must
 * not apply here — archive_mode is forced off so the drill's new timeline never reaches the real
 * archive, and it listens on 127.0.0.1 and a socket in a folder only the owner can enter.
 * Resolves once recovery has ended (the server was promoted).
 */
export async function startScratchServer(options: {
  dataDir: string;
  workDir: string;
  binDir: string;
  owner: ClusterOwner;
  timeoutMs: number;
  /**
   * The real data folder after `backup restore` (erasures are applied again before anyone can
   * connect): no TCP at all, and archiving as the folder's own settings say — its promotion's new
   * timeline must reach the archive like any other.
   */
  restoredInPlace?: boolean;
}): Promise<ScratchServer> {
  const { dataDir, workDir, binDir, owner } = options;
  const socketDir = join(workDir, 'socket');
  await ownedFolder(socketDir, owner);
  const files = { config: join(workDir, 'postgresql.conf'), hba: join(workDir, 'pg_hba.conf'), ident: join(workDir, 'pg_ident.conf') };
  await writeFile(files.config, '# keyhaven-ops backup drill: every setting is given on the command line\n');
  // The socket folder is private (0700): only the owner (and root) reach "trust"; TCP needs a password.
  await writeFile(files.hba, 'local all all trust\nhost all all 127.0.0.1/32 scram-sha-256\n');
  await writeFile(files.ident, '');
  if ((process.getuid?.() ?? -1) === 0) for (const file of Object.values(files)) await chown(file, owner.uid, owner.gid);
  const port = await freeLoopbackPort();
  const settings = [
    `config_file=${files.config}`,
    `hba_file=${files.hba}`,
    `ident_file=${files.ident}`,
    `port=${port}`,
    `listen_addresses=${options.restoredInPlace ? "''" : '127.0.0.1'}`,
    `unix_socket_directories=${socketDir}`,
    ...(options.restoredInPlace ? [] : ['archive_mode=off']),
  ];
  const log = join(workDir, 'server.log');
  try {
    await runAsOwner(owner, join(binDir, 'pg_ctl'), [
      '-D',
      dataDir,
      '-l',
      log,
      '-w',
      '-t',
      String(Math.ceil(options.timeoutMs / 1000)),
      '-o',
      settings.map((setting) => `-c ${setting}`).join(' '),
      'start',
    ]);
  } catch (error) {
    const tail = (await readFile(log, 'utf8').catch(() => ''))
      .split('\n')
      .filter((line) => /FATAL|ERROR|PANIC/.test(line))
      .slice(-3)
      .join(' | ');
    throw new ToolError(`the restored copy did not start: ${tail || (error as Error).message}`);
  }

  const stop = async (mode: 'immediate' | 'fast' = 'immediate') => {
    await runAsOwner(owner, join(binDir, 'pg_ctl'), ['-D', dataDir, '-m', mode, '-w', '-t', String(Math.ceil(options.timeoutMs / 1000)), 'stop']).catch(
      () => undefined,
    );
  };
  const query = async <Row>(sql: string, params: unknown[] = [], database = 'postgres'): Promise<Row[]> => {
    const client = new Client({ host: socketDir, port, user: owner.name, database });
    await client.connect();
    try {
      return (await client.query(sql, params)).rows as Row[];
    } finally {
      await client.end();
    }
  };
  try {
    const deadline = Date.now() + options.timeoutMs;
    while ((await query<{ recovering: boolean }>('select pg_is_in_recovery() as recovering'))[0]?.recovering) {
      if (Date.now() > deadline) throw new ToolError(`the restored copy was still recovering after ${options.timeoutMs / 1000} s`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { port, socketDir, query, stop };
}
