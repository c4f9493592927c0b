import path from 'node:path';

/** Where everything lives under data-root and exec-root (DESIGN.md "Data root layout"). */
export interface StorePaths {
  dataRoot: string;
  execRoot: string;
  lockFile: string;
  blobs: string;
  ingest: string;
  images: string;
  repositories: string;
  snapshots: string;
  containers: string;
  volumes: string;
  tmp: string;
}

export function storePaths(dataRoot: string, execRoot: string): StorePaths {
  return {
    dataRoot,
    execRoot,
    lockFile: path.join(dataRoot, 'berthd.lock'),
    blobs: path.join(dataRoot, 'blobs', 'sha256'),
    ingest: path.join(dataRoot, 'blobs', 'ingest'),
    images: path.join(dataRoot, 'images'),
    repositories: path.join(dataRoot, 'images', 'repositories.json'),
    snapshots: path.join(dataRoot, 'snapshots'),
    containers: path.join(dataRoot, 'containers'),
    volumes: path.join(dataRoot, 'volumes'),
    tmp: path.join(dataRoot, 'tmp'),
  };
}
