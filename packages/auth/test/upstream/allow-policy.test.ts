import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AllowList } from '@mcp-fleet/config';
import { isAllowed, isConfiguredPasswordUser } from '../../src/upstream/index.ts';
import type { UpstreamUser } from '../../src/upstream/index.ts';

const none: AllowList = { emails: [], domains: [], githubOrgs: [], anyone: false };
const allow = (list: Partial<AllowList>): AllowList => ({ ...none, ...list });
const google = (email: string, emailVerified = true): UpstreamUser => ({ provider: 'google', subject: `google:${email}`, email, emailVerified });

test('an empty list allows nobody; anyone: true allows every upstream user', () => {
  assert.deepEqual(isAllowed(google('alice@example.com'), none), { allowed: false, reason: 'nobody_allowed' });
  assert.deepEqual(isAllowed(google('alice@example.com', false), allow({ anyone: true })), { allowed: true });
  assert.deepEqual(isAllowed({ provider: 'oidc', subject: 'oidc:x', emailVerified: false }, allow({ anyone: true })), { allowed: true });
});

test('emails match a verified email, case-insensitively and exactly', () => {
  const list = allow({ emails: ['alice@example.com'] });
  assert.deepEqual(isAllowed(google('Alice@Example.COM'), list), { allowed: true });
  assert.deepEqual(isAllowed(google('alice@example.com', false), list), { allowed: false, reason: 'unverified_email' });
  assert.deepEqual(isAllowed(google('alice+x@example.com'), list), { allowed: false, reason: 'not_listed' });
  assert.deepEqual(isAllowed(google('malice@example.com'), list), { allowed: false, reason: 'not_listed' });
  assert.deepEqual(isAllowed(google('alice@example.com.evil.test'), list), { allowed: false, reason: 'not_listed' });
  assert.deepEqual(isAllowed({ provider: 'oidc', subject: 'oidc:x', emailVerified: true }, list), { allowed: false, reason: 'not_listed' });
});

test('domains match the verified email\'s exact domain: no suffix tricks, no subdomains', () => {
  const list = allow({ domains: ['example.com'] });
  assert.deepEqual(isAllowed(google('bob@example.com'), list), { allowed: true });
  assert.deepEqual(isAllowed(google('bob@EXAMPLE.com'), list), { allowed: true });
  assert.equal(isAllowed(google('bob@evil-example.com'), list).allowed, false);
  assert.equal(isAllowed(google('bob@notexample.com'), list).allowed, false);
  assert.equal(isAllowed(google('bob@example.com.evil.test'), list).allowed, false);
  assert.equal(isAllowed(google('bob@eng.example.com'), list).allowed, false, 'subdomains must be listed themselves');
  assert.equal(isAllowed(google('"bob@example.com"@evil.test'), list).allowed, false);
  assert.equal(isAllowed(google('bob@evil.test@example.com'), list).allowed, false, 'not one address');
  assert.deepEqual(isAllowed(google('bob@example.com', false), list), { allowed: false, reason: 'unverified_email' });
  assert.equal(isAllowed(google('bob@eng.example.com'), allow({ domains: ['example.com', 'eng.example.com'] })).allowed, true);
});

test('githubOrgs match "org" and "org:team" of GitHub users, case-insensitively', () => {
  const octocat: UpstreamUser = {
    provider: 'github', subject: 'github:1', emailVerified: false, githubOrgs: ['Octo-Org', 'Octo-Org:platform'],
  };
  assert.deepEqual(isAllowed(octocat, allow({ githubOrgs: ['octo-org'] })), { allowed: true });
  assert.deepEqual(isAllowed(octocat, allow({ githubOrgs: ['Octo-Org:Platform'] })), { allowed: true });
  assert.deepEqual(isAllowed(octocat, allow({ githubOrgs: ['octo-org:security'] })), { allowed: false, reason: 'not_listed' });
  assert.deepEqual(isAllowed(octocat, allow({ githubOrgs: ['octo'] })), { allowed: false, reason: 'not_listed' });
  assert.deepEqual(isAllowed({ ...octocat, provider: 'oidc' }, allow({ githubOrgs: ['octo-org'] })), { allowed: false, reason: 'not_listed' },
    'only GitHub users have GitHub orgs');
  const verified: UpstreamUser = { ...octocat, githubOrgs: [], email: 'octocat@example.com', emailVerified: true };
  assert.deepEqual(isAllowed(verified, allow({ githubOrgs: ['octo-org'], domains: ['example.com'] })), { allowed: true }, 'any rule may match');
});

test('password users are allowed when they are configured users, whatever the allow-list says', () => {
  const password = { users: { alice: { passwordHash: 'scrypt$x' } } };
  const alice: UpstreamUser = { provider: 'password', subject: 'password:alice', emailVerified: false };
  const gone: UpstreamUser = { provider: 'password', subject: 'password:bob', emailVerified: false };
  const proto: UpstreamUser = { provider: 'password', subject: 'password:constructor', emailVerified: false };
  assert.equal(isConfiguredPasswordUser(alice, password), true);
  assert.equal(isConfiguredPasswordUser(gone, password), false);
  assert.equal(isConfiguredPasswordUser(proto, password), false);
  assert.equal(isConfiguredPasswordUser(google('alice@example.com'), password), false);
  assert.deepEqual(isAllowed(alice, none, { password }), { allowed: true });
  assert.deepEqual(isAllowed(gone, allow({ anyone: true }), { password }), { allowed: false, reason: 'unknown_password_user' });
  assert.deepEqual(isAllowed(alice, allow({ anyone: true })), { allowed: false, reason: 'unknown_password_user' }, 'no password config given');
});
