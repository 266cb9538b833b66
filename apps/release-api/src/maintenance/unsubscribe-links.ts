import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { RELEASE_CONFIG, ReleaseConfig } from '../config/release.config';
import { SealingKey } from '../signing/sealing-key';

/**
 * The unsubscribe link in every notice email (and its `List-Unsubscribe` header): the
 * subscription id with an HMAC of it under a key derived from the service's sealing key. No
 * token is stored, a link works for exactly one subscription, and it cannot be guessed or
 * forged without the key — so a recipient can leave without an account, and nobody else can
 * remove them.
 */
@Injectable()
export class UnsubscribeLinks {
  private key: Promise<Buffer> | undefined;

  constructor(
    private readonly sealingKey: SealingKey,
    @Inject(RELEASE_CONFIG) private readonly config: ReleaseConfig,
  ) {}

  async url(subscriptionId: string): Promise<string> {
    return `${this.config.publicUrl}/v1/subscriptions/${subscriptionId}/unsubscribe?token=${await this.token(subscriptionId)}`;
  }

  async verify(subscriptionId: string, token: string): Promise<boolean> {
    const expected = Buffer.from(await this.token(subscriptionId));
    const given = Buffer.from(token);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  private async token(subscriptionId: string): Promise<string> {
    this.key ??= this.sealingKey.get().then((root) => Buffer.from(hkdfSync('sha256', root, Buffer.alloc(0), 'keyhaven release-api unsubscribe links v1', 32)));
    return createHmac('sha256', await this.key).update(subscriptionId).digest('base64url');
  }
}
