import { Migration } from '@mikro-orm/migrations';

export class Migration20261130150500 extends Migration {
  override async up(): Promise<void> {
    // One spelling, as the API says (`enrollmentRequired`, 403 `enrollment_required`): an enroll-only
    // session's token_use was stored as `enrolment`. Written by hand — a value, not a schema change,
    // so the generator sees nothing. Access tokens already issued with the old value keep working
    // until they expire (read as the new one, see LEGACY_ENROLLMENT_USE in sessions/token-claims.ts);
    // a refresh reads the row, so it mints the new spelling from here on.
    this.addSql(`alter table "auth"."session" drop constraint "session_revoke_check";`);
    this.addSql(`update "auth"."session" set "token_use" = 'enrollment' where "token_use" = 'enrolment';`);
    this.addSql(
      `alter table "auth"."session" add constraint "session_revoke_check" check (("revoked_at" is null) = ("revoke_reason" is null) and "token_use" in ('access', 'enrollment') and "aal" in (1, 2));`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "auth"."session" drop constraint "session_revoke_check";`);
    this.addSql(`update "auth"."session" set "token_use" = 'enrolment' where "token_use" = 'enrollment';`);
    this.addSql(
      `alter table "auth"."session" add constraint "session_revoke_check" check (("revoked_at" is null) = ("revoke_reason" is null) and "token_use" in ('access', 'enrolment') and "aal" in (1, 2));`,
    );
  }
}
