import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ExpositionWriter, Histogram, formatLabels } from '../src/prometheus-text.ts';
import { SidecarMetrics } from '../src/sidecar-metrics.ts';

test('label values escape backslash, double quote and newline', () => {
  assert.equal(formatLabels({ route: 'a"b\\c\nd', status: 200 }), '{route="a\\"b\\\\c\\nd",status="200"}');
  assert.equal(formatLabels({}), '');
});

test('a histogram writes cumulative buckets, +Inf, sum and count', () => {
  const histogram = new Histogram([0.1, 1]);
  for (const value of [0.05, 0.1, 0.5, 3]) histogram.observe(value);
  const out = new ExpositionWriter().family('h', 'histogram', 'a histogram');
  histogram.write(out, 'h', { outcome: 'ok' });
  assert.equal(out.text(), [
    '# HELP h a histogram',
    '# TYPE h histogram',
    'h_bucket{outcome="ok",le="0.1"} 2',
    'h_bucket{outcome="ok",le="1"} 3',
    'h_bucket{outcome="ok",le="+Inf"} 4',
    'h_sum{outcome="ok"} 3.65',
    'h_count{outcome="ok"} 4',
    '',
  ].join('\n'));
});

test('the sidecar metrics: requests by route, method and status; auth failures by reason; gauges from the snapshot', () => {
  const metrics = new SidecarMetrics('notes');
  metrics.countRequest('/mcp', 'POST', 200);
  metrics.countRequest('/mcp', 'POST', 200);
  metrics.countRequest('/mcp', 'POST', 401);
  metrics.countAuthFailure('expired');
  metrics.observeToolCall('error', 1500);
  const text = metrics.render({ sessions: 2, children: 3, childCrashes: 1, childRestarts: 0 });
  assert.match(text, /^mcp_http_requests_total\{server="notes",route="\/mcp",method="POST",status="200"\} 2$/m);
  assert.match(text, /^mcp_http_requests_total\{server="notes",route="\/mcp",method="POST",status="401"\} 1$/m);
  assert.match(text, /^mcp_auth_failures_total\{server="notes",reason="expired"\} 1$/m);
  assert.match(text, /^mcp_tool_call_duration_seconds_bucket\{server="notes",outcome="error",le="1"\} 0$/m);
  assert.match(text, /^mcp_tool_call_duration_seconds_bucket\{server="notes",outcome="error",le="2.5"\} 1$/m);
  assert.match(text, /^mcp_sessions\{server="notes"\} 2$/m);
  assert.match(text, /^mcp_children\{server="notes"\} 3$/m);
  assert.match(text, /^mcp_child_crashes_total\{server="notes"\} 1$/m);
  assert.doesNotMatch(text, /mcp_upstream_up/, 'gauges the snapshot does not have are left out');
  for (const line of text.trimEnd().split('\n')) assert.match(line, /^(# (HELP|TYPE) \w+ .+|\w+(\{[^}]*\})? -?[\d.e+-]+|\w+(\{[^}]*\})? \+Inf)$/, line);
});
