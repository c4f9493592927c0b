/**
 * `pull`, `push` (also `image pull|push`), `login`, `logout`, `search`, as docker/cli's
 * cli/command/image/{pull,push}.go and cli/command/registry/*.go: credentials come from
 * config.json (or its credential helper) as X-Registry-Auth; progress is the daemon's JSON
 * message stream drawn by displayJsonMessages.
 */
import type { Readable } from 'node:stream';
import type { Command, Invocation } from '../framework/command.js';
import type { Cli } from '../context.js';
import { makeRow, renderRows, TABLE } from '../format/formatter.js';
import { encodeAuthHeader, eraseCredentials, getCredentials, HUB_SERVER, hostnameOf, serverKey, storeCredentials, type AuthConfig } from '../credentials.js';
import { familiarString, parseNormalizedNamed, type Reference } from '../reference.js';
import { displayJsonMessages } from '../stream/json-message.js';
import { formatFlag, pathName, platformParam } from './common.js';

type Cmd = Command<Cli>;
type Inv = Invocation<Cli>;

const CONTENT_TRUST_FLAG = (usage: string) => ({ name: 'disable-content-trust', type: 'bool' as const, usage, default: true });

async function authHeader(cli: Cli, ref: Reference): Promise<string> {
  const creds = await getCredentials(cli.config.dir, serverKey(ref.domain), cli.env);
  return encodeAuthHeader(creds);
}

function show(cli: Cli, body: Readable, quiet: boolean): Promise<void> {
  if (quiet) return displayJsonMessages(body, { write: () => undefined, isTerminal: false });
  return displayJsonMessages(body, { write: (t) => cli.out(t), isTerminal: cli.io.stdoutIsTerminal, columns: cli.io.columns });
}

function platformFlag(flags: Inv['flags']): string | undefined {
  const p = flags.string('platform');
  return p ? platformParam(p) && p : undefined;
}

async function runPull({ ctx, args, flags }: Inv): Promise<void> {
  const all = flags.bool('all-tags');
  const quiet = flags.bool('quiet');
  let ref = parseNormalizedNamed(args[0]!);
  if (all && (ref.tag || ref.digest)) throw new Error('tag can\'t be used with --all-tags/-a');
  if (!all && !ref.tag && !ref.digest) {
    ref = { ...ref, tag: 'latest' };
    if (!quiet) await ctx.out('Using default tag: latest\n');
  }
  const res = await ctx.client.request('POST', '/images/create', {
    query: { fromImage: ref.name, tag: all ? undefined : (ref.digest ?? ref.tag), platform: platformFlag(flags) },
    headers: { 'X-Registry-Auth': await authHeader(ctx, ref) },
    signal: ctx.signal,
  });
  await show(ctx, res.body, quiet);
  await ctx.out(`${ref.name}${ref.tag && !all ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}\n`);
}

const pullCommand: Cmd = {
  use: 'pull [OPTIONS] NAME[:TAG|@DIGEST]',
  short: 'Download an image from a registry',
  aliasesText: 'berth image pull, berth pull',
  categoryTop: 5,
  args: { kind: 'exact', n: 1 },
  flags: [
    { name: 'all-tags', short: 'a', type: 'bool', usage: 'Download all tagged images in the repository' },
    CONTENT_TRUST_FLAG('Skip image verification'),
    { name: 'platform', type: 'string', usage: 'Set platform if server is multi-platform capable' },
    { name: 'quiet', short: 'q', type: 'bool', usage: 'Suppress verbose output' },
  ],
  run: runPull,
};

