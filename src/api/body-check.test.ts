import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { exec } from '../util/index.js';
import { BodyChecker, type BodyName } from './body-check.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const spec = fileURLToPath(new URL('../../../../shared/reference/docker-engine-api-v1.50.yaml', import.meta.url));

test('the generated schemas are those of the Engine API spec in shared/reference', { skip: existsSync(spec) ? false : `no ${spec}` }, async () => {
  const r = await exec(process.execPath, [`${repo}scripts/gen-body-schemas.mjs`, '--check', spec], { allowFailure: true });
  assert.equal(r.code, 0, r.stderr.toString());
});

// Issue 16, finding 2: wrong types are refused in the words of dockerd's Go decoder; what
// Go accepts (null anywhere, a string for a strslice, unknown fields) passes.
const checker = new BodyChecker();
const cases: Array<[BodyName, unknown, string | null]> = [
  ['ContainerExec', { User: 1000 }, 'json: cannot unmarshal number into Go struct field ExecConfig.User of type string'],
  ['ContainerCreate', { Image: 'x', Cmd: 5 }, 'json: cannot unmarshal number into Go struct field ContainerConfigWrapper.Cmd of type string'],
  ['ContainerCreate', { Image: 'x', StopTimeout: 1.5 }, 'json: cannot unmarshal number 1.5 into Go struct field ContainerConfigWrapper.StopTimeout of type int'],
  ['ContainerCreate', { Image: 'x', HostConfig: { Mounts: [{ Type: 5 }] } }, 'json: cannot unmarshal number into Go struct field Mount.HostConfig.Mounts.Type of type string'],
  ['ContainerCreate', { Image: 'x', Labels: { a: 1 } }, 'json: cannot unmarshal number into Go struct field ContainerConfigWrapper.Labels of type string'],
  ['ContainerCreate', [1], 'json: cannot unmarshal array into Go value of type ContainerConfigWrapper'],
  ['ContainerUpdate', { RestartPolicy: { MaximumRetryCount: 'x' } }, 'json: cannot unmarshal string into Go struct field RestartPolicy.RestartPolicy.MaximumRetryCount of type int'],
  ['ContainerCreate', { Image: 'x', Cmd: 'sh', Entrypoint: null, Unknown: { any: 1 }, HostConfig: { CapAdd: 'NET_ADMIN', Binds: null } }, null],
  ['ExecStart', { Detach: false, Tty: true, ConsoleSize: null }, null],
];
for (const [name, body, message] of cases) {
  test(`${name} ${JSON.stringify(body)}: ${message ?? 'accepted'}`, () => {
    if (message === null) checker.check(name, body);
    else assert.throws(() => checker.check(name, body), { status: 400, message });
  });
}
