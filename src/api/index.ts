import type { Server } from 'node:http';
import type { Logger } from '../util/index.js';
import { imageRoutes, type ImagesBackend } from './routes/images.js';
import { systemRoutes, type SystemBackend } from './routes/system.js';
import { Router } from './router.js';
import { createApiServer } from './server.js';

export { Router, splitVersion } from './router.js';
export { MIN_API_VERSION, MAX_API_VERSION } from './version.js';

export type Backend = SystemBackend & ImagesBackend;

/** Builds the Engine API over the given services: a factory of HTTP servers, one per socket. */
export function createApi(backend: Backend, logger: Logger): () => Server {
  const router = new Router();
  systemRoutes(router, backend);
  imageRoutes(router, backend);
  return createApiServer(router, logger);
}
