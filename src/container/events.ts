import type { ContainerRecord } from './record.js';

/** Docker's container event attributes: the container's labels, its image and its name. */
export function eventAttributes(rec: ContainerRecord): Record<string, string> {
  return { ...(rec.config.Labels ?? {}), image: rec.config.Image ?? rec.imageId, name: rec.name.slice(1) };
}
