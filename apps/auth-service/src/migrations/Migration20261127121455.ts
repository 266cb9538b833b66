import { Migration } from '@mikro-orm/migrations';

export class Migration20261127121455 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create schema if not exists "auth";`);
    this.addSql(
      `create table "auth"."account" ("id" uuid not null, "email" text not null, "password_hash" text not null, "roles" text[] not null default '{}', "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), constraint "account_pkey" primary key ("id"));`,
    );
    this.addSql(`alter table "auth"."account" add constraint "account_email_unique" unique ("email");`);
  }
}
