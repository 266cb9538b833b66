import { Migration } from '@mikro-orm/migrations';

export class Migration20261127132351 extends Migration {
  override async up(): Promise<void> {
    // Spent pending tokens: the primary key on jti makes each one single-use.
    this.addSql(
      `create table "auth"."consumed_token" ("jti" text not null, "expires_at" timestamptz not null, constraint "consumed_token_pkey" primary key ("jti"));`,
    );
    this.addSql(`create index "consumed_token_expires_at_index" on "auth"."consumed_token" ("expires_at");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "auth"."consumed_token" cascade;`);
  }
}
