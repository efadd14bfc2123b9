// Import job page: while the job runs, poll its JSON status and update the counts;
// when it stops running, reload to show the summary the server renders.
// No inline script (CSP): the status URL comes from a data attribute.
(function () {
  "use strict";
  var box = document.querySelector("[data-import-status-url]");
  if (!box || box.getAttribute("data-running") !== "1") {
    return;
  }
  var url = box.getAttribute("data-import-status-url");
  var delay = 1000;

  function show(status) {
    box.querySelectorAll("[data-field]").forEach(function (el) {
      var name = el.getAttribute("data-field");
      if (!(name in status)) {
        return;
      }
      if (el.tagName === "PROGRESS") {
        el.max = Math.max(status.rows_read, 1);
        el.value = status[name];
      } else {
        el.textContent = status[name];
      }
    });
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(String(response.status));
        }
        return response.json();
      })
      .then(function (status) {
        show(status);
        if (status.running) {
          window.setTimeout(poll, delay);
        } else {
          window.location.reload();
        }
      })
      .catch(function () {
        // A dropped request: try again, more slowly.
        delay = Math.min(delay * 2, 10000);
        window.setTimeout(poll, delay);
      });
  }

  window.setTimeout(poll, delay);
})();
