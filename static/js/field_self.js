/* 离线自评: a township official's self-assessment, offline first (the machinery: field_core.js).
 *
 * This file says only what a self-assessment is: the times and note per item, the
 * evidence photos, the star applied for; which items are open (all of a draft, only the
 * returned ones while it is sent back); and where it is submitted (the online form,
 * where the server scores and checks it).
 */
"use strict";
(() => {
  const STARS = [0, 3, 4, 5];

  function fieldsFrom(state) {
    return {
      star_applied: state ? state.star_applied : 0,
      items: state ? JSON.parse(JSON.stringify(state.items)) : {},
    };
  }

  window.FieldCore.start({
    db: "field-self",
    route: "self",
    stateKey: "self",
    fieldsFrom,
    emptyItem: () => ({ occ: 0, note: "" }),
    editable: (pack) => pack.editable,
    itemEditable: (pack, id) => pack.editable_items.includes(id),
    heading: (pack) => `${pack.round} · ${pack.self.status_label}`,
    submitUrl: (pack) => pack.form_url,

    conflictRows(mine, theirs, pack, add, M) {
      add(M("Star"), M(`Star${mine.star_applied}`), M(`Star${theirs.star_applied}`));
      for (const item of pack.rubric) {
        const a = mine.items[item.id] || {};
        const b = theirs.items[item.id] || {};
        add(`${item.code} ${M("Times")}`, a.occ ?? 0, b.occ ?? 0);
        add(`${item.code} ${M("Note")}`, a.note || "", b.note || "");
      }
    },

    notices(pack, { h, M }) {
      if (!pack.editable) return h("p", { class: "notice locked-notice" }, pack.lock_reason);
      return [
        h("p", { class: "muted" }, `${M("Deadline")}${pack.deadline}`),
        pack.returned ? h("p", { class: "notice", "data-returned": true }, M("Returned"), " ", pack.return_reason) : null,
      ];
    },

    formBody(ctx) {
      const { pack, fields: f, h, M, thumbs, setField, setItem } = ctx;
      const items = pack.rubric.map((item) => {
        const mine = f.items[item.id] || { occ: 0, note: "" };
        const files = pack.evidence[item.id] || { self: [] };
        const open = ctx.itemEditable(item.id);
        return h("div", { class: `item${open ? "" : " locked"}`, id: `field-item-${item.id}`, "data-item": item.id },
          h("div", { class: "item-head" }, h("span", { class: "code" }, item.code), " ", h("span", { class: "text" }, item.text),
            " ", h("small", { class: "muted" }, `${item.kind_label} ${item.points}/${item.cap}`)),
          h("div", { class: "item-body" },
            h("label", { class: "occ-label" }, M("Times"), ctx.occInput(item, mine.occ, setItem(item.id, "occ"))),
            h("label", { class: "note" }, M("Note"), h("textarea", { rows: 1, value: mine.note || "", "data-note": item.id, disabled: !open, oninput: (e) => setItem(item.id, "note")(e.target.value) })),
            ctx.photoInput(item),
            ctx.localPhotos(item),
            thumbs(files.self)));
      });
      const score = pack.self.score ? `${M("Score")}${pack.self.score}` : "";
      return [
        h("div", { class: "score-form" }, items),
        h("section", { class: "card" },
          h("label", {}, M("Star"), h("select", {
            "data-field": "star_applied", disabled: !ctx.editable,
            onchange: (e) => setField("star_applied")(Number(e.target.value)),
          }, STARS.map((n) => {
            const option = h("option", { value: String(n) }, M(`Star${n}`));
            option.selected = Number(f.star_applied) === n;
            return option;
          }))),
          h("p", { class: "muted", "data-score": true }, score, " ", M("ScoreLater"))),
      ];
    },
  });
})();
