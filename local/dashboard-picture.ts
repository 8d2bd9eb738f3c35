/**
 * A picture of a CloudWatch dashboard drawn from its definition (the DashboardBody JSON), so the
 * README's docs/dashboard.svg shows what is deployed, not a hand-made mock-up: each widget a box at
 * its place on the 24-column grid, with its title, its kind and what it plots. Pure: body in, SVG out.
 *
 * Positions as the Dashboard Body Structure reference defines them: x 0–23 on the 24-column grid,
 * width 1–24 and height 1–1000 grid units (6 when absent), y from 0
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html#CloudWatch-Dashboard-Properties-Widgets-Structure).
 * A widget that would stick out of the grid is refused rather than clipped: the picture would lie.
 */
import * as z from 'zod/mini';

export const GRID_COLUMNS = 24;
/** Pixels per grid column and per grid row: 24 columns fit a README's width (~960 px) and a 6-row graph holds ~14 lines. */
export const COLUMN_PX = 40;
export const ROW_PX = 42;
export const MARGIN_PX = 8;
/** Room above the grid for the dashboard's name. */
export const HEADER_PX = 32;
/** Space between neighbouring boxes. */
export const GAP_PX = 4;
const PAD_PX = 8;
const TITLE = { size: 13, line: 16, charPx: 7.8 };
const BODY = { size: 11, line: 13, charPx: 6.7 };

const int = (min: number, max: number, what: string) => {
  const message = `${what}: a whole number from ${min}${max === Infinity ? ' up' : ` to ${max}`}`;
  return z.number(message).check(z.int(message), z.gte(min, message), z.lte(max, message));
};

const widgetSchema = z
  .object({
    type: z.string(),
    // Absent x/y mean "the next free place" to CloudWatch; the picture does not guess the flow.
    x: int(0, GRID_COLUMNS - 1, 'the column of the widget\'s left edge (give it: the picture does not flow widgets)'),
    y: int(0, Infinity, 'the row of the widget\'s top edge (give it: the picture does not flow widgets)'),
    width: z._default(int(1, GRID_COLUMNS, 'the widget\'s width in columns'), 6),
    height: z._default(int(1, 1000, 'the widget\'s height in rows'), 6),
    properties: z._default(z.record(z.string(), z.unknown()), {}),
  })
  .check(
    z.refine((w) => w.x + w.width <= GRID_COLUMNS, {
      message: `x + width must be at most ${GRID_COLUMNS} (the grid's width): move the widget left or make it narrower`,
      path: ['width'],
    }),
  );
const bodySchema = z.object({ widgets: z.array(widgetSchema) });

type Widget = z.infer<typeof widgetSchema>;

/** The DashboardBody's widgets, or an error naming each bad field (`widgets[2].x: …`). */
export function parseDashboardBody(body: string): Widget[] {
  const parsed = bodySchema.safeParse(JSON.parse(body));
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `- ${i.path.map((p, n) => (typeof p === 'number' ? `[${p}]` : `${n ? '.' : ''}${String(p)}`)).join('')}: ${i.message}`);
    throw new Error(`The dashboard body cannot be drawn on CloudWatch's 24-column grid:\n${lines.join('\n')}`);
  }
  return parsed.data.widgets;
}

type MetricRow = unknown[];
interface MetricOptions {
  label?: string;
  expression?: string;
  visible?: boolean;
  yAxis?: string;
}

/** One line per metric or expression the widget plots, the right axis's last (hidden inputs of expressions counted, not listed). */
function metricLines(rows: MetricRow[]): string[] {
  const lines: string[] = [];
  const right: string[] = [];
  let hidden = 0;
  for (const row of rows) {
    const last = row[row.length - 1];
    const options = (last !== null && typeof last === 'object' ? last : {}) as MetricOptions;
    if (options.visible === false) {
      hidden += 1;
      continue;
    }
    const axis = options.yAxis === 'right' ? right : lines;
    const label = options.label?.includes('${') ? undefined : options.label;
    if (options.expression) {
      axis.push(label ? `${label} = ${options.expression}` : options.expression);
      continue;
    }
    const metricName = String(row[1] ?? '?');
    axis.push(label && label !== metricName ? `${metricName} · ${label}` : metricName);
  }
  if (hidden) lines.push(`(+${hidden} hidden metric${hidden > 1 ? 's' : ''} the expressions read)`);
  return right.length ? [...lines, 'right axis:', ...right] : lines;
}

const alarmName = (arn: unknown) => String(arn).replace(/^arn:[^:]*:cloudwatch:[^:]*:[^:]*:alarm:/, '');

