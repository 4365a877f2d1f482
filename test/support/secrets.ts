/**
 * The test secrets, one of each, shared by every tier: the workerd tests (vitest.config.ts
 * bindings), the end-to-end stacks, the sample Django they start, and the load benchmark.
 */

/** DJAZZKIT_JWT_SECRET of every test relay (>= 32 bytes, as HS256 wants). */
export const TEST_JWT_SECRET = "test-jwt-secret-at-least-32-bytes-long!!";
/** DJAZZKIT_RELAY_SECRET of every test relay and test Django (signs origin calls and pokes). */
export const TEST_RELAY_SECRET = "test-relay-secret-shared-with-django";
