/**
 * `berth version`: docker's template (cli/command/system/version.go) run through a
 * tabwriter (min width 20, padding 1). The client section prints even when the daemon
 * cannot be reached; the error follows and the command exits 1. Labels say "Node.js
 * version" where docker's say "Go version"; the fields keep docker's names (GoVersion) so
 * `--format` templates written for docker work.
 */
import { CLIENT_API_VERSION, type SystemVersion } from '../../client/index.js';
import type { Command } from '../framework/command.js';
import { StatusError } from '../framework/errors.js';
import { reformatDate } from '../format/time.js';
import { TabWriter } from '../format/tabwriter.js';
import { asStruct, compile, ExecError, goJson, type FuncMap, type Template } from '../template/index.js';
import type { Cli } from '../context.js';
import { BERTH_VERSION, BUILD_TIME, GIT_COMMIT } from '../version-info.js';
import { formatFlag, INSPECT_FORMAT_HELP } from './common.js';

const DEFAULT_TEMPLATE = `{{with .Client -}}
Client:{{if ne .Platform nil}}{{if ne .Platform.Name ""}} {{.Platform.Name}}{{end}}{{end}}
 Version:\t{{.Version}}
 API version:\t{{.APIVersion}}{{if ne .APIVersion .DefaultAPIVersion}} (downgraded from {{.DefaultAPIVersion}}){{end}}
 Node.js version:\t{{.GoVersion}}
 Git commit:\t{{.GitCommit}}
 Built:\t{{.BuildTime}}
 OS/Arch:\t{{.Os}}/{{.Arch}}
 Context:\t{{.Context}}
{{- end}}

{{- if ne .Server nil}}{{with .Server}}

Server:{{if ne .Platform.Name ""}} {{.Platform.Name}}{{end}}
 {{- range $component := .Components}}
 {{$component.Name}}:
  {{- if eq $component.Name "Engine" }}
  Version:\t{{.Version}}
  API version:\t{{index .Details "ApiVersion"}} (minimum version {{index .Details "MinAPIVersion"}})
  Node.js version:\t{{index .Details "GoVersion"}}
  Git commit:\t{{index .Details "GitCommit"}}
  Built:\t{{index .Details "BuildTime"}}
  OS/Arch:\t{{index .Details "Os"}}/{{index .Details "Arch"}}
  Experimental:\t{{index .Details "Experimental"}}
  {{- else }}
  Version:\t{{$component.Version}}
  {{- $detailsOrder := getDetailsOrder $component}}
  {{- range $key := $detailsOrder}}
  {{$key}}:\t{{index $component.Details $key}}
   {{- end}}
  {{- end}}
 {{- end}}
 {{- end}}{{- end}}`;

const FUNCS: FuncMap = {
  getDetailsOrder: { arity: 1, call: ([c]) => Object.keys((c as { Details?: object }).Details ?? {}).sort() },
};

