import { Migration } from '@mikro-orm/migrations';

export class Migration20261130124500 extends Migration {
  override async up(): Promise<void> {
    // Session-bound refresh tokens: the session row holds the hash of its current refresh token
    // and that token's generation, so a rotation is one UPDATE of one row (see RefreshTokens).
    // auth.refresh_token keeps the tokens issued before this migration (each rotates once more,
    // into the new form) and the record of their spent predecessors for reuse detection.
    this.addSql(`alter table "auth"."session" add column "refresh_hash" bytea null, add column "refresh_generation" int not null default 0;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "auth"."session" drop column "refresh_hash", drop column "refresh_generation";`);
  }
}
