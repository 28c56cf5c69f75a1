#!/usr/bin/env node
// mcp-bridge entry: plain JS so an old Node reaches the version check and says which
// Node to get, instead of failing on the .ts main with ERR_UNKNOWN_FILE_EXTENSION.
// A relative path, not @mcp-fleet/config: the check must also run before `npm ci` has
// made node_modules (which an old Node's `npm ci` never does).
import { requireNode } from '../../config/require-node.cjs';

requireNode();
await import('../src/main.ts');