/** Node's process.arch in Go's GOARCH names. */
export function goArch(): string {
  return ({ x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x' } as Record<string, string>)[process.arch] ?? process.arch;
}

/** The client half: docker's clientVersion struct, with its JSON tags (omitempty fields dropped). */
export function clientVersion(apiVersion: string): Record<string, unknown> {
  const v = {
    Platform: null,
    Version: BERTH_VERSION,
    APIVersion: apiVersion,
    DefaultAPIVersion: CLIENT_API_VERSION,
    GitCommit: GIT_COMMIT,
    GoVersion: process.version,
    Os: process.platform,
    Arch: goArch(),
    BuildTime: reformatDate(BUILD_TIME),
    Context: 'default',
  };
  return asStruct(v, 'system.clientVersion', () => clientJson(v));
}

function clientJson(v: Record<string, unknown>): string {
  const out: Record<string, unknown> = {};
  for (const [k, val] of Object.entries(v)) {
    const key = k === 'APIVersion' ? 'ApiVersion' : k;
    if (key !== 'Context' && (val === '' || val === null)) continue;
    out[key] = val;
  }
  return goJson(out);
}

/** types.Version with every field present (Go zero values), BuildTime reformatted, the Engine component ensured. */
function serverVersion(sv: SystemVersion): Record<string, unknown> {
  const components = (sv.Components ?? []).map((c) => {
    const details = { ...(c.Details ?? {}) };
    if (c.Name === 'Engine' && details.BuildTime !== undefined) details.BuildTime = reformatDate(details.BuildTime);
    return { Name: c.Name, Version: c.Version, Details: details };
  });
  if (!components.some((c) => c.Name === 'Engine')) {
    components.push({
      Name: 'Engine',
      Version: sv.Version ?? '',
      Details: {
        ApiVersion: sv.ApiVersion ?? '', MinAPIVersion: sv.MinAPIVersion ?? '', GitCommit: sv.GitCommit ?? '', GoVersion: sv.GoVersion ?? '',
        Os: sv.Os ?? '', Arch: sv.Arch ?? '', BuildTime: reformatDate(sv.BuildTime ?? ''), Experimental: String(sv.Experimental ?? false),
      },
    });
  }
  const fields = {
    Version: '', MinAPIVersion: '', GitCommit: '', GoVersion: '', Os: '', Arch: '', KernelVersion: '', Experimental: false, BuildTime: '',
    ...sv,
    Platform: sv.Platform ?? { Name: '' },
    Components: components,
    APIVersion: sv.ApiVersion ?? '',
  };
  return asStruct(fields, '*types.Version', () => serverJson(fields));
}

/** json.Marshal of types.Version: its fields in order, omitempty ones dropped, map keys sorted. */
function serverJson(v: Record<string, unknown>): string {
  const components = (v.Components as Array<{ Name: string; Version: string; Details: Record<string, string> }>).map((c) => {
    const keys = Object.keys(c.Details).sort();
    return keys.length ? { Name: c.Name, Version: c.Version, Details: Object.fromEntries(keys.map((k) => [k, c.Details[k]])) } : { Name: c.Name, Version: c.Version };
  });
  const out: Record<string, unknown> = { Platform: { Name: (v.Platform as { Name?: string }).Name ?? '' } };
  if (components.length) out.Components = components;
  out.Version = v.Version;
  out.ApiVersion = v.APIVersion;
  if (v.MinAPIVersion) out.MinAPIVersion = v.MinAPIVersion;
  for (const k of ['GitCommit', 'GoVersion', 'Os', 'Arch']) out[k] = v[k];
  for (const k of ['KernelVersion', 'Experimental', 'BuildTime']) if (v[k]) out[k] = v[k];
  return goJson(out);
}

function versionTemplate(format: string): Template {
  const src = format === '' ? DEFAULT_TEMPLATE : format === 'json' ? '{{json .}}' : format;
  try {
    return compile(src, { name: 'version', funcs: FUNCS });
  } catch (e) {
    throw new StatusError(64, `template parsing error: ${(e as Error).message}`);
  }
}

async function runVersion(cli: Cli, format: string): Promise<void> {
  const tmpl = versionTemplate(format);
  let apiVersion = CLIENT_API_VERSION;
  let server: Record<string, unknown> | null = null;
  let failure: Error | undefined;
  try {
    apiVersion = await cli.client.apiVersion(cli.signal);
    server = serverVersion(await cli.client.json<SystemVersion>('GET', '/version', { signal: cli.signal }));
  } catch (e) {
    if (!(e instanceof Error)) throw e;
    failure = e;
  }
  const data = asStruct({ Client: clientVersion(apiVersion), Server: server }, 'system.versionInfo');
  const tw = new TabWriter(20, 1);
  let execError: Error | undefined;
  try {
    tw.write(tmpl.execute(data));
  } catch (e) {
    if (!(e instanceof ExecError)) throw e;
    tw.write(e.partial);
    execError = new Error(e.message);
  }
  tw.write('\n');
  await cli.out(tw.flush());
  if (failure) throw failure;
  if (execError) throw execError;
}

export const versionCommand: Command<Cli> = {
  use: 'version [OPTIONS]',
  short: 'Show the berth version information',
  categoryTop: 10,
  args: { kind: 'none' },
  flags: [formatFlag('f', INSPECT_FORMAT_HELP)],
  run: ({ ctx, flags }) => runVersion(ctx, flags.string('format')),
};
