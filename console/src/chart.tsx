import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import { useTheme } from "./theme.ts";

export interface ChartSeries {
  label: string;
  values: (number | null)[];
  /** A CSS custom property of the theme, so the chart follows light and dark. */
  color: string;
  dash?: number[];
  /** Draw the points as dots (a sparse series: a value between two gaps has no line to show it). */
  points?: boolean;
}

/** A uPlot time chart (x in epoch seconds); redrawn in place when its data changes (a canary's chart moves live). */
export function TimeChart(props: { title: string; times: number[]; series: ChartSeries[]; unit: string; height?: number }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const shape = props.series.map((s) => s.label).join("|");
  // uPlot takes its colours when it is made: a theme switch makes the chart again with the new theme's.
  const theme = useTheme();
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const css = getComputedStyle(document.documentElement);
    const color = (name: string) => css.getPropertyValue(name).trim() || "#888";
    const axis = { stroke: color("--fg-muted"), grid: { stroke: color("--grid") }, ticks: { stroke: color("--grid") } };
    plot.current = new uPlot(
      {
        width: Math.max(el.clientWidth, 280),
        height: props.height ?? 180,
        series: [
          {},
          ...props.series.map((s) => ({
            label: s.label,
            stroke: color(s.color),
            width: 2,
            dash: s.dash,
            spanGaps: true,
            ...(s.points ? { points: { show: true, size: 6, fill: color(s.color) } } : {}),
          })),
        ],
        // The y axis is wide enough for "1500 ms"; uPlot's default clips it.
        axes: [axis, { ...axis, size: 64, values: (_u: uPlot, ticks: number[]) => ticks.map((t) => `${round(t)}${props.unit}`) }],
        legend: { live: true },
      },
      [props.times, ...props.series.map((s) => s.values)],
      el,
    );
    return () => {
      plot.current?.destroy();
      plot.current = null;
    };
  }, [shape, theme]);
  useEffect(() => {
    plot.current?.setData([props.times, ...props.series.map((s) => s.values)]);
  }, [props.times, props.series]);
  return (
    <figure class="chart">
      <figcaption>{props.title}</figcaption>
      <div
        ref={box}
        data-theme={theme}
        role="img"
        aria-label={`${props.title}: chart of ${props.series.map((s) => s.label).join(" and ")}`}
      />
    </figure>
  );
}

function round(value: number): string {
  return Math.abs(value) >= 100 ? value.toFixed(0) : Math.abs(value) >= 1 ? value.toFixed(1) : value.toPrecision(2);
}
