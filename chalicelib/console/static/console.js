// The AOF run console: live state colours (server-sent events), state details on click,
// approval buttons. Data from the server is only ever put on the page as text (textContent);
// the one HTML fragment it inserts (#panels) is rendered and escaped by the server.
"use strict";

(function () {
  const formToken = (document.querySelector('meta[name="console-form-token"]') || {}).content || "";
  const runBox = document.getElementById("run");

  function text(id, value) {
    const node = document.getElementById(id);
    if (node) node.textContent = value;
  }

  function pretty(value) {
    if (value === null || value === undefined || value === "") return "-";
    return typeof value === "string" ? value : JSON.stringify(value, null, 2);
  }

  async function showState(group) {
    const name = group.getAttribute("data-state");
    document.querySelectorAll("g.state.selected").forEach((g) => g.classList.remove("selected"));
    group.classList.add("selected");
    const url = runBox.getAttribute("data-live").replace(/\/live$/, "/states/") + encodeURIComponent(name);
    const answer = await fetch(url, { credentials: "same-origin" });
    if (!answer.ok) return;
    const state = await answer.json();
    document.getElementById("state-detail").hidden = false;
    text("state-name", state.name);
    text("state-status", "Status: " + state.label + (state.entered_at ? " · entered " + state.entered_at : "") +
      (state.exited_at ? " · exited " + state.exited_at : ""));
    text("state-input", pretty(state.input));
    text("state-output", pretty(state.output));
    text("state-error", state.error ? state.error + (state.cause ? "\n" + state.cause : "") : "-");
    text("state-attempts", "Attempts: " + state.attempts + (state.visits > 1 ? " · visits: " + state.visits : ""));
  }

  async function refreshPanels() {
    const url = runBox.getAttribute("data-live").replace(/\/live$/, "/panels");
    const answer = await fetch(url, { credentials: "same-origin" });
    if (!answer.ok) return;
    const open = new Set(Array.from(document.querySelectorAll("#panels details[open]")).map((d) => d.textContent.slice(0, 80)));
    document.getElementById("panels").innerHTML = await answer.text();
    document.querySelectorAll("#panels details").forEach((d) => { if (open.has(d.textContent.slice(0, 80))) d.open = true; });
  }

  async function decide(form, decision) {
    const result = form.nextElementSibling;
    form.querySelectorAll("button").forEach((b) => { b.disabled = true; });
    let message;
    try {
      const answer = await fetch(form.getAttribute("data-action"), {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-Console-Form-Token": formToken },
        body: JSON.stringify({ decision: decision }),
      });
      const body = await answer.json();
      message = body.message;
      document.body.setAttribute("data-last-decision", body.applied ? "applied" : "refused");
    } catch (error) {
      message = "the console could not be reached: " + error;
      document.body.setAttribute("data-last-decision", "error");
    }
    if (result) result.textContent = message;
    text("decision-message", message);
    form.querySelectorAll("button").forEach((b) => { b.disabled = false; });
  }

  document.addEventListener("click", (event) => {
    const group = event.target.closest && event.target.closest("g.state");
    if (group && runBox) { showState(group); return; }
    const button = event.target.closest && event.target.closest("form.approval button");
    if (button) {
      event.preventDefault();
      decide(button.form, button.value);
    }
  });
  document.addEventListener("keydown", (event) => {
    const group = event.target.closest && event.target.closest("g.state");
    if (group && runBox && (event.key === "Enter" || event.key === " ")) showState(group);
  });
  document.addEventListener("submit", (event) => {
    if (event.target.matches("form.approval")) event.preventDefault();
  });

  if (!runBox) return;
  let events = -1;
  let pending = "";
  const source = new EventSource(runBox.getAttribute("data-live"));
  source.onmessage = (message) => {
    const live = JSON.parse(message.data);
    document.querySelectorAll("g.state").forEach((g) => {
      g.setAttribute("data-status", live.states[g.getAttribute("data-state")] || "not-started");
    });
    const badge = document.getElementById("run-status");
    if (badge) { badge.textContent = live.run.status; badge.className = "badge " + live.run.status; }
    text("run-outcome", live.run.outcome || "-");
    const nowPending = live.pending.join(",");
    if ((events >= 0 && live.events !== events) || (events >= 0 && nowPending !== pending)) refreshPanels();
    events = live.events;
    pending = nowPending;
    document.body.setAttribute("data-live", live.finished ? "finished" : "following");
  };
  source.addEventListener("done", () => {
    source.close();
    document.body.setAttribute("data-live", "finished");
    refreshPanels();
  });
})();
