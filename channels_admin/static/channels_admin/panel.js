// The Channels routing panel of django-debug-toolbar: refreshes the live part when the panel
// opens (sockets the page opened after loading show up) and runs the route tester in place.
// For anyone but staff the panel has no live part, so nothing is asked.
// The toolbar lives in a shadow root (toolbar 7+) and htmx may swap it for a new one, so the
// toolbar element is looked up on every use, never kept.

const PANEL_ID = "ChannelsRoutingPanel";

function debugElement() {
    const root = document.getElementById("djDebugRoot");
    if (!root) {
        return null;
    }
    return (root.shadowRoot || root).querySelector("#djDebug");
}

function panelElement(djDebug) {
    return djDebug && djDebug.querySelector(`#${PANEL_ID} .channels-routing`);
}

async function refresh(djDebug) {
    const panel = panelElement(djDebug);
    if (!panel) {
        return;
    }
    const status = panel.querySelector("[data-channels-routing-status]");
    status.textContent = "refreshing…";
    try {
        const response = await fetch(panel.dataset.channelsRoutingLiveUrl, {
            credentials: "same-origin",
        });
        const type = response.headers.get("content-type") || "";
        // A refusal (403: the viewer is not staff, or no longer) comes as content to show.
        if (!type.includes("json") || (!response.ok && response.status !== 403)) {
            throw new Error(`${response.status} ${response.statusText}`);
        }
        const data = await response.json();
        panel.querySelector("[data-channels-routing-live]").innerHTML = data.content;
        const subtitle = djDebug.querySelector(`#djdt-${PANEL_ID} small`);
        if (subtitle && data.subtitle) {
            subtitle.textContent = data.subtitle;
        }
        status.textContent = "";
        panel.dataset.channelsRoutingRefreshed = new Date().toISOString();
    } catch (error) {
        status.textContent = `could not refresh: ${error.message}`;
    }
}

function element(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined) {
        node.textContent = text;
    }
    if (className) {
        node.className = className;
    }
    return node;
}

function stepList(steps) {
    const list = element("ul");
    for (const step of steps) {
        const item = element("li", `${step.label} looked at ${step.looked_at} = ${JSON.stringify(step.value)}`);
        const candidates = element("ul");
        for (const candidate of step.candidates || []) {
            const name = candidate.pattern ?? candidate.key ?? "";
            const hint = candidate.hint ? ` · hint: ${candidate.hint}` : "";
            const line = candidate.matched
                ? `✔ ${name}`
                : `✘ ${name}: ${candidate.reason}${candidate.detail ? ` (${candidate.detail})` : ""}${hint}`;
            const row = element("li", line);
            if (candidate.nested && candidate.nested.length) {
                row.appendChild(stepList(candidate.nested));
            }
            candidates.appendChild(row);
        }
        item.appendChild(candidates);
        if (step.error) {
            item.appendChild(element("div", `raises ${step.raises || "an error"}: ${step.error}`));
        }
        list.appendChild(item);
    }
    return list;
}

async function resolve(form) {
    const result = form.parentElement.querySelector("[data-channels-routing-result]");
    const url = new URL(form.action, globalThis.location);
    for (const [name, value] of new FormData(form)) {
        url.searchParams.set(name, value);
    }
    url.searchParams.set("format", "json");
    result.replaceChildren(element("p", "resolving…"));
    let answer;
    try {
        const response = await fetch(url, { credentials: "same-origin" });
        const type = response.headers.get("content-type") || "";
        if (!response.ok || !type.includes("json")) {
            // The dashboard is staff only: without an admin login it answers its login page.
            result.replaceChildren(
                element("p", "The route tester needs an admin login; press Resolve without JavaScript or log in to the admin first."),
            );
            return;
        }
        answer = await response.json();
    } catch (error) {
        result.replaceChildren(element("p", `The route tester failed: ${error.message}`));
        return;
    }
    const summary = answer.matched
        ? `${url.searchParams.get("type")} ${url.searchParams.get("path")} → ${answer.consumer} ${JSON.stringify(answer.kwargs)}`
        : `${url.searchParams.get("type")} ${url.searchParams.get("path")} → no match: ${answer.error}`;
    const shown = [element("p", summary, "channels-routing-answer")];
    if (answer.nearest) {
        const hint = answer.nearest.hint ? ` · hint: ${answer.nearest.hint}` : "";
        shown.push(element("p", `Nearest route: ${answer.nearest.pattern}${hint}`, "channels-routing-nearest"));
    }
    result.replaceChildren(...shown, stepList(answer.steps || []));
}

function bind() {
    const djDebug = debugElement();
    if (!djDebug || djDebug.dataset.channelsRoutingBound) {
        return;
    }
    djDebug.dataset.channelsRoutingBound = "true";
    djDebug.addEventListener("djdt.panel.render", (event) => {
        if (event.detail.panelId === PANEL_ID) {
            refresh(djDebug);
        }
    });
    djDebug.addEventListener("click", (event) => {
        if (event.target.closest("[data-channels-routing-refresh]")) {
            event.preventDefault();
            refresh(djDebug);
        }
    });
    djDebug.addEventListener("submit", (event) => {
        const form = event.target.closest("form[data-channels-routing-tester]");
        if (form) {
            event.preventDefault();
            resolve(form);
        }
    });
}

// The toolbar loads this module after putting the panel's content in place, and dispatches
// "djdt.panel.render" before the module has run: refresh once now, then on each opening.
bind();
refresh(debugElement());
// htmx-boosted pages swap in a new toolbar (see the toolbar's htmx note): bind to it too.
document.addEventListener("htmx:afterSettle", bind);
