export interface ChartPalette {
  bg: string;
  text: string;
  grid: string;
  border: string;
  up: string;
  down: string;
  line: string;
  benchmark: string;
  drawdown: string;
  volumeUp: string;
  volumeDown: string;
  series: string[];
}

export const LIGHT: ChartPalette = {
  bg: "#ffffff",
  text: "#4b5160",
  grid: "#eef0f4",
  border: "#d9dce3",
  up: "#15803d",
  down: "#c2410c",
  line: "#2f54c9",
  benchmark: "#8a8f9c",
  drawdown: "#c0392b",
  volumeUp: "rgba(21,128,61,0.35)",
  volumeDown: "rgba(194,65,12,0.35)",
  series: ["#2f54c9", "#c2410c", "#15803d", "#8e44ad"],
};

export const DARK: ChartPalette = {
  bg: "#1b1e25",
  text: "#b7bccb",
  grid: "#262a33",
  border: "#343945",
  up: "#4ade80",
  down: "#fb923c",
  line: "#8aa8ff",
  benchmark: "#8a8f9c",
  drawdown: "#f87171",
  volumeUp: "rgba(74,222,128,0.35)",
  volumeDown: "rgba(251,146,60,0.35)",
  series: ["#8aa8ff", "#fb923c", "#4ade80", "#d8a4f5"],
};

/** Marker colours and shapes per exit reason (colour-blind safe pairs, and a letter code). */
export const EXIT_STYLE: Record<string, { color: string; shape: "circle" | "square" | "arrowDown" | "arrowUp"; code: string; label: string }> = {
  signal: { color: "#2563eb", shape: "circle", code: "X", label: "Exit on signal" },
  stop_loss: { color: "#dc2626", shape: "square", code: "SL", label: "Stop loss" },
  trailing_stop: { color: "#ea580c", shape: "square", code: "TS", label: "Trailing stop" },
  take_profit: { color: "#16a34a", shape: "circle", code: "TP", label: "Take profit" },
  max_holding: { color: "#7c3aed", shape: "circle", code: "MH", label: "Max holding" },
  end_of_data: { color: "#6b7280", shape: "circle", code: "END", label: "End of data" },
  reverse: { color: "#0891b2", shape: "circle", code: "R", label: "Reversal" },
};
export const ENTRY_LONG = { color: "#16a34a", label: "Long entry" };
export const ENTRY_SHORT = { color: "#dc2626", label: "Short entry" };
