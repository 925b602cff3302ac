/** @aspora/api: the HTTP API's contract (schemas, routes, error codes, the skill-reference rule). The typed client is @aspora/api/client. */
export * from './access.ts';
export * from './messages.ts';
export * from './errors.ts';
export * from './refs.ts';
export * from './schemas.ts';
export { routes, type RouteSpec, type Routes, type RouteName } from './routes.ts';
export { FinalCrAsLineEnd } from './sse-line-ends.ts';
export { parseStateRows, STATE_IMPORT_CHUNK, type StateRowInput } from './state-rows.ts';
export * from './releases.ts';
