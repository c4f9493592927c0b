import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseNetDev } from './net-dev.js';

const SAMPLE = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:     140       2    0    0    0     0          0         0      140       2    0    0    0     0       0          0
  eth0:    5286      43    1    2    0     0          0         0     1290      15    3    4    0     0       0          0
  eth1: 1234567890123 9 0 0 0 0 0 0 7 1 0 0 0 0 0 0
`;

test('/proc/net/dev becomes dockerd\'s per-interface stats, without lo', () => {
  assert.deepEqual(parseNetDev(SAMPLE), {
    eth0: { rx_bytes: 5286, rx_packets: 43, rx_errors: 1, rx_dropped: 2, tx_bytes: 1290, tx_packets: 15, tx_errors: 3, tx_dropped: 4 },
    eth1: { rx_bytes: 1234567890123, rx_packets: 9, rx_errors: 0, rx_dropped: 0, tx_bytes: 7, tx_packets: 1, tx_errors: 0, tx_dropped: 0 },
  });
});

test('a namespace with only lo has no networks', () => {
  assert.deepEqual(parseNetDev(SAMPLE.split('\n').slice(0, 3).join('\n')), {});
});
