// Progressive enhancement, no build step. Elements with data-refresh="<seconds>" reload their
// own HTML without a full reload: the page's live fragment when they name one (data-part="NAME":
// the page asked with ?part=NAME answers only that region, pinghome/live.py), else the whole
// page (or data-refresh-url). Focus, ticked checkboxes and open <details> stay where they were.
// Children with data-key that were not there when the page loaded get the class "is-new"; a
// "live:updated" event on the element lists them. When the session has ended, the
// #session-ended banner shows and updates stop.
// A form with data-live-parts="NAME ..." is sent with fetch instead (same URL, fields and CSRF
// token; the X-Live-Parts header names the regions it changes), and the server's answer, its
// post/redirect/get to those parts, replaces them in place: focus stays on the control used (or
// the nearest one left in its row or region), the control stays where it was on the screen, and
// the server's messages show at the top and under the form. data-live-reset on the form or the
// button clears the form once it succeeded. Without JavaScript the forms post and reload.
(function () {
  const timers = [];

  // What identifies a control across renderings: its row (data-key), its id, or its kind,
  // name, value, target and text; and its place among the controls of its row (or region), for
  // when it is gone (an "Acknowledge" button once acknowledged).
  const CONTROLS = "a[href], button, input:not([type=hidden]), select, textarea, summary";

  function controls(scope) {
    return Array.from(scope.querySelectorAll(CONTROLS));
  }

  function shownControls(scope) {
    return controls(scope).filter((node) => node.getClientRects().length);
  }

  function keyOf(node, root) {
    if (!node || node === document.body || !root.contains(node)) return null;
    const row = node.closest("[data-key]");
    const inRow = row && root.contains(row);
    return {
      row: inRow ? row.dataset.key : null,
      id: node.id,
      signature: signature(node),
      index: shownControls(inRow ? row : root).indexOf(node),
    };
  }

  function signature(node) {
    return [
      node.tagName,
      node.getAttribute("name"),
      node.getAttribute("value"),
      node.getAttribute("formaction") || node.getAttribute("href"),
      node.textContent.trim(),
    ].join("\u0000");
  }

  function scopeOf(root, key) {
    if (!key.row) return root;
    return Array.from(root.querySelectorAll("[data-key]")).find((r) => r.dataset.key === key.row);
  }

  function find(root, key) {
    if (key.id) {
      const byId = document.getElementById(key.id);
      if (byId && root.contains(byId)) return byId;
    }
    const scope = scopeOf(root, key);
    if (!scope) return null;
    return controls(scope).find((node) => signature(node) === key.signature) || null;
  }

  // The control that took the place of one that is gone: the same place in its row, else in
  // the region.
  function nearest(root, key) {
    const scope = scopeOf(root, key) || root;
    const left = shownControls(scope);
    if (!left.length || key.index < 0) return null;
    return left[Math.min(key.index, left.length - 1)];
  }

  function keys(root) {
    return new Set(Array.from(root.querySelectorAll("[data-key]"), (row) => row.dataset.key));
  }

  function sessionEnded() {
    timers.forEach(clearInterval);
    const banner = document.getElementById("session-ended");
    if (banner) banner.hidden = false;
  }

  // What someone typed or chose in a field, kept across renderings (not ticks: above).
  function edited(node) {
    if (node.tagName === "SELECT") {
      return Array.from(node.options).some((option) => option.selected !== option.defaultSelected);
    }
    if (node.tagName === "INPUT" && /^(checkbox|radio|hidden|submit|button)$/.test(node.type)) {
      return false;
    }
    return node.value !== node.defaultValue;
  }

  function valueOf(node) {
    if (node.tagName !== "SELECT") return node.value;
    return Array.from(node.selectedOptions, (option) => option.value);
  }

  function restore(node, value) {
    if (node.tagName !== "SELECT") {
      node.value = value;
      return;
    }
    Array.from(node.options).forEach((option) => {
      option.selected = value.includes(option.value);
    });
  }

  // Replace el's content with fresh's; returns the control that has the focus now, if the
  // focus was in el.
  function update(el, fresh) {
    if (fresh.innerHTML === el.lastHTML) return null;
    el.lastHTML = fresh.innerHTML;
    el.generation = (el.generation || 0) + 1;
    const active = keyOf(document.activeElement, el);
    const ticked = Array.from(el.querySelectorAll("input[type=checkbox]:checked, details[open]"));
    const tickedKeys = ticked.map((node) => keyOf(node, el));
    const typed = Array.from(el.querySelectorAll("input, textarea, select"))
      .filter(edited)
      .map((node) => [keyOf(node, el), valueOf(node)]);
    el.innerHTML = fresh.innerHTML;
    tickedKeys.forEach((key) => {
      const node = key && find(el, key);
      if (node && node.tagName === "DETAILS") node.open = true;
      else if (node) node.checked = true;
    });
    typed.forEach(([key, value]) => {
      const node = key && find(el, key);
      if (node) restore(node, value);
    });
    let focused = null;
    if (active) {
      focused = find(el, active) || nearest(el, active);
      if (!focused) {
        el.tabIndex = -1; // nothing left to hold it: the region itself
        focused = el;
      }
      focused.focus({ preventScroll: true });
    }
    const added = [];
    if (el.initialKeys) {
      el.querySelectorAll("[data-key]").forEach((row) => {
        if (!el.initialKeys.has(row.dataset.key)) {
          row.classList.add("is-new");
          if (!el.announced.has(row.dataset.key)) added.push(row);
          el.announced.add(row.dataset.key);
        }
      });
    }
    const title = el.querySelector("[data-page-title]");
    if (title) document.title = title.dataset.pageTitle;
    reachScrollBoxes();
    el.dispatchEvent(new CustomEvent("live:updated", { bubbles: true, detail: { added } }));
    return focused;
  }

  // A wide table scrolls in its own box (.table-scroll). While it does, the keyboard can reach
  // the box to scroll it: it is focusable, a region named by the heading before it.
  function reachScrollBoxes() {
    document.querySelectorAll(".table-scroll").forEach((box) => {
      if (box.scrollWidth > box.clientWidth) {
        box.tabIndex = 0;
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", headingBefore(box));
      } else {
        box.removeAttribute("tabindex");
        box.removeAttribute("role");
        box.removeAttribute("aria-label");
      }
    });
  }

  function headingBefore(box) {
    const caption = box.querySelector("caption");
    if (caption) return caption.textContent.trim();
    for (let node = box; node && node !== document.body; node = node.parentElement) {
      for (let sibling = node.previousElementSibling; sibling; sibling = sibling.previousElementSibling) {
        if (/^H[1-6]$/.test(sibling.tagName)) return sibling.textContent.trim();
      }
    }
    return "Table";
  }

  // The browser's time zone, which the pages use when the viewer set none on My profile
  // (pinghome/viewer_zone.py): kept for the server in the "tz" cookie.
  function keepTimeZone() {
    let zone = "";
    try {
      zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    } catch (e) {
      return;
    }
    if (!zone || document.cookie.split("; ").includes("tz=" + zone)) return;
    const secure = window.location.protocol === "https:" ? "; secure" : "";
    document.cookie = "tz=" + zone + "; path=/; max-age=31536000; samesite=lax" + secure;
  }

  function parse(html) {
    return new DOMParser().parseFromString(html, "text/html");
  }

  // The page's address asking for these parts only.
  function partsUrl(parts) {
    const url = new URL(window.location.href);
    url.hash = "";
    url.searchParams.delete("part");
    parts.forEach((name) => url.searchParams.append("part", name));
    return url.href;
  }

  function region(name) {
    return document.querySelector('[data-part="' + name + '"]');
  }

  function freshOf(el, doc) {
    if (el.dataset.part) return doc.querySelector('[data-part="' + el.dataset.part + '"]');
    return el.id ? doc.getElementById(el.id) : null;
  }

  // The server's messages (#messages of the answer) instead of those shown.
  function showMessages(doc, always) {
    const shown = document.getElementById("messages");
    const fresh = doc.getElementById("messages");
    if (!shown || !fresh || (!always && !fresh.querySelector("li"))) return;
    shown.innerHTML = fresh.innerHTML;
  }

  function refresh(el) {
    const url = el.dataset.part
      ? partsUrl([el.dataset.part])
      : el.dataset.refreshUrl || window.location.href;
    const generation = el.generation;
    fetch(url, {
      headers: { "X-Requested-With": "fetch" },
      credentials: "same-origin",
      redirect: "manual",
    })
      .then((r) => {
        if (r.type === "opaqueredirect" || r.status === 401 || r.status === 403) {
          sessionEnded();
          return Promise.reject(r.status);
        }
        return r.ok ? r.text() : Promise.reject(r.status);
      })
      .then((html) => {
        if (el.generation !== generation) return; // a form's answer replaced it meanwhile
        const doc = parse(html);
        const fresh = freshOf(el, doc);
        if (fresh) update(el, fresh);
        showMessages(doc, false);
      })
      .catch(() => {});
  }

  // --- Forms sent without a reload (data-live-parts) ---

  function loginPath() {
    const link = document.querySelector("#session-ended a");
    return link ? link.pathname : "/login";
  }

  // A line under the form (or in its [data-live-status]) saying what happened, where the
  // responder is looking.
  function say(form, items) {
    document.querySelectorAll(".form-status").forEach((line) => line.remove());
    if (!items.length) return;
    const line = document.createElement("div");
    line.className = "form-status";
    items.forEach(([text, kind]) => {
      const item = document.createElement("p");
      item.className = kind;
      item.textContent = text;
      line.appendChild(item);
    });
    const slot = form.querySelector("[data-live-status]");
    if (slot) slot.appendChild(line);
    else form.after(line);
  }

  function failed(form, text) {
    const shown = document.getElementById("messages");
    if (shown) {
      shown.innerHTML = "";
      const list = document.createElement("ul");
      list.className = "messages";
      const item = document.createElement("li");
      item.className = "error";
      item.textContent = text;
      list.appendChild(item);
      shown.appendChild(list);
    }
    say(form, [[text, "error"]]);
  }

  // In a bar held on the screen (the list's selection bar on a phone): scrolling moves it not.
  function stuck(node) {
    for (let el = node; el && el !== document.body; el = el.parentElement) {
      const position = getComputedStyle(el).position;
      if (position === "sticky" || position === "fixed") return true;
    }
    return false;
  }

  function send(form, submitter) {
    const parts = (form.dataset.liveParts || "").split(/\s+/).filter(Boolean);
    const data = new FormData(form);
    if (submitter && submitter.name) data.append(submitter.name, submitter.value);
    // Attributes, not properties: a control named "action" shadows form.action.
    const actionAttr = form.getAttribute("action");
    const action =
      submitter && submitter.hasAttribute("formaction")
        ? submitter.formAction
        : new URL(actionAttr || "", document.baseURI).href;
    const reset =
      form.hasAttribute("data-live-reset") ||
      (submitter && submitter.hasAttribute("data-live-reset"));
    const home = form.closest("[data-part]");
    form.busy = true;
    form.setAttribute("aria-busy", "true");
    fetch(action, {
      method: "POST",
      body: new URLSearchParams(data),
      headers: { "X-Requested-With": "fetch", "X-Live-Parts": parts.join(" ") },
      credentials: "same-origin",
    })
      .then((r) => {
        if (r.redirected && new URL(r.url).pathname === loginPath()) {
          sessionEnded();
          failed(form, "Not done: your session has ended. Sign in again.");
          return;
        }
        if (!r.ok) {
          failed(form, "Not done: the server answered " + r.status + ". Reload and try again.");
          return;
        }
        return r.text().then((html) => apply(parse(html), r.url));
      })
      .catch(() => failed(form, "Not sent: the server could not be reached. Try again."))
      .finally(() => {
        form.busy = false;
        form.removeAttribute("aria-busy");
      });

    function apply(doc, url) {
      const errors = doc.querySelectorAll("#messages li.error").length;
      if (reset && !errors) {
        HTMLFormElement.prototype.reset.call(form);
        form.dispatchEvent(new Event("change", { bubbles: true }));
      }
      // Where the control used is on the screen, to keep it there.
      const anchor = document.activeElement !== document.body ? document.activeElement : form;
      const top = anchor.getBoundingClientRect().top;
      let swapped = 0;
      let focused = null;
      parts.forEach((name) => {
        const el = region(name);
        const fresh = doc.querySelector('[data-part="' + name + '"]');
        if (!el || !fresh) return;
        swapped += 1;
        focused = update(el, fresh) || focused;
      });
      if (!swapped) {
        // Not the answer expected (another page): go where the server sent us.
        const target = new URL(url);
        target.searchParams.delete("part");
        window.location.assign(target.href);
        return;
      }
      showMessages(doc, true);
      const items = Array.from(doc.querySelectorAll("#messages li"), (item) => [
        item.textContent,
        item.className,
      ]);
      const target = form.isConnected
        ? form
        : (home && home.querySelector('form[action="' + actionAttr + '"]')) || home;
      if (target) say(target, items);
      const now = anchor.isConnected ? anchor : focused;
      if (now && !stuck(now)) window.scrollBy(0, now.getBoundingClientRect().top - top);
    }
  }

  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (event.defaultPrevented || !form.dataset || !form.dataset.liveParts) return;
    if ((form.getAttribute("method") || "").toLowerCase() !== "post" || !window.fetch) return;
    event.preventDefault();
    if (!form.busy) send(form, event.submitter);
  });

  keepTimeZone();
  document.addEventListener("DOMContentLoaded", () => {
    reachScrollBoxes();
    window.addEventListener("resize", reachScrollBoxes);
    document.querySelectorAll("[data-refresh]").forEach((el) => {
      el.initialKeys = keys(el);
      el.lastHTML = el.innerHTML;
      el.announced = new Set();
      const seconds = Math.max(1, parseInt(el.dataset.refresh, 10) || 5);
      timers.push(setInterval(() => refresh(el), seconds * 1000));
    });
    document.querySelectorAll("[data-copy]").forEach((button) => {
      button.addEventListener("click", () => {
        navigator.clipboard && navigator.clipboard.writeText(button.dataset.copy);
        button.textContent = "Copied";
      });
    });
  });
})();
