// The lead's booking pages: detect the time zone, follow a booking's status.
// Both are optional: without JavaScript the pages work in the host's zone and
// refresh themselves with <meta http-equiv="refresh">.
(function () {
  "use strict";

  // Show times in the browser's zone and clock unless the lead has already picked them.
  // The server canonicalises the zone (CLDR still reports links such as Asia/Calcutta);
  // once both are in the address the page never redirects again.
  var select = document.querySelector("#tz-form select[name=tz]");
  var clockBox = document.getElementById("clock");
  if (select) {
    var asked = new URLSearchParams(location.search);
    var wanted = new URLSearchParams(location.search);
    if (!asked.has("tz")) {
      var zone = "";
      try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { zone = ""; }
      if (zone && zone !== select.dataset.current) { wanted.set("tz", zone); }
    }
    if (clockBox && !asked.has("clock")) {
      var clock = browserClock();
      if (clock && clock !== clockBox.dataset.clock) { wanted.set("clock", clock); }
    }
    if (wanted.toString() !== asked.toString()) {
      // The reload's Referer is this page: carry the site the lead came from (its
      // origin only, as the server keeps it) so the booking's source still names it.
      var from = "";
      try { from = document.referrer ? new URL(document.referrer).origin : ""; } catch (e) { from = ""; }
      if (from && from !== "null" && from !== location.origin && !wanted.has("referrer")) {
        wanted.set("referrer", from);
      }
      location.replace(location.pathname + "?" + wanted.toString() + location.hash);
      return;
    }
  }

  function browserClock() {
    try {
      var options = new Intl.DateTimeFormat(undefined, { hour: "numeric" }).resolvedOptions();
      if (options.hourCycle) { return options.hourCycle === "h11" || options.hourCycle === "h12" ? "12" : "24"; }
      return options.hour12 ? "12" : "24";
    } catch (e) { return ""; }
  }

  // A search box over the zone list: type a city or a zone and press Enter, or pick a
  // suggestion. Without JavaScript the list alone does the job (the box stays hidden).
  var search = document.getElementById("tz-search");
  if (select && search) {
    var zones = Array.prototype.map.call(select.options, function (o) {
      return { value: o.value, label: o.textContent, text: o.textContent.toLowerCase() };
    });
    var suggestions = document.getElementById("tz-options");
    var items = document.createDocumentFragment();
    zones.forEach(function (z) {
      var option = document.createElement("option");
      option.value = z.label;
      items.appendChild(option);
    });
    suggestions.appendChild(items);
    document.getElementById("tz-search-box").hidden = false;
    var help = document.getElementById("tz-search-help");
    help.setAttribute("aria-live", "polite");
    var going = false;
    var choose = function (zone) {
      if (going) { return; }
      going = true;
      select.value = zone.value;
      select.form.submit();
    };
    var best = function (typed) {
      var wantedText = typed.trim().toLowerCase().replace(/_/g, " ");
      if (!wantedText) { return null; }
      var exact = zones.filter(function (z) { return z.text === wantedText || z.value.toLowerCase() === wantedText; });
      if (exact.length) { return exact[0]; }
      var found = zones.filter(function (z) { return z.text.replace(/_/g, " ").indexOf(wantedText) !== -1; });
      return found.length ? found[0] : null;
    };
    // Picking a suggestion fills in its whole label: go there at once.
    search.addEventListener("input", function () {
      var picked = zones.filter(function (z) { return z.label === search.value; });
      if (picked.length) { choose(picked[0]); }
    });
    search.addEventListener("keydown", function (event) {
      if (event.key !== "Enter") { return; }
      event.preventDefault();
      var zone = best(search.value);
      if (zone) { choose(zone); return; }
      search.setAttribute("aria-invalid", "true");
      help.textContent = (help.dataset.noMatch || "").replace("{query}", search.value.trim());
    });
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
