// Plain CommonJS on purpose: it must run on any old Node (npm preinstall and the
// bin shims call it before a .ts file is touched), so no type stripping, no ESM-only syntax.
'use strict';

const NEEDED = [22, 13];
// The npm package `node` brings the node binary only: npm@11 beside it, or that PATH has no npm.
const GET_NODE = 'npm install -g --prefix "$HOME/.local/node24" node@24 npm@11 && export PATH="$HOME/.local/node24/bin:$PATH"';

/** The one line a newcomer sees, or undefined when this Node can run mcp-fleet. */
function nodeVersionProblem(version) {
  const [major, minor] = String(version).split('.').map(Number);
  if (major > NEEDED[0] || (major === NEEDED[0] && minor >= NEEDED[1])) return undefined;
  return `mcp-fleet needs Node >= ${NEEDED.join('.')} (this is Node ${version}); get Node 24 with: ${GET_NODE}`;
}

/** Exits with status 1 and that line when this Node is too old. */
function requireNode() {
  const problem = nodeVersionProblem(process.versions.node);
  if (problem === undefined) return;
  process.stderr.write(problem + '\n');
  process.exit(1);
}

module.exports = { nodeVersionProblem, requireNode };

// `node packages/config/require-node.cjs` is the root package's preinstall.
if (require.main === module) requireNode();
