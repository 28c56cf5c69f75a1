import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AdapterPayload } from 'oidc-provider';

import type { Storage } from '../../src/storage/index.ts';

/** One isolated namespace of a backend (a fresh file, a fresh key prefix) that can be opened again. */
export type StorageFixture = {
  /** Opens the store; a second call reaches the same data, as a restart would. */
  open(): Storage;
  /** Whether the row is still physically stored, expired or not. */
  rowExists(storage: Storage, model: string, id: string): Promise<boolean>;
  /** What the backend does about expired rows (sqlite: purgeExpired(); Redis: nothing, TTLs did it). */
  removeExpired(storage: Storage): Promise<void>;
};

export type AdapterContractOptions = {
  newFixture(t: TestContext): Promise<StorageFixture> | StorageFixture;
};

const epochSeconds = () => Math.floor(Date.now() / 1000);

function openClosing(t: TestContext, fixture: StorageFixture): Storage {
  const storage = fixture.open();
  t.after(() => storage.close());
  return storage;
}

async function setUp(t: TestContext, options: AdapterContractOptions): Promise<{ fixture: StorageFixture; storage: Storage }> {
  const fixture = await options.newFixture(t);
  return { fixture, storage: openClosing(t, fixture) };
}

/** A payload with the shapes JSON must carry through intact: nesting, empty arrays, unicode. */
function accessToken(grantId: string, extra: Partial<AdapterPayload> = {}): AdapterPayload {
  return {
    kind: 'AccessToken', accountId: 'alice', clientId: 'client-1', grantId, scope: 'openid offline_access',
    iat: epochSeconds(), exp: epochSeconds() + 3600, aud: ['https://mcp.example.com/mcp'],
    extra: { name: 'Zoë 🚀', tags: [], nested: { empty: {} } }, ...extra,
  };
}

/**
 * The oidc-provider Adapter contract and the revoked-grant store, run against
 * any backend as subtests of `t`.
 */
