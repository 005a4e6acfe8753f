// Dashboard conveniences; every page works without them.
(function () {
  "use strict";

  // "Copy" buttons beside links and snippets (shown only when copying can work).
  Array.prototype.forEach.call(document.querySelectorAll("button.copy[data-copy]"), function (button) {
    var field = document.getElementById(button.dataset.copy);
    if (!field || !navigator.clipboard) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(field.value).then(function () {
        button.textContent = "Copied";
        setTimeout(function () { button.textContent = "Copy"; }, 2000);
      }, function () {
        field.select();
      });
    });
  });

  // Links to a confirmation page open it as a dialog over the current page;
  // the dialog holds the same form as the page, so the outcome is identical.
  var dialog = document.getElementById("confirm-dialog");
  if (!dialog || typeof dialog.showModal !== "function") { return; }
  Array.prototype.forEach.call(document.querySelectorAll("a[data-confirm]"), function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      fetch(link.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (text) {
          if (!text) { location.href = link.href; return; }
          var page = new DOMParser().parseFromString(text, "text/html");
          var form = page.querySelector("form.confirm-form");
          if (!form) { location.href = link.href; return; }
          var body = dialog.querySelector(".dialog-body");
          body.replaceChildren(document.importNode(page.querySelector(".confirm-card"), true));
          var keep = body.querySelector("a.keep");
          if (keep) {
            keep.addEventListener("click", function (e) { e.preventDefault(); dialog.close(); });
          }
          dialog.showModal();
        })
        .catch(function () { location.href = link.href; });
    });
  });
})();
