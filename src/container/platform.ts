import { InvalidArgumentError, NotFoundError } from '../errors/index.js';

export interface Platform { os: string; architecture: string; variant?: string }

const ARCH_ALIASES: Record<string, string> = { x86_64: 'amd64', 'x86-64': 'amd64', aarch64: 'arm64', armhf: 'arm', armel: 'arm', i386: '386', i686: '386' };

/** containerd platforms.Normalize: aliases folded, arm64's default variant v8 dropped. */
export function normalizePlatform(p: Platform): Platform {
  const os = p.os.toLowerCase();
  const architecture = ARCH_ALIASES[p.architecture.toLowerCase()] ?? p.architecture.toLowerCase();
  let variant = p.variant?.toLowerCase() || undefined;
  if (architecture === 'arm64' && variant === 'v8') variant = undefined;
  if (architecture === 'amd64' && variant === 'v1') variant = undefined;
  return { os, architecture, ...(variant ? { variant } : {}) };
}

/** `os[/arch[/variant]]` as `--platform` takes it; the arch defaults to the host's. */
export function parsePlatform(spec: string, hostArch: string): Platform {
  const parts = spec.split('/');
  if (parts.length > 3 || parts.some((p) => p === '' || !/^[A-Za-z0-9_.-]+$/.test(p))) {
    throw new InvalidArgumentError(`"${spec}": unknown operating system or architecture: invalid argument`);
  }
  const [os, arch, variant] = parts;
  return normalizePlatform({ os: os!, architecture: arch ?? hostArch, ...(variant ? { variant } : {}) });
}

export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

/**
 * `create ?platform=`: the image must be of that platform, else dockerd's 404 (which makes the
 * docker CLI try a pull of that platform).
 */
export function checkImagePlatform(ref: string, wanted: string, image: Platform, hostArch: string): void {
  const want = parsePlatform(wanted, hostArch);
  const have = normalizePlatform(image);
  const matches = want.os === have.os && want.architecture === have.architecture && (want.variant === undefined || want.variant === have.variant);
  if (!matches) {
    throw new NotFoundError(`image with reference ${ref} was found but does not match the specified platform: wanted ${formatPlatform(want)}, actual: ${formatPlatform(have)}`);
  }
}
