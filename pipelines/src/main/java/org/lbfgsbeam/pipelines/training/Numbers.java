package org.lbfgsbeam.pipelines;

import java.util.Locale;

/** Number formats for the files a run writes. */
final class Numbers {
  private Numbers() {}

  /** 17 significant digits: enough to read back the same double. */
  static String exact(double v) {
    if (!Double.isFinite(v)) {
      return Double.toString(v);
    }
    return String.format(Locale.ROOT, "%.17g", v);
  }
}
