import { Migration } from '@mikro-orm/migrations';

export class Migration20261130092000 extends Migration {
  override async up(): Promise<void> {
    // GDPR (issue 12): erasure tombstones, scheduled self-service deletion, consumed tokens tied to
    // their account (so an erasure takes them), and the event index the retention job scans.
    this.addSql(
      `create table "auth"."account_tombstone" ("account_id" uuid not null, "erased_at" timestamptz not null, "requested_by" text not null, "requester_id" uuid null, "reason" text not null, constraint "account_tombstone_pkey" primary key ("account_id"));`,
    );
    this.addSql(`create index "account_tombstone_erased_at_index" on "auth"."account_tombstone" ("erased_at");`);
    this.addSql(`alter table "auth"."account" add column "erasure_scheduled_at" timestamptz null;`);
    this.addSql(`alter table "auth"."consumed_token" add column "account_id" uuid null;`);

    // Added by hand:
    this.addSql(`alter table "auth"."account_tombstone" add constraint "account_tombstone_requested_by_check" check ("requested_by" in ('self', 'admin'));`);
    this.addSql(
      `alter table "auth"."consumed_token" add constraint "consumed_token_account_fk" foreign key ("account_id") references "auth"."account" ("id") on delete cascade;`,
    );
    this.addSql(`create index "consumed_token_account_id_index" on "auth"."consumed_token" ("account_id");`);
    this.addSql(`create index "security_event_occurred_at_index" on "auth"."security_event" ("occurred_at");`);
    this.addSql(`create index "account_erasure_scheduled_at_index" on "auth"."account" ("erasure_scheduled_at") where "erasure_scheduled_at" is not null;`);
    // The audit trail stays append-only with two narrow exceptions, each needing a setting the
    // service sets only on its own transaction (`set local`): the retention job deletes rows older
    // than the cutoff it set, and an erasure strips user-chosen text (factor names) from the erased
    // account's events — every other column must stay as it was.
    this.addSql(`create or replace function "auth"."security_event_append_only"() returns trigger language plpgsql as $$
      begin
        if tg_op = 'DELETE' and old.occurred_at < nullif(current_setting('keyhaven.event_retention_cutoff', true), '')::timestamptz then
          return old;
        end if;
        if tg_op = 'UPDATE' and old.account_id::text = nullif(current_setting('keyhaven.erasing_account', true), '')
           and new.id = old.id and new.type = old.type and new.account_id = old.account_id
           and new.actor_id is not distinct from old.actor_id and new.ip_prefix is not distinct from old.ip_prefix
           and new.occurred_at = old.occurred_at then
          return new;
        end if;
        raise exception 'security_event is append-only';
      end $$;`);
  }

  override async down(): Promise<void> {
    this.addSql(
      `create or replace function "auth"."security_event_append_only"() returns trigger language plpgsql as $$ begin raise exception 'security_event is append-only'; end $$;`,
    );
    this.addSql(`drop index if exists "auth"."security_event_occurred_at_index";`);
    this.addSql(`alter table "auth"."consumed_token" drop column "account_id";`);
    this.addSql(`alter table "auth"."account" drop column "erasure_scheduled_at";`);
    this.addSql(`drop table if exists "auth"."account_tombstone" cascade;`);
  }
}
