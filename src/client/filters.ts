/**
 * Filter arguments (`--filter key=value`, repeatable) as the Engine API takes them: a
 * JSON object of name → list of values, the form the spec documents for every
 * `filters` parameter (map[string][]string).
 */

export class Filters {
  private readonly values = new Map<string, string[]>();

  /** Parses docker's `name=value` flag syntax; the name is lower-cased, both sides trimmed. */
  static parseArg(arg: string): [string, string] {
    const i = arg.indexOf('=');
    if (i < 0) throw new Error('bad format of filter (expected name=value)');
    return [arg.slice(0, i).trim().toLowerCase(), arg.slice(i + 1).trim()];
  }

  add(name: string, value: string): this {
    const list = this.values.get(name) ?? [];
    if (!list.includes(value)) list.push(value);
    this.values.set(name, list);
    return this;
  }

  get(name: string): string[] {
    return this.values.get(name) ?? [];
  }

  get size(): number {
    return this.values.size;
  }

  clone(): Filters {
    const f = new Filters();
    for (const [k, vs] of this.values) for (const v of vs) f.add(k, v);
    return f;
  }

  /** The `filters` query value, or undefined when there are none (docker then omits it). */
  toQuery(): string | undefined {
    if (this.values.size === 0) return undefined;
    return JSON.stringify(Object.fromEntries(this.values));
  }
}
