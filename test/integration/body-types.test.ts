import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { BODY_SCHEMAS, DEFINITIONS, type BodyName } from '../../src/api/body-schemas.generated.js';
import { removeIdleNetavarkChains } from '../../src/network/index.js';
import { silentLogger } from '../../src/util/index.js';
import { importBusybox, out } from '../helpers/containers.js';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';

type Schema = Record<string, unknown>;

/**
 * Issue 16, finding 2: request bodies were not type-checked (`"User": 1000` in an exec ran it
 * as root). For every body berthd takes, each field the Engine API spec defines (top level,
 * and one level into the structs it holds) is sent a value of another JSON type: the answer
 * must be dockerd's 400 naming the field, and nothing may be created, changed or run.
 */

function deref(s: Schema): Schema {
  const ref = s.$ref;
  return typeof ref === 'string' ? DEFINITIONS[ref.slice(ref.lastIndexOf('/') + 1)]! : s;
}

/** An object schema's fields, through allOf and $ref, as Go's embedded structs would give them. */
function fieldsOf(s: Schema): Array<[string, Schema]> {
  const r = deref(s);
  const own = Object.entries((r.properties as Record<string, Schema> | undefined) ?? {});
  return [...own, ...((r.allOf as Schema[] | undefined) ?? []).flatMap(fieldsOf)];
}

function typeOf(s: Schema): string {
  if (s.anyOf) return 'strslice';
  const r = deref(s);
  const t = (Array.isArray(r.type) ? r.type : [r.type]).find((x) => x && x !== 'null') as string | undefined;
  return t ?? (r.allOf ? 'object' : 'any');
}

/** A value Go's decoder refuses for that type. */
function wrongValueFor(s: Schema): unknown {
  switch (typeOf(s)) {
    case 'string': return 12345;
    case 'integer': case 'number': case 'boolean': return 'not-that-type';
    case 'array': case 'strslice': return { not: 'a list' };
    case 'object': return ['not', 'an', 'object'];
    default: return undefined;
  }
}

/** [path, body] pairs: each field in turn given a wrong type inside an otherwise valid body. */
function wrongBodies(name: BodyName, base: Record<string, unknown>): Array<[string, Record<string, unknown>]> {
  const out: Array<[string, Record<string, unknown>]> = [];
  for (const [field, schema] of fieldsOf(BODY_SCHEMAS[name].schema)) {
    const wrong = wrongValueFor(schema);
    if (wrong !== undefined) out.push([field, { ...base, [field]: wrong }]);
    // One level down, where the field is a struct of its own (HostConfig, Healthcheck, IPAM…).
    if (typeOf(schema) === 'object' && fieldsOf(schema).length > 0) {
      for (const [inner, innerSchema] of fieldsOf(schema)) {
        const w = wrongValueFor(innerSchema);
        if (w !== undefined) out.push([`${field}.${inner}`, { ...base, [field]: { [inner]: w } }]);
      }
    }
  }
  return out;
}

