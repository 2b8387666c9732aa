// A payment run's page while the run is under way: every few seconds the page is fetched
// again and its progress region replaced, until the run completed. Without JavaScript
// the page shows the progress as it was when loaded (reload to see more).
(function () {
  "use strict";
  var region = document.getElementById("run-progress");
  if (!region || region.dataset.status === "completed") { return; }
  var every = 3000;
  function poll() {
    fetch(window.location.href, {credentials: "same-origin", cache: "no-store"})
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (!html) { return; }
        var fresh = new DOMParser().parseFromString(html, "text/html")
          .getElementById("run-progress");
        if (!fresh) { return; }
        region.innerHTML = fresh.innerHTML;
        region.dataset.status = fresh.dataset.status;
        if (fresh.dataset.status === "completed") { window.location.reload(); return; }
        window.setTimeout(poll, every);
      })
      .catch(function () { window.setTimeout(poll, every * 2); });
  }
  window.setTimeout(poll, every);
}());
