/* Offline field work, shared by both kinds of field form: the county's on-site review
 * (今日考评, field.js) and a township official's self-assessment (离线自评, field_self.js).
 *
 * Packs (rubric, entries, photo links, the server's version of the draft) are fetched
 * while online and kept in IndexedDB; every keystroke is kept there at once, so a
 * reload, a closed browser or a dead battery loses nothing. Drafts and photos upload
 * when the connection returns (and on a tap), each under a UUID made here: the server
 * stores a retried upload once. A draft the server changed meanwhile comes back as a
 * conflict and both versions are shown. Submitting or finalising stays on the online page.
 *
 * A pack may carry closes (its last day, YYYY-MM-DD) and closed_reason: after that day the
 * form shows the reason and takes no input.
 *
 * A kind is an object: db (IndexedDB name, one database per user under it), route (the hash prefix), stateKey (where the
 * pack and the server's answers hold the server's version), emptyItem(), fieldsFrom(state),
 * editable(pack), itemEditable(pack, id), heading(pack), notices(pack), submitUrl(pack),
 * conflictRows(mine, theirs, pack, add, M) and formBody(ctx).
 */
"use strict";
window.FieldCore = {
  start(kind) {
    const app = document.getElementById("field-app");
    if (!app) return;
    const M = (name) => app.dataset["msg" + name] || "";
    const urls = {
      candidates: app.dataset.candidatesUrl,
      pack: (pk) => app.dataset.packUrl.replace(/0\.json$/, pk + ".json"),
      session: app.dataset.sessionUrl,
      draft: app.dataset.syncDraftUrl,
      photo: app.dataset.syncPhotoUrl,
    };
    const $ = (sel, root = app) => root.querySelector(sel);

    // ------------------------------------------------------------------ IndexedDB
    // One database per user of the phone (a township office shares its phones): the next
    // user never sees, edits or uploads what the last one kept, and finds their own work
    // again when they sign back in. The owner is the signed-in user the page was served to.
    const STORES = ["packs", "drafts", "photos"];
    if (!app.dataset.owner) throw new Error("field-app: no data-owner");
    function openDb(name, create) {
      return new Promise((resolve, reject) => {
        const request = indexedDB.open(name, 1);
        request.onupgradeneeded = (event) => {
          if (!create) { request.transaction.abort(); return; }  // none there: make none
          const db = request.result;
          db.createObjectStore("packs", { keyPath: "assessment" });
          db.createObjectStore("drafts", { keyPath: "assessment" });
          db.createObjectStore("photos", { keyPath: "client_id" }).createIndex("assessment", "assessment");
        };
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => (create ? reject(request.error) : resolve(null));
      });
    }
    // Before, the phone kept one database per form, shared by whoever used it: its content
    // moves (never over a newer copy) to the first user who opens the form, to whom it
    // showed before, and the shared database is removed.
    async function adoptShared(db) {
      const shared = await openDb(kind.db, false);
      if (!shared) return;
      for (const store of STORES) {
        if (!shared.objectStoreNames.contains(store)) continue;
        const rows = await new Promise((resolve, reject) => {
          const request = shared.transaction(store, "readonly").objectStore(store).getAll();
          request.onsuccess = () => resolve(request.result);
          request.onerror = () => reject(request.error);
        });
        await new Promise((resolve, reject) => {
          const t = db.transaction(store, "readwrite");
          for (const row of rows) {
            const request = t.objectStore(store).add(row);
            request.onerror = (event) => { event.preventDefault(); event.stopPropagation(); };  // kept already
          }
          t.oncomplete = resolve;
          t.onerror = () => reject(t.error);
        });
      }
      shared.close();
      await new Promise((resolve) => {
        const request = indexedDB.deleteDatabase(kind.db);
        request.onsuccess = request.onerror = request.onblocked = resolve;
      });
    }
    const dbReady = openDb(`${kind.db}-user-${app.dataset.owner}`, true).then(async (db) => {
      await adoptShared(db);
      return db;
    });

    async function tx(store, mode, fn) {
      const db = await dbReady;
      return new Promise((resolve, reject) => {
        const t = db.transaction(store, mode);
        let result;
        const request = fn(t.objectStore(store));
        if (request) request.onsuccess = () => { result = request.result; };
        t.oncomplete = () => resolve(result);
        t.onerror = () => reject(t.error);
        t.onabort = () => reject(t.error);
      });
    }
    const dbGet = (store, key) => tx(store, "readonly", (s) => s.get(key));
    const dbAll = (store) => tx(store, "readonly", (s) => s.getAll());
    const dbPut = (store, value) => tx(store, "readwrite", (s) => s.put(value));
    const dbDelete = (store, key) => tx(store, "readwrite", (s) => s.delete(key));

    if (navigator.storage && navigator.storage.persist) navigator.storage.persist().catch(() => {});

    function uuid() {
      if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
      const b = crypto.getRandomValues(new Uint8Array(16));
      b[6] = (b[6] & 15) | 64;
      b[8] = (b[8] & 63) | 128;
      const hex = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
      return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    }

    // DOM built with textContent only: names come from the server and the phone.
    function h(tag, attrs = {}, ...children) {
      const el = document.createElement(tag);
      for (const [key, value] of Object.entries(attrs)) {
        if (value === null || value === undefined || value === false) continue;
        if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
        else if (key === "value") el.value = value;
        else el.setAttribute(key, value === true ? "" : value);
      }
      for (const child of children.flat()) {
        if (child === null || child === undefined || child === false) continue;
        el.append(child instanceof Node ? child : document.createTextNode(String(child)));
      }
      return el;
    }

    // --------------------------------------------------------------------- drafts
    function newDraft(pack) {
      const state = pack[kind.stateKey];
      return {
        assessment: pack.assessment,
        base_version: state ? state.version : 0,
        fields: kind.fieldsFrom(state),
        dirty: false, rev: 0, client_id: null, conflict: null, error: "",
      };
    }

    async function changeDraft(pk, change) {
      const draft = await dbGet("drafts", pk);
      if (!draft) return null;
      change(draft);
      draft.dirty = true;
      draft.rev += 1;
      draft.client_id = null; // new content, new upload id
      draft.error = "";
      await dbPut("drafts", draft);
      await showStatus();
      scheduleSync();
      return draft;
    }

    // ---------------------------------------------------------------------- status
    async function waiting() {
      const [drafts, photos] = await Promise.all([dbAll("drafts"), dbAll("photos")]);
      return drafts.filter((d) => d.dirty).length + photos.filter((p) => p.state === "pending").length;
    }

    function stateWord(count) {
      if (!count) return { key: "synced", text: M("Synced") };
      return navigator.onLine ? { key: "pending", text: M("Pending") } : { key: "local", text: M("Local") };
    }

    let syncing = false;
    async function showStatus() {
      const count = await waiting();
      const word = stateWord(count);
      const box = $(".field-status");
      box.dataset.state = word.key;
      $("[data-status]").textContent = syncing && navigator.onLine && count ? M("Uploading") : word.text;
      $("[data-count]").textContent = count ? `${count} ${M("Waiting")}` : "";
      $("[data-count]").dataset.count = String(count);
      $("[data-net]").textContent = navigator.onLine ? M("Online") : M("Offline");
      $("[data-sync-now]").disabled = !navigator.onLine || !count;
      updateFinalise();
    }

    function showError(text) {
      const el = $("[data-error]");
      el.textContent = text || "";
      el.hidden = !text;
    }

    // ------------------------------------------------------------------------ sync
    let timer = null;
    function scheduleSync() {
      clearTimeout(timer);
      timer = setTimeout(sync, 1500);
    }

    // A draft the server refused waits for a change or a tap on 立即上传 (manual): retrying
    // it by itself every half minute would only be refused again.
    async function sync(manual = false) {
      if (syncing || !navigator.onLine) return;
      syncing = true;
      let failed = false;
      await showStatus();
      try {
        const session = await fetch(urls.session, { credentials: "same-origin", headers: { Accept: "application/json" } });
        if (session.redirected || !session.ok) {
          showError(M("Login"));
          return;
        }
        showError("");
        const { csrf } = await session.json();
        for (const draft of await dbAll("drafts")) {
          if (draft.dirty && !draft.conflict && (manual || !draft.error)) await syncDraft(draft, csrf);
        }
        for (const photo of await dbAll("photos")) {
          if (photo.state === "pending") await syncPhoto(photo, csrf);
        }
      } catch (e) {
        // The connection dropped mid-way (or is not quite back yet): what was not confirmed
        // keeps its id and goes again shortly.
        failed = true;
      } finally {
        syncing = false;
        if (failed && navigator.onLine) setTimeout(sync, 3000);
        await showStatus();
        await rerender();
      }
    }

    async function syncDraft(draft, csrf) {
      if (!draft.client_id) {
        draft.client_id = uuid();
        await dbPut("drafts", draft); // kept before sending: a retry reuses it
      }
      const rev = draft.rev;
      const response = await fetch(urls.draft, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, Accept: "application/json" },
        body: JSON.stringify({ client_id: draft.client_id, assessment: draft.assessment, base_version: draft.base_version, ...draft.fields }),
      });
      const data = await response.json().catch(() => ({}));
      const current = await dbGet("drafts", draft.assessment);
      if (!current) return;
      if (response.ok) {
        current.base_version = data.version;
        current.client_id = null;
        current.error = "";
        if (current.rev === rev) current.dirty = false;
        const pack = await dbGet("packs", draft.assessment);
        if (pack) { pack[kind.stateKey] = data[kind.stateKey]; await dbPut("packs", pack); }
      } else if (response.status === 409) {
        current.conflict = data.server || { version: 0, items: {} };
        current.client_id = null;
      } else if (response.status >= 400 && response.status < 500) {
        current.error = `${M("Refused")}${data.message || response.status}`;
        current.client_id = null;
      } else {
        return; // the server failed: try again later with the same id
      }
      await dbPut("drafts", current);
    }

    async function syncPhoto(photo, csrf) {
      const form = new FormData();
      form.append("client_id", photo.client_id);
      form.append("assessment", String(photo.assessment));
      if (photo.item) form.append("item", String(photo.item));
      form.append("file", photo.blob, photo.name);
      const response = await fetch(urls.photo, {
        method: "POST", credentials: "same-origin", headers: { "X-CSRFToken": csrf, Accept: "application/json" }, body: form,
      });
      const data = await response.json().catch(() => ({}));
      if (response.ok) {
        photo.state = "synced";
        photo.evidence = data.evidence;
        photo.blob = null; // the server has it now; the phone's space is scarce
      } else if (response.status >= 400 && response.status < 500) {
        photo.state = "refused";
        photo.error = `${M("Refused")}${data.message || response.status}`;
      } else {
        return;
      }
      await dbPut("photos", photo);
    }

    // --------------------------------------------------------------- photo shrink
    // A phone photo (3–8 MB) is re-encoded to about 1600 px (a few hundred KB); its EXIF
    // block (time, GPS, orientation) is copied over so the server can still check it.
    async function exifSegment(file) {
      const bytes = new Uint8Array(await file.slice(0, 256 * 1024).arrayBuffer());
      if (bytes[0] !== 0xff || bytes[1] !== 0xd8) return null;
      let i = 2;
      while (i + 4 < bytes.length && bytes[i] === 0xff) {
        const marker = bytes[i + 1];
        const length = (bytes[i + 2] << 8) | bytes[i + 3];
        if (marker === 0xda) break;
        if (marker === 0xe1 && bytes[i + 4] === 0x45 && bytes[i + 5] === 0x78) return bytes.slice(i, i + 2 + length);
        i += 2 + length;
      }
      return null;
    }

    async function shrink(file) {
      if (file.type !== "image/jpeg" || file.size < 500 * 1024 || !window.createImageBitmap) return file;
      try {
        const bitmap = await createImageBitmap(file, { imageOrientation: "none" });
        const scale = Math.min(1, 1600 / Math.max(bitmap.width, bitmap.height));
        const canvas = document.createElement("canvas");
        canvas.width = Math.round(bitmap.width * scale);
        canvas.height = Math.round(bitmap.height * scale);
        canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
        const out = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.8));
        if (!out || out.size >= file.size) return file;
        const exif = await exifSegment(file);
        if (!exif) return out;
        const head = new Uint8Array(await out.slice(0, 4).arrayBuffer());
        // After SOI and the JFIF APP0 segment the canvas writes.
        let at = 2;
        if (head[2] === 0xff && head[3] === 0xe0) {
          const app0 = new Uint8Array(await out.slice(4, 6).arrayBuffer());
          at = 4 + ((app0[0] << 8) | app0[1]);
        }
        return new Blob([out.slice(0, at), exif, out.slice(at)], { type: "image/jpeg" });
      } catch (e) {
        return file;
      }
    }

    // ---------------------------------------------------------------- list view
    async function renderPacks() {
      const list = $("[data-packs]");
      const [packs, drafts, photos] = await Promise.all([dbAll("packs"), dbAll("drafts"), dbAll("photos")]);
      const draftOf = Object.fromEntries(drafts.map((d) => [d.assessment, d]));
      list.replaceChildren();
      if (!packs.length) list.append(h("li", { class: "muted" }, M("None")));
      for (const pack of packs) {
        const draft = draftOf[pack.assessment];
        const pending = photos.filter((p) => p.assessment === pack.assessment && p.state === "pending").length + (draft && draft.dirty ? 1 : 0);
        const word = draft && draft.conflict ? { key: "conflict", text: M("Conflict") } : stateWord(pending);
        list.append(h("li", { class: "card field-pack", "data-pack": pack.assessment },
          h("a", { href: `#${kind.route}-${pack.assessment}` }, h("strong", {}, pack.settlement.name), " ",
            h("small", { class: "muted" }, `${pack.settlement.township} · ${pack.settlement.village}`)),
          " ", h("span", { class: `badge field-${word.key}`, "data-pack-status": word.key }, word.key === "conflict" ? "⚠" : word.text),
          pending ? h("small", {}, ` ${pending} ${M("Waiting")}`) : null,
          h("button", { type: "button", class: "link", onclick: () => removePack(pack.assessment, pending) }, M("Remove"))));
      }
    }

    async function removePack(pk, pending) {
      if (pending && !window.confirm(M("RemoveConfirm"))) return;
      await dbDelete("packs", pk);
      await dbDelete("drafts", pk);
      for (const photo of await dbAll("photos")) if (photo.assessment === pk) await dbDelete("photos", photo.client_id);
      await renderPacks();
      await showStatus();
    }

    async function loadCandidates() {
      const box = $("[data-candidates]");
      if (!navigator.onLine) return;
      try {
        const response = await fetch(urls.candidates, { credentials: "same-origin", headers: { Accept: "application/json" } });
        if (!response.ok || response.redirected) return;
        const data = await response.json();
        box.replaceChildren();
        if (!data.settlements.length) box.append(h("li", { class: "muted" }, M("NoCandidates")));
        for (const row of data.settlements) {
          box.append(h("li", { "data-search": `${row.name} ${row.township} ${row.village} ${row.code}` },
            h("label", {}, h("input", { type: "checkbox", value: row.assessment, "data-candidate": row.assessment }),
              ` ${row.name} `, h("small", { class: "muted" }, `${row.township} · ${row.village} · ${row.status}`))));
        }
      } catch (e) { /* offline: the list stays as the phone last had it */ }
    }

    async function download() {
      const chosen = Array.from(app.querySelectorAll("[data-candidate]:checked"), (el) => Number(el.value));
      for (const pk of chosen) {
        const response = await fetch(urls.pack(pk), { credentials: "same-origin", headers: { Accept: "application/json" } });
        if (!response.ok || response.redirected) continue;
        const pack = await response.json();
        await dbPut("packs", pack);
        const draft = await dbGet("drafts", pk);
        if (!draft || (!draft.dirty && !draft.conflict)) await dbPut("drafts", newDraft(pack));
        // Fetching the photos once puts them in the service worker's cache.
        for (const sides of Object.values(pack.evidence)) {
          for (const files of Object.values(sides)) {
            for (const ev of files) if (ev.image) fetch(ev.url, { credentials: "same-origin" }).catch(() => {});
          }
        }
      }
      app.querySelectorAll("[data-candidate]:checked").forEach((el) => { el.checked = false; });
      await renderPacks();
      await showStatus();
    }

    // ---------------------------------------------------------------- form view
    let openPk = null;

    function thumbs(files) {
      if (!files || !files.length) return null;
      return h("ul", { class: "evidence-list field-thumbs" }, files.map((ev) => h("li", {},
        ev.image ? h("a", { href: ev.url, target: "_blank", rel: "noopener" }, h("img", { src: ev.url, alt: ev.name, loading: "lazy" })) : h("a", { href: ev.url }, `📄 ${ev.name}`),
        ev.flags && ev.flags.length ? h("span", { class: "evidence-flags" }, ev.flags.map((f) => h("span", { class: "flag" }, `⚠ ${f}`))) : null)));
    }

    function conflictBox(draft, pack) {
      const server = draft.conflict;
      const rows = [];
      const add = (label, a, b) => { if (String(a ?? "") !== String(b ?? "")) rows.push(h("tr", {}, h("th", {}, label), h("td", { "data-mine": true }, a ?? ""), h("td", { "data-theirs": true }, b ?? ""))); };
      kind.conflictRows(draft.fields, kind.fieldsFrom(server), pack, add, M);
      return h("section", { class: "card field-conflict", "data-conflict": true, role: "alert" },
        h("p", {}, M("Conflict"), " ", h("small", { class: "muted" }, `${server.assessor || ""} ${server.updated_at ? server.updated_at.slice(0, 16).replace("T", " ") : ""}`)),
        h("table", { class: "table" }, h("thead", {}, h("tr", {}, h("th", {}), h("th", {}, M("Mine")), h("th", {}, M("Theirs")))), h("tbody", {}, rows)),
        h("div", { class: "buttons" },
          h("button", { type: "button", class: "primary", "data-keep-mine": true, onclick: () => resolve(pack.assessment, "mine") }, M("KeepMine")),
          h("button", { type: "button", "data-keep-theirs": true, onclick: () => resolve(pack.assessment, "theirs") }, M("KeepTheirs"))));
    }

    async function resolve(pk, which) {
      const draft = await dbGet("drafts", pk);
      if (!draft || !draft.conflict) return;
      const server = draft.conflict;
      draft.base_version = server.version;
      draft.conflict = null;
      draft.client_id = null;
      draft.rev += 1;
      if (which === "theirs") {
        draft.fields = kind.fieldsFrom(server);
        draft.dirty = false;
      } else {
        draft.dirty = true;
      }
      await dbPut("drafts", draft);
      await showForm(pk);
      await showStatus();
      if (which === "mine") sync();
    }

    function textInput(label, value, onInput, attrs = {}) {
      return h("label", {}, label, h(attrs.multiline ? "textarea" : "input", {
        ...(attrs.multiline ? { rows: 1 } : { type: attrs.type || "text" }), value, "data-field": attrs.name,
        oninput: (event) => onInput(event.target.value),
      }));
    }

    // The phone's date where the county is: a form kept on the phone locks itself after its
    // last day (pack.closes), as the server would refuse it then, offline too.
    const countyDate = new Intl.DateTimeFormat("en-CA", {
      timeZone: app.dataset.timeZone, year: "numeric", month: "2-digit", day: "2-digit",
    });
    const closedByDate = (pack) => Boolean(pack.closes) && countyDate.format(new Date()) > pack.closes;

    async function showForm(pk) {
      const pack = await dbGet("packs", pk);
      const draft = await dbGet("drafts", pk);
      const view = $("[data-form-view]");
      if (!pack || !draft) { location.hash = ""; return; }
      openPk = pk;
      $("[data-list-view]").hidden = true;
      view.hidden = false;
      const photos = (await dbAll("photos")).filter((p) => p.assessment === pk);
      const closed = kind.editable(pack) && closedByDate(pack);
      const editable = kind.editable(pack) && !closed;
      const ctx = {
        pack, draft, editable, fields: draft.fields, h, M, thumbs, textInput,
        itemEditable: (id) => editable && kind.itemEditable(pack, id),
        setField: (name) => (value) => changeDraft(pk, (d) => { d.fields[name] = value; }),
        setItem: (id, name, parse) => (value) => changeDraft(pk, (d) => {
          d.fields.items[id] = d.fields.items[id] || kind.emptyItem();
          d.fields.items[id][name] = parse ? parse(value) : value;
        }),
        occInput: (item, value, onInput) => h("input", {
          type: "number", min: 0, max: 99, inputmode: "numeric", value: value ?? 0, "data-occ": item.id,
          disabled: !ctx.itemEditable(item.id), oninput: (e) => onInput(Math.max(0, parseInt(e.target.value, 10) || 0)),
        }),
        photoInput: (item) => (ctx.itemEditable(item.id) ? h("label", { class: "upload" }, M("Photo"), h("input", {
          type: "file", accept: "image/*", capture: "environment", multiple: true, "data-photo": item.id,
          onchange: (e) => addPhotos(pk, item.id, e.target),
        })) : null),
        localPhotos: (item) => {
          const local = photos.filter((p) => p.item === item.id);
          return local.length ? h("ul", { class: "evidence-list field-thumbs", "data-local-photos": item.id }, local.map((p) => h("li", { "data-photo-state": p.state },
            p.blob ? h("img", { src: URL.createObjectURL(p.blob), alt: p.name }) : p.evidence ? h("img", { src: p.evidence.url, alt: p.name }) : null,
            h("small", {}, p.state === "synced" ? M("Synced") : p.state === "refused" ? p.error : navigator.onLine ? M("Pending") : M("Local"))))) : null;
        },
      };
      view.replaceChildren(...[
        h("p", {}, h("a", { href: "#" }, `← ${M("Back")}`)),
        h("h1", {}, pack.settlement.name, " ", h("small", {}, kind.heading(pack))),
        draft.conflict ? conflictBox(draft, pack) : null,
        draft.error ? h("p", { class: "form-errors", role: "alert" }, draft.error) : null,
        closed ? h("p", { class: "notice locked-notice", "data-closed": true }, pack.closed_reason) : kind.notices(pack, ctx),
        kind.formBody(ctx),
        h("div", { class: "score-bar" }, h("div", { class: "buttons" },
          h("a", { class: "button primary", href: kind.submitUrl(pack), "data-finalise": true }, M("Finalise")),
          h("button", { type: "button", class: "primary", disabled: true, "data-finalise-offline": true }, M("Finalise")),
          h("p", { class: "muted", "data-finalise-why": true }))),
      ].flat().filter((node) => node !== null && node !== undefined));
      updateFinalise();
    }

    function updateFinalise() {
      const link = $("[data-finalise]");
      if (!link) return;
      const online = navigator.onLine;
      link.hidden = !online;
      $("[data-finalise-offline]").hidden = online;
      $("[data-finalise-why]").textContent = online ? M("FinaliseOnline") : M("FinaliseOffline");
    }

    async function addPhotos(pk, itemId, input) {
      for (const file of Array.from(input.files || [])) {
        const blob = await shrink(file);
        const name = /\.(jpe?g|png)$/i.test(file.name) ? file.name : `${file.name || "photo"}.jpg`;
        await dbPut("photos", { client_id: uuid(), assessment: pk, item: itemId, name, blob, state: "pending", created: Date.now() });
      }
      input.value = "";
      await showForm(pk);
      await showStatus();
      scheduleSync();
    }

    function showList() {
      openPk = null;
      $("[data-form-view]").hidden = true;
      $("[data-list-view]").hidden = false;
      renderPacks();
    }

    async function rerender() {
      // After an upload: refresh what is shown without losing focus in a field being typed in.
      if (openPk === null) { await renderPacks(); return; }
      const active = document.activeElement;
      if (active && app.contains(active) && /INPUT|TEXTAREA|SELECT/.test(active.tagName) && active.type !== "file") return;
      await showForm(openPk);
    }

    function route() {
      const match = new RegExp(`^#${kind.route}-(\\d+)$`).exec(location.hash);
      if (match) showForm(Number(match[1]));
      else showList();
    }

    // ---------------------------------------------------------------------- start
    $("[data-sync-now]").addEventListener("click", () => sync(true));
    $("[data-download]").addEventListener("click", () => download());
    $("[data-filter]").addEventListener("input", (event) => {
      const needle = event.target.value.trim();
      app.querySelectorAll("[data-candidates] li[data-search]").forEach((li) => { li.hidden = needle && !li.dataset.search.includes(needle); });
    });
    window.addEventListener("hashchange", route);
    window.addEventListener("online", () => { showStatus(); loadCandidates(); sync(); });
    window.addEventListener("offline", () => showStatus());
    setInterval(() => { if (navigator.onLine) sync(); }, 30000);
    route();
    showStatus();
    loadCandidates();
    sync();
  },
};
