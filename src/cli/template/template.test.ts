import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { asStruct, compile, ExecError, render, TemplateParseError } from './index.js';

const image = {
  Id: 'sha256:3f57d9401f8d42f986df300f0c69192fc41da28ccc8d797829467780db3dd741',
  RepoTags: ['busybox:latest', 'busybox:1.36'],
  Config: { Env: ['PATH=/usr/bin', 'A=b'], Cmd: ['sh'], Labels: { 'org.opencontainers.image.version': '1.36', maintainer: 'x' }, Entrypoint: null },
  Size: 4261550,
  Os: 'linux',
};

describe('Go templates as docker uses them', () => {
  const cases: Array<[string, unknown, string]> = [
    ['{{.Id}}', image, image.Id],
    ['{{.Config.Env}}', image, '[PATH=/usr/bin A=b]'],
    ['{{.Config.Labels}}', image, 'map[maintainer:x org.opencontainers.image.version:1.36]'],
    ['{{json .Config.Cmd}}', image, '["sh"]'],
    ['{{json .Config.Entrypoint}}', image, 'null'],
    ['{{json .Os}}', image, '"linux"'],
    ['{{index .RepoTags 1}}', image, 'busybox:1.36'],
    ['{{index .Config.Labels "org.opencontainers.image.version"}}', image, '1.36'],
    ['{{range .RepoTags}}{{.}} {{end}}', image, 'busybox:latest busybox:1.36 '],
    ['{{range $i, $t := .RepoTags}}{{$i}}={{$t}};{{end}}', image, '0=busybox:latest;1=busybox:1.36;'],
    ['{{range $k, $v := .Config.Labels}}{{$k}}={{$v}},{{end}}', image, 'maintainer=x,org.opencontainers.image.version=1.36,'],
    ['{{join .Config.Env ","}}', image, 'PATH=/usr/bin,A=b'],
    ['{{split "a:b:c" ":"}}', image, '[a b c]'],
    ['{{upper .Os}} {{lower "ABC"}} {{title "hello world"}}', image, 'LINUX abc Hello World'],
    ['{{.Os | upper}}', image, 'LINUX'],
    ['{{println .Os}}', image, 'linux\n'],
    ['{{pad .Os 2 1}}|{{pad "" 2 1}}|', image, '  linux ||'],
    ['{{truncate .Id 12}}', image, 'sha256:3f57d'],
    ['{{.Size}}', image, '4261550'],
    ['{{if eq .Os "linux"}}yes{{else}}no{{end}}', image, 'yes'],
    ['{{if .Config.Entrypoint}}e{{else if .Config.Cmd}}c{{end}}', image, 'c'],
    ['{{with .Config}}{{len .Env}}{{end}}', image, '2'],
    ['{{range .Config.Env}}{{if eq . "A=b"}}{{break}}{{end}}{{.}}{{end}}', image, 'PATH=/usr/bin'],
    ['{{printf "%s:%d" .Os 5}}', image, 'linux:5'],
    ['{{- .Os -}}  \n ', image, 'linux'],
    ['{{/* comment */}}x', image, 'x'],
    ['{{$x := .Os}}{{$x}}', image, 'linux'],
    ['{{.Missing}}', image, '<no value>'],
    ['{{index .Config.Labels "nope"}}', image, '<no value>'],
    ['{{.Config.Entrypoint.X}}', image, '<no value>'],
    ['{{and .Os .Size}} {{or .Config.Entrypoint "none"}} {{not .Os}}', image, '4261550 none false'],
    ['{{range .Config.Entrypoint}}x{{else}}empty{{end}}', image, 'empty'],
    ['{{json .}}', { b: 1, a: '<x>' }, '{"b":1,"a":"<x>"}'],
  ];
  for (const [tmpl, data, want] of cases) {
    it(tmpl, () => assert.equal(render(tmpl, data), want));
  }

  it('reports parse errors as Go does', () => {
    const cases: Array<[string, string]> = [
      ['{{.Id', 'template: :1: unclosed action'],
      ['{{InvalidFunction}}', 'template: :1: function "InvalidFunction" not defined'],
      ['{{end}}', 'template: :1: unexpected {{end}}'],
      ['{{if .Id}}x', 'template: :1: unexpected EOF'],
      ['{{range}}{{end}}', 'template: :1: missing value for range'],
      ['x\n{{$y}}', 'template: :2: undefined variable "$y"'],
    ];
    for (const [tmpl, msg] of cases) {
      assert.throws(() => compile(tmpl), (e: unknown) => e instanceof TemplateParseError && e.message === msg, tmpl);
    }
  });

  it('reports execution errors with position and node', () => {
    const row = asStruct({ ID: 'abc' }, '*formatter.imageContext');
    assert.throws(() => render('{{.Foo}}', row), { message: `template: :1:2: executing "" at <.Foo>: can't evaluate field Foo in type *formatter.imageContext` });
    assert.throws(() => render('{{nil}}', row), { message: 'template: :1:2: executing "" at <nil>: nil is not a command' });
    assert.throws(() => render('{{index .RepoTags 5}}', image), { message: 'template: :1:2: executing "" at <index .RepoTags 5>: error calling index: index out of range: 5' });
  });

  it("fails on a missing struct-like field but not a missing label, as docker's inspect does", () => {
    assert.equal(compile('{{.Config.Labels.nope}}').execute(image, { missingKey: 'struct' }), '<no value>');
    assert.throws(() => compile('{{.Nope}}').execute(image, { missingKey: 'struct' }), { message: 'template: :1:2: executing "" at <.Nope>: map has no entry for key "Nope"' });
  });

  it('keeps the output written before an error', () => {
    try {
      compile('head {{.Foo}} tail').execute(asStruct({}, 'T'));
      assert.fail('expected an error');
    } catch (e) {
      assert.ok(e instanceof ExecError);
      assert.equal(e.partial, 'head ');
    }
  });

  it('calls methods of a row with arguments', () => {
    const row = asStruct({ Label: (name: string) => ({ a: '1' } as Record<string, string>)[name] ?? '' }, 'T');
    assert.equal(render('{{.Label "a"}}-{{.Label "b"}}', row), '1-');
  });
});
