package org.lbfgsbeam.pipelines.training;

import java.util.Locale;

/** Number formats for the files a run writes. */
public final class Numbers {
  private Numbers() {}

  /** 17 significant digits: enough to read back the same double. */
  public static String exact(double v) {
    if (!Double.isFinite(v)) {
      return Double.toString(v);
    }
    return String.format(Locale.ROOT, "%.17g", v);
  }
}
