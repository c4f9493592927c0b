import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { validateAgainstSchema } from './schema.js';

// dist/src/compose/model/ → the repository's root.
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

describe('the Compose schema check', () => {
  it('is generated from the schema file beside it (scripts/gen-compose-schema.mjs --check)', () => {
    // Throws (exit 1, "is stale") when compose-spec.schema.json changed without regenerating.
    execFileSync(process.execPath, [path.join(root, 'scripts', 'gen-compose-schema.mjs'), '--check'], { stdio: 'pipe' });
  });

  it('takes a valid file, x- extensions and interpolation strings where numbers go', async () => {
    await validateAgainstSchema({ 'x-a': 1, services: { web: { image: 'x', scale: '${N}', 'x-b': {}, ports: [80, '81', { target: 82 }] } } }, 'f');
  });

  it('words errors as compose-go, the most specific first', async () => {
    await assert.rejects(validateAgainstSchema({ services: { web: { image: 'x', deploy: { replicas: [] } } } }, '/f.yml'),
      { message: 'validating /f.yml: services.web.deploy.replicas must be a integer or string' });
    await assert.rejects(validateAgainstSchema({ services: { web: { image: 'x', healthcheck: { test: 'x', intervall: '1s' } } } }, '/f.yml'),
      { message: "validating /f.yml: services.web.healthcheck additional properties 'intervall' not allowed" });
    await assert.rejects(validateAgainstSchema({ networks: { n: { driver: 1 } } }, '/f.yml'),
      { message: 'validating /f.yml: networks.n.driver must be a string' });
  });
});
