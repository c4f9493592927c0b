/**
 * containerd's platforms.Parse and Format for `--platform` of run/create: "os[/arch[/variant]]"
 * with architectures normalized (x86_64 → amd64, aarch64 → arm64), one known word taken as an
 * OS or an architecture, and containerd's errors ("…: invalid argument").
 */

export interface Platform { os: string; architecture: string; variant?: string }

const KNOWN_OS = new Set(['aix', 'android', 'darwin', 'dragonfly', 'freebsd', 'hurd', 'illumos', 'ios', 'js', 'linux', 'nacl', 'netbsd', 'openbsd', 'plan9', 'solaris', 'windows', 'zos']);
const KNOWN_ARCH = new Set(['386', 'amd64', 'amd64p32', 'arm', 'armbe', 'arm64', 'arm64be', 'ppc64', 'ppc64le', 'loong64', 'mips', 'mipsle', 'mips64', 'mips64le', 'mips64p32', 'mips64p32le', 'ppc', 'riscv', 'riscv64', 's390', 's390x', 'sparc', 'sparc64', 'wasm']);
const COMPONENT = /^[A-Za-z0-9_.-]+$/;

function hostArch(): string {
  const a = process.arch;
  return a === 'x64' ? 'amd64' : a === 'ia32' ? '386' : a;
}

function normalizeOs(os: string): string {
  const o = os.toLowerCase();
  return o === 'macos' ? 'darwin' : o;
}

function normalizeArch(arch: string, variant: string): [string, string] {
  const a = arch.toLowerCase();
  let v = variant.toLowerCase();
  switch (a) {
    case 'i386': return ['386', ''];
    case 'x86_64': case 'x86-64': case 'amd64':
      return ['amd64', v === 'v1' ? '' : v];
    case 'aarch64': case 'arm64':
      return ['arm64', v === '8' || v === 'v8' ? '' : v];
    case 'armhf': return ['arm', 'v7'];
    case 'armel': return ['arm', 'v6'];
    case 'arm':
      if (v === '' || v === '7') v = 'v7';
      else if (['5', '6', '8'].includes(v)) v = `v${v}`;
      return ['arm', v];
    default: return [a, v];
  }
}

const invalid = (msg: string): Error => new Error(`${msg}: invalid argument`);

export function parsePlatform(specifier: string): Platform {
  if (specifier.includes('*')) throw invalid(`${JSON.stringify(specifier)}: wildcards not yet supported`);
  const parts = specifier.split('/', 4).length < 4 ? specifier.split('/') : specifier.split('/').slice(0, 4);
  for (const part of parts) {
    if (!COMPONENT.test(part)) {
      throw invalid(`${JSON.stringify(part)} is an invalid component of ${JSON.stringify(specifier)}: platform specifier component must match "^[A-Za-z0-9_.-]+$"`);
    }
  }
  switch (parts.length) {
    case 1: {
      const os = normalizeOs(parts[0]!);
      if (KNOWN_OS.has(os)) return { os, architecture: hostArch() };
      let [arch, variant] = normalizeArch(parts[0]!, '');
      if (arch === 'arm' && variant === 'v7') variant = '';
      if (KNOWN_ARCH.has(arch)) return { os: 'linux', architecture: arch, ...(variant ? { variant } : {}) };
      throw invalid(`${JSON.stringify(specifier)}: unknown operating system or architecture`);
    }
    case 2: {
      let [arch, variant] = normalizeArch(parts[1]!, '');
      if (arch === 'arm' && variant === 'v7') variant = '';
      return { os: normalizeOs(parts[0]!), architecture: arch, ...(variant ? { variant } : {}) };
    }
    case 3: {
      let [arch, variant] = normalizeArch(parts[1]!, parts[2]!);
      if (arch === 'arm64' && variant === '') variant = 'v8';
      return { os: normalizeOs(parts[0]!), architecture: arch, ...(variant ? { variant } : {}) };
    }
    default:
      throw invalid(`${JSON.stringify(specifier)}: cannot parse platform specifier`);
  }
}

/** platforms.Format: "linux/amd64", "linux/arm/v7". */
export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}
