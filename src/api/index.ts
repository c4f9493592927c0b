import type { Logger } from '../util/index.js';
import { imageRoutes, type ImagesBackend } from './routes/images.js';
import { systemRoutes, type SystemBackend } from './routes/system.js';
import { pullRoute, registryRoutes, type RegistryBackend } from './routes/registry.js';
import { containerRoutes, upgradeAttach, upgradeExecStart, type ContainersBackend } from './routes/containers.js';
import { volumeRoutes, type VolumesBackend } from './routes/volumes.js';
import { networkRoutes, type NetworksBackend } from './routes/networks.js';
import { buildRoutes, type BuildBackend } from './routes/build.js';
import { Router } from './router.js';
import { createApiServer, type ApiServerFactory } from './server.js';
import { prepareBodyChecks } from './http.js';

export { Router, splitVersion } from './router.js';
export { listenFd, listenTcp, listenUnix, serverTlsOptions } from './listen.js';
export { destroyUpgraded, type ApiServerFactory } from './server.js';
export { MIN_API_VERSION, MAX_API_VERSION } from './version.js';

export type Backend = SystemBackend & ImagesBackend & ContainersBackend & VolumesBackend & RegistryBackend & NetworksBackend & BuildBackend;
export type { NetworkConnector } from './routes/networks.js';

/** Builds the Engine API over the given services: a factory of HTTP servers, one per socket. */
export function createApi(backend: Backend, logger: Logger): ApiServerFactory {
  prepareBodyChecks();
  const router = new Router();
  systemRoutes(router, backend);
  registryRoutes(router, backend);
  imageRoutes(router, backend, pullRoute(backend));
  containerRoutes(router, backend);
  volumeRoutes(router, backend);
  networkRoutes(router, backend);
  buildRoutes(router, backend);
  router.addUpgrade('POST', '/containers/{id}/attach', (ctx, socket, head) => upgradeAttach(backend, ctx, ctx.req, socket, head));
  router.addUpgrade('POST', '/exec/{id}/start', (ctx, socket, head) => upgradeExecStart(backend, ctx, ctx.req, socket, head));
  return createApiServer(router, logger);
}
