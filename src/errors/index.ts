export * from './codes.js';
export * from './gantry-error.js';
