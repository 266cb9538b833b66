import { Migration } from '@mikro-orm/migrations';

export class Migration20261127133409 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "auth"."webauthn_challenge" ("challenge" text not null, "ceremony" text not null, "account_id" uuid null, "passkey" boolean not null default false, "expires_at" timestamptz not null, constraint "webauthn_challenge_pkey" primary key ("challenge"));`,
    );
    this.addSql(`create index "webauthn_challenge_expires_at_index" on "auth"."webauthn_challenge" ("expires_at");`);
    // Added by hand: the ceremonies the code knows, and only passkey sign-in has no account.
    this.addSql(
      `alter table "auth"."webauthn_challenge" add constraint "webauthn_challenge_ceremony_check" check ("ceremony" in ('registration', 'second_factor', 'passkey') and ("account_id" is null) = ("ceremony" = 'passkey'));`,
    );

    this.addSql(
      `create table "auth"."webauthn_credential" ("id" uuid not null, "account_id" uuid not null, "name" text not null, "credential_id" text not null, "public_key" text not null, "counter" bigint not null, "transports" text[] not null default '{}', "aaguid" text not null, "device_type" text not null, "backed_up" boolean not null, "passkey" boolean not null, "created_at" timestamptz not null, "last_used_at" timestamptz null, constraint "webauthn_credential_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "webauthn_credential_account_id_index" on "auth"."webauthn_credential" ("account_id");`);
    this.addSql(`alter table "auth"."webauthn_credential" add constraint "webauthn_credential_account_id_name_unique" unique ("account_id", "name");`);
    this.addSql(`alter table "auth"."webauthn_credential" add constraint "webauthn_credential_credential_id_unique" unique ("credential_id");`);
    // Added by hand: like totp_factor, a credential goes with its account; the counter is a uint32.
    this.addSql(
      `alter table "auth"."webauthn_credential" add constraint "webauthn_credential_account_fk" foreign key ("account_id") references "auth"."account" ("id") on delete cascade;`,
    );
    this.addSql(`alter table "auth"."webauthn_credential" add constraint "webauthn_credential_counter_check" check ("counter" between 0 and 4294967295);`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "auth"."webauthn_challenge" cascade;`);
    this.addSql(`drop table if exists "auth"."webauthn_credential" cascade;`);
  }
}
