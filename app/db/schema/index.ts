export * from './users';
export * from './billing';
export * from './webhooks';
export * from './subscription-extras';
export * from './usage';
export * from './sessions';
export * from './admin';
