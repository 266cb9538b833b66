import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { RELEASE_CONFIG, ReleaseConfig } from '../config/release.config';

/** In DATA_DIR, named after the service (the embedded cluster there serves both services). */
export const SEALING_KEY_FILE = 'release-api.signing-key-encryption.key';

/**
 * The service's key for secrets at rest (generated signing keys, webhook secrets):
 * RELEASE_KEY_ENCRYPTION_KEY, or one generated once into DATA_DIR.
 */
@Injectable()
export class SealingKey {
  private readonly logger = new Logger(SealingKey.name);
  private key: Promise<Buffer> | undefined;

  constructor(@Inject(RELEASE_CONFIG) private readonly config: ReleaseConfig) {}

  get(): Promise<Buffer> {
    this.key ??= this.resolve().catch((error: unknown) => {
      this.key = undefined;
      throw error;
    });
    return this.key;
  }

  /** Where the key comes from: the environment, or the file it was generated into (embedded mode). */
  source(): 'environment' | string {
    return this.config.signing.encryptionKey ? 'environment' : this.generatedFile();
  }

  /** AES-256-GCM; `context` (a row id) is associated data, so a ciphertext cannot be moved to another row. */
  async seal(plaintext: Buffer, context: string): Promise<string> {
    return seal(plaintext, await this.get(), context);
  }

  async open(sealed: string, context: string): Promise<Buffer> {
    return unseal(sealed, await this.get(), context);
  }

  private generatedFile(): string {
    return join(this.config.dataDir, SEALING_KEY_FILE);
  }

  private async resolve(): Promise<Buffer> {
    if (this.config.signing.encryptionKey) return this.config.signing.encryptionKey;
    const file = this.generatedFile();
    try {
      return Buffer.from((await readFile(file, 'utf8')).trim(), 'base64url');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const key = randomBytes(32);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, `${key.toString('base64url')}\n`, { mode: 0o600, flag: 'wx' }).catch(async (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
    this.logger.warn(`RELEASE_KEY_ENCRYPTION_KEY is not set: generated one into ${file} (embedded mode only; keep it with the data directory).`);
    return Buffer.from((await readFile(file, 'utf8')).trim(), 'base64url');
  }
}

/** `iv.ciphertext.tag`, base64url. */
export function seal(plaintext: Buffer, key: Buffer, context: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(context));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return [iv, ciphertext, cipher.getAuthTag()].map((part) => part.toString('base64url')).join('.');
}

export function unseal(stored: string, key: Buffer, context: string): Buffer {
  const [iv, ciphertext, tag] = stored.split('.').map((part) => Buffer.from(part, 'base64url'));
  if (!iv || !ciphertext || !tag) throw new Error(`Sealed value of ${context} is damaged`);
  const decipher = createDecipheriv('aes-256-gcm', key, iv);
  decipher.setAAD(Buffer.from(context));
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
}
