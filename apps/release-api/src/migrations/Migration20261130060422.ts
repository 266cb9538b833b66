import { Migration } from '@mikro-orm/migrations';

export class Migration20261130060422 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "release"."key_check" ("name" text not null, "fingerprint" text not null, "check_sealed" text not null, "created_at" timestamptz not null, constraint "key_check_pkey" primary key ("name"));`,
    );
    // Edited by hand: the generator also wanted to drop the constraints and indexes earlier
    // migrations add by hand (it cannot see them in the entities); only the new table is meant.
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "release"."key_check" cascade;`);
  }
}
