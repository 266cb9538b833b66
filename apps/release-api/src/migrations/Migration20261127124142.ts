import { Migration } from '@mikro-orm/migrations';

export class Migration20261127124142 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "release"."advisory" ("id" text not null, "aliases" text[] not null default '{}', "title" text not null, "summary" text not null default '', "severity_type" text null, "severity_vector" text null, "severity_score" double precision null, "severity_level" text null, "known_exploited" boolean not null default false, "affected" jsonb not null, "fixed_in" text[] not null default '{}', "url" text null, "published_at" timestamptz not null, "modified_at" timestamptz not null, "withdrawn_at" timestamptz null, "created_at" timestamptz not null default now(), constraint "advisory_pkey" primary key ("id"));`,
    );

    this.addSql(
      `create table "release"."audit_event" ("id" serial primary key, "at" timestamptz not null default now(), "actor_sub" text not null, "actor_email" text null, "action" text not null, "subject" text not null, "before" jsonb null, "after" jsonb null, "sequence" bigint not null);`,
    );

    this.addSql(
      `create table "release"."catalog_sequence" ("id" int not null, "value" bigint not null, constraint "catalog_sequence_pkey" primary key ("id"));`,
    );

    this.addSql(
      `create table "release"."check_count" ("day" date not null, "version" text not null, "channel" text not null, "edition" text not null, "count" bigint not null, constraint "check_count_pkey" primary key ("day", "version", "channel", "edition"));`,
    );

    this.addSql(
      `create table "release"."signing_key" ("kid" text not null, "public_x" text not null, "private_encrypted" text not null, "created_at" timestamptz not null default now(), "retired_at" timestamptz null, constraint "signing_key_pkey" primary key ("kid"));`,
    );

    this.addSql(`alter table "release"."release" add column "updated_at" timestamptz not null default now();`);

    // Added by hand: the sequence is a single row that exists from the start, so a catalog change
    // only ever runs `update … set value = value + 1 returning value` (no read-then-write).
    this.addSql(`alter table "release"."catalog_sequence" add constraint "catalog_sequence_single_row" check ("id" = 1);`);
    this.addSql(`insert into "release"."catalog_sequence" ("id", "value") values (1, 0);`);
    this.addSql(`alter table "release"."check_count" add constraint "check_count_positive" check ("count" > 0);`);
    this.addSql(`create index "audit_event_at_index" on "release"."audit_event" ("at" desc);`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "release"."advisory" cascade;`);

    this.addSql(`drop table if exists "release"."audit_event" cascade;`);

    this.addSql(`drop table if exists "release"."catalog_sequence" cascade;`);

    this.addSql(`drop table if exists "release"."check_count" cascade;`);

    this.addSql(`drop table if exists "release"."signing_key" cascade;`);

    this.addSql(`alter table "release"."release" drop column "updated_at";`);
  }
}
