export * from './lib/job-queue';