export async function adapterContract(t: TestContext, options: AdapterContractOptions): Promise<void> {
  await t.test('upsert then find returns the payload as stored; unknown ids and other models find nothing', async (t) => {
    const { storage } = await setUp(t, options);
    const tokens = new storage.Adapter('AccessToken');
    const payload = accessToken('grant-1', { jti: 'at-1' });
    await tokens.upsert('at-1', payload, 3600);
    assert.deepEqual(await tokens.find('at-1'), payload);
    assert.deepEqual(await new storage.Adapter('AccessToken').find('at-1'), payload, 'a second instance per model sees the same rows');
    assert.equal(await tokens.find('missing'), undefined);
    assert.equal(await new storage.Adapter('RefreshToken').find('at-1'), undefined);

    const replaced = accessToken('grant-1', { jti: 'at-1', scope: 'openid' });
    await tokens.upsert('at-1', replaced, 3600);
    assert.deepEqual(await tokens.find('at-1'), replaced, 'upsert replaces');
  });

  await t.test('a registered client (no expiresIn) and its tokens survive a restart', async (t) => {
    const { fixture, storage } = await setUp(t, options);
    const client = { client_id: 'c1', redirect_uris: ['http://127.0.0.1/cb'], grant_types: [], client_name: 'Claude' };
    await new storage.Adapter('Client').upsert('c1', client);
    await new storage.Adapter('RefreshToken').upsert('rt-1', { kind: 'RefreshToken', grantId: 'g' }, 3600);
    await storage.close();

    const reopened = openClosing(t, fixture);
    assert.deepEqual(await new reopened.Adapter('Client').find('c1'), client);
    assert.deepEqual(await new reopened.Adapter('RefreshToken').find('rt-1'), { kind: 'RefreshToken', grantId: 'g' });
  });

  await t.test('expired rows are invisible to find at once and are then removed', async (t) => {
    const { fixture, storage } = await setUp(t, options);
    const codes = new storage.Adapter('AuthorizationCode');
    const sessions = new storage.Adapter('Session');
    await codes.upsert('short', { kind: 'AuthorizationCode', grantId: 'g' }, 1);
    await codes.upsert('long', { kind: 'AuthorizationCode', grantId: 'g' }, 3600);
    await sessions.upsert('s-short', { kind: 'Session', uid: 'uid-short' }, 1);
    await new storage.Adapter('Client').upsert('forever', { client_id: 'forever' });
    await codes.upsert('gone-already', { kind: 'AuthorizationCode' }, 0);
    assert.equal(await codes.find('gone-already'), undefined, 'expiresIn 0 is expired on arrival');

    await sleep(1_200);
    assert.equal(await codes.find('short'), undefined);
    assert.equal(await sessions.findByUid('uid-short'), undefined);
    assert.ok(await codes.find('long'));
    assert.ok(await new storage.Adapter('Client').find('forever'));

    await fixture.removeExpired(storage);
    assert.equal(await fixture.rowExists(storage, 'AuthorizationCode', 'short'), false);
    assert.equal(await fixture.rowExists(storage, 'Session', 's-short'), false);
    assert.equal(await fixture.rowExists(storage, 'AuthorizationCode', 'long'), true);
  });

  await t.test('consume sets payload.consumed to epoch seconds and keeps the rest', async (t) => {
    const { storage } = await setUp(t, options);
    const codes = new storage.Adapter('AuthorizationCode');
    const payload: AdapterPayload = { kind: 'AuthorizationCode', grantId: 'g', clientId: 'c1', redirectUri: 'http://127.0.0.1/cb' };
    await codes.upsert('code-1', payload, 60);
    assert.equal((await codes.find('code-1'))?.consumed, undefined);

    const before = epochSeconds();
    await codes.consume('code-1');
    const found = await codes.find('code-1');
    assert.ok(found);
    assert.equal(typeof found.consumed, 'number');
    assert.ok(found.consumed >= before && found.consumed <= epochSeconds(), `consumed ${found.consumed} is now in epoch seconds`);
    assert.deepEqual({ ...found, consumed: undefined }, { ...payload, consumed: undefined });

    await codes.consume('never-stored');
    assert.equal(await codes.find('never-stored'), undefined, 'consume does not create rows');
  });

  await t.test('destroy removes one row and its lookups, and ignores unknown ids', async (t) => {
    const { fixture, storage } = await setUp(t, options);
    const sessions = new storage.Adapter('Session');
    await sessions.upsert('s-1', { kind: 'Session', uid: 'uid-1', accountId: 'alice' }, 600);
    await sessions.upsert('s-2', { kind: 'Session', uid: 'uid-2', accountId: 'bob' }, 600);
    await sessions.destroy('s-1');
    await sessions.destroy('not-there');
    assert.equal(await sessions.find('s-1'), undefined);
    assert.equal(await sessions.findByUid('uid-1'), undefined);
    assert.equal(await fixture.rowExists(storage, 'Session', 's-1'), false);
    assert.equal((await sessions.find('s-2'))?.accountId, 'bob');
  });

  await t.test('findByUid finds the Session with that uid', async (t) => {
    const { storage } = await setUp(t, options);
    const sessions = new storage.Adapter('Session');
    const payload: AdapterPayload = { kind: 'Session', uid: 'uid-7', accountId: 'alice', authorizations: { c1: { grantId: 'g', sid: 'sid' } } };
    await sessions.upsert('s-7', payload, 600);
    assert.deepEqual(await sessions.findByUid('uid-7'), payload);
    assert.equal(await sessions.findByUid('uid-8'), undefined);
    assert.equal(await new storage.Adapter('Interaction').findByUid('uid-7'), undefined, 'lookups are per model');
  });

  await t.test('findByUserCode finds the DeviceCode with that user code', async (t) => {
    const { storage } = await setUp(t, options);
    const deviceCodes = new storage.Adapter('DeviceCode');
    const payload: AdapterPayload = { kind: 'DeviceCode', userCode: 'WDJB-MJHT', clientId: 'c1', grantId: 'g' };
    await deviceCodes.upsert('dc-1', payload, 600);
    assert.deepEqual(await deviceCodes.findByUserCode('WDJB-MJHT'), payload);
    assert.equal(await deviceCodes.findByUserCode('XXXX-XXXX'), undefined);
  });

  await t.test('revokeByGrantId removes every token of the grant across models, and nothing else', async (t) => {
    const { fixture, storage } = await setUp(t, options);
    const adapter = (model: string) => new storage.Adapter(model);
    await adapter('AccessToken').upsert('at-1', accessToken('g1'), 3600);
    await adapter('AccessToken').upsert('at-2', accessToken('g1'), 60);
    await adapter('RefreshToken').upsert('rt-1', { kind: 'RefreshToken', grantId: 'g1' }, 86_400);
    await adapter('AuthorizationCode').upsert('ac-1', { kind: 'AuthorizationCode', grantId: 'g1' }, 60);
    await adapter('DeviceCode').upsert('dc-1', { kind: 'DeviceCode', grantId: 'g1', userCode: 'AAAA-BBBB' }, 600);
    await adapter('AccessToken').upsert('at-other', accessToken('g2'), 3600);
    await adapter('Grant').upsert('g1', { kind: 'Grant', accountId: 'alice', clientId: 'client-1' }, 86_400);
    await adapter('Interaction').upsert('i-1', { kind: 'Interaction', grantId: 'g1' }, 600);

    await adapter('RefreshToken').revokeByGrantId('g1');

    for (const [model, id] of [['AccessToken', 'at-1'], ['AccessToken', 'at-2'], ['RefreshToken', 'rt-1'],
      ['AuthorizationCode', 'ac-1'], ['DeviceCode', 'dc-1']]) {
      assert.equal(await adapter(model).find(id), undefined, `${model} ${id} is revoked`);
      assert.equal(await fixture.rowExists(storage, model, id), false, `${model} ${id} is deleted`);
    }
    assert.equal(await adapter('DeviceCode').findByUserCode('AAAA-BBBB'), undefined);
    assert.ok(await adapter('AccessToken').find('at-other'), 'another grant is untouched');
    assert.ok(await adapter('Grant').find('g1'), 'the Grant itself is oidc-provider\'s to destroy (revokeGrantPolicy)');
    assert.ok(await adapter('Interaction').find('i-1'), 'a pending interaction is not a credential');
    await adapter('AccessToken').revokeByGrantId('g1');
    await adapter('AccessToken').revokeByGrantId('never-issued');
  });

  await t.test('revoked grants: isRevoked is synchronous, refuses to answer before load, and survives a restart', async (t) => {
    const { fixture, storage } = await setUp(t, options);
    assert.throws(() => storage.revokedGrants.isRevoked('g1'), { code: 'AUTH_ERR_STORAGE_NOT_LOADED' });
    await storage.revokedGrants.load();
    assert.equal(storage.revokedGrants.isRevoked('g1'), false);

    const persisted = storage.revokedGrants.revoke('g1', epochSeconds() + 3600);
    assert.equal(storage.revokedGrants.isRevoked('g1'), true, 'visible before the write resolves');
    await persisted;
    await storage.revokedGrants.revoke('already-expired', epochSeconds() - 1);
    assert.equal(storage.revokedGrants.isRevoked('already-expired'), false);
    await storage.revokedGrants.revoke('short', epochSeconds() + 1);
    assert.equal(storage.revokedGrants.isRevoked('short'), true);
    await storage.close();

    const reopened = openClosing(t, fixture);
    await reopened.revokedGrants.load();
    assert.equal(reopened.revokedGrants.isRevoked('g1'), true, 'a restart loses no revocation');
    assert.equal(reopened.revokedGrants.isRevoked('g2'), false);
    assert.equal(reopened.revokedGrants.isRevoked('already-expired'), false);

    await sleep(2_100);
    assert.equal(reopened.revokedGrants.isRevoked('short'), false, 'expired entries are dropped');
    await fixture.removeExpired(reopened);
    const third = openClosing(t, fixture);
    await third.revokedGrants.load();
    assert.equal(third.revokedGrants.isRevoked('short'), false);
    assert.equal(third.revokedGrants.isRevoked('g1'), true);
  });
}
