import { describe, expect, it } from 'vitest';
import { formatPrometheusText } from './prometheus-text.js';

describe('formatPrometheusText', () => {
  it('writes HELP, TYPE and samples, with labels and the sum and count of a summary', () => {
    const text = formatPrometheusText([
      { name: 'agentos_things_total', help: 'Things.', type: 'counter', samples: [{ value: 3 }] },
      {
        name: 'agentos_wait_seconds',
        help: 'Waits.',
        type: 'summary',
        samples: [
          { labels: { quantile: '0.5' }, value: 0.25 },
          { suffix: '_sum', value: 1.5 },
          { suffix: '_count', value: 4 },
        ],
      },
      { name: 'agentos_unset', help: 'Declared, no sample yet.', type: 'gauge', samples: [] },
    ]);
    expect(text).toBe(
      [
        '# HELP agentos_things_total Things.',
        '# TYPE agentos_things_total counter',
        'agentos_things_total 3',
        '# HELP agentos_wait_seconds Waits.',
        '# TYPE agentos_wait_seconds summary',
        'agentos_wait_seconds{quantile="0.5"} 0.25',
        'agentos_wait_seconds_sum 1.5',
        'agentos_wait_seconds_count 4',
        '# HELP agentos_unset Declared, no sample yet.',
        '# TYPE agentos_unset gauge',
        '',
      ].join('\n'),
    );
  });

  it('escapes help text and label values, and spells NaN and infinities as Prometheus parses them', () => {
    const text = formatPrometheusText([
      {
        name: 'agentos_odd',
        help: 'a \\ b\nc "quoted"',
        type: 'gauge',
        samples: [
          { labels: { path: 'C:\\dir\n"x"' }, value: Number.NaN },
          { labels: { path: 'up' }, value: Number.POSITIVE_INFINITY },
          { labels: { path: 'down' }, value: Number.NEGATIVE_INFINITY },
          { labels: { path: 'tiny' }, value: 1e-7 },
        ],
      },
    ]);
    expect(text.split('\n')).toEqual([
      '# HELP agentos_odd a \\\\ b\\nc "quoted"',
      '# TYPE agentos_odd gauge',
      'agentos_odd{path="C:\\\\dir\\n\\"x\\""} NaN',
      'agentos_odd{path="up"} +Inf',
      'agentos_odd{path="down"} -Inf',
      'agentos_odd{path="tiny"} 1e-7',
      '',
    ]);
  });

  it('refuses, naming the metric, what Prometheus would not parse or would misread', () => {
    expect(() => formatPrometheusText([{ name: 'agentos-bad', help: '', type: 'gauge', samples: [] }])).toThrow(
      /metric name "agentos-bad"/,
    );
    expect(() => formatPrometheusText([{ name: 'agentos_things', help: '', type: 'counter', samples: [] }])).toThrow(
      /counter agentos_things must be named \*_total/,
    );
    expect(() =>
      formatPrometheusText([
        { name: 'agentos_g', help: '', type: 'gauge', samples: [{ labels: { 'bad-label': 'x' }, value: 1 }] },
      ]),
    ).toThrow(/label name "bad-label" of agentos_g/);
    expect(() =>
      formatPrometheusText([
        { name: 'agentos_g', help: '', type: 'gauge', samples: [{ labels: { __name__: 'x' }, value: 1 }] },
      ]),
    ).toThrow(/label name "__name__"/);
    const twice = { name: 'agentos_g', help: '', type: 'gauge', samples: [] } as const;
    expect(() => formatPrometheusText([twice, twice])).toThrow(/agentos_g is declared twice/);
  });

  it('writes nothing for no families', () => {
    expect(formatPrometheusText([])).toBe('');
  });
});
