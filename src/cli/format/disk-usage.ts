/**
 * `system df`, as docker's formatter/disk_usage.go prints it: one summary row per kind
 * (Images, Containers, Local Volumes, Build Cache) or, with -v, a table per kind.
 */
import type { BuildCacheRecord, ContainerSummary, DiskUsage, ImageSummary, Volume } from '../../client/index.js';
import { asStruct } from '../template/index.js';
import { buildCacheRow, BUILD_CACHE_HEADER, sortBuildCache } from './build-cache.js';
import { containerRow, CONTAINER_HEADER } from './container.js';
import { isTable, makeRow, parseFormat, preFormat, renderRows, TABLE } from './formatter.js';
import { IMAGE_HEADER, imageRow, isDangling } from './image.js';
import { familiarName, tryParseNormalizedNamed } from '../reference.js';
import { humanSize } from './units.js';
import { volumeRow, VOLUME_HEADER } from './volume.js';

const SUMMARY_TABLE = 'table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}';
const IMAGE_TABLE = 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}\t{{.SharedSize}}\t{{.UniqueSize}}\t{{.Containers}}';
const CONTAINER_TABLE = 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.LocalVolumes}}\t{{.Size}}\t{{.RunningFor}}\t{{.Status}}\t{{.Names}}';
const VOLUME_TABLE = 'table {{.Name}}\t{{.Links}}\t{{.Size}}';
const BUILD_CACHE_TABLE = 'table {{.ID}}\t{{.CacheType}}\t{{.Size}}\t{{.CreatedSince}}\t{{.LastUsedSince}}\t{{.UsageCount}}\t{{.Shared}}';

const SUMMARY_HEADER = { Type: 'TYPE', TotalCount: 'TOTAL', Active: 'ACTIVE', Size: 'SIZE', Reclaimable: 'RECLAIMABLE' };

const ACTIVE_STATES = new Set(['running', 'paused', 'restarting']);

function withPercent(reclaimable: number, total: number): string {
  return total > 0 ? `${humanSize(reclaimable)} (${Math.trunc((reclaimable * 100) / total)}%)` : humanSize(reclaimable);
}

function summaryRow(type: string, total: number, active: number, size: string, reclaimable: string) {
  return makeRow('*formatter.diskUsageContext', { Type: type, TotalCount: String(total), Active: String(active), Size: size, Reclaimable: reclaimable });
}

function imagesSummary(images: ImageSummary[], totalSize: number) {
  let used = 0;
  for (const i of images) {
    if ((i.Containers ?? 0) !== 0 && i.Size !== -1 && (i.SharedSize ?? 0) !== -1) used += i.Size - (i.SharedSize ?? 0);
  }
  const active = images.filter((i) => (i.Containers ?? 0) > 0).length;
  return summaryRow('Images', images.length, active, humanSize(totalSize), withPercent(totalSize - used, totalSize));
}

function containersSummary(containers: ContainerSummary[]) {
  const isActive = (c: ContainerSummary): boolean => ACTIVE_STATES.has(c.State ?? '');
  const total = containers.reduce((n, c) => n + (c.SizeRw ?? 0), 0);
  const reclaimable = containers.filter((c) => !isActive(c)).reduce((n, c) => n + (c.SizeRw ?? 0), 0);
  return summaryRow('Containers', containers.length, containers.filter(isActive).length, humanSize(total), withPercent(reclaimable, total));
}

function volumesSummary(volumes: Volume[]) {
  let total = 0;
  let reclaimable = 0;
  for (const v of volumes) {
    const size = v.UsageData?.Size ?? 0;
    if (size === -1) continue;
    total += size;
    if ((v.UsageData?.RefCount ?? 0) === 0) reclaimable += size;
  }
  const active = volumes.filter((v) => (v.UsageData?.RefCount ?? 0) > 0).length;
  return summaryRow('Local Volumes', volumes.length, active, humanSize(total), withPercent(reclaimable, total));
}

function builderSize(cache: BuildCacheRecord[]): number {
  return cache.filter((b) => !b.Shared).reduce((n, b) => n + (b.Size ?? 0), 0);
}

function buildCacheSummary(cache: BuildCacheRecord[]) {
  const size = builderSize(cache);
  const inUse = cache.filter((b) => b.InUse && !b.Shared).reduce((n, b) => n + (b.Size ?? 0), 0);
  return summaryRow('Build Cache', cache.length, cache.filter((b) => b.InUse).length, humanSize(size), humanSize(size - inUse));
}

/** `system df` without -v. */
function renderSummary(du: DiskUsage, format: string): string {
  const rows = [
    imagesSummary(du.Images ?? [], du.LayersSize ?? 0),
    containersSummary(du.Containers ?? []),
    volumesSummary(du.Volumes ?? []),
    buildCacheSummary(du.BuildCache ?? []),
  ];
  return renderRows(format === TABLE ? SUMMARY_TABLE : format, rows, SUMMARY_HEADER);
}

function verboseRows(du: DiskUsage, trunc: boolean, nowMs: number) {
  const images = (du.Images ?? []).map((i) => {
    const ref = (i.RepoTags?.length && !isDangling(i)) ? tryParseNormalizedNamed(i.RepoTags[0]!) : undefined;
    const tagged = ref?.tag !== undefined;
    return imageRow(i, tagged ? familiarName(ref!) : '<none>', tagged ? ref!.tag! : '<none>', '', { trunc, nowMs });
  });
  return {
    Images: images,
    Containers: (du.Containers ?? []).map((c) => containerRow({ ...c, SizeRootFs: 0 }, { trunc, nowMs })),
    Volumes: (du.Volumes ?? []).map(volumeRow),
    BuildCache: sortBuildCache(du.BuildCache ?? []).map((b) => buildCacheRow(b, { trunc, nowMs })),
  };
}

/** `system df -v`: a table per kind, or one template run over all of them. */
function renderVerbose(du: DiskUsage, format: string, nowMs: number): string {
  const rows = verboseRows(du, isTable(format), nowMs);
  if (format !== TABLE) {
    const data = asStruct({ ...rows }, '*formatter.diskUsageContext');
    return parseFormat(preFormat(format)).execute(data);
  }
  return 'Images space usage:\n\n' + renderRows(IMAGE_TABLE, rows.Images, IMAGE_HEADER)
    + '\nContainers space usage:\n\n' + renderRows(CONTAINER_TABLE, rows.Containers, CONTAINER_HEADER)
    + '\nLocal Volumes space usage:\n\n' + renderRows(VOLUME_TABLE, rows.Volumes, VOLUME_HEADER)
    + `\nBuild cache usage: ${humanSize(builderSize(du.BuildCache ?? []))}\n\n` + renderRows(BUILD_CACHE_TABLE, rows.BuildCache, BUILD_CACHE_HEADER);
}

export function renderDiskUsage(du: DiskUsage, format: string, verbose: boolean, nowMs = Date.now()): string {
  return verbose ? renderVerbose(du, format, nowMs) : renderSummary(du, format);
}
