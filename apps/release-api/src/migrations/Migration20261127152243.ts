import { Migration } from '@mikro-orm/migrations';

/**
 * Audit rows for changes outside the catalog (subscriptions, unsubscribes, delivery replays)
 * produce no catalog sequence. Generated, then trimmed to this change: the generator also
 * proposed dropping pg-boss's schema and the hand-written checks and partial indexes that
 * entities cannot express.
 */
export class Migration20261127152243 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "release"."audit_event" alter column "sequence" drop not null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`delete from "release"."audit_event" where "sequence" is null;`);
    this.addSql(`alter table "release"."audit_event" alter column "sequence" set not null;`);
  }
}
