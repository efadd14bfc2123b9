/* Progressive helpers for the workflow forms.
 *
 * The server computes the real score when a form is saved; this only previews it while
 * the user types, with the same rule (100 + min(bonus cap, bonuses) - deductions, never
 * below 0; a veto item means no star). Arithmetic is in tenths of a point (integers) so
 * the preview never shows floating-point noise. Without JavaScript every form still works.
 */
(function () {
  "use strict";

  function tenths(text) {
    var value = parseFloat(text || "0");
    return isNaN(value) ? 0 : Math.round(value * 10);
  }

  function fmt(t) {
    var sign = t < 0 ? "−" : "";
    t = Math.abs(t);
    return sign + Math.floor(t / 10) + "." + (t % 10);
  }

  function starsFor(total, vetoed) {
    if (vetoed) return 0;
    if (total >= 900) return 5;
    if (total >= 800) return 4;
    if (total >= 700) return 3;
    return 0;
  }

  function starText(n, none) {
    return n ? new Array(n + 1).join("★") : none;
  }

  function setupScoreForm(form) {
    // With JavaScript, gap-reason fields appear only where a reason is needed (or given).
    form.classList.add("js-enhanced");
    var cap = tenths(form.getAttribute("data-bonus-cap"));
    var selfTotal = form.getAttribute("data-self-total");
    var totalOut = form.querySelector("[data-preview-total]");
    var starsOut = form.querySelector("[data-preview-stars]");
    var vetoOut = form.querySelector("[data-preview-veto]");
    var gapOut = form.querySelector("[data-preview-gap]");
    var starSelect = form.querySelector("[data-star-select]");

    function recompute() {
      var bonus = 0, deduction = 0, vetoed = false;
      var rows = form.querySelectorAll("[data-item]");
      for (var i = 0; i < rows.length; i++) {
        var row = rows[i];
        var input = row.querySelector("input.occ");
        if (!input) continue;
        var n = parseInt(input.value || "0", 10);
        if (isNaN(n) || n < 0) n = 0;
        var kind = row.getAttribute("data-kind");
        var pts = Math.min(tenths(row.getAttribute("data-points")) * n, tenths(row.getAttribute("data-cap")));
        row._deduction = kind === "bonus" ? 0 : pts;
        if (kind === "bonus") bonus += pts;
        else if (kind === "deduction") deduction += pts;
        else if (kind === "veto" && n > 0) vetoed = true;
        var out = row.querySelector("[data-item-points]");
        if (out) {
          out.textContent = pts ? (kind === "bonus" ? "+" : "−") + fmt(pts) : fmt(0);
          out.classList.toggle("zero", !pts);
        }
        var selfPoints = row.getAttribute("data-self-points");
        if (selfPoints !== null) {
          // A gap of the county's limit (default 5 points) or more on an item needs the assessor's reason.
          var needs = Math.abs(pts - tenths(selfPoints)) >= tenths(row.getAttribute("data-gap-limit") || "5");
          row.classList.toggle("gap-warn", needs);
        }
      }
      var areas = form.querySelectorAll("details.area");
      for (var a = 0; a < areas.length; a++) {
        var lostOut = areas[a].querySelector("[data-area-lost]");
        if (!lostOut) continue;
        var lost = 0;
        var areaRows = areas[a].querySelectorAll("[data-item]");
        for (var r = 0; r < areaRows.length; r++) lost += areaRows[r]._deduction || 0;
        lostOut.textContent = lostOut.getAttribute("data-format").replace("%s", fmt(lost));
      }
      var total = Math.max(0, 1000 + Math.min(bonus, cap) - deduction);
      var stars = starsFor(total, vetoed);
      if (totalOut) totalOut.textContent = fmt(total);
      if (starsOut) starsOut.textContent = starText(stars, starsOut.getAttribute("data-none") || "—");
      if (vetoOut) vetoOut.hidden = !vetoed;
      if (gapOut && selfTotal) {
        var gap = total - tenths(selfTotal);
        gapOut.textContent = (gap > 0 ? "+" : "") + fmt(gap);
        var totalReason = form.querySelector("[data-total-gap-reason]");
        if (totalReason) totalReason.classList.toggle("gap-warn", Math.abs(gap) >= tenths(form.getAttribute("data-total-gap-limit") || "10"));
      }
      if (starSelect && !starSelect.disabled) {
        // Options above what the score earns are greyed out; the server refuses them anyway.
        for (var j = 0; j < starSelect.options.length; j++) {
          var opt = starSelect.options[j];
          opt.disabled = parseInt(opt.value, 10) > stars;
        }
        starSelect.classList.toggle("too-high", parseInt(starSelect.value || "0", 10) > stars);
      }
    }

    form.addEventListener("input", recompute);
    form.addEventListener("change", recompute);
    recompute();
  }

  function setupConfirm(root) {
    var buttons = root.querySelectorAll("[data-confirm]");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].addEventListener("click", function (event) {
        if (!window.confirm(this.getAttribute("data-confirm"))) event.preventDefault();
      });
    }
  }

  function init() {
    var forms = document.querySelectorAll("form[data-score-form]");
    for (var i = 0; i < forms.length; i++) setupScoreForm(forms[i]);
    setupConfirm(document);
    // [data-print] buttons: static/js/site.js, on every page.
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
