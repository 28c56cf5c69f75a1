import { test } from 'node:test';
import assert from 'node:assert/strict';
import { refuseRedirectUri } from '@mcp-fleet/auth';

test('A5: the redirect URIs real clients register are accepted', () => {
  for (const uri of [
    'https://claude.ai/api/mcp/auth_callback', 'https://claude.com/api/mcp/auth_callback',
    'https://chatgpt.com/connector/oauth/abc123', 'https://vscode.dev/redirect',
    'http://127.0.0.1/', 'http://127.0.0.1:33418/', 'http://localhost:6274/oauth/callback', 'http://[::1]:8080/cb',
    'cursor://anysphere.cursor-mcp/oauth/callback',
  ]) assert.equal(refuseRedirectUri(uri), undefined, uri);
});

test('A5: everything else is refused with a reason', () => {
  for (const [uri, reason] of [
    ['http://evil.example/cb', /non-loopback/], ['http://192.168.1.5/cb', /non-loopback/],
    ['javascript:alert(1)', /javascript/], ['data:text/html,hi', /data/], ['file:///etc/passwd', /file/],
    ['https://app.example.com/cb#x', /fragment/], ['/relative/path', /not an absolute URI/],
  ] as const) assert.match(refuseRedirectUri(uri) ?? '', reason, uri);
});
