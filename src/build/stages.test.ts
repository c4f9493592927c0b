import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDockerfile } from './parser.js';
import { planStages } from './stages.js';

const plan = (text: string, target?: string): string[] | undefined => planStages(parseDockerfile(text).instructions, target)?.list.map((i) => i.original);

test('planStages keeps the target and the stages it names in FROM and COPY --from, by name or index', () => {
  const df = [
    'ARG V=1',
    'FROM busybox AS deps', 'RUN echo deps',
    'FROM busybox AS unused', 'RUN exit 1',
    'FROM busybox AS tool', 'RUN echo tool',
    'FROM deps AS build', 'COPY --from=2 /x /x',
    'FROM scratch', 'COPY --from=build /y /y',
  ].join('\n');
  assert.deepEqual(plan(df), [
    'ARG V=1', 'FROM busybox AS deps', 'RUN echo deps', 'FROM busybox AS tool', 'RUN echo tool',
    'FROM deps AS build', 'COPY --from=2 /x /x', 'FROM scratch', 'COPY --from=build /y /y',
  ]);
  assert.deepEqual(plan(df, 'unused'), ['ARG V=1', 'FROM busybox AS unused', 'RUN exit 1']);
  assert.deepEqual(plan(df, 'BUILD'), ['ARG V=1', 'FROM busybox AS deps', 'RUN echo deps', 'FROM busybox AS tool', 'RUN echo tool', 'FROM deps AS build', 'COPY --from=2 /x /x']);
  assert.equal(plan(df, 'nope'), undefined);
  // The kept stages keep their Dockerfile indexes (COPY --from=2 is still "tool").
  const p = planStages(parseDockerfile(df).instructions, undefined)!;
  assert.deepEqual([...p.indexOf.entries()].map(([ins, i]) => [ins.original, i]), [['FROM busybox AS deps', 0], ['FROM busybox AS tool', 2], ['FROM deps AS build', 3], ['FROM scratch', 4]]);
});

test('planStages keeps every earlier stage when a --from is only known after expansion', () => {
  const df = 'FROM busybox AS a\nFROM busybox AS b\nFROM busybox\nARG S=a\nCOPY --from=$S /x /x\n';
  assert.deepEqual(plan(df), ['FROM busybox AS a', 'FROM busybox AS b', 'FROM busybox', 'ARG S=a', 'COPY --from=$S /x /x']);
  assert.deepEqual(plan('ARG A=1\n'), ['ARG A=1']);
});
