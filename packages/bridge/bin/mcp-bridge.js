#!/usr/bin/env node
// mcp-bridge entry: plain JS so an old Node reaches the version check and says which
// Node to get, instead of failing on the .ts main with ERR_UNKNOWN_FILE_EXTENSION.
import { requireNode } from '@mcp-fleet/config/require-node';

requireNode();
await import('../src/main.ts');
