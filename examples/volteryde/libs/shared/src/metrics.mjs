// Request metrics in the Prometheus text format (version 0.0.4), kept in memory.
// Labels use the route pattern, never the raw URL, so that query strings and ids cannot blow up
// the number of series.

const escapeLabel = (value) => String(value).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

export function createRequestMetrics(service) {
  const requests = new Map();
  const durations = new Map();
  const startedAt = Date.now();

  return {
    observe(method, route, status, seconds) {
      const key = JSON.stringify([method, route, String(status)]);
      requests.set(key, (requests.get(key) ?? 0) + 1);
      const routeKey = JSON.stringify([method, route]);
      const d = durations.get(routeKey) ?? { sum: 0, count: 0 };
      durations.set(routeKey, { sum: d.sum + seconds, count: d.count + 1 });
    },

    render() {
      const s = `service="${escapeLabel(service)}"`;
      const lines = ['# HELP http_requests_total Requests served, by method, route and status code.', '# TYPE http_requests_total counter'];
      for (const [key, count] of [...requests].sort()) {
        const [method, route, code] = JSON.parse(key);
        lines.push(`http_requests_total{${s},method="${method}",route="${escapeLabel(route)}",code="${code}"} ${count}`);
      }
      lines.push('# HELP http_request_duration_seconds Time to serve a request.', '# TYPE http_request_duration_seconds summary');
      for (const [key, { sum, count }] of [...durations].sort()) {
        const [method, route] = JSON.parse(key);
        const labels = `${s},method="${method}",route="${escapeLabel(route)}"`;
        lines.push(`http_request_duration_seconds_sum{${labels}} ${sum.toFixed(6)}`, `http_request_duration_seconds_count{${labels}} ${count}`);
      }
      lines.push('# HELP process_uptime_seconds Seconds since the service started.', '# TYPE process_uptime_seconds gauge');
      lines.push(`process_uptime_seconds{${s}} ${((Date.now() - startedAt) / 1000).toFixed(3)}`);
      return `${lines.join('\n')}\n`;
    },
  };
}
