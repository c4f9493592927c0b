/** Volume rows (docker's formatter/volume.go), used by `system df -v` now and `volume ls` later. */
import type { Volume } from '../../client/index.js';
import { makeRow } from './formatter.js';
import { humanSize } from './units.js';

export const VOLUME_HEADER: Record<string, string> = {
  ID: 'ID',
  Name: 'VOLUME NAME',
  Group: 'GROUP',
  Driver: 'DRIVER',
  Scope: 'SCOPE',
  Availability: 'AVAILABILITY',
  Mountpoint: 'MOUNTPOINT',
  Labels: 'LABELS',
  Links: 'LINKS',
  Size: 'SIZE',
  Status: 'STATUS',
};

export function volumeRow(v: Volume) {
  const labels = v.Labels ?? undefined;
  return makeRow('*formatter.volumeContext', {
    Name: v.Name,
    Driver: v.Driver ?? '',
    Scope: v.Scope ?? '',
    Mountpoint: v.Mountpoint ?? '',
    Labels: labels ? Object.entries(labels).map(([k, val]) => `${k}=${val}`).join(',') : '',
    Label: (name: string) => labels?.[name] ?? '',
    Links: v.UsageData ? String(v.UsageData.RefCount) : 'N/A',
    Size: v.UsageData ? humanSize(v.UsageData.Size) : 'N/A',
    Group: 'N/A',
    Availability: 'N/A',
    Status: 'N/A',
  });
}
