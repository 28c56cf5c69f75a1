import { hashPassword } from '@mcp-fleet/auth';
import { errors } from '../errors.ts';

/** Reads a password without echo at a terminal, or one line from a pipe, and hashes it for the config. */
export async function hashPasswordFrom(input: NodeJS.ReadStream, output: NodeJS.WriteStream): Promise<string> {
  const password = input.isTTY ? await readHidden(input, output) : await readLine(input);
  if (!password) throw errors.FLEET_ERR_NO_TTY();
  return hashPassword(password);
}

async function readLine(input: NodeJS.ReadStream): Promise<string> {
  let text = '';
  for await (const chunk of input) {
    text += String(chunk);
    if (text.includes('\n')) break;
  }
  return text.split(/\r?\n/)[0];
}

async function readHidden(input: NodeJS.ReadStream, output: NodeJS.WriteStream): Promise<string> {
  output.write('Password: ');
  input.setRawMode(true);
  input.resume();
  let password = '';
  try {
    for await (const chunk of input) {
      for (const char of String(chunk)) {
        if (char === '\r' || char === '\n') return password;
        if (char === '\u0003') throw errors.FLEET_ERR_USAGE('cancelled');
        if (char === '\u007f') password = password.slice(0, -1);
        else password += char;
      }
    }
    return password;
  } finally {
    input.setRawMode(false);
    input.pause();
    output.write('\n');
  }
}
