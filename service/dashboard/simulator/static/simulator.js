// Phones in the browser: each pane polls the shared feed and shows its own threads, one
// per line number (as a real phone would), and sends through the simulator's /send.
"use strict";

const config = JSON.parse(document.getElementById("simulator-config").textContent);
const lineNumbers = config.lineNumbers;
const panes = new Map();

function label(number) {
  const index = lineNumbers.indexOf(number);
  return index === 0 ? "Line" : `Line ${index + 1}`;
}

for (const section of document.querySelectorAll(".phone")) {
  const pane = { section, name: section.dataset.pane, threads: new Map(), active: lineNumbers[0] };
  panes.set(pane.name, pane);
  section.querySelector(".compose").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = event.target.elements.body;
    send(pane, input.value);
    input.value = "";
  });
  for (const chip of section.querySelectorAll(".chip")) {
    chip.addEventListener("click", () => send(pane, chip.dataset.text));
  }
  render(pane);
}

async function send(pane, body) {
  if (!body.trim()) return;
  await fetch(config.sendUrl, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ pane: pane.name, to: pane.active, body }),
  });
  poll();
}

function render(pane) {
  const nav = pane.section.querySelector(".threads");
  nav.replaceChildren();
  const numbers = new Set([lineNumbers[0], ...pane.threads.keys()]);
  for (const number of numbers) {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = label(number);
    button.dataset.number = number;
    const thread = pane.threads.get(number);
    if (number === pane.active) button.classList.add("active");
    if (thread && thread.unread) button.classList.add("unread");
    button.addEventListener("click", () => { pane.active = number; render(pane); });
    nav.append(button);
  }
  const thread = pane.threads.get(pane.active) || { texts: [] };
  thread.unread = false;
  const list = pane.section.querySelector(".messages");
  list.replaceChildren(...thread.texts.map((text) => {
    const item = document.createElement("li");
    item.className = text.direction;
    item.textContent = text.body;
    return item;
  }));
  list.scrollTop = list.scrollHeight;
}

let seen = 0;
async function poll() {
  const response = await fetch(`${config.feedUrl}?after=${seen}`);
  if (!response.ok) return;
  for (const text of await response.json()) {
    seen = Math.max(seen, text.id);
    const pane = panes.get(text.pane);
    if (!pane) continue;
    if (!pane.threads.has(text.line_number)) pane.threads.set(text.line_number, { texts: [], unread: false });
    const thread = pane.threads.get(text.line_number);
    thread.texts.push(text);
    if (text.line_number !== pane.active) {
      thread.unread = true;
      const current = pane.threads.get(pane.active);
      if (!current || current.texts.length === 0 || text.body.includes("#yes")) pane.active = text.line_number;
    }
    render(pane);
  }
}

setInterval(poll, 700);
poll();
