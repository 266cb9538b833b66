import { Migration } from '@mikro-orm/migrations';

export class Migration20261130093000 extends Migration {
  override async up(): Promise<void> {
    // GDPR (issue 12): how far release-api has read auth-service's erasure feed (one row). (The
    // audit retention scans by "at", which has its index already.)
    this.addSql(
      `create table "release"."erasure_sync" ("id" int not null, "cursor" text null, "synced_at" timestamptz null, constraint "erasure_sync_pkey" primary key ("id"));`,
    );
    // Added by hand: one row only; the audit trail is pseudonymised by actor.
    this.addSql(`alter table "release"."erasure_sync" add constraint "erasure_sync_one_row" check ("id" = 1);`);
    this.addSql(`create index "audit_event_actor_sub_index" on "release"."audit_event" ("actor_sub");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index if exists "release"."audit_event_actor_sub_index";`);
    this.addSql(`drop table if exists "release"."erasure_sync" cascade;`);
  }
}
