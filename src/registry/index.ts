/**
 * registry/: the distribution client. Pulls images into image/ and snapshot/, pushes them
 * back, checks logins and searches, against registries, mirrors and insecure registries.
 */
export { RegistryService, registryDomain, type RegistryServiceDeps } from './service.js';
export { decodeAuthHeader, parseChallenges, type AuthConfig } from './auth.js';
export type { ProgressMessage, Emit } from './progress.js';
export type { SearchResult } from './search.js';
export type { DistributionInspect, OciPlatform } from './inspect.js';
export type { RetryPolicy } from './download.js';