async function runPush({ ctx, args, flags }: Inv): Promise<void> {
  const all = flags.bool('all-tags');
  const quiet = flags.bool('quiet');
  let ref = parseNormalizedNamed(args[0]!);
  if (ref.digest) throw new Error('cannot push a digest reference');
  if (all && ref.tag) throw new Error('tag can\'t be used with --all-tags/-a');
  if (!all && !ref.tag) {
    ref = { ...ref, tag: 'latest' };
    if (!quiet) await ctx.out('Using default tag: latest\n');
  }
  const res = await ctx.client.request('POST', `/images/${pathName(familiarString({ ...ref, tag: undefined }))}/push`, {
    query: { tag: all ? undefined : ref.tag, platform: platformFlag(flags) },
    headers: { 'X-Registry-Auth': await authHeader(ctx, ref) },
    signal: ctx.signal,
  });
  await show(ctx, res.body, quiet);
  if (quiet) await ctx.out(`${ref.name}${ref.tag ? `:${ref.tag}` : ''}\n`);
}

const pushCommand: Cmd = {
  use: 'push [OPTIONS] NAME[:TAG]',
  short: 'Upload an image to a registry',
  aliasesText: 'berth image push, berth push',
  categoryTop: 6,
  args: { kind: 'exact', n: 1 },
  flags: [
    { name: 'all-tags', short: 'a', type: 'bool', usage: 'Push all tags of an image to the repository' },
    CONTENT_TRUST_FLAG('Skip image signing'),
    { name: 'platform', type: 'string', usage: 'Push a platform-specific manifest as a single-platform image to the registry.\nImage index won\'t be pushed, meaning that other manifests, including attestations won\'t be preserved.\n\'os[/arch[/variant]]\': Explicit platform (eg. linux/amd64)' },
    { name: 'quiet', short: 'q', type: 'bool', usage: 'Suppress verbose output' },
  ],
  run: runPush,
};

async function readStdin(cli: Cli): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of cli.io.stdin) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

async function runLogin({ ctx, args, flags }: Inv): Promise<void> {
  const server = args[0] ? args[0] : HUB_SERVER;
  const isHub = server === HUB_SERVER || hostnameOf(server) === 'docker.io' || hostnameOf(server) === 'index.docker.io';
  const key = isHub ? HUB_SERVER : hostnameOf(server);
  let username = flags.string('username').trim();
  let password = flags.string('password');
  const fromStdin = flags.bool('password-stdin');
  if (password && fromStdin) throw new Error('conflicting options: cannot specify both --password and --password-stdin');
  if (fromStdin) {
    if (!username) throw new Error('the --password-stdin option requires --username to be set');
    password = (await readStdin(ctx)).replace(/\r?\n$/, '');
  } else if (password) {
    ctx.err('WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n');
  }
  if (!username || !password) {
    const stored = await getCredentials(ctx.config.dir, key, ctx.env);
    if (!username && !password && stored.username && stored.password) {
      username = stored.username;
      password = stored.password;
    } else if (!ctx.io.stdinIsTerminal) {
      throw new Error('Error: Cannot perform an interactive login from a non TTY device');
    } else {
      throw new Error('Cannot perform an interactive login: berth needs --username and --password-stdin');
    }
  }
  const auth: AuthConfig = { username, password, serveraddress: key };
  const res = await ctx.client.json<{ Status?: string; IdentityToken?: string }>('POST', '/auth', { json: auth, signal: ctx.signal });
  if (res.IdentityToken) { auth.identitytoken = res.IdentityToken; delete auth.password; }
  const helper = await storeCredentials(ctx.config.dir, key, auth, ctx.env);
  if (!helper) {
    ctx.err(`WARNING! Your credentials are stored unencrypted in '${ctx.config.dir}/config.json'.\nConfigure a credential helper to remove this warning. See\nhttps://docs.docker.com/go/credential-store/\n\n`);
  }
  await ctx.out(`${res.Status || 'Login Succeeded'}\n`);
}

const loginCommand: Cmd = {
  use: 'login [OPTIONS] [SERVER]',
  short: 'Authenticate to a registry',
  long: 'Authenticate to a registry.\nDefaults to Docker Hub if no server is specified.',
  categoryTop: 8,
  args: { kind: 'max', n: 1 },
  flags: [
    { name: 'password', short: 'p', type: 'string', usage: 'Password or Personal Access Token (PAT)' },
    { name: 'password-stdin', type: 'bool', usage: 'Take the Password or Personal Access Token (PAT) from stdin' },
    { name: 'username', short: 'u', type: 'string', usage: 'Username' },
  ],
  run: runLogin,
};

