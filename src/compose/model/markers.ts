import type { CollectionTag, ScalarTag } from 'yaml';

/**
 * Compose's `!reset` and `!override` YAML tags (compose-spec 13-merge.md): in a later file,
 * `!reset` removes what the files before set for that key, `!override` replaces it instead of
 * merging. Parsing turns them into marker objects (keys no YAML key can be) that travel through
 * interpolation and normalization; merging acts on them; `withoutMarkers` drops what is left
 * (a marker in the first file means nothing more than its value).
 */
const RESET = '\u0000compose:reset';
const OVERRIDE = '\u0000compose:override';

export function isReset(v: unknown): boolean {
  return v !== null && typeof v === 'object' && RESET in v;
}

export function isOverride(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && OVERRIDE in v;
}

export function overrideValue(v: Record<string, unknown>): unknown {
  return v[OVERRIDE];
}

export function overrideMarker(v: unknown): Record<string, unknown> {
  return { [OVERRIDE]: v };
}

/** The value as the files say it once merged: reset entries gone, overrides unwrapped. */
export function withoutMarkers(v: unknown): unknown {
  if (isOverride(v)) return withoutMarkers(overrideValue(v));
  if (Array.isArray(v)) return v.filter((e) => !isReset(e)).map(withoutMarkers);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (!isReset(x)) out[k] = withoutMarkers(x);
    return out;
  }
  return v;
}

type Node = { toJSON(): unknown };
const reset = (): unknown => ({ [RESET]: true });

/** The yaml tags: one per node kind, as the library resolves tags by kind. */
export const markerTags: Array<ScalarTag | CollectionTag> = [
  { tag: '!reset', resolve: reset },
  { tag: '!reset', collection: 'seq', resolve: reset },
  { tag: '!reset', collection: 'map', resolve: reset },
  { tag: '!override', resolve: (s: string) => overrideMarker(s) },
  { tag: '!override', collection: 'seq', resolve: (n: Node) => overrideMarker(n.toJSON()) },
  { tag: '!override', collection: 'map', resolve: (n: Node) => overrideMarker(n.toJSON()) },
] as Array<ScalarTag | CollectionTag>;
