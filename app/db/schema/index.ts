export * from './users';
export * from './billing';
export * from './webhooks';
