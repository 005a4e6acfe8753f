// Inside a framed booking page (/embed/...): keep this page's own navigation in
// the frame and tell the embedding page how tall the content is. Everything
// else (a slot, a booking type) opens in the top window through <base
// target="_top">, so the details, review and payment pages are never framed.
(function () {
  "use strict";
  if (window.parent === window) { return; }
  document.documentElement.classList.add("embedded");

  var embedPath = location.pathname;
  var pagePath = embedPath.replace(/^\/embed(?=\/)/, "");

  // Other weeks and another time zone are this same page: stay in the frame.
  function framed(url) {
    var target = new URL(url, location.href);
    if (target.origin !== location.origin || target.pathname !== pagePath) { return null; }
    target.pathname = embedPath;
    return target.href;
  }
  Array.prototype.forEach.call(document.querySelectorAll("a[href]"), function (link) {
    var url = framed(link.href);
    if (url) { link.href = url; link.target = "_self"; }
  });
  Array.prototype.forEach.call(document.querySelectorAll("form"), function (form) {
    var url = framed(form.action);
    if (url) { form.action = url; form.target = "_self"; }
  });

  // The height of the content, sent whenever it changes. Only a number: any
  // page may read it, so "*" is safe; embed.js checks where it came from.
  var last = 0;
  function report() {
    var main = document.querySelector("main") || document.body;
    var height = Math.ceil(main.getBoundingClientRect().bottom + window.scrollY + 24);
    if (height !== last) {
      last = height;
      window.parent.postMessage({ type: "leadscalendar:height", height: height }, "*");
    }
  }
  if (window.ResizeObserver) { new ResizeObserver(report).observe(document.body); }
  document.addEventListener("toggle", report, true);
  window.addEventListener("load", report);
  report();
})();
