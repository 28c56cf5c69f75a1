import { open, stat } from 'node:fs/promises';
import type { FleetConfig, ServerConfig } from '@mcp-fleet/config';
import { logFile } from './fleet-apps.ts';

/** The last `count` lines of a replica's log (pm2 writes it under stateDir/logs). */
export async function lastLogLines(config: FleetConfig, server: ServerConfig, count: number, replica = 0): Promise<string[]> {
  const file = logFile(config, server, replica);
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch {
    return [];
  }
  const length = Math.min(size, 256 * 1024);
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, size - length);
    return buffer.toString('utf8').split('\n').filter((line) => line.trim() !== '').slice(-count);
  } finally {
    await handle.close();
  }
}
