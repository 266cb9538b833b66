import { Migration } from '@mikro-orm/migrations';

export class Migration20261127121626 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create schema if not exists "release";`);
    this.addSql(
      `create table "release"."release" ("version" text not null, "channel" text not null, "editions" text[] not null default '{}', "released_at" timestamptz not null, "notes_url" text null, "supported_until" timestamptz null, "security" boolean not null default false, "yanked" boolean not null default false, "upgrade_from" text null, "created_at" timestamptz not null default now(), constraint "release_pkey" primary key ("version"));`,
    );
  }
}
