import { scrypt as scryptCallback } from 'node:crypto';

/** An AES-256 key from BACKUP_CIPHER_PASS and a random salt (scrypt, N=2^15): for what Keyhaven encrypts itself (snapshots, the erasure ledger). */
export function deriveKey(pass: string, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scryptCallback(pass, salt, 32, { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 }, (error, key) => (error ? reject(error) : resolve(key))),
  );
}
