export * from './lib/duration';
export * from './lib/env';
export * from './lib/common';
export * from './lib/clock';
export * from './lib/backup-policy';
