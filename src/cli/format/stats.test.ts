import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ContainerStatsResponse } from '../../client/index.js';
import { renderRows } from './formatter.js';
import { formatFixed } from './go-float.js';
import { cpuPercentUnix, emptyStats, memUsageNoCache, statsEntryOf, statsFormat, statsHeader, statsRow, streamFrame } from './stats.js';

const SAMPLE: ContainerStatsResponse = {
  id: 'cad542ae419bdb072056598356460c9607300d73cdf7cedc8a3e1b1b5c04d418',
  name: '/web',
  cpu_stats: { cpu_usage: { total_usage: 2_000_000 }, system_cpu_usage: 1_000_000_000, online_cpus: 4 },
  precpu_stats: { cpu_usage: { total_usage: 1_000_000 }, system_cpu_usage: 500_000_000 },
  memory_stats: { usage: 10 * 1024 * 1024, limit: 2 * 1024 ** 3, stats: { inactive_file: 2 * 1024 * 1024 } },
  pids_stats: { current: 3 },
  blkio_stats: { io_service_bytes_recursive: [{ op: 'read', value: 434_176 }, { op: 'Write', value: 1000 }, { op: 'total', value: 9 }] },
  networks: { eth0: { rx_bytes: 1500, tx_bytes: 600 }, eth1: { rx_bytes: 500, tx_bytes: 0 } },
};

describe('stats calculations (stats_helpers.go)', () => {
  it('computes CPU % against the previous sample, scaled by online CPUs', () => {
    assert.equal(cpuPercentUnix(SAMPLE), (1_000_000 / 500_000_000) * 4 * 100);
    assert.equal(cpuPercentUnix({ cpu_stats: { cpu_usage: { total_usage: 5, percpu_usage: [1, 2] }, system_cpu_usage: 10 }, precpu_stats: {} }), 100);
    assert.equal(cpuPercentUnix({}), 0);
  });

  it('leaves the page cache out of memory usage (cgroup v1 and v2 keys)', () => {
    assert.equal(memUsageNoCache({ usage: 100, stats: { total_inactive_file: 30, inactive_file: 10 } }), 70);
    assert.equal(memUsageNoCache({ usage: 100, stats: { inactive_file: 10 } }), 90);
    assert.equal(memUsageNoCache({ usage: 100, stats: { inactive_file: 200 } }), 100);
  });

  it('rounds percentages as Go does (ties to even)', () => {
    assert.equal(formatFixed(0.125, 2), '0.12');
    assert.equal(formatFixed(0.375, 2), '0.38');
    assert.equal(formatFixed(0.004, 2), '0.00');
    assert.equal(formatFixed(99.999, 2), '100.00');
  });

  it('renders the default table like docker', () => {
    const e = statsEntryOf('web', SAMPLE, 'linux');
    const table = renderRows(statsFormat('table', 'linux'), [statsRow(e, 'linux', true), statsRow({ ...emptyStats('gone'), isInvalid: true }, 'linux', true)], statsHeader('linux'));
    assert.equal(table, [
      'CONTAINER ID   NAME      CPU %     MEM USAGE / LIMIT   MEM %     NET I/O      BLOCK I/O     PIDS',
      'cad542ae419b   web       0.80%     8MiB / 2GiB         0.39%     2kB / 600B   434kB / 1kB   3',
      '               --        --        -- / --             --        --           --            --',
      '',
    ].join('\n'));
    const json = renderRows('json', [statsRow(e, 'linux', false)], statsHeader('linux'));
    assert.equal(json, '{"BlockIO":"434kB / 1kB","CPUPerc":"0.80%","Container":"web","ID":"cad542ae419bdb072056598356460c9607300d73cdf7cedc8a3e1b1b5c04d418","MemPerc":"0.39%","MemUsage":"8MiB / 2GiB","Name":"web","NetIO":"2kB / 600B","PIDs":"3"}\n');
  });

  it('redraws a streaming frame exactly as docker 28 does (table written twice)', () => {
    assert.equal(streamFrame('H\nR\n'), '\x1b[HH\nR\n\x1b[HH \x1b[K\nR \x1b[K\n \x1b[K\n\x1b[J');
  });
});
