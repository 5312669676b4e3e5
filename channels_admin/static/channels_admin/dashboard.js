/* channels-admin dashboard: refresh the page's live region (#live) in place through htmx
 * every 1, 2, 5 or 15 seconds, with a pause button. The choice is kept in localStorage.
 * A refresh waits while the pointer or the focus is in the region, so a click never lands
 * on a row being replaced; rows selected for an action stay selected across refreshes. A
 * closed connection's page (#live[data-final]) stops refreshing. Forms with data-confirm ask
 * before posting. Without JavaScript the pages are ordinary page loads and the controls stay
 * hidden. */
(function () {
  "use strict";

  const RATE_KEY = "channels_admin.rate";
  const PAUSED_KEY = "channels_admin.paused";
  let timer = null;
  let busy = false;

  function stored(key, fallback) {
    try { return window.localStorage.getItem(key) || fallback; } catch (error) { return fallback; }
  }

  function store(key, value) {
    try { window.localStorage.setItem(key, value); } catch (error) { /* private mode: not kept */ }
  }

  function selectedIds() {
    return Array.from(document.querySelectorAll("input.action-select:checked"), (box) => box.value);
  }

  function refresh() {
    const live = document.getElementById("live");
    if (!live || busy || document.hidden) return;
    if (live.matches(":hover") || live.contains(document.activeElement)) return;
    busy = true;
    const selected = selectedIds();
    // The server answers a request targeting "live" with that region only.
    htmx.ajax("GET", window.location.href, { target: live, swap: "outerHTML" })
      .then(() => {
        document.querySelectorAll("input.action-select").forEach((box) => {
          box.checked = selected.includes(box.value);
        });
        countSelected();
        announce();
        if (document.querySelector("#live[data-final]")) stop();
      })
      .finally(() => { busy = false; });
  }

  // Screen readers hear the count when it changes ("27 connections"), not every refresh.
  let announced = null;
  function announce() {
    const count = document.querySelector("#live .ca-count");
    const status = document.querySelector("[data-announce]");
    if (!count || !status) return;
    const copy = count.cloneNode(true);
    copy.querySelectorAll(".ca-updated").forEach((element) => element.remove());
    const text = copy.textContent.replace(/\s+/g, " ").trim();
    if (announced !== null && text !== announced) status.textContent = text;
    announced = text;
  }

  function stop() {
    window.clearInterval(timer);
    timer = null;
    const controls = document.getElementById("live-controls");
    const final = document.querySelector("#live[data-final]");
    if (!controls || !final) return;
    controls.querySelector("[data-pause]").hidden = true;
    controls.querySelector("[data-rate]").closest("label").hidden = true;
    controls.querySelector("[data-state]").textContent = final.dataset.final + ": not refreshed";
  }

  function countSelected() {
    const counter = document.querySelector("[data-action-counter]");
    if (!counter) return;
    const boxes = document.querySelectorAll("input.action-select");
    const selected = selectedIds().length;
    counter.textContent = selected + " of " + boxes.length + " selected";
    const toggle = document.getElementById("action-toggle");
    if (toggle) toggle.checked = boxes.length > 0 && selected === boxes.length;
  }

  function listenForActions() {
    document.addEventListener("change", (event) => {
      const target = event.target;
      if (target.id === "action-toggle") {
        document.querySelectorAll("input.action-select").forEach((box) => { box.checked = target.checked; });
      }
      if (target.id === "action-toggle" || target.classList.contains("action-select")) countSelected();
    });
    document.addEventListener("submit", (event) => {
      const question = event.target.dataset.confirm;
      if (question && !window.confirm(question)) event.preventDefault();
    });
    countSelected();
  }

  function start(controls) {
    const pause = controls.querySelector("[data-pause]");
    const rate = controls.querySelector("[data-rate]");
    const state = controls.querySelector("[data-state]");
    rate.value = stored(RATE_KEY, rate.value);

    function schedule() {
      window.clearInterval(timer);
      const paused = stored(PAUSED_KEY, "0") === "1";
      pause.textContent = paused ? "Resume" : "Pause";
      pause.setAttribute("aria-pressed", String(paused));
      state.textContent = paused ? "paused" : "live";
      state.toggleAttribute("data-paused", paused);
      if (document.querySelector("#live[data-final]")) stop();
      else if (!paused) timer = window.setInterval(refresh, Number(rate.value) * 1000);
    }

    pause.addEventListener("click", () => {
      store(PAUSED_KEY, stored(PAUSED_KEY, "0") === "1" ? "0" : "1");
      schedule();
    });
    rate.addEventListener("change", () => {
      store(RATE_KEY, rate.value);
      schedule();
    });
    controls.hidden = false;
    announce();
    schedule();
  }

  // A 503 says what is down: show it in the region, which a later refresh puts back.
  document.addEventListener("htmx:beforeSwap", (event) => {
    if (event.detail.xhr.status === 503) event.detail.shouldSwap = true;
  });

  document.addEventListener("DOMContentLoaded", () => {
    listenForActions();
    const controls = document.getElementById("live-controls");
    if (controls && document.getElementById("live") && window.htmx) start(controls);
  });
})();
