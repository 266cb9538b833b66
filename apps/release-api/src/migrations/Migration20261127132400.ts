import { Migration } from '@mikro-orm/migrations';

export class Migration20261127132400 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "release"."maintenance_subscription" ("id" uuid not null, "kind" text not null, "url" text null, "secret_sealed" text null, "address" text null, "time_zone" text null, "environments" text[] not null default '{}', "created_at" timestamptz not null default now(), "removed_at" timestamptz null, constraint "maintenance_subscription_pkey" primary key ("id"));`,
    );

    this.addSql(
      `create table "release"."maintenance_window" ("id" uuid not null, "title" text not null, "description" text not null default '', "starts_at" timestamptz not null, "ends_at" timestamptz not null, "environments" text[] not null default '{}', "emergency_reason" text null, "short_notice" boolean not null default false, "sequence" int not null default 0, "announced_at" timestamptz null, "cancelled_at" timestamptz null, "cancel_reason" text null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), constraint "maintenance_window_pkey" primary key ("id"));`,
    );

    this.addSql(
      `create table "release"."maintenance_notice" ("id" uuid not null, "window_id" uuid not null, "type" text not null, "key" text not null, "window_sequence" int not null, "due_at" timestamptz not null, "state" text not null default 'planned', "sent_at" timestamptz null, constraint "maintenance_notice_pkey" primary key ("id"));`,
    );
    this.addSql(
      `alter table "release"."maintenance_notice" add constraint "maintenance_notice_window_id_window_sequence_key_unique" unique ("window_id", "window_sequence", "key");`,
    );

    this.addSql(
      `create table "release"."notice_delivery" ("id" uuid not null, "notice_id" uuid not null, "subscription_id" uuid not null, "state" text not null default 'pending', "attempts" int not null default 0, "last_error" text null, "last_attempt_at" timestamptz null, "delivered_at" timestamptz null, "created_at" timestamptz not null default now(), constraint "notice_delivery_pkey" primary key ("id"));`,
    );
    this.addSql(
      `alter table "release"."notice_delivery" add constraint "notice_delivery_notice_id_subscription_id_unique" unique ("notice_id", "subscription_id");`,
    );

    this.addSql(
      `alter table "release"."maintenance_notice" add constraint "maintenance_notice_window_id_foreign" foreign key ("window_id") references "release"."maintenance_window" ("id") on update cascade on delete cascade;`,
    );

    this.addSql(
      `alter table "release"."notice_delivery" add constraint "notice_delivery_notice_id_foreign" foreign key ("notice_id") references "release"."maintenance_notice" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "release"."notice_delivery" add constraint "notice_delivery_subscription_id_foreign" foreign key ("subscription_id") references "release"."maintenance_subscription" ("id") on update cascade;`,
    );

    // Added by hand (the generator cannot express them): the invariants the workers rely on,
    // and the indexes of the fan-out, the ops lists and the public list.
    this.addSql(`alter table "release"."maintenance_window" add constraint "maintenance_window_ends_after_start" check ("ends_at" > "starts_at");`);
    this.addSql(
      `alter table "release"."maintenance_subscription" add constraint "maintenance_subscription_kind" check (("kind" = 'webhook' and "url" is not null and "secret_sealed" is not null and "address" is null) or ("kind" = 'email' and "address" is not null and "url" is null and "secret_sealed" is null));`,
    );
    this.addSql(`alter table "release"."maintenance_notice" add constraint "maintenance_notice_state" check ("state" in ('planned', 'sent', 'superseded'));`);
    this.addSql(`alter table "release"."notice_delivery" add constraint "notice_delivery_state" check ("state" in ('pending', 'delivered', 'dead'));`);
    this.addSql(`create index "maintenance_window_open_index" on "release"."maintenance_window" ("starts_at") where "cancelled_at" is null;`);
    this.addSql(`create index "maintenance_notice_planned_index" on "release"."maintenance_notice" ("window_id") where "state" = 'planned';`);
    this.addSql(`create index "notice_delivery_state_index" on "release"."notice_delivery" ("state", "created_at" desc);`);
    this.addSql(`create index "notice_delivery_subscription_index" on "release"."notice_delivery" ("subscription_id");`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "release"."notice_delivery" drop constraint "notice_delivery_subscription_id_foreign";`);

    this.addSql(`alter table "release"."maintenance_notice" drop constraint "maintenance_notice_window_id_foreign";`);

    this.addSql(`alter table "release"."notice_delivery" drop constraint "notice_delivery_notice_id_foreign";`);

    this.addSql(`drop table if exists "release"."maintenance_subscription" cascade;`);

    this.addSql(`drop table if exists "release"."maintenance_window" cascade;`);

    this.addSql(`drop table if exists "release"."maintenance_notice" cascade;`);

    this.addSql(`drop table if exists "release"."notice_delivery" cascade;`);
  }
}
