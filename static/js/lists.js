// Lists: the print button of a print layout (no inline script: the CSP forbids it).
// Its own attribute (data-list-print), so pages whose scripts bind data-print do not
// print twice.
(function () {
  "use strict";
  function bind() {
    var buttons = document.querySelectorAll("[data-list-print]");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].addEventListener("click", function () { window.print(); });
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", bind);
  else bind();
})();
