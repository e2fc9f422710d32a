// Console behaviour htmx does not cover: the row menus (⋮), the identifier
// picker and Escape to cancel an inline edit. Listeners sit on the document,
// so rows swapped in by htmx work without being wired up again.
(function () {
  "use strict";

  // Without this class the menus and pickers stay open as plain forms, so
  // the page still works when this script does not run.
  document.documentElement.classList.add("js");

  function menuOf(button) {
    return document.getElementById(button.getAttribute("aria-controls"));
  }

  function closeMenus(except) {
    document
      .querySelectorAll('.menu-button[aria-expanded="true"]')
      .forEach(function (button) {
        if (button === except) return;
        button.setAttribute("aria-expanded", "false");
        var menu = menuOf(button);
        if (menu) menu.classList.remove("open");
      });
  }

  function closePicker(picker) {
    picker.classList.remove("open");
    var button = picker.closest("td").querySelector(".menu-button");
    if (button) button.focus();
  }

  document.addEventListener("click", function (event) {
    var target = event.target;

    var button = target.closest(".menu-button");
    if (button) {
      var opening = button.getAttribute("aria-expanded") !== "true";
      closeMenus(button);
      button.setAttribute("aria-expanded", String(opening));
      var menu = menuOf(button);
      menu.classList.toggle("open", opening);
      if (opening) menu.querySelector(".menu-item").focus();
      return;
    }

    var opener = target.closest("[data-opens]");
    if (opener) {
      var picker = document.getElementById(opener.getAttribute("data-opens"));
      closeMenus(null);
      picker.classList.add("open");
      picker.querySelector("select").focus();
      return;
    }

    var cancel = target.closest(".picker-cancel");
    if (cancel) {
      closePicker(cancel.closest(".picker"));
      return;
    }

    if (!target.closest(".row-menu")) closeMenus(null);
  });

  // Saving or cancelling an inline edit swaps the focused input for a plain
  // row; hand focus to that row's Edit link so keyboard users keep their
  // place. The row is noted before the swap, while the focus is still inside
  // it, and focused once htmx has settled (and done its own focus handling).
  var refocusRow = null;

  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    var inside = target && target.id && target.contains(document.activeElement);
    refocusRow = inside ? target.id : null;
  });

  document.addEventListener("htmx:afterSettle", function () {
    var id = refocusRow;
    refocusRow = null;
    if (!id) return;
    setTimeout(function () {
      var row = document.getElementById(id);
      var edit = row && row.querySelector("a.edit");
      if (edit && !row.contains(document.activeElement)) edit.focus();
    }, 0);
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var target = event.target instanceof Element ? event.target : null;

    var open = document.querySelector('.menu-button[aria-expanded="true"]');
    if (open) {
      closeMenus(null);
      open.focus();
      return;
    }

    var picker = target && target.closest(".picker.open");
    if (picker) {
      closePicker(picker);
      return;
    }

    var edit = target && target.closest(".inline-edit");
    if (edit) {
      event.preventDefault();
      // Asked of htmx directly: right after a swap the new Cancel link may
      // not be wired up yet, and a plain click would reload the whole page.
      var cancel = edit.querySelector(".cancel");
      if (window.htmx && cancel.hasAttribute("hx-get")) {
        window.htmx.ajax("GET", cancel.getAttribute("hx-get"), {
          target: edit.closest("tr"),
          swap: "outerHTML",
        });
      } else {
        cancel.click();
      }
    }
  });
})();
