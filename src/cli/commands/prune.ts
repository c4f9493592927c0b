/**
 * The prune calls behind `container|image|network|volume|builder prune` and `system prune`,
 * as docker's pruners (docker/cli cli/command/system/pruner): each removes one kind of
 * thing and answers the space it freed and the text listing what went, which the single
 * commands print with their total and `system prune` prints one after another.
 */
import type { ContainerPruneReport, Filters, ImagePruneReport } from '../../client/index.js';
import type { Cli } from '../context.js';
import { humanSize } from '../format/units.js';

export interface Pruned {
  /** Bytes freed (0 when nothing went, as docker counts it). */
  space: number;
  /** "Deleted Containers:\n<id>\n…", or '' when nothing went. */
  output: string;
}

const listing = (title: string, items: string[]): string => (items.length ? `${title}\n${items.map((i) => `${i}\n`).join('')}` : '');

export async function pruneContainers(ctx: Cli, filters: Filters): Promise<Pruned> {
  const report = await ctx.client.json<ContainerPruneReport>('POST', '/containers/prune', { query: { filters: filters.toQuery() }, signal: ctx.signal });
  const deleted = report?.ContainersDeleted ?? [];
  return { space: deleted.length ? (report?.SpaceReclaimed ?? 0) : 0, output: listing('Deleted Containers:', deleted) };
}

export async function pruneNetworks(ctx: Cli, filters: Filters): Promise<Pruned> {
  const report = await ctx.client.json<{ NetworksDeleted?: string[] | null }>('POST', '/networks/prune', { query: { filters: filters.toQuery() }, signal: ctx.signal });
  return { space: 0, output: listing('Deleted Networks:', report?.NetworksDeleted ?? []) };
}

export async function pruneVolumes(ctx: Cli, filters: Filters): Promise<Pruned> {
  const report = await ctx.client.json<{ VolumesDeleted?: string[] | null; SpaceReclaimed?: number }>('POST', '/volumes/prune', { query: { filters: filters.toQuery() }, signal: ctx.signal });
  const deleted = report?.VolumesDeleted ?? [];
  return { space: deleted.length ? (report?.SpaceReclaimed ?? 0) : 0, output: listing('Deleted Volumes:', deleted) };
}

/** `filters` without `dangling`: all=false prunes dangling images only, as docker adds it. */
export async function pruneImages(ctx: Cli, filters: Filters, all: boolean): Promise<Pruned> {
  const query = filters.clone().add('dangling', String(!all));
  const report = await ctx.client.json<ImagePruneReport>('POST', '/images/prune', { query: { filters: query.toQuery() }, signal: ctx.signal });
  const deleted = report?.ImagesDeleted ?? [];
  const lines = deleted.map((d) => (d.Untagged ? `untagged: ${d.Untagged}` : `deleted: ${d.Deleted ?? ''}`));
  return { space: deleted.length ? (report?.SpaceReclaimed ?? 0) : 0, output: listing('Deleted Images:', lines) };
}

export async function pruneBuildCache(ctx: Cli, filters: Filters, all: boolean, keepStorage = 0): Promise<Pruned> {
  const report = await ctx.client.json<{ CachesDeleted?: string[] | null; SpaceReclaimed?: number }>('POST', '/build/prune', {
    query: { all: all ? '1' : undefined, filters: filters.toQuery(), 'keep-storage': keepStorage ? String(keepStorage) : undefined },
    signal: ctx.signal,
  });
  return { space: report?.SpaceReclaimed ?? 0, output: listing('Deleted build cache objects:', report?.CachesDeleted ?? []) };
}

/** What a single prune command prints: the listing, a blank line, and the total. */
export function prunedText(p: Pruned): string {
  return `${p.output ? `${p.output}\n` : ''}Total reclaimed space: ${humanSize(p.space)}\n`;
}
