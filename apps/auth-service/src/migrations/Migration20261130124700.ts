import { Migration } from '@mikro-orm/migrations';

export class Migration20261130124700 extends Migration {
  override async up(): Promise<void> {
    // Only erasures of staff accounts (ops, admin) go into the public erasures feed.
    this.addSql(`alter table "auth"."account_tombstone" add column "operator" boolean not null default false;`);
    // Tombstones from before: whether the account was staff is unknown, and the feed published
    // them until now — it keeps doing so, so a release-api that reads from an earlier cursor misses none.
    this.addSql(`update "auth"."account_tombstone" set "operator" = true;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "auth"."account_tombstone" drop column "operator";`);
  }
}
