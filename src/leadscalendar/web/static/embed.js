// LeadsCalendar embeds for the host's own website. Copy a snippet from the
// dashboard (Booking types); this script turns its element into
//   - an inline booking widget: <div data-leadscalendar-inline="…/embed/you/call">
//     becomes an iframe that grows and shrinks with its content;
//   - a popup button: <button data-leadscalendar-popup="…/embed/you/call">
//     opens the booking page over the site in a dialog.
// Only pages under /embed/ of the origin this script came from are framed, and
// only that origin's frames may set their height. Picking a time continues in
// the top window (payment pages refuse to be framed).
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.src) { return; }
  var origin = new URL(script.src).origin;
  var frames = [];
  var MIN_HEIGHT = 240;
  var MAX_HEIGHT = 20000;

  function embedUrl(raw) {
    try {
      var url = new URL(raw, origin);
      if (url.origin !== origin || url.pathname.indexOf("/embed/") !== 0) { return null; }
      return url.href;
    } catch (e) {
      return null;
    }
  }

  function frame(url, title) {
    var iframe = document.createElement("iframe");
    iframe.src = url;
    iframe.title = title || "Book a time";
    iframe.setAttribute("data-leadscalendar-frame", "");
    iframe.style.cssText = "display:block;width:100%;border:0;height:" + MIN_HEIGHT + "px;";
    frames.push(iframe);
    return iframe;
  }

  window.addEventListener("message", function (event) {
    // Anyone can post to this window: only our origin's frames are listened to.
    if (event.origin !== origin) { return; }
    var data = event.data;
    if (!data || data.type !== "leadscalendar:height" || typeof data.height !== "number") { return; }
    var height = Math.max(MIN_HEIGHT, Math.min(MAX_HEIGHT, Math.round(data.height)));
    frames.forEach(function (iframe) {
      if (iframe.contentWindow === event.source) { iframe.style.height = height + "px"; }
    });
  });

  function inline(element) {
    var url = embedUrl(element.getAttribute("data-leadscalendar-inline"));
    if (!url) { return; }
    element.appendChild(frame(url, element.getAttribute("data-title")));
  }

  function popup(button) {
    var url = embedUrl(button.getAttribute("data-leadscalendar-popup"));
    if (!url) { return; }
    button.addEventListener("click", function (event) {
      event.preventDefault();
      var overlay = document.createElement("div");
      overlay.setAttribute("data-leadscalendar-popup-overlay", "");
      overlay.setAttribute("role", "dialog");
      overlay.setAttribute("aria-modal", "true");
      overlay.setAttribute("aria-label", button.textContent || "Book a time");
      overlay.style.cssText = "position:fixed;inset:0;z-index:2147483000;background:rgba(0,0,0,.5);" +
        "overflow-y:auto;padding:2rem .5rem;box-sizing:border-box;";
      var box = document.createElement("div");
      box.style.cssText = "position:relative;max-width:52rem;margin:0 auto;background:#f6f7f9;" +
        "border-radius:8px;padding-top:2.5rem;";
      var close = document.createElement("button");
      close.type = "button";
      close.textContent = "Close";
      close.setAttribute("data-leadscalendar-close", "");
      close.style.cssText = "position:absolute;top:.5rem;right:.5rem;";
      var iframe = frame(url, button.textContent);
      function dismiss() {
        overlay.remove();
        frames = frames.filter(function (f) { return f !== iframe; });
        document.removeEventListener("keydown", onKey);
        button.focus();
      }
      function onKey(e) { if (e.key === "Escape") { dismiss(); } }
      close.addEventListener("click", dismiss);
      overlay.addEventListener("click", function (e) { if (e.target === overlay) { dismiss(); } });
      document.addEventListener("keydown", onKey);
      box.appendChild(close);
      box.appendChild(iframe);
      overlay.appendChild(box);
      document.body.appendChild(overlay);
      close.focus();
    });
  }

  function start() {
    var ready = "data-leadscalendar-ready";
    Array.prototype.forEach.call(document.querySelectorAll("[data-leadscalendar-inline]"), function (el) {
      if (!el.hasAttribute(ready)) { el.setAttribute(ready, ""); inline(el); }
    });
    Array.prototype.forEach.call(document.querySelectorAll("[data-leadscalendar-popup]"), function (el) {
      if (!el.hasAttribute(ready)) { el.setAttribute(ready, ""); popup(el); }
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
