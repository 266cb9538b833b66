import { Migration } from '@mikro-orm/migrations';

export class Migration20261130124600 extends Migration {
  override async up(): Promise<void> {
    // The age of a second-factor failure counter: the retention job clears stale counters.
    // (The generator also proposed dropping the hand-written constraints and indexes; kept out.)
    this.addSql(`alter table "auth"."account" add column "mfa_last_attempt_at" timestamptz null;`);
    // Counters left over from before: their age is unknown, so they count from now.
    this.addSql(`update "auth"."account" set "mfa_last_attempt_at" = now() where "mfa_failed_count" > 0;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "auth"."account" drop column "mfa_last_attempt_at";`);
  }
}
