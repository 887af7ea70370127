// Progressive enhancement, no build step. Elements with data-refresh="<seconds>" reload their
// own HTML from data-refresh-url (default: the page) without a full reload, keeping keyboard
// focus, ticked checkboxes and open <details> where they were. Children with data-key that were
// not there when the page loaded get the class "is-new"; a "live:updated" event on the element
// lists them. When the session has ended, the #session-ended banner shows and updates stop.
(function () {
  const timers = [];

  // What identifies a control across renderings: its row (data-key), its id, or its kind,
  // name, value, target and text.
  function keyOf(node, root) {
    if (!node || node === document.body || !root.contains(node)) return null;
    const row = node.closest("[data-key]");
    return {
      row: row && root.contains(row) ? row.dataset.key : null,
      id: node.id,
      signature: signature(node),
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

  function find(root, key) {
    if (key.id) {
      const byId = document.getElementById(key.id);
      if (byId && root.contains(byId)) return byId;
    }
    const scope = key.row
      ? Array.from(root.querySelectorAll("[data-key]")).find((r) => r.dataset.key === key.row)
      : root;
    if (!scope) return null;
    return (
      Array.from(scope.querySelectorAll("a, button, input, select, textarea, summary")).find(
        (node) => signature(node) === key.signature
      ) || null
    );
  }

  function keys(root) {
    return new Set(Array.from(root.querySelectorAll("[data-key]"), (row) => row.dataset.key));
  }

  function sessionEnded() {
    timers.forEach(clearInterval);
    const banner = document.getElementById("session-ended");
    if (banner) banner.hidden = false;
  }

  function update(el, fresh) {
    if (fresh.innerHTML === el.lastHTML) return;
    el.lastHTML = fresh.innerHTML;
    const active = keyOf(document.activeElement, el);
    const ticked = Array.from(el.querySelectorAll("input[type=checkbox]:checked, details[open]"));
    const tickedKeys = ticked.map((node) => keyOf(node, el));
    el.innerHTML = fresh.innerHTML;
    tickedKeys.forEach((key) => {
      const node = key && find(el, key);
      if (node && node.tagName === "DETAILS") node.open = true;
      else if (node) node.checked = true;
    });
    if (active) {
      const target = find(el, active);
      if (target) target.focus({ preventScroll: true });
    }
    const added = [];
    el.querySelectorAll("[data-key]").forEach((row) => {
      if (!el.initialKeys.has(row.dataset.key)) {
        row.classList.add("is-new");
        if (!el.announced.has(row.dataset.key)) added.push(row);
        el.announced.add(row.dataset.key);
      }
    });
    const title = el.querySelector("[data-page-title]");
    if (title) document.title = title.dataset.pageTitle;
    reachScrollBoxes();
    el.dispatchEvent(new CustomEvent("live:updated", { bubbles: true, detail: { added } }));
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

  function refresh(el) {
    const url = el.dataset.refreshUrl || window.location.href;
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
        const doc = new DOMParser().parseFromString(html, "text/html");
        const fresh = el.id ? doc.getElementById(el.id) : null;
        if (fresh) update(el, fresh);
      })
      .catch(() => {});
  }

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
