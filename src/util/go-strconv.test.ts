import { test } from 'node:test';
import assert from 'node:assert/strict';
import { goQuote, parseGoBool, parseGoInt } from './go-strconv.js';

test('parseGoBool reads what strconv.ParseBool reads, and nothing else', () => {
  for (const s of ['1', 't', 'T', 'TRUE', 'true', 'True']) assert.equal(parseGoBool(s), true, s);
  for (const s of ['0', 'f', 'F', 'FALSE', 'false', 'False']) assert.equal(parseGoBool(s), false, s);
  for (const s of ['', 'yes', 'no', 'tRUE', ' true', '2']) assert.equal(parseGoBool(s), undefined, s);
});

test('parseGoInt: strconv.ParseInt with its messages, as 400s', () => {
  assert.equal(parseGoInt('-42'), -42);
  assert.equal(parseGoInt('+7'), 7);
  assert.equal(parseGoInt('127', 8), 127);
  assert.throws(() => parseGoInt('128', 8), { status: 400, message: 'strconv.ParseInt: parsing "128": value out of range' });
  assert.throws(() => parseGoInt('9223372036854775808'), { message: 'strconv.ParseInt: parsing "9223372036854775808": value out of range' });
  assert.throws(() => parseGoInt('1.5'), { message: 'strconv.ParseInt: parsing "1.5": invalid syntax' });
  assert.throws(() => parseGoInt('a\tb'), { message: 'strconv.ParseInt: parsing "a\\tb": invalid syntax' });
  assert.throws(() => parseGoInt('\u0001'), { message: 'strconv.ParseInt: parsing "\\x01": invalid syntax' }, 'Go quotes control bytes as \\xNN');
});

test('goQuote is strconv.Quote for the strings messages carry', () => {
  assert.equal(goQuote('a "b"'), '"a \\"b\\""');
  assert.equal(goQuote('\u001b[0m'), '"\\x1b[0m"');
});
