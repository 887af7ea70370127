// Progressive enhancement, no build step. Elements with data-refresh="<seconds>" reload their
// own HTML from data-refresh-url (default: the page) without a full reload.
(function () {
  function refresh(el) {
    const url = el.dataset.refreshUrl || window.location.href;
    fetch(url, { headers: { "X-Requested-With": "fetch" }, credentials: "same-origin" })
      .then((r) => (r.ok ? r.text() : Promise.reject(r.status)))
      .then((html) => {
        const doc = new DOMParser().parseFromString(html, "text/html");
        const fresh = el.id ? doc.getElementById(el.id) : null;
        if (fresh) el.innerHTML = fresh.innerHTML;
      })
      .catch(() => {});
  }
  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("[data-refresh]").forEach((el) => {
      const seconds = Math.max(1, parseInt(el.dataset.refresh, 10) || 5);
      setInterval(() => refresh(el), seconds * 1000);
    });
    document.querySelectorAll("[data-copy]").forEach((button) => {
      button.addEventListener("click", () => {
        navigator.clipboard && navigator.clipboard.writeText(button.dataset.copy);
        button.textContent = "Copied";
      });
    });
  });
})();
