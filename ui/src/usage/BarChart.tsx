// A bar chart (chart.js) whose colors come from the page's CSS variables, redrawn when
// the OS switches between light and dark.

import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  Tooltip,
  type ChartConfiguration,
} from "chart.js";
import { useEffect, useRef, useState } from "react";

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Tooltip, Legend);

export interface Series {
  label: string;
  data: (number | null)[];
  /** CSS custom property holding the color, e.g. "--chart-1". */
  colorVar: string;
}

export interface BarChartProps {
  labels: string[];
  series: Series[];
  stacked?: boolean;
  formatValue: (v: number) => string;
  ariaLabel: string;
  testId?: string;
}

function cssVar(name: string, fallback: string): string {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || fallback;
}

/** Changes whenever the color scheme does, so charts re-read their colors. */
function useColorScheme(): string {
  const query = "(prefers-color-scheme: dark)";
  const [scheme, setScheme] = useState(() => (window.matchMedia?.(query).matches ? "dark" : "light"));
  useEffect(() => {
    const mq = window.matchMedia?.(query);
    if (!mq) return;
    const on = () => setScheme(mq.matches ? "dark" : "light");
    mq.addEventListener("change", on);
    return () => mq.removeEventListener("change", on);
  }, []);
  return scheme;
}

export function BarChart({ labels, series, stacked = false, formatValue, ariaLabel, testId }: BarChartProps) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const chart = useRef<Chart<"bar"> | null>(null);
  const scheme = useColorScheme();

  useEffect(() => {
    const el = canvas.current;
    if (!el) return;
    const text = cssVar("--text-muted", "#666");
    const grid = cssVar("--chart-grid", "rgba(128,128,128,.2)");
    const surface = cssVar("--surface-raised", "#fff");
    const fg = cssVar("--text", "#111");
    const border = cssVar("--border", "#ddd");
    const reduceMotion = window.matchMedia?.("(prefers-reduced-motion: reduce)").matches ?? false;
    const config: ChartConfiguration<"bar", (number | null)[], string> = {
      type: "bar",
      data: {
        labels,
        datasets: series.map((s) => ({
          label: s.label,
          data: s.data,
          backgroundColor: cssVar(s.colorVar, "#888"),
          borderRadius: 3,
          borderSkipped: false,
          maxBarThickness: 28,
          ...(stacked ? { stack: "s" } : {}),
        })),
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: reduceMotion ? false : { duration: 250 },
        interaction: { mode: "index", intersect: false },
        scales: {
          x: {
            stacked,
            grid: { display: false },
            border: { color: border },
            ticks: { color: text, maxRotation: 0, autoSkip: true, autoSkipPadding: 12 },
          },
          y: {
            stacked,
            beginAtZero: true,
            grid: { color: grid },
            border: { display: false },
            ticks: { color: text, callback: (v) => formatValue(Number(v)), maxTicksLimit: 6 },
          },
        },
        plugins: {
          legend: {
            display: series.length > 1,
            position: "bottom",
            labels: { color: text, boxWidth: 10, boxHeight: 10, useBorderRadius: true, borderRadius: 2 },
          },
          tooltip: {
            backgroundColor: surface,
            titleColor: fg,
            bodyColor: fg,
            borderColor: border,
            borderWidth: 1,
            padding: 10,
            callbacks: {
              label: (ctx) => `${ctx.dataset.label ?? ""}: ${ctx.parsed.y == null ? "—" : formatValue(ctx.parsed.y)}`,
            },
          },
        },
      },
    };
    chart.current = new Chart(el, config);
    return () => {
      chart.current?.destroy();
      chart.current = null;
    };
  }, [labels, series, stacked, formatValue, scheme]);

  return (
    <div className="chart" data-testid={testId}>
      <canvas ref={canvas} role="img" aria-label={ariaLabel} />
    </div>
  );
}
