/** `history` rows (docker's cli/command/image/formatter_history.go). */
import type { ImageHistoryItem } from '../../client/index.js';
import { makeRow, TABLE } from './formatter.js';
import { rfc3339 } from './time.js';
import { ellipsis, humanSince, humanSizeWithPrecision, truncateId } from './units.js';

const DEFAULT_TABLE = 'table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}';
const NON_HUMAN_TABLE = 'table {{.ID}}\t{{.CreatedAt}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}';

export const HISTORY_HEADER: Record<string, string> = {
  ID: 'IMAGE',
  CreatedSince: 'CREATED',
  CreatedAt: 'CREATED AT',
  CreatedBy: 'CREATED BY',
  Size: 'SIZE',
  Comment: 'COMMENT',
};

/** Images before 2000 have no real creation time (docker prints N/A). */
const EPOCH_2000 = Date.UTC(2000, 0, 1) / 1000;

export function historyFormat(source: string, quiet: boolean, human: boolean): string {
  if (source !== TABLE) return source;
  if (quiet) return '{{.ID}}';
  return human ? DEFAULT_TABLE : NON_HUMAN_TABLE;
}

export function historyRow(h: ImageHistoryItem, opts: { trunc: boolean; human: boolean; nowMs?: number }) {
  const createdAt = rfc3339(h.Created * 1000);
  const createdBy = (h.CreatedBy ?? '').replaceAll('\t', ' ');
  let since = createdAt;
  if (opts.human) since = h.Created <= EPOCH_2000 ? 'N/A' : humanSince(h.Created, opts.nowMs);
  return makeRow('*image.historyContext', {
    ID: opts.trunc ? truncateId(h.Id) : h.Id,
    CreatedAt: createdAt,
    CreatedSince: since,
    CreatedBy: opts.trunc ? ellipsis(createdBy, 45) : createdBy,
    Size: opts.human ? humanSizeWithPrecision(h.Size, 3) : String(h.Size),
    Comment: h.Comment ?? '',
  });
}