async function runLogout({ ctx, args }: Inv): Promise<void> {
  const server = args[0] ?? HUB_SERVER;
  const key = server === HUB_SERVER ? HUB_SERVER : hostnameOf(server) === 'docker.io' ? HUB_SERVER : hostnameOf(server);
  await ctx.out(`Removing login credentials for ${key}\n`);
  await eraseCredentials(ctx.config.dir, key, ctx.env);
}

const logoutCommand: Cmd = {
  use: 'logout [SERVER]',
  short: 'Log out from a registry',
  long: 'Log out from a registry.\nIf no server is specified, the default is defined by the daemon.',
  categoryTop: 9,
  args: { kind: 'max', n: 1 },
  run: runLogout,
};

interface SearchResult { name: string; description: string; star_count: number; is_official: boolean; is_automated: boolean }

const SEARCH_HEADER = { Name: 'NAME', Description: 'DESCRIPTION', StarCount: 'STARS', IsOfficial: 'OFFICIAL', IsAutomated: 'AUTOMATED' };
const SEARCH_TABLE = 'table {{.Name}}\t{{.Description}}\t{{.StarCount}}\t{{.IsOfficial}}';

/** formatter.Ellipsis: cut to `n` runes with "…". */
function ellipsis(s: string, n: number): string {
  const chars = [...s];
  if (chars.length <= n) return s;
  return chars.slice(0, n - 1).join('') + '…';
}

async function runSearch({ ctx, args, flags }: Inv): Promise<void> {
  const term = args[0]!;
  const ref = (() => { try { return parseNormalizedNamed(term); } catch { return undefined; } })();
  const domain = ref?.domain ?? 'docker.io';
  const creds = await getCredentials(ctx.config.dir, serverKey(domain), ctx.env);
  const limit = flags.int('limit');
  const results = await ctx.client.json<SearchResult[]>('GET', '/images/search', {
    query: { term, limit: limit ? String(limit) : undefined, filters: flags.filters('filter').toQuery() },
    headers: { 'X-Registry-Auth': encodeAuthHeader(creds) },
    signal: ctx.signal,
  });
  const trunc = !flags.bool('no-trunc');
  const rows = (results ?? []).map((r) => {
    let desc = r.description.replace(/\n/g, ' ').replace(/\r/g, ' ');
    if (trunc) desc = ellipsis(desc, 45);
    return makeRow('searchContext', {
      Name: r.name,
      Description: desc,
      StarCount: String(r.star_count),
      IsOfficial: r.is_official ? '[OK]' : '',
      IsAutomated: r.is_automated ? '[OK]' : '',
    });
  });
  let format = flags.string('format') || TABLE;
  if (format === TABLE) format = SEARCH_TABLE;
  await ctx.out(renderRows(format, rows, SEARCH_HEADER));
}

const searchCommand: Cmd = {
  use: 'search [OPTIONS] TERM',
  short: 'Search Docker Hub for images',
  categoryTop: 9.5,
  args: { kind: 'exact', n: 1 },
  flags: [
    { name: 'filter', short: 'f', type: 'filter', usage: 'Filter output based on conditions provided' },
    formatFlag(undefined, 'Pretty-print search using a Go template'),
    { name: 'limit', type: 'int', usage: 'Max number of search results' },
    { name: 'no-trunc', type: 'bool', usage: "Don't truncate output" },
  ],
  run: runSearch,
};

/** `image pull|push` inside the image group. */
export const registryImageSubcommands: Cmd[] = [pullCommand, pushCommand];
/** Top-level: pull, push, login, logout, search. */
export const registryShortcuts: Cmd[] = [pullCommand, pushCommand, loginCommand, logoutCommand, searchCommand];
