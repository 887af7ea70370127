// The incident list: select incidents for the bulk buttons, and opt-in browser notifications
// and a sound when new triggered incidents arrive (app.js's "live:updated" event). The choices
// are kept in this browser (localStorage).
(function () {
  const STORE = "pinghome.incidents.";

  function selected(form) {
    return form.querySelectorAll("input[name=incident_id]:checked").length;
  }

  function showSelection(form) {
    const count = selected(form);
    const label = document.getElementById("selected-count");
    if (label) label.textContent = count ? count + " selected" : "";
    const all = document.getElementById("select-all");
    const boxes = form.querySelectorAll("input[name=incident_id]");
    if (all) all.checked = boxes.length > 0 && count === boxes.length;
  }

  function beep() {
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return;
    const context = new Context();
    const tone = context.createOscillator();
    const gain = context.createGain();
    tone.frequency.value = 880;
    gain.gain.value = 0.1;
    tone.connect(gain).connect(context.destination);
    tone.start();
    tone.stop(context.currentTime + 0.25);
  }

  function announce(rows) {
    const triggered = rows.filter((row) => row.dataset.status === "triggered");
    if (!triggered.length) return;
    const names = triggered.map((row) => row.querySelector("td.name a").textContent.trim());
    if (localStorage.getItem(STORE + "notify") === "1" && window.Notification &&
        Notification.permission === "granted") {
      new Notification(triggered.length + " new incident" + (triggered.length > 1 ? "s" : ""), {
        body: names.slice(0, 5).join("\n"),
        tag: "pinghome-incidents",
      });
    }
    if (localStorage.getItem(STORE + "sound") === "1") beep();
  }

  function option(id, key, onEnable) {
    const box = document.getElementById(id);
    if (!box) return;
    box.checked = localStorage.getItem(STORE + key) === "1";
    box.addEventListener("change", () => {
      localStorage.setItem(STORE + key, box.checked ? "1" : "0");
      if (box.checked && onEnable) onEnable(box);
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    const form = document.getElementById("incident-bulk");
    if (!form) return;
    const all = document.getElementById("select-all");
    if (all) {
      all.closest("label").hidden = false;
      all.addEventListener("change", () => {
        form.querySelectorAll("input[name=incident_id]").forEach((box) => {
          box.checked = all.checked;
        });
        showSelection(form);
      });
    }
    form.addEventListener("change", () => showSelection(form));
    form.addEventListener("live:updated", (event) => {
      showSelection(form);
      announce(event.detail.added);
    });
    const options = document.getElementById("live-options");
    if (options) options.hidden = false;
    option("notify-new", "notify", (box) => {
      if (!window.Notification) return;
      Notification.requestPermission().then((answer) => {
        if (answer !== "granted") {
          box.checked = false;
          localStorage.setItem(STORE + "notify", "0");
        }
      });
    });
    option("notify-sound", "sound");
    showSelection(form);
  });
})();
