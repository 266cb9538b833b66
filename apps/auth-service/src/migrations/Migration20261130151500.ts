import { Migration } from '@mikro-orm/migrations';

export class Migration20261130151500 extends Migration {
  override async up(): Promise<void> {
    // A session row is rewritten at every refresh (its refresh hash, generation and last use —
    // none of them indexed). With room left on each page the new row version goes on the same
    // page as a heap-only tuple: no new entries in the session's indexes, and no index bloat from
    // rows that are refreshed every few minutes for weeks. Applies to pages written from now on.
    this.addSql(`alter table "auth"."session" set (fillfactor = 70);`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "auth"."session" reset (fillfactor);`);
  }
}
