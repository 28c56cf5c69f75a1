// The `data:` payloads of a complete `text/event-stream` body, one string per event.

export function eventData(body: string): string[] {
  const events: string[] = [];
  let data: string[] = [];
  for (const line of body.split(/\r\n|\r|\n/)) {
    if (line === '') {
      if (data.length > 0) events.push(data.join('\n'));
      data = [];
    } else if (line.startsWith('data:')) {
      data.push(line.slice(line[5] === ' ' ? 6 : 5));
    }
  }
  if (data.length > 0) events.push(data.join('\n'));
  return events.filter((payload) => payload.trim() !== '');
}
