import { render } from "preact";
import { App } from "./app.tsx";
import { applyTheme, storedTheme } from "./theme.ts";
import "uplot/dist/uPlot.min.css";
import "./styles.css";

applyTheme(storedTheme());
const root = document.getElementById("app");
if (root) render(<App />, root);
