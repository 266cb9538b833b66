import type { DatabaseOptions } from '@keyhaven/database';
import { Release } from '../releases/entities/release.entity';
import { Advisory } from '../advisories/entities/advisory.entity';
import { AuditEvent } from '../catalog/entities/audit-event.entity';
import { CatalogSequence } from '../catalog/entities/catalog-sequence.entity';
import { CheckCount } from '../stats/entities/check-count.entity';
import { SigningKey } from '../signing/entities/signing-key.entity';
import { RELEASE_MIGRATIONS } from '../migrations';

/** release-api owns the PostgreSQL schema `release`: its tables, its migrations table. */
export const RELEASE_DATABASE = {
  schema: 'release',
  entities: [Release, Advisory, AuditEvent, CatalogSequence, CheckCount, SigningKey],
  migrations: RELEASE_MIGRATIONS,
  migrationsPath: 'apps/release-api/src/migrations',
} satisfies Omit<DatabaseOptions, 'url'>;
