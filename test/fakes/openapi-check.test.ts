import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkRequest, loadSpec } from './openapi-check';

const spec = loadSpec();
const request = (method: string, path: string, body?: unknown, query = '') => ({
  method,
  path,
  query: new URLSearchParams(query),
  body: Buffer.from(body === undefined ? '' : JSON.stringify(body)),
});

test('a request that fits has no problems', () => {
  assert.equal(
    checkRequest(
      spec,
      request('POST', '/servers', { name: 'a', server_type: 'cx23', image: 'ubuntu-24.04', labels: {} }),
    ),
    [],
  );
  assert.equal(checkRequest(spec, request('GET', '/servers', undefined, 'label_selector=a&page=2')), []);
});

test('unknown paths and methods are caught', () => {
  assert.match(checkRequest(spec, request('GET', '/serverz'))[0]!, /no such path/);
  assert.match(checkRequest(spec, request('PATCH', '/servers/1'))[0]!, /has no PATCH/);
});

test('missing required and unknown body properties are caught', () => {
  const problems = checkRequest(spec, request('POST', '/servers', { name: 'a', image: 'x', sshKeys: [] }));
  assert.equal(problems, [
    "POST /servers: missing required property 'server_type'",
    "POST /servers: unknown property 'sshKeys'",
  ]);
  assert.equal(checkRequest(spec, request('POST', '/servers/1/actions/change_type', { server_type: 'cx33' })), [
    "POST /servers/1/actions/change_type: missing required property 'upgrade_disk'",
  ]);
});

test('wrong property types and undeclared query parameters are caught', () => {
  assert.equal(checkRequest(spec, request('POST', '/ssh_keys', { name: 1, public_key: 'k' })), [
    "POST /ssh_keys: 'name' should be string, got 1",
  ]);
  assert.equal(checkRequest(spec, request('GET', '/servers', undefined, 'labels=x')), [
    "GET /servers: undeclared query parameter 'labels'",
  ]);
});

test.run();
