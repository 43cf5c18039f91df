import * as echarts from 'echarts';
import { Resvg } from '@resvg/resvg-js';
import { answerRate, type CallStats } from './call-stats';

/** The words a chart shows; the bot's texts.ts gives them. */
export interface ChartWords {
  title: string;
  callsPerHour: string;
  calls: string;
  answered: string;
  notAnswered: string;
  answerRate: (rate: number) => string;
  talkTimePerAgent: string;
  minutes: string;
  noCalls: string;
}

export interface ChartSize {
  width: number;
  height: number;
}

export const STATS_CHART_SIZE: ChartSize = { width: 1200, height: 800 };
/** Agents beyond these are left off the talk-time panel (the text lists the figures). */
const MAX_AGENTS_SHOWN = 10;
const COLORS = { calls: '#5470c6', answered: '#91cc75', notAnswered: '#ee6666', talk: '#fac858' };

/**
 * One image, three panels: calls and answered calls per local hour across the top; below, the
 * answer rate as a pie and the talk time per agent as bars. A plain object (no functions), so it
 * can cross to the rendering worker.
 */
export function statsChartOption(stats: CallStats, agentNames: ReadonlyMap<number, string>, words: ChartWords): echarts.EChartsOption {
  const hours = Array.from({ length: 24 }, (_, h) => String(h).padStart(2, '0'));
  const agents = stats.agents.slice(0, MAX_AGENTS_SHOWN).reverse();
  const rate = answerRate(stats);
  return {
    animation: false,
    backgroundColor: '#ffffff',
    textStyle: { fontFamily: 'DejaVu Sans, sans-serif' },
    title: [
      { text: words.title, left: 'center', top: 8, textStyle: { fontSize: 22 } },
      { text: words.callsPerHour, left: 40, top: 52, textStyle: { fontSize: 16 } },
      { text: stats.calls === 0 ? words.noCalls : words.answerRate(rate), left: 40, top: 430, textStyle: { fontSize: 16 } },
      { text: words.talkTimePerAgent, left: 620, top: 430, textStyle: { fontSize: 16 } },
    ],
    legend: { top: 52, right: 40, data: [words.calls, words.answered] },
    grid: [
      { left: 60, right: 40, top: 90, height: 290 },
      { left: 760, right: 60, top: 470, bottom: 50 },
    ],
    xAxis: [
      { type: 'category', gridIndex: 0, data: hours, name: 'h', axisTick: { alignWithLabel: true } },
      { type: 'value', gridIndex: 1, name: words.minutes, minInterval: 1 },
    ],
    yAxis: [
      { type: 'value', gridIndex: 0, minInterval: 1 },
      { type: 'category', gridIndex: 1, data: agents.map((a) => (agentNames.get(a.agentId) ?? `#${a.agentId}`).slice(0, 18)) },
    ],
    series: [
      { type: 'bar', name: words.calls, xAxisIndex: 0, yAxisIndex: 0, data: stats.byHour.map((h) => h.calls), itemStyle: { color: COLORS.calls } },
      { type: 'bar', name: words.answered, xAxisIndex: 0, yAxisIndex: 0, data: stats.byHour.map((h) => h.answered), itemStyle: { color: COLORS.answered } },
      {
        type: 'pie', center: [280, 630], radius: [70, 130], label: { formatter: '{b}: {c}' },
        data: [
          { name: words.answered, value: stats.answered, itemStyle: { color: COLORS.answered } },
          { name: words.notAnswered, value: stats.calls - stats.answered, itemStyle: { color: COLORS.notAnswered } },
        ],
      },
      {
        type: 'bar', xAxisIndex: 1, yAxisIndex: 1, itemStyle: { color: COLORS.talk }, label: { show: true, position: 'right' },
        data: agents.map((a) => Math.round(a.talkSeconds / 6) / 10),
      },
    ],
  };
}

/** The chart as SVG (ECharts' server-side renderer, no browser), then as PNG (resvg). Blocks for tens of milliseconds: chart-renderer.ts runs it in a worker. */
export function renderChartPng(option: echarts.EChartsOption, size: ChartSize): Buffer {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: size.width, height: size.height });
  let svg: string;
  try {
    chart.setOption(option);
    svg = chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
  const png = new Resvg(svg, { fitTo: { mode: 'original' }, font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' } }).render().asPng();
  return Buffer.from(png);
}
