import { afterAll } from 'vitest';
import { markRan } from './sweep.js';

// A setup file of the main project (vitest.config.ts): tells the secret sweep which test files ran.
afterAll(() => markRan());