/** What the box says: its kind, its title and the lines under it. */
function describe(widget: Widget): { kind: string; title: string; lines: string[] } {
  const p = widget.properties;
  const title = typeof p.title === 'string' ? p.title : '';
  const annotations = p.annotations as { alarms?: unknown[] } | undefined;
  switch (widget.type) {
    case 'text':
      return { kind: 'text', title: String(p.markdown ?? '').split('\n')[0]!.replace(/^#+\s*/, ''), lines: [] };
    case 'alarm':
      return { kind: 'alarm', title, lines: ((p.alarms as unknown[] | undefined) ?? []).map(alarmName) };
    case 'log':
      return { kind: 'logs', title, lines: [String(p.query ?? '')] };
    case 'metric': {
      if (annotations?.alarms?.length) return { kind: 'alarm', title, lines: annotations.alarms.map(alarmName) };
      const view = typeof p.view === 'string' ? p.view : 'timeSeries';
      const kind = view === 'singleValue' ? 'number' : `graph · ${view}${p.stacked === true ? ', stacked' : ''}`;
      return { kind, title, lines: metricLines((p.metrics as MetricRow[] | undefined) ?? []) };
    }
    default:
      return { kind: widget.type, title, lines: [] };
  }
}

/** Word wrap at `columns` characters; a word longer than a line is cut after its last comma that fits, or at the line's end. */
export function wrap(text: string, columns: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (let word of text.split(/\s+/).filter(Boolean)) {
    while (word.length > columns) {
      if (line) lines.push(line);
      const cut = word.lastIndexOf(',', columns - 1) + 1 || columns;
      lines.push(word.slice(0, cut));
      word = word.slice(cut);
      line = '';
    }
    if (!line) line = word;
    else if (line.length + 1 + word.length <= columns) line += ` ${word}`;
    else {
      lines.push(line);
      line = word;
    }
  }
  if (line) lines.push(line);
  return lines;
}

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** The box of widget `index`, drawn in its own coordinates, its text kept inside it. */
function widgetSvg(widget: Widget, index: number): string {
  const x = MARGIN_PX + widget.x * COLUMN_PX;
  const y = HEADER_PX + widget.y * ROW_PX;
  const width = widget.width * COLUMN_PX - GAP_PX;
  const height = widget.height * ROW_PX - GAP_PX;
  const { kind, title, lines } = describe(widget);
  const inner = width - 2 * PAD_PX;
  const titleLines = wrap(title || '(untitled)', Math.floor(inner / TITLE.charPx));
  const bodyLines = lines.flatMap((l) => wrap(l, Math.floor(inner / BODY.charPx)));
  let cursor = PAD_PX + BODY.size;
  const texts = [`<text class="kind" x="${PAD_PX}" y="${cursor}">${escape(kind)}</text>`];
  for (const line of titleLines) texts.push(`<text class="title" x="${PAD_PX}" y="${(cursor += TITLE.line)}">${escape(line)}</text>`);
  cursor += 4;
  const room = Math.max(0, Math.floor((height - PAD_PX - cursor) / BODY.line));
  const shown = bodyLines.length > room ? [...bodyLines.slice(0, Math.max(0, room - 1)), `… ${bodyLines.length - room + 1} more lines`] : bodyLines;
  for (const line of shown.slice(0, room)) texts.push(`<text class="metric" x="${PAD_PX}" y="${(cursor += BODY.line)}">${escape(line)}</text>`);
  return [
    `<g data-widget="${index}" transform="translate(${x},${y})">`,
    `<clipPath id="w${index}"><rect width="${width}" height="${height}"/></clipPath>`,
    `<rect class="box ${kind.split(' ')[0]}" width="${width}" height="${height}" rx="4"/>`,
    `<g clip-path="url(#w${index})">${texts.join('')}</g>`,
    '</g>',
  ].join('\n');
}

/** An SVG picture of the dashboard `body` (a DashboardBody JSON string), named `name`. */
export function dashboardPicture(body: string, name: string): string {
  const widgets = parseDashboardBody(body);
  const rows = Math.max(0, ...widgets.map((w) => w.y + w.height));
  const width = 2 * MARGIN_PX + GRID_COLUMNS * COLUMN_PX;
  const height = HEADER_PX + rows * ROW_PX + MARGIN_PX;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    '<style>',
    'text{font-family:-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;fill:#16191f}',
    `.header{font-size:15px;font-weight:bold}.title{font-size:${TITLE.size}px;font-weight:bold}.kind{font-size:${BODY.size}px;fill:#5f6b7a}`,
    `.metric{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:${BODY.size}px}`,
    '.box{fill:#fff;stroke:#9ba7b6}.graph{fill:#f2f8fd}.number{fill:#f2fcf3}.text{fill:#fafafa}.alarm{fill:#fff7f5}',
    '</style>',
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text class="header" x="${MARGIN_PX}" y="${HEADER_PX - 12}">CloudWatch dashboard ${escape(name)} (${GRID_COLUMNS}-column grid, drawn from its definition)</text>`,
    ...widgets.map(widgetSvg),
    '</svg>',
    '',
  ].join('\n');
}

/** The picture of the one dashboard of a stack (SynthesizedWorkflow.dashboards: name → body), for docs/dashboard.svg. */
export function stackDashboardPicture(dashboards: Record<string, string>): string {
  const entries = Object.entries(dashboards);
  if (entries.length !== 1) throw new Error(`expected one dashboard in the template, found ${entries.length} (is "dashboard": false in cdk.json?)`);
  const [name, body] = entries[0]!;
  return dashboardPicture(body, name);
}
