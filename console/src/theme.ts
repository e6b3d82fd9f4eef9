export type Theme = "light" | "dark";

/** The user's choice, else the system's. */
export function storedTheme(): Theme {
  const saved = localStorage.getItem("rampart.theme");
  if (saved === "light" || saved === "dark") return saved;
  return matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
}

export function applyTheme(theme: Theme): void {
  document.documentElement.dataset.theme = theme;
}

export function saveTheme(theme: Theme): void {
  localStorage.setItem("rampart.theme", theme);
  applyTheme(theme);
}
