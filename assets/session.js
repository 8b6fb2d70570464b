/* Signed out (session expired, account disabled): the next request of a page's callbacks
 * answers 401, and the page goes to the login page, coming back here after it. */
(function () {
  if (!window.fetch || window.__pulseSessionWatch) { return; }
  window.__pulseSessionWatch = true;
  var original = window.fetch;
  window.fetch = function () {
    return original.apply(this, arguments).then(function (response) {
      if (response.status === 401 && response.url.indexOf('/_dash-') !== -1) {
        var here = window.location.pathname + window.location.search;
        window.location.assign('/login?next=' + encodeURIComponent(here));
      }
      return response;
    });
  };
})();
