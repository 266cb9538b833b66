export * from './lib/domain-error';
export * from './lib/shared-codes';
export * from './lib/api-exception.filter';
export * from './lib/validation';
export * from './lib/input-rules';
export * from './lib/api-errors';
