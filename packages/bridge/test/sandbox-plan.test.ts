// What a sandboxed child is shown again under the hidden places (/tmp, the homes, stateDir):
// the server's command and scripts, with what they need to run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { planSandbox } from '../src/sandbox/plan.ts';

const sandbox = (root: string) => ({ network: 'any', read: [], write: [], home: join(root, 'state', 'homes', 's'), stateDir: join(root, 'state'), configFile: join(root, 'fleet.json') }) as never;

test('a server installed in a checkout under /tmp: the whole checkout is shown, so the package finds its hoisted dependencies', (t) => {
  const checkout = mkdtempSync('/tmp/mcp-fleet-plan-');
  t.after(() => rmSync(checkout, { recursive: true, force: true }));
  const script = join(checkout, 'node_modules', '@scope', 'server', 'dist', 'index.js');
  mkdirSync(join(checkout, 'node_modules', '@scope', 'server', 'dist'), { recursive: true });
  mkdirSync(join(checkout, 'node_modules', 'dependency'), { recursive: true });
  writeFileSync(join(checkout, 'package.json'), '{}');
  writeFileSync(join(checkout, 'node_modules', '@scope', 'server', 'package.json'), '{}');
  writeFileSync(script, '');
  const plan = planSandbox({ command: process.execPath, args: [script], cwd: checkout, path: '/usr/bin:/bin' }, sandbox(checkout));
  assert.ok(plan.showBack.includes(checkout), `shown: ${plan.showBack.join(', ')}`);
});

test('a script outside node_modules under /tmp: its nearest project (package.json), not all of /tmp', (t) => {
  const dir = mkdtempSync('/tmp/mcp-fleet-plan-');
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'project', 'src'), { recursive: true });
  writeFileSync(join(dir, 'project', 'package.json'), '{}');
  writeFileSync(join(dir, 'project', 'src', 'server.js'), '');
  const plan = planSandbox({ command: process.execPath, args: [join(dir, 'project', 'src', 'server.js')], cwd: dir, path: '/usr/bin:/bin' }, sandbox(dir));
  assert.ok(plan.showBack.includes(join(dir, 'project')), `shown: ${plan.showBack.join(', ')}`);
  assert.ok(!plan.showBack.includes('/tmp'));
});

test('npx run in a project under /tmp: that project\'s node_modules and package.json are shown, not the directory', (t) => {
  const project = mkdtempSync('/tmp/mcp-fleet-plan-');
  t.after(() => rmSync(project, { recursive: true, force: true }));
  mkdirSync(join(project, 'node_modules', '@scope', 'server'), { recursive: true });
  mkdirSync(join(project, 'pm2'), { recursive: true });
  writeFileSync(join(project, 'package.json'), '{}');
  const plan = planSandbox({ command: 'npx', args: ['-y', '@scope/server'], cwd: project, path: '/usr/bin:/bin' }, sandbox(project));
  assert.ok(plan.showBack.includes(join(project, 'node_modules')), `shown: ${plan.showBack.join(', ')}`);
  assert.ok(plan.showBack.includes(join(project, 'package.json')));
  assert.ok(!plan.showBack.includes(project), 'not the directory itself (its pm2/ stays hidden)');
});
