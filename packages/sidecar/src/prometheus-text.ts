// The Prometheus text exposition format (version 0.0.4), written by hand: a
// few families of counters, gauges and one histogram need no client library.

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export type Labels = Readonly<Record<string, string | number>>;

function escapeLabelValue(value: string): string {
  return value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n');
}

export function formatLabels(labels: Labels): string {
  const pairs = Object.entries(labels).map(([name, value]) => `${name}="${escapeLabelValue(String(value))}"`);
  return pairs.length === 0 ? '' : `{${pairs.join(',')}}`;
}

/** Collects one exposition: each family is a HELP and TYPE line followed by its samples. */
export class ExpositionWriter {
  readonly #lines: string[] = [];

  family(name: string, type: 'counter' | 'gauge' | 'histogram', help: string): this {
    this.#lines.push(`# HELP ${name} ${help.replaceAll('\\', '\\\\').replaceAll('\n', '\\n')}`, `# TYPE ${name} ${type}`);
    return this;
  }

  sample(name: string, labels: Labels, value: number): this {
    this.#lines.push(`${name}${formatLabels(labels)} ${formatValue(value)}`);
    return this;
  }

  text(): string {
    return `${this.#lines.join('\n')}\n`;
  }
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

/** Upper bounds of a histogram's buckets, in its unit; `+Inf` is implied. */
export class Histogram {
  readonly bounds: readonly number[];
  /** Per bucket (not cumulative), the last one for values above every bound. */
  readonly #counts: number[];
  sum = 0;
  count = 0;

  constructor(bounds: readonly number[]) {
    this.bounds = bounds;
    this.#counts = new Array<number>(bounds.length + 1).fill(0);
  }

  observe(value: number): void {
    let index = 0;
    while (index < this.bounds.length && value > this.bounds[index]) index += 1;
    this.#counts[index] += 1;
    this.sum += value;
    this.count += 1;
  }

  write(out: ExpositionWriter, name: string, labels: Labels): void {
    let cumulative = 0;
    for (let index = 0; index < this.bounds.length; index += 1) {
      cumulative += this.#counts[index];
      out.sample(`${name}_bucket`, { ...labels, le: this.bounds[index] }, cumulative);
    }
    out.sample(`${name}_bucket`, { ...labels, le: '+Inf' }, this.count);
    out.sample(`${name}_sum`, labels, this.sum);
    out.sample(`${name}_count`, labels, this.count);
  }
}
