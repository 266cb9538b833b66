export * from './lib/job-queue';
export * from './lib/job-db';
