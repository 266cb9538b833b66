import type { DatabaseOptions } from '@keyhaven/database';
import { Release } from '../releases/entities/release.entity';
import { Advisory } from '../advisories/entities/advisory.entity';
import { AuditEvent } from '../catalog/entities/audit-event.entity';
import { CatalogSequence } from '../catalog/entities/catalog-sequence.entity';
import { CheckCount } from '../stats/entities/check-count.entity';
import { SigningKey } from '../signing/entities/signing-key.entity';
import { KeyCheck } from '../signing/entities/key-check.entity';
import { MaintenanceWindow } from '../maintenance/entities/maintenance-window.entity';
import { MaintenanceSubscription } from '../maintenance/entities/maintenance-subscription.entity';
import { MaintenanceNotice } from '../maintenance/entities/maintenance-notice.entity';
import { NoticeDelivery } from '../maintenance/entities/notice-delivery.entity';
import { ErasureSync } from '../privacy/entities/erasure-sync.entity';
import { RELEASE_MIGRATIONS } from '../migrations';

/** release-api owns the PostgreSQL schema `release`: its tables, its migrations table. */
export const RELEASE_DATABASE = {
  schema: 'release',
  entities: [
    Release,
    Advisory,
    AuditEvent,
    CatalogSequence,
    CheckCount,
    SigningKey,
    MaintenanceWindow,
    MaintenanceSubscription,
    MaintenanceNotice,
    NoticeDelivery,
    KeyCheck,
    ErasureSync,
  ],
  migrations: RELEASE_MIGRATIONS,
  migrationsPath: 'apps/release-api/src/migrations',
} satisfies Omit<DatabaseOptions, 'url'>;
