// Behaviour shared by every page, kept out of the markup so the Content-Security-Policy
// can refuse all inline script (no onclick=/onchange= attributes, no inline <script>).
//   <select data-autosubmit>   submits its form when the choice changes (language switch)
//   <button data-print>        opens the browser's print dialog
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el instanceof Element && el.hasAttribute("data-autosubmit") && el.form) {
      el.form.submit();
    }
  });
  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target.closest("[data-print]") : null;
    if (target) {
      event.preventDefault();
      window.print();
    }
  });
})();
