/* Sign-up: preselect the browser's own time zone (Intl), so a member in Berlin does not
 * start in UTC and see every time an hour or two off. Only when the field still holds the
 * page's default and the zone is one the server offers; the member can change it. */

export function browserZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch (_error) {
    return "";
  }
}

export function preselect(select, zone) {
  if (!select || !zone || select.value !== select.dataset.defaultZone) {
    return false;
  }
  var offered = Array.prototype.some.call(select.options, function (option) {
    return option.value === zone;
  });
  if (offered) {
    select.value = zone;
  }
  return offered;
}

preselect(document.querySelector("select[data-browser-zone]"), browserZone());
