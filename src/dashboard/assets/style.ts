// The dashboard's one stylesheet (served as /assets/dashboard-<hash>.css). Light and dark follow
// the system setting; every text colour meets WCAG AA contrast (4.5:1) on its background.
export const STYLESHEET = `
:root {
  color-scheme: light dark;
  --bg: #ffffff; --surface: #f5f6f8; --text: #1a1d21; --muted: #545d69; --border: #cfd4da;
  --accent: #0b57d0; --accent-text: #ffffff; --focus: #0b57d0;
  --good: #0f6b2f; --good-bg: #e3f4e8; --bad: #a4161a; --bad-bg: #fde8e8;
  --warn: #6e4400; --warn-bg: #fff1cc; --unknown: #4a5260; --unknown-bg: #eceef1;
  --font: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif;
  --mono: ui-monospace, "SFMono-Regular", "DejaVu Sans Mono", Menlo, monospace;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #121417; --surface: #1b1f24; --text: #e7eaee; --muted: #a6afba; --border: #3a414a;
    --accent: #8ab4f8; --accent-text: #0b1220; --focus: #8ab4f8;
    --good: #86e0a4; --good-bg: #143622; --bad: #ffa3a3; --bad-bg: #3d1618;
    --warn: #ffd27a; --warn-bg: #3a2a05; --unknown: #c3cad3; --unknown-bg: #2a2f36;
  }
}
* { box-sizing: border-box; }
[hidden] { display: none !important; }
html { font-family: var(--font); font-size: 100%; line-height: 1.5; background: var(--bg); color: var(--text); }
body { margin: 0; }
a { color: var(--accent); }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
.skip { position: absolute; left: -9999px; top: 0; background: var(--bg); padding: .5rem 1rem; }
.skip:focus { left: .5rem; z-index: 10; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
header.top { display: flex; flex-wrap: wrap; align-items: center; gap: .5rem 1.5rem; padding: .75rem clamp(1rem, 3vw, 2rem); border-bottom: 1px solid var(--border); background: var(--surface); }
.brand { font-weight: 700; text-decoration: none; color: var(--text); font-size: 1.1rem; }
nav ul { display: flex; flex-wrap: wrap; gap: .25rem 1rem; list-style: none; margin: 0; padding: 0; align-items: center; }
nav a[aria-current="page"] { font-weight: 700; text-decoration-thickness: 3px; }
main { max-width: 80rem; margin: 0 auto; padding: 1rem clamp(1rem, 3vw, 2rem) 3rem; }
h1 { font-size: 1.6rem; margin: .5rem 0; }
h2 { font-size: 1.2rem; margin: 1.75rem 0 .5rem; }
h3 { font-size: 1.05rem; margin: 1.25rem 0 .4rem; word-break: break-all; }
.muted { color: var(--muted); }
.mono, code { font-family: var(--mono); font-size: .9em; }
.bad-text { color: var(--bad); }
.scroll { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; width: 100%; font-size: .95rem; }
caption { text-align: left; font-weight: 600; padding: .25rem 0; }
th, td { text-align: left; vertical-align: top; padding: .45rem .6rem; border-bottom: 1px solid var(--border); }
thead th { font-size: .85rem; color: var(--muted); font-weight: 600; white-space: nowrap; }
td.num { white-space: nowrap; }
tr.idle > * { color: var(--muted); }
ul.plain { list-style: none; margin: 0; padding: 0; }
.badge { display: inline-block; padding: 0 .45rem; border-radius: 999px; font-size: .8rem; font-weight: 600; white-space: nowrap; border: 1px solid transparent; }
.badge.good { color: var(--good); background: var(--good-bg); }
.badge.bad { color: var(--bad); background: var(--bad-bg); }
.badge.warn { color: var(--warn); background: var(--warn-bg); }
.badge.unknown { color: var(--unknown); background: var(--unknown-bg); }
meter { width: 4rem; height: .7rem; vertical-align: middle; }
button, .button { font: inherit; font-size: .9rem; padding: .3rem .8rem; border-radius: .4rem; border: 1px solid var(--border); background: var(--surface); color: var(--text); cursor: pointer; text-decoration: none; display: inline-block; min-height: 2.25rem; }
button:hover, .button:hover { border-color: var(--accent); }
button.primary, .button { background: var(--accent); color: var(--accent-text); border-color: var(--accent); }
button.link { background: none; border: none; color: var(--accent); text-decoration: underline; padding: 0; min-height: 0; }
button:disabled { cursor: default; opacity: .75; }
.actions { display: flex; flex-wrap: wrap; gap: .5rem; margin: .5rem 0; }
form.inline { display: flex; gap: .35rem; align-items: center; flex-wrap: nowrap; }
form.inline label { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
input, select, textarea { font: inherit; color: var(--text); background: var(--bg); border: 1px solid var(--muted); border-radius: .35rem; padding: .35rem .5rem; max-width: 100%; }
form.inline input { width: 5.5rem; }
input[aria-invalid="true"], textarea[aria-invalid="true"], select[aria-invalid="true"] { border-color: var(--bad); border-width: 2px; }
.field { display: flex; flex-direction: column; gap: .2rem; margin: 0 0 .9rem; max-width: 34rem; }
.field label { font-weight: 600; }
.field-error { color: var(--bad); margin: 0; min-height: 0; }
.field-error:empty { display: none; }
fieldset { border: 1px solid var(--border); border-radius: .5rem; max-width: 36rem; margin: 0 0 1rem; }
#notice:not(:empty), #error:not(:empty) { padding: .6rem .9rem; border-radius: .4rem; margin: .5rem 0; }
#notice:not(:empty) { background: var(--good-bg); color: var(--good); }
#error:not(:empty) { background: var(--bad-bg); color: var(--bad); }
.warnings { background: var(--warn-bg); color: var(--warn); border-radius: .4rem; padding: .25rem .75rem; }
.warnings:empty { display: none; }
.warnings ul { margin: .25rem 0; padding-left: 1.25rem; }
ol.steps { padding-left: 1.25rem; }
#live[data-stream]::before { content: attr(data-stream-label); display: inline-block; font-size: .8rem; color: var(--muted); }
dialog { border: 1px solid var(--border); border-radius: .6rem; background: var(--bg); color: var(--text); max-width: min(48rem, 94vw); padding: 1rem 1.25rem; }
dialog::backdrop { background: rgb(0 0 0 / .45); }
dialog td { font-family: var(--mono); font-size: .85rem; word-break: break-all; }
@media (max-width: 40rem) {
  th, td { padding: .35rem .4rem; }
  h1 { font-size: 1.35rem; }
}
`;
