/* channels-admin dashboard: refresh the page's live region (#live) in place through htmx
 * every 1, 2, 5 or 15 seconds, with a pause button. The choice is kept in localStorage.
 * A refresh waits while the pointer or the focus is in the region, so a click never lands
 * on a row being replaced. Without JavaScript the pages are ordinary page loads and the
 * controls stay hidden. */
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

  function refresh() {
    const live = document.getElementById("live");
    if (!live || busy || document.hidden) return;
    if (live.matches(":hover") || live.contains(document.activeElement)) return;
    busy = true;
    // The server answers a request targeting "live" with that region only.
    htmx.ajax("GET", window.location.href, { target: live, swap: "outerHTML" })
      .finally(() => { busy = false; });
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
      if (!paused) timer = window.setInterval(refresh, Number(rate.value) * 1000);
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
    schedule();
  }

  // A 503 says what is down: show it in the region, which a later refresh puts back.
  document.addEventListener("htmx:beforeSwap", (event) => {
    if (event.detail.xhr.status === 503) event.detail.shouldSwap = true;
  });

  document.addEventListener("DOMContentLoaded", () => {
    const controls = document.getElementById("live-controls");
    if (controls && document.getElementById("live") && window.htmx) start(controls);
  });
})();
