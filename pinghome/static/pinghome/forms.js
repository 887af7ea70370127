// Form rows without a build step: [data-rows] holds a [data-row-container], a
// <template data-row-template> and an [data-add-row] button; [data-remove-row] removes its row.
// Component selects follow their row's status page; forms with data-confirm ask first;
// select[data-autosubmit] submits its form on change; an escalation policy select offers the
// policies of the team chosen in its form (options with data-team).
(function () {
  function followTeam(form) {
    const team = form && form.querySelector("select[name=team_id]");
    const policy = form && form.querySelector("select[name=escalation_policy_id]");
    if (!team || !policy) return;
    policy.querySelectorAll("option[data-team]").forEach((option) => {
      option.hidden = option.dataset.team !== team.value;
    });
    const chosen = policy.selectedOptions[0];
    if (chosen && chosen.hidden) policy.value = "";
  }

  function followStatusPage(row) {
    const page = row.querySelector("[data-status-page-select]");
    if (!page) return;
    row.querySelectorAll("option[data-status-page]").forEach((option) => {
      option.hidden = Boolean(page.value) && option.dataset.statusPage !== page.value;
    });
  }

  document.addEventListener("click", (event) => {
    const add = event.target.closest("[data-add-row]");
    if (add) {
      const box = add.closest("[data-rows]");
      const template = box.querySelector("template[data-row-template]");
      const row = template.content.firstElementChild.cloneNode(true);
      box.querySelector("[data-row-container]").appendChild(row);
      followStatusPage(row);
      const first = row.querySelector("input:not([type=hidden]), select, textarea");
      if (first) first.focus();
      return;
    }
    const remove = event.target.closest("[data-remove-row]");
    if (remove) remove.closest("[data-row]").remove();
  });

  document.addEventListener("change", (event) => {
    if (event.target.matches("select[data-autosubmit]")) event.target.form.submit();
    if (event.target.matches("select[name=team_id]")) followTeam(event.target.form);
    if (event.target.matches("[data-status-page-select]")) {
      const row = event.target.closest("[data-row]");
      const component = row.querySelector("select[name=action-component]");
      const chosen = component && component.selectedOptions[0];
      if (chosen && chosen.dataset.statusPage && chosen.dataset.statusPage !== event.target.value) {
        component.value = "";
      }
      followStatusPage(row);
    }
  });

  document.addEventListener("submit", (event) => {
    const message = event.target.dataset && event.target.dataset.confirm;
    if (message && !window.confirm(message)) event.preventDefault();
  });

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("[data-row]").forEach(followStatusPage);
    document.querySelectorAll("form").forEach(followTeam);
  });
})();
