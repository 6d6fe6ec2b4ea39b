// Behaviour that needs script, kept out of the templates so the CSP can forbid inline scripts.
(function () {
  "use strict";

  // A request that failed shows why, instead of the button silently doing nothing.
  function showToast(text) {
    var toast = document.getElementById("toast");
    if (!toast) {
      toast = document.createElement("p");
      toast.id = "toast";
      toast.className = "flash flash-error";
      toast.setAttribute("role", "alert");
      document.body.appendChild(toast);
    }
    toast.textContent = text;
    clearTimeout(toast.hideTimer);
    toast.hideTimer = setTimeout(function () { toast.remove(); }, 8000);
  }

  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    if (xhr.getResponseHeader("HX-Redirect")) { return; }
    var text = (xhr.responseText || "").trim();
    showToast(text.length && text.length < 300 ? text : (document.body.dataset.errorText || "Error " + xhr.status));
  });
  document.addEventListener("htmx:sendError", function () {
    showToast(document.body.dataset.offlineText || "Offline");
  });

  // Links marked data-keep-query follow the list's search and filters as htmx changes the address.
  document.addEventListener("htmx:pushedIntoHistory", function () {
    document.querySelectorAll("a[data-keep-query]").forEach(function (link) {
      link.search = window.location.search;
    });
  });

  // Upload progress for forms that send files through htmx.
  document.addEventListener("htmx:xhr:progress", function (event) {
    var bar = event.target.querySelector && event.target.querySelector("progress.upload-progress");
    if (bar && event.detail.lengthComputable) {
      bar.value = Math.round(event.detail.loaded / event.detail.total * 100);
    }
  });

  // wa.me links lead to the server, which checks the send rules and records "opened". With script
  // the answer replaces the row or the queue card (or the page reloads); only an allowed send
  // names the WhatsApp address to open, so a refused one opens nothing and says why in place.
  document.addEventListener("click", function (event) {
    var link = event.target.closest("a[data-open-target]");
    if (!link || !window.htmx || event.button || event.ctrlKey || event.metaKey || event.shiftKey) { return; }
    event.preventDefault();
    var target = link.dataset.openTarget;
    var request = {source: link, values: {next: window.location.pathname + window.location.search}};
    if (target === "reload") {
      request.swap = "none";
      htmx.ajax("GET", link.href, request).then(function () { window.location.reload(); });
      return;
    }
    request.target = target === "closest tr" ? link.closest("tr") : target;
    request.swap = "outerHTML";
    htmx.ajax("GET", link.href, request);
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var url = event.detail.xhr && event.detail.xhr.getResponseHeader("X-WhatsApp-Url");
    // Opened within the click's user activation, so no pop-up blocker stands in the way.
    if (url && url.indexOf("https://wa.me/") === 0) { window.open(url, "_blank", "noopener"); }
  });

  // An open dropdown (a row's "Lainnya", the user menu) closes on a click elsewhere or on Escape.
  function closeDropdowns(except) {
    document.querySelectorAll("details.dropdown[open]").forEach(function (menu) {
      if (menu !== except) { menu.removeAttribute("open"); }
    });
  }
  document.addEventListener("click", function (event) {
    closeDropdowns(event.target.closest("details.dropdown"));
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { closeDropdowns(null); }
  });

  // Plain (non-htmx) buttons that destroy something ask first: <button data-confirm="…">.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-confirm]");
    if (button && !window.confirm(button.dataset.confirm)) { event.preventDefault(); }
  });
})();
