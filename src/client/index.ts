/** The Engine API client: HTTP only, shared by the CLI and (later) compose. */
export { EngineClient, CLIENT_API_VERSION, FALLBACK_API_VERSION, compareVersions, encodeQuery, readAll } from './engine-client.js';
export type { ClientOptions, ClientTls, EngineResponse, Ping, Query, RequestOptions, UpgradedConnection } from './engine-client.js';
export { ApiError, ConnectionError, StreamError, cannotConnect } from './errors.js';
export { Filters } from './filters.js';
export { DEFAULT_HOST, HostError, parseHost, selectHost, type DaemonAddress } from './host.js';
export { jsonObjects, jsonValues, JsonStreamError } from './json-stream.js';
export { demultiplex, encodeFrame, StdStream, StreamFrameError, writeChunk } from './stdcopy.js';
export type * from './types.js';
