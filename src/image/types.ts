/** The image config (OCI image-spec config, Docker's extensions included). */
export interface ContainerConfigJson {
  User?: string;
  ExposedPorts?: Record<string, object>;
  Env?: string[];
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Volumes?: Record<string, object>;
  WorkingDir?: string;
  Labels?: Record<string, string>;
  StopSignal?: string;
  OnBuild?: string[] | null;
  Shell?: string[];
  Healthcheck?: { Test?: string[]; Interval?: number; Timeout?: number; StartPeriod?: number; StartInterval?: number; Retries?: number };
  ArgsEscaped?: boolean;
  [key: string]: unknown;
}

export interface HistoryEntry {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  empty_layer?: boolean;
}

export interface ImageConfigJson {
  architecture: string;
  os: string;
  variant?: string;
  'os.version'?: string;
  created?: string;
  author?: string;
  comment?: string;
  docker_version?: string;
  config?: ContainerConfigJson;
  rootfs: { type: 'layers'; diff_ids: string[] };
  history?: HistoryEntry[];
  [key: string]: unknown;
}

/**
 * One layer of an image as berth stores it (ADR 0022): a compressed blob in the content store
 * (as pulled, or gzipped once when made here) beside the layer's snapshot. Records written by
 * ADR 0003's layout hold the uncompressed tar instead (blobDigest = diffId).
 */
export interface LayerRecord {
  diffId: string;
  /** Content-store digest of the layer blob (equals diffId when stored uncompressed). */
  blobDigest: string;
  mediaType: string;
  /** Size of the blob in the content store. */
  blobSizeBytes: number;
  /** Size of the uncompressed tar (what `save` writes), when known. */
  diffSizeBytes?: number;
}

/** berth's record of an image, `images/<hex>.json`; the id is the config digest. */
export interface ImageRecord {
  id: string;
  layers: LayerRecord[];
  /** When berth stored it (RFC 3339). */
  loadedAt: string;
  /** When a tag was last set (Metadata.LastTagTime). */
  lastTagTime?: string;
  /** Parent image id, for images berth built or committed. */
  parent?: string;
}

export interface ImageSummary {
  Id: string;
  ParentId: string;
  RepoTags: string[];
  RepoDigests: string[];
  Created: number;
  Size: number;
  SharedSize: number;
  VirtualSize?: number;
  Labels: Record<string, string>;
  Containers: number;
}

export const MEDIA_TYPE = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
} as const;
