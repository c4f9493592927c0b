import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ComposeConfigError } from './errors.js';
import { InvalidTemplateError, MissingRequiredError, interpolateTree, substitute } from './interpolate.js';

const env: Record<string, string> = { SET: 'value', EMPTY: '', PORT: '8080', TAG: '1.2' };
const lookup = (n: string): string | undefined => env[n];
const sub = (s: string): string => substitute(s, lookup);

describe('interpolation, as compose-go\'s template', () => {
  it('substitutes $VAR and ${VAR}; $$ is a dollar', () => {
    assert.equal(sub('img:$TAG'), 'img:1.2');
    assert.equal(sub('img:${TAG}-x'), 'img:1.2-x');
    assert.equal(sub('$SET$PORT'), 'value8080');
    assert.equal(sub('echo $$HOME $${SET}'), 'echo $HOME ${SET}');
    assert.equal(sub('no vars'), 'no vars');
  });

  it('${VAR:-d} defaults when unset or empty, ${VAR-d} only when unset', () => {
    assert.equal(sub('${NOPE:-d}'), 'd');
    assert.equal(sub('${EMPTY:-d}'), 'd');
    assert.equal(sub('${SET:-d}'), 'value');
    assert.equal(sub('${NOPE-d}'), 'd');
    assert.equal(sub('${EMPTY-d}'), '');
    assert.equal(sub('${NOPE:-}'), '');
  });

  it('${VAR:+x} and ${VAR+x} replace a set value', () => {
    assert.equal(sub('${SET:+yes}'), 'yes');
    assert.equal(sub('${EMPTY:+yes}'), '');
    assert.equal(sub('${EMPTY+yes}'), 'yes');
    assert.equal(sub('${NOPE+yes}'), '');
  });

  it('nests: defaults are templates themselves', () => {
    assert.equal(sub('${NOPE:-${ALSO:-${PORT}}}'), '8080');
    assert.equal(sub('${NOPE:-a-${TAG}-b}'), 'a-1.2-b');
    assert.equal(sub('${NOPE:-$$literal}'), '$literal');
    assert.equal(sub('${SET:+${PORT}:80}'), '8080:80');
  });

  it('${VAR:?err} fails on unset or empty, ${VAR?err} on unset, with compose-go\'s words', () => {
    assert.throws(() => sub('${NOPE:?set it}'), (e: unknown) => e instanceof MissingRequiredError && e.message === 'required variable NOPE is missing a value: set it');
    assert.throws(() => sub('${EMPTY:?}'), { message: 'required variable EMPTY is missing a value' });
    assert.equal(sub('${EMPTY?err}'), '');
    assert.throws(() => sub('${NOPE?err}'), MissingRequiredError);
    assert.equal(sub('${SET:?err}'), 'value');
  });

  it('an unset variable is "" and reported', () => {
    const unset: string[] = [];
    assert.equal(substitute('a${NOPE}b$OTHER', lookup, (n) => unset.push(n)), 'ab');
    assert.deepEqual(unset, ['NOPE', 'OTHER']);
  });

  it('refuses templates Compose cannot read', () => {
    for (const bad of ['${', '${SET', '${}', '${SET:x}', '${1A}', 'a ${ b }']) assert.throws(() => sub(bad), InvalidTemplateError, bad);
  });

  it('keeps a $ that starts no variable, as compose-go\'s pattern does', () => {
    assert.equal(sub('a $ b'), 'a $ b');
    assert.equal(sub('cost $1 $'), 'cost $1 $');
    assert.equal(sub('$-x'), '$-x');
  });

  it('walks values, not keys, and names the key path in errors', () => {
    assert.deepEqual(interpolateTree({ services: { web: { image: 'x:$TAG', '$KEY': 1, ports: ['${PORT}:80'] } } }, lookup),
      { services: { web: { image: 'x:1.2', '$KEY': 1, ports: ['8080:80'] } } });
    assert.throws(() => interpolateTree({ services: { web: { environment: ['A=${NOPE:?need A}'] } } }, lookup),
      (e: unknown) => e instanceof ComposeConfigError && e.message === 'error while interpolating services.web.environment.[]: required variable NOPE is missing a value: need A');
    assert.throws(() => interpolateTree({ services: { web: { command: 'echo ${' } } }, lookup),
      { message: 'invalid interpolation format for services.web.command.\nYou may need to escape any $ with another $.\necho ${' });
  });
});
