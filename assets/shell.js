/* The analyst shell's 正在加载… and its error notes (issue 16).
 *
 * While any of the page's callbacks is on its way, the shell's indicator (#shell-loading,
 * dashboard/app.py) shows — after a short delay, so quick answers do not make it flicker.
 * It lives in the shell, so the wall and the printed report (which hide the shell) never
 * show it.
 *
 * A callback the server refuses or fails would otherwise leave the page as it was, without
 * a word: the server's own Chinese message (with its request id) is shown in a note at the
 * bottom right. 401 is session.js's: it goes to the login page.
 *
 * And the few aria-labels Dash's own widgets hard-code in English are said in Chinese.
 */
(function () {
  'use strict';
  if (!window.fetch || window.__pulseShell) { return; }
  window.__pulseShell = true;

  var DELAY_MS = 250;
  var MESSAGES = {
    400: '请求无效',
    403: '您的账号无权访问此数据',
    413: '请求内容过大',
    429: '请求过于频繁,请稍后再试',
    500: '服务器内部错误,已记录',
    502: '服务暂时不可用,请稍后刷新',
    503: '服务暂时不可用(可能尚未导入数据),请稍后刷新',
    504: '服务器响应超时,请稍后再试',
  };
  var pending = 0;
  var timer = null;

  function setBusy() {
    if (pending > 0) {
      if (timer === null && !document.body.classList.contains('pulse-busy')) {
        timer = setTimeout(function () {
          timer = null;
          if (pending > 0) { document.body.classList.add('pulse-busy'); }
        }, DELAY_MS);
      }
      return;
    }
    if (timer !== null) { clearTimeout(timer); timer = null; }
    document.body.classList.remove('pulse-busy');
  }

  function shellShown() {
    var shell = document.getElementById('shell-nav');
    return shell !== null && shell.style.display !== 'none';
  }

  function note(text) {
    if (!shellShown()) { return; }  // the wall and the printed report say it their own way
    var box = document.getElementById('pulse-notes');
    if (!box) {
      box = document.createElement('div');
      box.id = 'pulse-notes';
      box.className = 'pulse-notes';
      box.setAttribute('aria-live', 'assertive');
      document.body.appendChild(box);
    }
    var item = document.createElement('div');
    item.className = 'alert alert-danger alert-dismissible shadow-sm mb-2 py-2';
    item.setAttribute('role', 'alert');
    var message = document.createElement('span');
    message.textContent = text;
    var close = document.createElement('button');
    close.type = 'button';
    close.className = 'btn-close';
    close.setAttribute('aria-label', '关闭');
    close.addEventListener('click', function () { item.remove(); });
    item.appendChild(message);
    item.appendChild(close);
    box.appendChild(item);
    while (box.children.length > 3) { box.firstChild.remove(); }
    setTimeout(function () { item.remove(); }, 15000);
  }

  function explain(response) {
    var fallback = MESSAGES[response.status] || ('请求未能完成(' + response.status + ')');
    response.json().then(function (body) {
      note((body && body.message) || fallback);
    }, function () { note(fallback); });
  }

  function isCallback(input) {
    var url = typeof input === 'string' ? input : (input && input.url) || '';
    return url.indexOf('/_dash-update-component') !== -1;
  }

  // Dash 4's date picker and number input name a few buttons in English only
  var ARIA = {
    'Previous month': '上个月',
    'Next month': '下个月',
    'Close calendar': '关闭日历',
    'Clear Dates': '清除日期',
    'Clear date': '清除日期',
    'Decrease value': '减少',
    'Increase value': '增加',
  };
  var ARIA_SELECTOR = Object.keys(ARIA).map(function (k) {
    return '[aria-label="' + k + '"]';
  }).join(',');
  function translate(node) {
    if (node.nodeType !== 1) { return; }
    if (node.matches(ARIA_SELECTOR)) { node.setAttribute('aria-label', ARIA[node.getAttribute('aria-label')]); }
    node.querySelectorAll(ARIA_SELECTOR).forEach(function (el) {
      el.setAttribute('aria-label', ARIA[el.getAttribute('aria-label')]);
    });
  }
  new MutationObserver(function (records) {
    records.forEach(function (record) {
      if (record.type === 'attributes') { translate(record.target); return; }
      record.addedNodes.forEach(translate);
    });
  }).observe(document.documentElement, {
    childList: true, subtree: true, attributes: true, attributeFilter: ['aria-label'],
  });

  var original = window.fetch;
  window.fetch = function (input) {
    if (!isCallback(input)) { return original.apply(this, arguments); }
    pending += 1;
    setBusy();
    return original.apply(this, arguments).then(function (response) {
      pending -= 1;
      setBusy();
      if (response.status >= 400 && response.status !== 401) { explain(response.clone()); }
      return response;
    }, function (error) {
      pending -= 1;
      setBusy();
      note('无法连接服务器,请检查网络后刷新页面');
      throw error;
    });
  };
})();
