import { Migration } from '@mikro-orm/migrations';

export class Migration20261130103000 extends Migration {
  override async up(): Promise<void> {
    // Directory (LDAP) accounts: linked by the entry's stable id, found at sign-in by login; their
    // password lives in the directory (no local hash). Locks set by the directory sync or an admin.
    this.addSql(`alter table "auth"."account" alter column "password_hash" drop not null;`);
    this.addSql(
      `alter table "auth"."account" add column "locked_at" timestamptz null, add column "lock_reason" text null, add column "directory_id" text null, add column "directory_dn" text null, add column "directory_login" text null, add column "directory_roles" text[] not null default '{}';`,
    );
    this.addSql(`alter table "auth"."account" add constraint "account_directory_id_unique" unique ("directory_id");`);
    this.addSql(`create index "account_directory_login_index" on "auth"."account" ("directory_login");`);
    // Added by hand: a lock always has its reason; a local account always has a password.
    this.addSql(`alter table "auth"."account" add constraint "account_lock_check" check (("locked_at" is null) = ("lock_reason" is null));`);
    this.addSql(`alter table "auth"."account" add constraint "account_password_check" check ("password_hash" is not null or "directory_id" is not null);`);

    // One row per directory sync run, with its report. At most one run is running at a time.
    this.addSql(
      `create table "auth"."directory_sync_run" ("id" uuid not null, "status" text not null, "trigger" text not null, "dry_run" boolean not null, "forced" boolean not null, "requested_by" uuid null, "started_at" timestamptz not null, "finished_at" timestamptz null, "counts" jsonb null, "actions" jsonb null, "abort_reason" text null, constraint "directory_sync_run_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "directory_sync_run_started_at_index" on "auth"."directory_sync_run" ("started_at");`);
    this.addSql(`create unique index "directory_sync_run_one_running" on "auth"."directory_sync_run" ((true)) where "status" = 'running';`);
    this.addSql(
      `alter table "auth"."directory_sync_run" add constraint "directory_sync_run_status_check" check ("status" in ('running', 'completed', 'aborted', 'refused') and "trigger" in ('schedule', 'admin'));`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "auth"."directory_sync_run" cascade;`);
    this.addSql(
      `alter table "auth"."account" drop constraint if exists "account_password_check", drop constraint if exists "account_lock_check", drop constraint if exists "account_directory_id_unique";`,
    );
    this.addSql(`drop index if exists "auth"."account_directory_login_index";`);
    this.addSql(
      `alter table "auth"."account" drop column "locked_at", drop column "lock_reason", drop column "directory_id", drop column "directory_dn", drop column "directory_login", drop column "directory_roles";`,
    );
  }
}
