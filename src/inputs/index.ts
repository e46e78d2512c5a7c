// Public surface of the user-input validation shared by the CLI and the control-plane server.
export * from './check-result.js';
export * from './upstream-url.js';
export * from './hostname.js';
export * from './names.js';
export * from './numbers.js';
export * from './duration.js';
export * from './edge.js';
export * from './env-name.js';
export * from './address.js';
export * from './parse.js';
export * from './secret.js';
export * from './limits.js';
