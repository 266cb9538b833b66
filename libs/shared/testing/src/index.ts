export * from './lib/test-database';
export * from './lib/smtp-capture';
export * from './lib/webhook-receiver';
export * from './lib/built-service';
export * from './lib/openapi-fuzz';
export * from './lib/inventory-coverage';
export * from './lib/slapd';
