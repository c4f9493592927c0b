import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyConfigInstruction } from './config-steps.js';
import { parseDockerfile } from './parser.js';

const sh = ['/bin/sh', '-c'];
const one = (line: string) => parseDockerfile(`FROM x\n${line}`).instructions[1]!;

test('CMD and ENTRYPOINT: shell form through SHELL, history as dockerd writes it; ENTRYPOINT drops only an inherited CMD', () => {
  const cmd = applyConfigInstruction({ Cmd: ['sh'] }, ['/bin/bash', '-c'], one('CMD echo hi'), one('CMD echo hi').args);
  assert.deepEqual(cmd.config.Cmd, ['/bin/bash', '-c', 'echo hi']);
  assert.equal(cmd.createdBy, 'CMD ["/bin/bash" "-c" "echo hi"]');
  const inherited = applyConfigInstruction({ Cmd: ['sh'] }, sh, one('ENTRYPOINT ["/init"]'), ['/init']);
  assert.deepEqual([inherited.config.Entrypoint, inherited.config.Cmd], [['/init'], null]);
  const own = applyConfigInstruction({ Cmd: ['x'] }, sh, one('ENTRYPOINT ["/init"]'), ['/init'], true);
  assert.deepEqual(own.config.Cmd, ['x']);
});

test('ENV, LABEL, EXPOSE (ranges, protocols), VOLUME, SHELL, HEALTHCHECK', () => {
  assert.deepEqual(applyConfigInstruction({ Env: ['A=0', 'P=/bin'] }, sh, one('ENV A=1 B=2'), ['A', '1', 'B', '2']).config.Env, ['A=1', 'P=/bin', 'B=2']);
  assert.deepEqual(applyConfigInstruction({}, sh, one('EXPOSE 80-81 53/UDP'), ['80-81', '53/UDP']).config.ExposedPorts, { '80/tcp': {}, '81/tcp': {}, '53/udp': {} });
  assert.throws(() => applyConfigInstruction({}, sh, one('EXPOSE http'), ['http']), { message: 'invalid containerPort: http' });
  assert.deepEqual(applyConfigInstruction({}, sh, one('VOLUME /a /b'), ['/a', '/b']).config.Volumes, { '/a': {}, '/b': {} });
  const shell = applyConfigInstruction({}, sh, one('SHELL ["/bin/bash", "-c"]'), ['/bin/bash', '-c']);
  assert.deepEqual([shell.shell, shell.config.Shell], [['/bin/bash', '-c'], ['/bin/bash', '-c']]);
  const hc = one('HEALTHCHECK --interval=5s --retries=2 CMD true');
  assert.deepEqual(applyConfigInstruction({}, sh, hc, hc.args).config.Healthcheck, { Test: ['CMD-SHELL', 'true'], Interval: 5e9, Timeout: 0, StartPeriod: 0, StartInterval: 0, Retries: 2 });
});

test('USER, STOPSIGNAL and ONBUILD are stored in the config with dockerd\'s history text', () => {
  const user = applyConfigInstruction({}, sh, one('USER app:app'), ['app:app']);
  assert.deepEqual([user.config.User, user.createdBy], ['app:app', 'USER app:app']);
  const sig = applyConfigInstruction({}, sh, one('STOPSIGNAL SIGINT'), ['SIGINT']);
  assert.deepEqual([sig.config.StopSignal, sig.createdBy], ['SIGINT', 'STOPSIGNAL SIGINT']);
  const ob = one('ONBUILD COPY --chmod=700 a /b');
  const stored = applyConfigInstruction({ OnBuild: ['RUN x'] }, sh, ob, ob.args);
  assert.deepEqual([stored.config.OnBuild, stored.createdBy], [['RUN x', 'COPY --chmod=700 a /b'], 'ONBUILD COPY --chmod=700 a /b']);
});
