import { Migration } from '@mikro-orm/migrations';

export class Migration20261130081607 extends Migration {
  override async up(): Promise<void> {
    // Sessions, their refresh tokens and remembered devices. Generated, then trimmed by hand: the
    // generator also wanted to drop the constraints and indexes earlier migrations add by hand.
    this.addSql(
      `create table "auth"."refresh_token" ("token_hash" bytea not null, "session_id" uuid not null, "created_at" timestamptz not null, "spent_at" timestamptz null, constraint "refresh_token_pkey" primary key ("token_hash"));`,
    );
    this.addSql(`create index "refresh_token_session_id_index" on "auth"."refresh_token" ("session_id");`);

    this.addSql(
      `create table "auth"."remembered_device" ("id" uuid not null, "account_id" uuid not null, "token_hash" bytea not null, "device_label" text not null, "network" text null, "created_at" timestamptz not null, "last_used_at" timestamptz null, "expires_at" timestamptz not null, constraint "remembered_device_pkey" primary key ("id"));`,
    );
    this.addSql(`alter table "auth"."remembered_device" add constraint "remembered_device_token_hash_unique" unique ("token_hash");`);
    this.addSql(`create index "remembered_device_expires_at_index" on "auth"."remembered_device" ("expires_at");`);
    this.addSql(`create index "remembered_device_account_id_index" on "auth"."remembered_device" ("account_id");`);

    this.addSql(
      `create table "auth"."session" ("id" uuid not null, "account_id" uuid not null, "token_use" text not null, "aal" smallint not null, "amr" text[] not null, "auth_time" timestamptz not null, "created_at" timestamptz not null, "last_used_at" timestamptz not null, "expires_at" timestamptz not null, "device_label" text not null, "network" text null, "remembered_device_id" uuid null, "revoked_at" timestamptz null, "revoke_reason" text null, constraint "session_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "session_account_id_created_at_index" on "auth"."session" ("account_id", "created_at");`);

    // Added by hand: rows go with their account (erasure) and tokens with their session (retention);
    // the revocation list reads recent revocations only; a revocation always has its reason.
    this.addSql(
      `alter table "auth"."session" add constraint "session_account_fk" foreign key ("account_id") references "auth"."account" ("id") on delete cascade;`,
    );
    this.addSql(
      `alter table "auth"."refresh_token" add constraint "refresh_token_session_fk" foreign key ("session_id") references "auth"."session" ("id") on delete cascade;`,
    );
    this.addSql(
      `alter table "auth"."remembered_device" add constraint "remembered_device_account_fk" foreign key ("account_id") references "auth"."account" ("id") on delete cascade;`,
    );
    this.addSql(`create index "session_revoked_at_index" on "auth"."session" ("revoked_at") where "revoked_at" is not null;`);
    this.addSql(
      `alter table "auth"."session" add constraint "session_revoke_check" check (("revoked_at" is null) = ("revoke_reason" is null) and "token_use" in ('access', 'enrolment') and "aal" in (1, 2));`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "auth"."refresh_token" cascade;`);
    this.addSql(`drop table if exists "auth"."remembered_device" cascade;`);
    this.addSql(`drop table if exists "auth"."session" cascade;`);
  }
}
