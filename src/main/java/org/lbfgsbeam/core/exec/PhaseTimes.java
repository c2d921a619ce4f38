package org.lbfgsbeam.core.exec;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Wall times of an executor's phases, by name: each phase is one parallel step over the blocks
 * (a commit, the Gram partials, the margins of a direction, a trial's statistics, &hellip;), timed
 * from its start to its last block's end. For finding where an iteration goes ({@code train}'s
 * {@code LBFGS_LOCAL_TRACE=1}); the results never depend on it.
 *
 * <p>The summary gives, per phase, its calls, the median of its calls from the
 * {@value #STEADY_FROM}th on (the first ones carry the JIT's compilation and the first touch of
 * fresh arrays) and the total of all calls, in the order the phases first ran. Used by one thread
 * at a time (the executor's calling thread).
 */
public final class PhaseTimes {
  /** Calls of a phase before this one (1-based) are left out of its steady median. */
  public static final int STEADY_FROM = 6;

  private final Map<String, List<Long>> nanos = new LinkedHashMap<>();

  /** Records one call of {@code phase} that took {@code elapsedNanos}. */
  public void record(String phase, long elapsedNanos) {
    nanos.computeIfAbsent(phase, k -> new ArrayList<>()).add(elapsedNanos);
  }

  /** The calls of {@code phase} so far, in nanoseconds, in the order they ran (empty if none). */
  public List<Long> calls(String phase) {
    return List.copyOf(nanos.getOrDefault(phase, List.of()));
  }

  /**
   * The median, in seconds, of the calls of {@code phase} from the {@value #STEADY_FROM}th on;
   * NaN when there are none.
   */
  public double steadyMedianSeconds(String phase) {
    List<Long> all = nanos.getOrDefault(phase, List.of());
    if (all.size() < STEADY_FROM) {
      return Double.NaN;
    }
    long[] steady = all.subList(STEADY_FROM - 1, all.size()).stream().mapToLong(Long::longValue)
        .sorted().toArray();
    int n = steady.length;
    double median = n % 2 == 1 ? steady[n / 2] : (steady[n / 2 - 1] + steady[n / 2]) / 2.0;
    return median / 1e9;
  }

  /** One line per phase: name, calls, steady median (ms), total (ms); then the sums. */
  public String summary() {
    StringBuilder out = new StringBuilder(String.format(Locale.ROOT,
        "%-22s %6s %12s %10s%n", "phase", "calls", "median* ms", "total ms"));
    double medians = 0;
    double totals = 0;
    for (Map.Entry<String, List<Long>> e : nanos.entrySet()) {
      double median = steadyMedianSeconds(e.getKey()) * 1e3;
      double total = e.getValue().stream().mapToLong(Long::longValue).sum() / 1e6;
      out.append(String.format(Locale.ROOT, "%-22s %6d %12s %10.1f%n", e.getKey(),
          e.getValue().size(), Double.isNaN(median) ? "-" : String.format(Locale.ROOT, "%.2f",
              median), total));
      medians += Double.isNaN(median) ? 0 : median;
      totals += total;
    }
    out.append(String.format(Locale.ROOT, "%-22s %6s %12.2f %10.1f%n", "all phases", "", medians,
        totals));
    out.append("* median of the calls from the " + STEADY_FROM + "th on");
    return out.toString();
  }
}
