/* The URL holds the whole view (issue 16 point 4): a grid's sort and filter, and choices that
 * are not shell filters (the ranking's indicator), go into the address through the shell's
 * own location (so Dash's idea of the address never goes stale), so a shared link opens the
 * same view and back/forward walk through the steps. A grid drawn as the URL (or the page's
 * default) says adds no step to the history. */
window.dash_clientside = Object.assign({}, window.dash_clientside, {
  pulse: {
    // a server-side grid's block request → ?sort=<json>&filter=<json>
    gridToUrl: function (request, drawn, search) {
      if (!request) { return window.dash_clientside.no_update; }
      var params = new URLSearchParams(search || '');
      var sort = (request.sortModel || []).map(function (s) {
        return {colId: s.colId, sort: s.sort};
      });
      var filter = request.filterModel || {};
      var same = drawn && JSON.stringify(sort) === JSON.stringify(drawn.sort || []) &&
        JSON.stringify(filter) === JSON.stringify(drawn.filter || {});
      if (same) { return window.dash_clientside.no_update; }
      setOrDrop(params, 'sort', sort.length ? JSON.stringify(sort) : '');
      setOrDrop(params, 'filter', Object.keys(filter).length ? JSON.stringify(filter) : '');
      return changed(params, search);
    },
    // a dropdown's value → ?<key>=<value>; the page's default value leaves the address clean
    valueToUrl: function (value, spec, search) {
      var params = new URLSearchParams(search || '');
      setOrDrop(params, spec.key, value === spec.default ? '' : (value || ''));
      return changed(params, search);
    }
  }
});

function setOrDrop(params, key, value) {
  if (value) { params.set(key, value); } else { params.delete(key); }
}

// encoded as the server writes queries (commas kept), so the shell finds nothing to rewrite
function changed(params, search) {
  var next = params.toString().replace(/%2C/g, ',');
  next = next ? '?' + next : '';
  return next === (search || '') ? window.dash_clientside.no_update : next;
}
