import { ChildProcess, execFile, spawn } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, WORKSPACE } from './built-service';

/** A local S3-compatible store (npm `s3rver`) over TLS with a self-signed certificate. */
export interface LocalS3 {
  /** `https://localhost:<port>` — a host name, because pgBackRest 2.45 matches names, not IP addresses, in certificates. */
  endpoint: string;
  bucket: string;
  /** s3rver's fixed credentials. */
  key: string;
  secret: string;
  /** The self-signed certificate (readable by everyone: pgBackRest runs as postgres). */
  caFile: string;
  /** Where s3rver keeps objects (one `<key>._S3rver_object` file per object). */
  directory: string;
  stop(): Promise<void>;
}

function openssl(args: string[]): Promise<void> {
  return new Promise((resolve, reject) =>
    execFile('openssl', args, (error, _stdout, stderr) => (error ? reject(new Error(`openssl failed: ${stderr}`)) : resolve())),
  );
}

export async function startLocalS3(bucket = 'keyhaven-backups'): Promise<LocalS3> {
  const dir = await mkdtemp(join(tmpdir(), 'keyhaven-s3-'));
  await chmod(dir, 0o755);
  const caFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  await openssl([
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=localhost',
    '-addext',
    'subjectAltName=DNS:localhost',
    '-keyout',
    keyFile,
    '-out',
    caFile,
  ]);
  await chmod(caFile, 0o644);
  const directory = join(dir, 'objects');
  const port = await freePort();
  let output = '';
  const child: ChildProcess = spawn(
    process.execPath,
    [
      join(WORKSPACE, 'node_modules/s3rver/bin/s3rver.js'),
      '-d',
      directory,
      '-a',
      '127.0.0.1',
      '-p',
      String(port),
      '--key',
      keyFile,
      '--cert',
      caFile,
      '--silent',
      '--configure-bucket',
      bucket,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ca = await readFile(caFile);
  const deadline = Date.now() + 30_000;
  for (;;) {
    const up = await new Promise<boolean>((resolve) => {
      const req = request({ host: '127.0.0.1', servername: 'localhost', port, path: `/${bucket}`, ca, method: 'HEAD' }, (res) => {
        res.resume();
        resolve(true);
      });
      req.on('error', () => resolve(false));
      req.end();
    });
    if (up) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
      throw new Error(`s3rver did not start:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    endpoint: `https://localhost:${port}`,
    bucket,
    key: 'S3RVER',
    secret: 'S3RVER',
    caFile,
    directory,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
