// Scint's web view: keeps the page current while other processes write. It asks /api/version every second
// and, when any branch moved, fetches this page again and swaps in its <main>. No framework, no build step.
(function () {
  "use strict";
  var live = document.getElementById("live");
  var delay = 1000;

  function current() { return document.getElementById("main"); }

  function refresh() {
    return fetch(location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) { return r.text(); })
      .then(function (text) {
        var fresh = new DOMParser().parseFromString(text, "text/html").getElementById("main");
        var main = current();
        if (fresh && main) {
          var open = Array.prototype.map.call(main.querySelectorAll("details[open]"), function (d) {
            return d.parentNode ? Array.prototype.indexOf.call(main.querySelectorAll("details"), d) : -1;
          });
          main.replaceWith(fresh);
          var all = fresh.querySelectorAll("details");
          open.forEach(function (i) { if (i >= 0 && all[i]) { all[i].open = true; } });
          document.dispatchEvent(new CustomEvent("scint:updated", { detail: fresh.dataset.stamp }));
        }
      });
  }

  function tick() {
    var main = current();
    if (!main || document.activeElement && document.activeElement.tagName === "INPUT") {
      setTimeout(tick, delay);
      return;
    }
    fetch("/api/version", { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (live) { live.className = data ? "live" : "live off"; }
        if (data && data.stamp !== current().dataset.stamp) { return refresh(); }
        return null;
      })
      .catch(function () { if (live) { live.className = "live off"; } })
      .then(function () { setTimeout(tick, delay); });
  }

  setTimeout(tick, delay);
})();
