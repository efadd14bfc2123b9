/* 今日考评: the county's on-site review, offline first (the machinery: field_core.js).
 *
 * This file says only what a review is: its fields (visit date, team, notes, the
 * county's times, note and gap reason per item), the township's entries beside them,
 * and where it is finalised (the online review page).
 */
"use strict";
(() => {
  function fieldsFrom(review) {
    const today = new Date();
    const iso = new Date(today.getTime() - today.getTimezoneOffset() * 60000).toISOString().slice(0, 10);
    return {
      visit_date: review ? review.visit_date || iso : iso,
      team_members: review ? review.team_members : "",
      notes: review ? review.notes : "",
      total_gap_reason: review ? review.total_gap_reason : "",
      items: review ? JSON.parse(JSON.stringify(review.items)) : {},
    };
  }

  window.FieldCore.start({
    db: "field-review",
    route: "review",
    stateKey: "review",
    fieldsFrom,
    emptyItem: () => ({ occ: 0, note: "", gap: "" }),
    editable: (pack) => pack.reviewable,
    itemEditable: () => true,
    heading: (pack) => `${pack.round} · ${pack.self_status} ${pack.self_score}`,
    submitUrl: (pack) => pack.review_url,

    conflictRows(mine, theirs, pack, add, M) {
      add(M("VisitDate"), mine.visit_date, theirs.visit_date);
      add(M("Team"), mine.team_members, theirs.team_members);
      add(M("Notes"), mine.notes, theirs.notes);
      add(M("TotalGap"), mine.total_gap_reason, theirs.total_gap_reason);
      for (const item of pack.rubric) {
        const a = mine.items[item.id] || {};
        const b = theirs.items[item.id] || {};
        add(`${item.code} ${M("Times")}`, a.occ ?? 0, b.occ ?? 0);
        add(`${item.code} ${M("Note")}`, a.note || "", b.note || "");
        add(`${item.code} ${M("Gap")}`, a.gap || "", b.gap || "");
      }
    },

    // Packs saved before they carried lock_reason were locked only when final.
    notices: (pack, { h, M }) => (pack.reviewable ? null : h("p", { class: "notice locked-notice" }, pack.lock_reason || M("Final"))),

    formBody(ctx) {
      const { pack, fields: f, h, M, thumbs, textInput, setField, setItem } = ctx;
      const items = pack.rubric.map((item) => {
        const own = pack.self_items[item.id] || { occ: 0, points: "0", note: "" };
        const mine = f.items[item.id] || { occ: 0, note: "", gap: "" };
        const files = pack.evidence[item.id] || { self: [], county: [] };
        return h("div", { class: "item review-item", id: `field-item-${item.id}`, "data-item": item.id },
          h("div", { class: "item-head" }, h("span", { class: "code" }, item.code), " ", h("span", { class: "text" }, item.text),
            " ", h("small", { class: "muted" }, `${item.kind_label} ${item.points}/${item.cap}`)),
          h("div", { class: "item-body side-by-side" },
            h("div", { class: "self-side" }, h("h4", {}, M("Self")), h("p", {}, `${own.occ} × · ${own.points}`),
              own.note ? h("p", { class: "muted" }, own.note) : null, thumbs(files.self)),
            h("div", { class: "county-side" }, h("h4", {}, M("County")),
              h("label", { class: "occ-label" }, M("Times"), ctx.occInput(item, mine.occ, setItem(item.id, "occ"))),
              h("label", { class: "note" }, M("Note"), h("textarea", { rows: 1, value: mine.note || "", "data-note": item.id, disabled: !ctx.editable, oninput: (e) => setItem(item.id, "note")(e.target.value) })),
              h("label", { class: "gap-reason" }, M("Gap"), h("textarea", { rows: 1, value: mine.gap || "", "data-gap": item.id, disabled: !ctx.editable, oninput: (e) => setItem(item.id, "gap")(e.target.value) })),
              ctx.photoInput(item),
              ctx.localPhotos(item),
              thumbs(files.county))));
      });
      return [
        h("section", { class: "card visit" },
          textInput(M("VisitDate"), f.visit_date, setField("visit_date"), { type: "date", name: "visit_date" }),
          textInput(M("Team"), f.team_members, setField("team_members"), { name: "team_members" }),
          textInput(M("Notes"), f.notes, setField("notes"), { multiline: true, name: "notes" })),
        h("div", { class: "score-form review-form" }, items),
        h("section", { class: "card" }, textInput(M("TotalGap"), f.total_gap_reason, setField("total_gap_reason"), { multiline: true, name: "total_gap_reason" })),
      ];
    },
  });
})();
