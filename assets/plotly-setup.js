/* Plotly on every graph of the dashboard, the wall and the PDF's report page:
 *
 * 1. The bundle. Dash loads plotly.js only when a page draws a graph (dcc.Graph fetches
 *    window._dashPlotlyJSURL then). Dash points that at the full 4.8 MB bundle; our figures
 *    use scatter and bar traces only, so we point it at plotly.js's "basic" partial bundle
 *    (scatter, bar, pie; 1.2 MB) in assets/vendor, the same plotly.js version as the Python
 *    plotly package (tests/dashboard/test_first_render.py checks both). Its name carries the
 *    version and the URL this script's own ?m= fingerprint, so it is cached like the rest.
 *
 * 2. The language. plotly.js registers the locales queued in window.PlotlyLocales when it
 *    loads; our zh-CN is plotly.js's own zh-CN (plotly.js-locales) with month names and the
 *    date formats of its automatic axis labels in Chinese: 2026年1月, 1月5日 (its shortMonths
 *    are 一…十二, which would make a month axis read "一 2026"). When plotly.js assigns
 *    window.Plotly, zh-CN becomes the default locale of every graph.
 */
(function () {
  'use strict';
  var BUNDLE = 'vendor/plotly-basic-4.1.1.min.js';
  var LOCALE = 'zh-CN';

  var self = document.currentScript && document.currentScript.src;
  if (self) {
    var at = self.indexOf('plotly-setup.js');
    var query = self.indexOf('?') >= 0 ? self.slice(self.indexOf('?')) : '';
    var bundleUrl = self.slice(0, at) + BUNDLE + query;
    Object.defineProperty(window, '_dashPlotlyJSURL', {
      configurable: true,
      get: function () { return bundleUrl; },
      set: function () { /* Dash's renderer names the full bundle: ours stays */ },
    });
  }

  var months = ['一月', '二月', '三月', '四月', '五月', '六月', '七月', '八月', '九月', '十月',
    '十一月', '十二月'];
  var locale = {
    moduleType: 'locale',
    name: LOCALE,
    dictionary: {
      'Autoscale': '自动缩放',
      'Box Select': '矩形框选',
      'Compare data on hover': '悬停时比较数据',
      'Double-click on legend to isolate one trace': '双击图例单独显示该项',
      'Double-click to zoom back out': '双击恢复原始大小',
      'Download plot as a png': '下载为 PNG 图片',
      'Download plot': '下载图表',
      'Lasso Select': '套索选择',
      'Pan': '平移',
      'Produced with Plotly.js': '由 Plotly.js 生成',
      'Reset': '重置',
      'Reset axes': '重置坐标轴',
      'Reset view': '重置视图',
      'Reset views': '重置视图',
      'Show closest data on hover': '悬停时显示最近的数据',
      'Snapshot succeeded': '图片已生成',
      'Sorry, there was a problem downloading your snapshot!': '抱歉,图片下载出错!',
      'Taking snapshot - this may take a few seconds': '正在生成图片,请稍候',
      'Toggle Spike Lines': '切换辅助线',
      'Toggle show closest data on hover': '切换悬停时显示最近的数据',
      'Zoom': '缩放',
      'Zoom in': '放大',
      'Zoom out': '缩小',
      'max:': '最大值:',
      'mean:': '平均值:',
      'median:': '中位数:',
      'min:': '最小值:',
      'new text': '新建文本',
      'trace': '数据系列',
    },
    format: {
      days: ['星期日', '星期一', '星期二', '星期三', '星期四', '星期五', '星期六'],
      shortDays: ['周日', '周一', '周二', '周三', '周四', '周五', '周六'],
      months: months,
      shortMonths: ['1月', '2月', '3月', '4月', '5月', '6月', '7月', '8月', '9月', '10月',
        '11月', '12月'],
      periods: ['上午', '下午'],
      date: '%Y-%m-%d',
      time: '%H:%M:%S',
      dateTime: '%Y年%-m月%-d日 %H:%M:%S',
      decimal: '.',
      thousands: ',',
      grouping: [3],
      currency: ['¥', ''],
      // automatic date-axis labels and hover: year, month, day of month, full date
      year: '%Y年',
      month: '%Y年%-m月',
      dayMonth: '%-m月%-d日',
      dayMonthYear: '%Y年%-m月%-d日',
    },
  };

  if (window.Plotly && window.Plotly.register) {
    window.Plotly.register(locale);
    window.Plotly.setPlotConfig({ locale: LOCALE });
    return;
  }
  window.PlotlyLocales = (window.PlotlyLocales || []).concat([locale]);
  var plotly;
  Object.defineProperty(window, 'Plotly', {
    configurable: true,
    get: function () { return plotly; },
    set: function (value) {
      plotly = value;
      if (value && value.setPlotConfig) { value.setPlotConfig({ locale: LOCALE }); }
    },
  });
})();
