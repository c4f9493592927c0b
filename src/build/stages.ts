import type { Instruction } from './parser.js';

/** The instructions a build runs, and the index each kept FROM has among all stages. */
export interface StagePlan {
  list: Instruction[];
  /** A kept FROM → its stage's index in the whole Dockerfile (what `COPY --from=<n>` names). */
  indexOf: Map<Instruction, number>;
}

/**
 * The stages the target needs, as BuildKit builds them (the legacy builder built every stage
 * before the target): the target stage (`target`, else the last), and recursively each
 * stage it names in `FROM <stage>` or `COPY --from=<stage|index>`. A `--from` holding a `$`
 * is only known once expanded, so every earlier stage is kept then. ARGs before the first
 * FROM are always kept. Throws nothing: an unknown target is the caller's error.
 */
export function planStages(all: Instruction[], target: string | undefined): StagePlan | undefined {
  const stages: Array<{ name: string | undefined; body: Instruction[] }> = [];
  const head: Instruction[] = [];
  for (const ins of all) {
    if (ins.cmd === 'from') stages.push({ name: ins.args[1]?.toLowerCase(), body: [ins] });
    else if (stages.length === 0) head.push(ins);
    else stages.at(-1)!.body.push(ins);
  }
  // No FROM at all: the caller's errors for an empty Dockerfile apply.
  if (stages.length === 0 && target === undefined) return { list: head, indexOf: new Map() };
  const targetIndex = target === undefined ? stages.length - 1 : stages.findIndex((s) => s.name === target.toLowerCase());
  if (targetIndex < 0) return undefined;
  const needed = new Set<number>();
  const visit = (i: number): void => {
    if (needed.has(i)) return;
    needed.add(i);
    const refer = (word: string): void => {
      if (word.includes('$')) { for (let j = 0; j < i; j++) visit(j); return; }
      const w = word.toLowerCase();
      const byName = stages.findIndex((s, j) => j < i && s.name === w);
      if (byName >= 0) visit(byName);
      else if (/^\d+$/.test(w) && Number(w) < i) visit(Number(w));
    };
    const from = stages[i]!.body[0]!.args[0] ?? '';
    // FROM names an earlier stage only by name (an index there is an image name).
    const fromStage = from.includes('$') ? -1 : stages.findIndex((s, j) => j < i && s.name === from.toLowerCase());
    if (fromStage >= 0) visit(fromStage);
    else if (from.includes('$')) for (let j = 0; j < i; j++) visit(j);
    for (const ins of stages[i]!.body) if ((ins.cmd === 'copy' || ins.cmd === 'add') && ins.flags.from !== undefined) refer(ins.flags.from);
  };
  visit(targetIndex);
  const list = [...head];
  const indexOf = new Map<Instruction, number>();
  for (const [i, s] of stages.entries()) {
    if (!needed.has(i)) continue;
    indexOf.set(s.body[0]!, i);
    list.push(...s.body);
  }
  return { list, indexOf };
}