describe('request bodies are type-checked against the Engine API spec', () => {
  const tag = randomBytes(3).toString('hex');
  let d: TestDaemon;
  let container = '';
  let network = '';
  const json = { 'Content-Type': 'application/json' };
  const state = async () => ({
    // Status reads "Up Less than a second", then "Up 1 second": the clock, not a change.
    containers: (await d.request('GET', '/containers/json?all=1')).body.replace(/"Status":"[^"]*"/g, ''),
    images: (await d.request('GET', '/images/json')).body,
    volumes: (await d.request('GET', '/volumes')).body,
    networks: (JSON.parse((await d.request('GET', '/networks')).body) as Array<{ Name: string }>).map((n) => n.Name).sort(),
    container: (await d.request('GET', `/containers/${container}/json`)).body.replace(/"(StartedAt|FinishedAt)":"[^"]*"/g, ''),
  });

  before(async () => {
    d = await startDaemon('body-types', [], { config: { bridge: `bb${tag}`, 'default-address-pools': [{ base: `10.${200 + (parseInt(tag, 16) % 50)}.0.0/16`, size: 24 }] } });
    await importBusybox(d);
    container = out(await d.docker(['run', '-d', '--name', 'target', 'busybox', 'sleep', '1000'])).trim();
    network = out(await d.docker(['network', 'create', `bn${tag}`])).trim();
  });
  after(async () => {
    await d?.stop();
    await removeIdleNetavarkChains(silentLogger());
  });

  const endpoints: Array<{ name: BodyName; method: string; path: () => string; base: Record<string, unknown> }> = [
    { name: 'ContainerCreate', method: 'POST', path: () => '/containers/create', base: { Image: 'busybox', Cmd: ['true'] } },
    { name: 'ContainerUpdate', method: 'POST', path: () => `/containers/${container}/update`, base: {} },
    { name: 'ImageCommit', method: 'POST', path: () => `/commit?container=${container}&repo=committed`, base: {} },
    { name: 'ContainerExec', method: 'POST', path: () => `/containers/${container}/exec`, base: { Cmd: ['touch', '/ran'] } },
    { name: 'VolumeCreate', method: 'POST', path: () => '/volumes/create', base: { Name: 'typed' } },
    { name: 'NetworkCreate', method: 'POST', path: () => '/networks/create', base: { Name: 'typed' } },
    { name: 'NetworkConnect', method: 'POST', path: () => `/networks/${network}/connect`, base: { Container: container } },
    { name: 'NetworkDisconnect', method: 'POST', path: () => `/networks/${network}/disconnect`, base: { Container: container } },
    { name: 'SystemAuth', method: 'POST', path: () => '/auth', base: { serveraddress: '127.0.0.1:1' } },
  ];

  for (const ep of endpoints) {
    test(`${ep.name}: a wrong type in any field is a 400 naming it, and nothing happens`, async () => {
      const before0 = await state();
      const cases = wrongBodies(ep.name, ep.base);
      assert.ok(cases.length >= 2, `${ep.name}: the spec gives ${cases.length} fields`);
      for (const [field, body] of cases) {
        const r = await d.request(ep.method, ep.path(), JSON.stringify(body), json);
        assert.equal(r.status, 400, `${ep.name} ${field}: ${r.body}`);
        const leaf = field.split('.').pop()!;
        assert.match((JSON.parse(r.body) as { message: string }).message,
          new RegExp(`^json: cannot unmarshal \\S+ into Go struct field \\w+\\.(\\w+\\.)*${leaf} of type .+$`), `${ep.name} ${field}`);
      }
      assert.deepEqual(await state(), before0, `${ep.name}: something changed`);
    });
  }

  test('ExecStart: wrong types are a 400 and the exec does not run', async () => {
    const created = await d.request('POST', `/containers/${container}/exec`, JSON.stringify({ Cmd: ['touch', '/started'] }), json);
    const execId = (JSON.parse(created.body) as { Id: string }).Id;
    for (const [field, body] of wrongBodies('ExecStart', { Detach: true })) {
      const r = await d.request('POST', `/exec/${execId}/start`, JSON.stringify(body), json);
      assert.equal(r.status, 400, `${field}: ${r.body}`);
    }
    const e = JSON.parse((await d.request('GET', `/exec/${execId}/json`)).body) as { Running: boolean; Pid: number; ExitCode: number | null };
    assert.deepEqual({ running: e.Running, pid: e.Pid, exit: e.ExitCode }, { running: false, pid: 0, exit: null });
  });

  test('the issue\'s cases, in dockerd\'s words; an unknown capability is refused at create', async () => {
    const cases: Array<[string, unknown, string]> = [
      [`/containers/${container}/exec`, { User: 1000, Cmd: ['id'] }, 'json: cannot unmarshal number into Go struct field ExecConfig.User of type string'],
      [`/containers/${container}/exec`, { Cmd: 'id' }, 'json: cannot unmarshal string into Go struct field ExecConfig.Cmd of type []string'],
      [`/containers/${container}/exec`, { Cmd: ['id'], WorkingDir: 1 }, 'json: cannot unmarshal number into Go struct field ExecConfig.WorkingDir of type string'],
      [`/containers/${container}/exec`, { Cmd: ['id'], Tty: 'str' }, 'json: cannot unmarshal string into Go struct field ExecConfig.Tty of type bool'],
      [`/containers/${container}/exec`, { Cmd: ['id'], DetachKeys: true }, 'json: cannot unmarshal bool into Go struct field ExecConfig.DetachKeys of type string'],
      ['/containers/create', { Image: 'busybox', HostConfig: { Memory: '1g' } }, 'json: cannot unmarshal string into Go struct field HostConfig.HostConfig.Memory of type int64'],
      ['/containers/create', { Image: 'busybox', HostConfig: { CapAdd: ['../../X'] } }, 'invalid CapAdd: unknown capability: "CAP_../../X"'],
    ];
    const before0 = await state();
    for (const [path, body, message] of cases) {
      const r = await d.request('POST', path, JSON.stringify(body), json);
      assert.deepEqual({ status: r.status, body: JSON.parse(r.body) as unknown }, { status: 400, body: { message } });
    }
    assert.deepEqual(await state(), before0);
    // What clients send stays accepted: a string Cmd (Docker's strslice), nulls for absent fields.
    const ok = await d.request('POST', '/containers/create', JSON.stringify({ Image: 'busybox', Cmd: 'true', Entrypoint: null, Env: null, HostConfig: { CapAdd: 'NET_ADMIN', Binds: null, PortBindings: null } }), json);
    assert.equal(ok.status, 201, ok.body);
    await d.request('DELETE', `/containers/${(JSON.parse(ok.body) as { Id: string }).Id}?force=1`);
  });
});
