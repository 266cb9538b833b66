import { Migration } from '@mikro-orm/migrations';

export class Migration20261127122700 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "auth"."recovery_code" ("id" uuid not null, "account_id" uuid not null, "code_hash" text not null, "created_at" timestamptz not null, "used_at" timestamptz null, constraint "recovery_code_pkey" primary key ("id"));`,
    );
    this.addSql(`alter table "auth"."recovery_code" add constraint "recovery_code_account_id_code_hash_unique" unique ("account_id", "code_hash");`);

    this.addSql(
      `create table "auth"."security_event" ("id" uuid not null, "type" text not null, "account_id" uuid not null, "actor_id" uuid null, "ip_prefix" text null, "details" jsonb null, "occurred_at" timestamptz not null, constraint "security_event_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "security_event_account_id_occurred_at_index" on "auth"."security_event" ("account_id", "occurred_at");`);

    this.addSql(
      `create table "auth"."signing_key" ("kid" text not null, "public_jwk" jsonb not null, "private_key_sealed" text not null, "created_at" timestamptz not null, "retired_at" timestamptz null, constraint "signing_key_pkey" primary key ("kid"));`,
    );

    this.addSql(
      `create table "auth"."totp_factor" ("id" uuid not null, "account_id" uuid not null, "name" text not null, "secret_sealed" text not null, "created_at" timestamptz not null, "confirmed_at" timestamptz null, "last_used_at" timestamptz null, "last_step" bigint null, constraint "totp_factor_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "totp_factor_account_id_index" on "auth"."totp_factor" ("account_id");`);

    this.addSql(
      `alter table "auth"."account" add column "mfa_grace_started_at" timestamptz null, add column "mfa_failed_count" int not null default 0, add column "mfa_next_attempt_at" timestamptz null, add column "mfa_locked_until" timestamptz null;`,
    );

    // Added by hand (the generator cannot express these):
    // factors and codes die with their account;
    this.addSql(
      `alter table "auth"."totp_factor" add constraint "totp_factor_account_fk" foreign key ("account_id") references "auth"."account" ("id") on delete cascade;`,
    );
    this.addSql(
      `alter table "auth"."recovery_code" add constraint "recovery_code_account_fk" foreign key ("account_id") references "auth"."account" ("id") on delete cascade;`,
    );
    // at most one active signing key, even when two replicas boot at once;
    this.addSql(`create unique index "signing_key_one_active" on "auth"."signing_key" ((true)) where "retired_at" is null;`);
    // a factor name is unique per account, so a user can tell them apart;
    this.addSql(`alter table "auth"."totp_factor" add constraint "totp_factor_account_name_unique" unique ("account_id", "name");`);
    // the audit trail is append-only: no UPDATE, no DELETE, whoever asks.
    this.addSql(
      `create function "auth"."security_event_append_only"() returns trigger language plpgsql as $$ begin raise exception 'security_event is append-only'; end $$;`,
    );
    this.addSql(
      `create trigger "security_event_append_only" before update or delete on "auth"."security_event" for each row execute function "auth"."security_event_append_only"();`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop function if exists "auth"."security_event_append_only"() cascade;`);
    this.addSql(`drop table if exists "auth"."recovery_code" cascade;`);

    this.addSql(`drop table if exists "auth"."security_event" cascade;`);

    this.addSql(`drop table if exists "auth"."signing_key" cascade;`);

    this.addSql(`drop table if exists "auth"."totp_factor" cascade;`);

    this.addSql(
      `alter table "auth"."account" drop column "mfa_grace_started_at", drop column "mfa_failed_count", drop column "mfa_next_attempt_at", drop column "mfa_locked_until";`,
    );
  }
}
