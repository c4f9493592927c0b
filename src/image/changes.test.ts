import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyChanges } from './changes.js';

test('applyChanges handles each instruction as docker import --change does', () => {
  const cfg = applyChanges({ Env: ['PATH=/bin'] }, [
    'CMD ["sh", "-c", "echo hi"]',
    'ENTRYPOINT /bin/init --x',
    'ENV A=1 B="two words"',
    'ENV PATH /usr/bin',
    'LABEL a=b c="d e"',
    'EXPOSE 80 53/udp',
    'VOLUME ["/data"]',
    'VOLUME /a /b',
    'USER nobody:nogroup',
    'WORKDIR /srv',
    'STOPSIGNAL SIGINT',
  ]);
  assert.deepEqual(cfg.Cmd, ['sh', '-c', 'echo hi']);
  assert.deepEqual(cfg.Entrypoint, ['/bin/sh', '-c', '/bin/init --x']);
  assert.deepEqual(cfg.Env, ['PATH=/usr/bin', 'A=1', 'B=two words']);
  assert.deepEqual(cfg.Labels, { a: 'b', c: 'd e' });
  assert.deepEqual(cfg.ExposedPorts, { '80/tcp': {}, '53/udp': {} });
  assert.deepEqual(cfg.Volumes, { '/data': {}, '/a': {}, '/b': {} });
  assert.equal(cfg.User, 'nobody:nogroup');
  assert.equal(cfg.WorkingDir, '/srv');
  assert.equal(cfg.StopSignal, 'SIGINT');
});

test('applyChanges refuses filesystem instructions with docker\'s message', () => {
  assert.throws(() => applyChanges({}, ['RUN echo']), { status: 400, message: 'RUN is not a valid change command' });
  assert.throws(() => applyChanges({}, ['FROM scratch']), { message: 'FROM is not a valid change command' });
  assert.throws(() => applyChanges({}, ['EXPOSE abc']), { message: 'invalid containerPort: abc' });
});
