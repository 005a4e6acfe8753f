// Sign-up page: take the time zone from the browser, and propose the page address
// from the name until the host edits it. Without JavaScript the server's defaults apply.
(function () {
  "use strict";
  var zone = document.getElementById("timezone");
  var name = document.getElementById("name");
  var slug = document.getElementById("slug");
  var preview = document.getElementById("slug-preview");
  if (!zone || !name || !slug) return;
  try {
    var detected = Intl.DateTimeFormat().resolvedOptions().timeZone;
    var submitted = document.getElementById("signup-error");
    if (detected && !submitted) {
      for (var i = 0; i < zone.options.length; i++) {
        if (zone.options[i].value === detected) { zone.value = detected; break; }
      }
    }
  } catch (e) { /* an old browser: the default stays */ }
  var edited = slug.value !== "";
  function propose(text) {
    return text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase()
      .replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 64).replace(/-+$/, "");
  }
  function show() {
    if (preview) preview.textContent = preview.textContent.replace(/[^/]*$/, slug.value || "your-name");
  }
  name.addEventListener("input", function () {
    if (!edited) { slug.value = propose(name.value); show(); }
  });
  slug.addEventListener("input", function () { edited = slug.value !== ""; show(); });
  // A name typed before this script ran (a slow phone) still gets its address.
  if (!edited && name.value) { slug.value = propose(name.value); show(); }
})();
