import { COLUMN_PX, GAP_PX, HEADER_PX, MARGIN_PX, ROW_PX, dashboardPicture, wrap } from '../../local/dashboard-picture';

type Widget = Record<string, unknown>;
const body = (...widgets: Widget[]) => JSON.stringify({ widgets });

/** The SVG group drawn for widget `index`: where it sits, its box's size and its texts. */
function drawn(svg: string, index: number) {
  const group = new RegExp(`<g data-widget="${index}" transform="translate\\((\\d+),(\\d+)\\)">([\\s\\S]*?)\\n</g>`).exec(svg);
  if (!group) throw new Error(`widget ${index} is not drawn`);
  const box = /<rect class="box [^"]*" width="(\d+)" height="(\d+)"/.exec(group[3]!)!;
  const texts = [...group[3]!.matchAll(/<text class="(\w+)" x="\d+" y="(\d+)">([^<]*)<\/text>/g)].map((m) => ({ cls: m[1]!, y: Number(m[2]), text: m[3]! }));
  return { x: Number(group[1]), y: Number(group[2]), width: Number(box[1]), height: Number(box[2]), texts };
}

const graph = (x: number, y: number, width: number, height: number, properties: Widget): Widget => ({ type: 'metric', x, y, width, height, properties });

// Positions as the Dashboard Body Structure reference defines them (x 0–23, width 1–24, height 1–1000, default 6):
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html#CloudWatch-Dashboard-Properties-Widgets-Structure
describe('dashboard picture (local/dashboard-picture.ts)', () => {
  test('GIVEN a graph at x 6, y 3, 12 × 4 units THEN its box sits there on the 24-column grid, with its title, kind and metrics', () => {
    const svg = dashboardPicture(
      body(
        { type: 'text', x: 0, y: 0, width: 24, height: 3, properties: { markdown: '# Promotions\n\nsecond line' } },
        graph(6, 3, 12, 4, {
          title: 'Model latency',
          view: 'timeSeries',
          metrics: [
            ['AWS/SageMaker', 'ModelLatency', 'EndpointName', 'churn', 'VariantName', 'green', { label: 'green', yAxis: 'right' }],
            [{ expression: "SEARCH('{AWS/SageMaker,EndpointName} \"Invocations\"', 'Sum', 60)", label: "${PROP('Dim.EndpointName')}" }],
          ],
        }),
      ),
      'my-dashboard',
    );
    const widget = drawn(svg, 1);
    expect({ x: widget.x, y: widget.y }).toEqual({ x: MARGIN_PX + 6 * COLUMN_PX, y: HEADER_PX + 3 * ROW_PX });
    expect({ width: widget.width, height: widget.height }).toEqual({ width: 12 * COLUMN_PX - GAP_PX, height: 4 * ROW_PX - GAP_PX });
    expect(widget.texts.map((t) => [t.cls, t.text])).toEqual([
      ['kind', 'graph · timeSeries'],
      ['title', 'Model latency'],
      ['metric', "SEARCH('{AWS/SageMaker,EndpointName} &quot;Invocations&quot;', 'Sum', 60)"],
      ['metric', 'right axis:'],
      ['metric', 'ModelLatency · green'],
    ]);
    // The text widget shows its markdown's first line; the picture is as tall as the lowest widget.
    expect(drawn(svg, 0).texts.map((t) => t.text)).toEqual(['text', 'Promotions']);
    expect(svg).toMatch(new RegExp(`^<svg [^>]*height="${HEADER_PX + 7 * ROW_PX + MARGIN_PX}"`));
    expect(svg).toContain('CloudWatch dashboard my-dashboard');
  });

  test('GIVEN a widget without width and height THEN it is 6 × 6, as CloudWatch defaults them', () => {
    const widget = drawn(dashboardPicture(body({ type: 'metric', x: 18, y: 0, properties: { title: 't', metrics: [] } }), 'd'), 0);
    expect({ width: widget.width, height: widget.height }).toEqual({ width: 6 * COLUMN_PX - GAP_PX, height: 6 * ROW_PX - GAP_PX });
  });

  test('numbers, alarm status widgets and alarm graphs are told apart, alarms by name; hidden inputs counted, not listed', () => {
    const alarmArn = 'arn:aws:cloudwatch:us-east-1:111122223333:alarm:green-5xx';
    const svg = dashboardPicture(
      body(
        graph(0, 0, 8, 6, { title: 'Outcomes', view: 'singleValue', metrics: [[{ expression: 'FILL(a, 0)', label: 'promoted' }], ['NS', 'PromotionsEnded', { id: 'a', visible: false }]] }),
        { type: 'alarm', x: 8, y: 0, width: 8, height: 6, properties: { title: 'Guardrails', alarms: [alarmArn] } },
        graph(16, 0, 8, 6, { title: 'Breach', annotations: { alarms: [alarmArn] } }),
      ),
      'd',
    );
    expect(drawn(svg, 0).texts.map((t) => t.text)).toEqual(['number', 'Outcomes', 'promoted = FILL(a, 0)', '(+1 hidden metric the expressions read)']);
    expect(drawn(svg, 1).texts.map((t) => t.text)).toEqual(['alarm', 'Guardrails', 'green-5xx']);
    expect(drawn(svg, 2).texts.map((t) => t.text)).toEqual(['alarm', 'Breach', 'green-5xx']);
  });

  test('GIVEN more metrics than a box holds THEN every line stays inside the box and the last says how many are left out', () => {
    const metrics = Array.from({ length: 30 }, (_, i) => ['NS', `Metric${i}`]);
    const widget = drawn(dashboardPicture(body(graph(0, 0, 6, 3, { title: 'Many', metrics })), 'd'), 0);
    const last = widget.texts[widget.texts.length - 1]!;
    expect(Math.max(...widget.texts.map((t) => t.y))).toBeLessThanOrEqual(widget.height);
    const shown = widget.texts.filter((t) => t.text.startsWith('Metric')).length;
    expect(last.text).toBe(`… ${30 - shown} more lines`);
  });

  test('titles are escaped for XML', () => {
    const svg = dashboardPicture(body(graph(0, 0, 24, 2, { title: 'p99 < 500 ms & "fast"' })), 'a<b');
    expect(svg).toContain('p99 &lt; 500 ms &amp; &quot;fast&quot;');
    expect(svg).toContain('CloudWatch dashboard a&lt;b');
  });

  test.each([
    [{ x: 20, width: 6 }, /widgets\[0\]\.width: x \+ width must be at most 24 \(the grid's width\): move the widget left or make it narrower/],
    [{ x: 24, width: 1 }, /widgets\[0\]\.x: the column of the widget's left edge .*: a whole number from 0 to 23/],
    [{ x: -1 }, /widgets\[0\]\.x:/],
    [{ width: 25, x: 0 }, /widgets\[0\]\.width:/],
    [{ height: 0, x: 0 }, /widgets\[0\]\.height:/],
    [{ x: 1.5 }, /widgets\[0\]\.x:/],
  ])('GIVEN a widget off the grid (%j) THEN the picture is refused, naming the field', (position, message) => {
    const widget = { type: 'metric', y: 0, properties: {}, ...position };
    expect(() => dashboardPicture(body(widget), 'd')).toThrow(/cannot be drawn on CloudWatch's 24-column grid/);
    expect(() => dashboardPicture(body(widget), 'd')).toThrow(message);
  });

  test('GIVEN a widget without x or y (CloudWatch would flow it to the next free place) THEN the picture is refused, naming the field', () => {
    expect(() => dashboardPicture(body({ type: 'text', y: 0, properties: { markdown: 'x' } }), 'd')).toThrow(/widgets\[0\]\.x:/);
    expect(() => dashboardPicture(body({ type: 'text', x: 0, properties: { markdown: 'x' } }), 'd')).toThrow(/widgets\[0\]\.y:/);
  });

  test('wrap breaks at spaces, and a word longer than a line after its last comma that fits', () => {
    expect(wrap('one two three', 7)).toEqual(['one two', 'three']);
    expect(wrap("SEARCH('{AWS/SageMaker,EndpointName,VariantName}", 30)).toEqual(["SEARCH('{AWS/SageMaker,", 'EndpointName,VariantName}']);
    expect(wrap('abcdefghij', 4)).toEqual(['abcd', 'efgh', 'ij']);
  });
});
