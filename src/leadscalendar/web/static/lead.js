// The lead's booking pages: detect the time zone, follow a booking's status.
// Both are optional: without JavaScript the pages work in the host's zone and
// refresh themselves with <meta http-equiv="refresh">.
(function () {
  "use strict";

  // Show times in the browser's zone unless the lead has already picked one.
  var select = document.querySelector("#tz-form select[name=tz]");
  if (select && !new URLSearchParams(location.search).has("tz")) {
    var zone = "";
    try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { zone = ""; }
    var known = Array.prototype.some.call(select.options, function (o) { return o.value === zone; });
    if (zone && known && zone !== select.dataset.current) {
      var params = new URLSearchParams(location.search);
      params.set("tz", zone);
      location.replace(location.pathname + "?" + params.toString());
    }
  }

  // Reload the status page when the booking's status changes (every 2 s).
  var card = document.getElementById("booking-status");
  if (card && card.dataset.pollUrl) {
    var poll = function () {
      fetch(card.dataset.pollUrl, { headers: { Accept: "application/json" }, cache: "no-store" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (b) {
          if (b && b.status !== card.dataset.status) { location.reload(); return; }
          setTimeout(poll, 2000);
        })
        .catch(function () { setTimeout(poll, 2000); });
    };
    setTimeout(poll, 2000);
  }
})();
