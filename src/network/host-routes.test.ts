import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { enableIPv4Forwarding } from './host-routes.js';

test('enableIPv4Forwarding writes 1 only when forwarding is off, and says whether it changed it', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipfwd-'));
  try {
    const file = path.join(dir, 'ip_forward');
    fs.writeFileSync(file, '0\n');
    assert.equal(enableIPv4Forwarding(file), true);
    assert.equal(fs.readFileSync(file, 'utf8'), '1\n');
    assert.equal(enableIPv4Forwarding(file), false);
    assert.equal(fs.readFileSync(file, 'utf8'), '1\n');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
