import { useEffect, useState } from "preact/hooks";

export type Theme = "light" | "dark";

/** The user's choice, else the system's. */
export function storedTheme(): Theme {
  const saved = localStorage.getItem("rampart.theme");
  if (saved === "light" || saved === "dark") return saved;
  return matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
}

const listeners = new Set<(theme: Theme) => void>();

export function applyTheme(theme: Theme): void {
  document.documentElement.dataset.theme = theme;
  for (const listener of listeners) listener(theme);
}

/** The theme in force, re-rendering on a switch (charts draw with the theme's colours and are redrawn). */
export function useTheme(): Theme {
  const [theme, setTheme] = useState<Theme>(() => (document.documentElement.dataset.theme === "dark" ? "dark" : "light"));
  useEffect(() => {
    listeners.add(setTheme);
    return () => void listeners.delete(setTheme);
  }, []);
  return theme;
}

export function saveTheme(theme: Theme): void {
  localStorage.setItem("rampart.theme", theme);
  applyTheme(theme);
}
